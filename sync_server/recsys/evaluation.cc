#include "sync_server/recsys/evaluation.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>

namespace vitrine::recsys {

std::vector<ItemIndex> EvalHistory(const LeaveOneOut& split, size_t evaluated_index,
                                   EvalTarget target) {
  const auto& train = split.train.sequences[static_cast<size_t>(split.evaluated[evaluated_index])];
  std::vector<ItemIndex> history(train.begin(), train.end());
  if (target == EvalTarget::kTest) history.push_back(split.validation[evaluated_index]);
  return history;
}

int64_t RankOfTarget(std::span<const float> scores, std::span<const ItemIndex> history,
                     ItemIndex target, double tie_draw) {
  for (ItemIndex h : history) {
    if (h == target) return -1;
  }
  const float t = scores[static_cast<size_t>(target)];
  int64_t higher = 0;
  int64_t equal = 0;  // other items
  for (size_t i = 0; i < scores.size(); ++i) {
    // NaN scores count as worse than anything: a broken model must not look good.
    if (scores[i] > t || (std::isnan(t) && !std::isnan(scores[i]))) {
      ++higher;
    } else if (scores[i] == t || (std::isnan(t) && std::isnan(scores[i]))) {
      ++equal;
    }
  }
  --equal;  // the target itself
  // History items were counted above but cannot be recommended: take them back out.
  std::vector<ItemIndex> seen(history.begin(), history.end());
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
  for (ItemIndex h : seen) {
    if (h < 0 || static_cast<size_t>(h) >= scores.size()) continue;
    const float s = scores[static_cast<size_t>(h)];
    if (s > t || (std::isnan(t) && !std::isnan(s))) {
      --higher;
    } else if (s == t || (std::isnan(t) && std::isnan(s))) {
      --equal;
    }
  }
  const auto tie_offset =
      static_cast<int64_t>(std::floor(tie_draw * static_cast<double>(equal + 1)));
  return higher + std::clamp<int64_t>(tie_offset, 0, equal);
}

RankingMetrics EvaluateRanking(const SequenceModel& model, const LeaveOneOut& split,
                               const EvalOptions& options) {
  size_t total = split.evaluated.size();
  if (options.max_shoppers > 0 && options.max_shoppers < total) total = options.max_shoppers;
  const size_t n_items = static_cast<size_t>(split.train.item_count);
  const size_t batch = std::max<size_t>(1, options.batch_size);
  int threads = options.threads > 0
                    ? options.threads
                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const size_t n_batches = (total + batch - 1) / batch;
  threads = static_cast<int>(
      std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(1, n_batches)));

  // Tie draws are fixed per shopper up front so results do not depend on the thread count.
  std::vector<double> draws(total);
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (auto& d : draws) d = uniform(rng);

  std::vector<RankingMetrics> partial(static_cast<size_t>(threads));
  auto worker = [&](int w) {
    std::vector<float> scores;
    std::vector<std::vector<ItemIndex>> histories;
    std::vector<std::span<const ItemIndex>> views;
    RankingMetrics& m = partial[static_cast<size_t>(w)];
    for (size_t b = static_cast<size_t>(w); b < n_batches; b += static_cast<size_t>(threads)) {
      const size_t begin = b * batch;
      const size_t end = std::min(total, begin + batch);
      histories.clear();
      views.clear();
      for (size_t i = begin; i < end; ++i)
        histories.push_back(EvalHistory(split, i, options.target));
      for (const auto& h : histories) views.emplace_back(h);
      scores.assign((end - begin) * n_items, 0.0f);
      model.ScoreBatch(views, scores);
      for (size_t i = begin; i < end; ++i) {
        const ItemIndex target =
            options.target == EvalTarget::kTest ? split.test[i] : split.validation[i];
        const int64_t rank =
            RankOfTarget(std::span<const float>(scores).subspan((i - begin) * n_items, n_items),
                         histories[i - begin], target, draws[i]);
        ++m.shoppers;
        if (rank < 0) continue;
        for (size_t c = 0; c < kCutoffs.size(); ++c) {
          if (rank < kCutoffs[c]) {
            m.hr[c] += 1;
            m.ndcg[c] += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
          }
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(worker, w);
  worker(0);
  for (auto& t : pool) t.join();

  RankingMetrics sum;
  for (const auto& p : partial) {
    sum.shoppers += p.shoppers;
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      sum.hr[c] += p.hr[c];
      sum.ndcg[c] += p.ndcg[c];
    }
  }
  if (sum.shoppers > 0) {
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      sum.hr[c] /= static_cast<double>(sum.shoppers);
      sum.ndcg[c] /= static_cast<double>(sum.shoppers);
    }
  }
  return sum;
}

MetricsSummary Summarize(std::span<const RankingMetrics> runs) {
  MetricsSummary s;
  s.runs = static_cast<int>(runs.size());
  if (runs.empty()) return s;
  const double n = static_cast<double>(runs.size());
  for (const auto& r : runs) {
    s.mean.shoppers = r.shoppers;
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      s.mean.hr[c] += r.hr[c] / n;
      s.mean.ndcg[c] += r.ndcg[c] / n;
    }
  }
  if (runs.size() > 1) {
    for (const auto& r : runs) {
      for (size_t c = 0; c < kCutoffs.size(); ++c) {
        s.stddev.hr[c] += (r.hr[c] - s.mean.hr[c]) * (r.hr[c] - s.mean.hr[c]) / (n - 1);
        s.stddev.ndcg[c] += (r.ndcg[c] - s.mean.ndcg[c]) * (r.ndcg[c] - s.mean.ndcg[c]) / (n - 1);
      }
    }
    for (size_t c = 0; c < kCutoffs.size(); ++c) {
      s.stddev.hr[c] = std::sqrt(s.stddev.hr[c]);
      s.stddev.ndcg[c] = std::sqrt(s.stddev.ndcg[c]);
    }
  }
  return s;
}

}  // namespace vitrine::recsys
