#include "sync_server/recsys/item_knn.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace vitrine::recsys {
namespace {

Status Cancelled() { return Status(Status::Kind::kUnavailable, "cancelled", "training cancelled"); }

bool IsCancelled(const TrainOptions& options) {
  return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

void Report(const TrainOptions& options, std::string_view stage, double fraction,
            std::string detail) {
  if (options.progress) options.progress(TrainProgress{stage, fraction, std::move(detail)});
}

}  // namespace

ItemKnnModel::ItemKnnModel(ItemKnnOptions options) : options_(options) {}

Status ItemKnnModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  std::vector<std::vector<std::pair<ItemIndex, float>>> weighted(train.sequences.size());
  for (size_t u = 0; u < train.sequences.size(); ++u) {
    weighted[u].reserve(train.sequences[u].size());
    for (ItemIndex i : train.sequences[u]) weighted[u].emplace_back(i, 1.0f);
  }
  return FitWeighted(train.item_count, weighted, options);
}

Status ItemKnnModel::FitWeighted(
    int32_t item_count, std::span<const std::vector<std::pair<ItemIndex, float>>> sequences,
    const TrainOptions& options) {
  if (item_count < 0) {
    return Status(Status::Kind::kInvalid, "invalid_training_set", "negative item count");
  }
  const auto n = static_cast<size_t>(item_count);
  std::vector<double> occurrences(n, 0.0);
  // Pair counts per item, accumulated row by row; hash rows keep memory ~ number of pairs.
  std::vector<std::unordered_map<ItemIndex, float>> pairs(n);
  const int window = std::max(1, options_.window);
  for (size_t u = 0; u < sequences.size(); ++u) {
    if (u % 4096 == 0) {
      if (IsCancelled(options)) return Cancelled();
      Report(options, "pairs", 0.8 * static_cast<double>(u) / static_cast<double>(sequences.size()),
             "shopper " + std::to_string(u) + "/" + std::to_string(sequences.size()));
    }
    const auto& s = sequences[u];
    for (size_t p = 0; p < s.size(); ++p) {
      const auto [a, wa] = s[p];
      if (a < 0 || a >= item_count) {
        return Status(
            Status::Kind::kInvalid, "invalid_training_set",
            "item " + std::to_string(a) + " outside 0.." + std::to_string(item_count - 1));
      }
      occurrences[static_cast<size_t>(a)] += wa;
      double decay = 1.0;
      for (size_t q = p + 1; q < s.size() && q <= p + static_cast<size_t>(window); ++q) {
        const auto [b, wb] = s[q];
        if (b == a || b < 0 || b >= item_count) {
          decay *= options_.distance_decay;
          continue;
        }
        const double w = decay * std::sqrt(static_cast<double>(wa) * static_cast<double>(wb));
        pairs[static_cast<size_t>(a)][b] += static_cast<float>(w * options_.forward_weight);
        pairs[static_cast<size_t>(b)][a] += static_cast<float>(w * options_.backward_weight);
        decay *= options_.distance_decay;
      }
    }
  }
  item_count_ = item_count;
  offsets_.assign(n + 1, 0);
  neighbours_.clear();
  const size_t k = static_cast<size_t>(std::max(1, options_.neighbours));
  std::vector<ScoredNeighbour> row;
  for (size_t a = 0; a < n; ++a) {
    row.clear();
    for (const auto& [b, c] : pairs[a]) {
      const double denom = std::pow(occurrences[a], options_.alpha) *
                           std::pow(occurrences[static_cast<size_t>(b)], 1.0 - options_.alpha);
      if (denom <= 0) continue;
      row.push_back({b, static_cast<float>(c / denom)});
    }
    auto better = [](const ScoredNeighbour& x, const ScoredNeighbour& y) {
      return x.score != y.score ? x.score > y.score : x.item < y.item;
    };
    if (row.size() > k) {
      std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(k), row.end(),
                        better);
      row.resize(k);
    } else {
      std::sort(row.begin(), row.end(), better);
    }
    neighbours_.insert(neighbours_.end(), row.begin(), row.end());
    offsets_[a + 1] = static_cast<uint32_t>(neighbours_.size());
    std::unordered_map<ItemIndex, float>().swap(pairs[a]);
  }
  const double max_occ = n == 0 ? 0 : *std::max_element(occurrences.begin(), occurrences.end());
  popularity_.assign(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    popularity_[i] = max_occ > 0 ? static_cast<float>(occurrences[i] / max_occ) : 0.0f;
  }
  Report(options, "done", 1.0, std::to_string(neighbours_.size()) + " neighbour links");
  return Status::Ok();
}

std::span<const ScoredNeighbour> ItemKnnModel::Neighbours(ItemIndex item) const {
  if (item < 0 || item >= item_count_) return {};
  const auto i = static_cast<size_t>(item);
  return std::span<const ScoredNeighbour>(neighbours_)
      .subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}

void ItemKnnModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  const size_t n = std::min(out.size(), popularity_.size());
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<float>(options_.popularity_weight) * popularity_[i];
  for (size_t i = n; i < out.size(); ++i) out[i] = 0;
  double weight = 1.0;
  int used = 0;
  for (auto it = history.rbegin(); it != history.rend() && used < options_.history_items;
       ++it, ++used) {
    for (const auto& nb : Neighbours(*it)) {
      if (static_cast<size_t>(nb.item) < out.size()) {
        out[static_cast<size_t>(nb.item)] += static_cast<float>(weight) * nb.score;
      }
    }
    weight *= options_.recency_decay;
  }
}

Status PopularityModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  std::vector<double> counts(static_cast<size_t>(std::max(0, train.item_count)), 0.0);
  for (const auto& s : train.sequences) {
    double w = 1.0;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
      if (*it < 0 || *it >= train.item_count) {
        return Status(Status::Kind::kInvalid, "invalid_training_set", "item outside the catalog");
      }
      counts[static_cast<size_t>(*it)] += w;
      w *= position_decay_;
    }
  }
  scores_.assign(counts.begin(), counts.end());
  Report(options, "done", 1.0, "popularity of " + std::to_string(scores_.size()) + " items");
  return Status::Ok();
}

void PopularityModel::Score(std::span<const ItemIndex>, std::span<float> out) const {
  for (size_t i = 0; i < out.size(); ++i) out[i] = i < scores_.size() ? scores_[i] : 0.0f;
}

}  // namespace vitrine::recsys
