#include "sync_server/recsys/content/cold_start.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace vitrine::recsys {

ColdStartSplit MakeColdStartSplit(const SequenceSet& all, const ColdStartOptions& options) {
  ColdStartSplit out;
  const auto n = static_cast<size_t>(std::max(0, all.item_count));
  std::vector<ItemIndex> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed);
  std::shuffle(order.begin(), order.end(), rng);
  const auto n_cold = static_cast<size_t>(
      std::llround(std::clamp(options.cold_fraction, 0.0, 1.0) * static_cast<double>(n)));
  out.cold_items.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n_cold));
  std::sort(out.cold_items.begin(), out.cold_items.end());
  out.is_cold.assign(n, false);
  for (ItemIndex i : out.cold_items) out.is_cold[static_cast<size_t>(i)] = true;

  out.full_counts.assign(n, 0);
  for (const auto& s : all.sequences) {
    for (ItemIndex i : s) {
      if (i >= 0 && static_cast<size_t>(i) < n) ++out.full_counts[static_cast<size_t>(i)];
    }
  }
  auto warm = [&](ItemIndex i) {
    return i >= 0 && static_cast<size_t>(i) < n && !out.is_cold[static_cast<size_t>(i)];
  };

  const LeaveOneOut loo = SplitLeaveOneOut(all);
  out.train.item_count = all.item_count;
  out.train.sequences.reserve(loo.train.sequences.size());
  for (const auto& s : loo.train.sequences) {
    std::vector<ItemIndex> kept;
    for (ItemIndex i : s) {
      if (warm(i)) kept.push_back(i);
    }
    out.train.sequences.push_back(std::move(kept));
  }
  for (size_t e = 0; e < loo.evaluated.size(); ++e) {
    const ItemIndex target = loo.test[e];
    if (warm(target) || target < 0 || static_cast<size_t>(target) >= n) continue;
    std::vector<ItemIndex> history;
    for (ItemIndex i : EvalHistory(loo, e, EvalTarget::kTest)) {
      if (options.keep_cold_history || warm(i)) history.push_back(i);
    }
    out.histories.push_back(std::move(history));
    out.targets.push_back(target);
  }
  return out;
}

RankingMetrics EvaluateColdStart(const SequenceModel& model, const ColdStartSplit& split,
                                 uint64_t tie_seed) {
  RankingMetrics m;
  const size_t n = split.is_cold.size();
  std::vector<int32_t> cold_position(n, -1);
  for (size_t k = 0; k < split.cold_items.size(); ++k) {
    cold_position[static_cast<size_t>(split.cold_items[k])] = static_cast<int32_t>(k);
  }
  std::mt19937_64 rng(tie_seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<float> scores(n);
  std::vector<float> shelf(split.cold_items.size());
  std::vector<ItemIndex> shelf_history;
  for (size_t e = 0; e < split.targets.size(); ++e) {
    const double draw = uniform(rng);
    model.Score(split.histories[e], scores);
    for (size_t k = 0; k < split.cold_items.size(); ++k) {
      shelf[k] = scores[static_cast<size_t>(split.cold_items[k])];
    }
    shelf_history.clear();
    for (ItemIndex h : split.histories[e]) {
      if (h >= 0 && static_cast<size_t>(h) < n && cold_position[static_cast<size_t>(h)] >= 0) {
        shelf_history.push_back(cold_position[static_cast<size_t>(h)]);
      }
    }
    const int64_t rank = RankOfTarget(shelf, shelf_history,
                                      cold_position[static_cast<size_t>(split.targets[e])], draw);
    ++m.shoppers;
    if (rank < 0) continue;
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      if (rank < kCutoffs[c]) {
        m.hr[c] += 1;
        m.ndcg[c] += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
      }
    }
  }
  if (m.shoppers > 0) {
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      m.hr[c] /= static_cast<double>(m.shoppers);
      m.ndcg[c] /= static_cast<double>(m.shoppers);
    }
  }
  return m;
}

void CountModel::Score(std::span<const ItemIndex>, std::span<float> out) const {
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = i < counts_.size() ? static_cast<float>(counts_[i]) : 0.0f;
  }
}

void RandomModel::Score(std::span<const ItemIndex>, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
}

}  // namespace vitrine::recsys
