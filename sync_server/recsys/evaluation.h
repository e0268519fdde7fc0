// Offline evaluation, the standard protocol of the sequential-recommendation literature so our
// numbers compare with published ones: leave-one-out, full ranking over ALL items with the
// shopper's own history removed (a repeated target counts as a miss), HR and NDCG at 5/10/20.
// Ties are broken uniformly at random (seeded), so a model that scores many items equally gets
// the rank it deserves on average rather than the best one.
//
// Thread safety: EvaluateRanking scores shoppers on `threads` threads through the model's const
// ScoreBatch; the model must not be refitted meanwhile.
#ifndef VITRINE_SYNC_SERVER_RECSYS_EVALUATION_H_
#define VITRINE_SYNC_SERVER_RECSYS_EVALUATION_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sync_server/recsys/model.h"
#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

inline constexpr std::array<int, 3> kCutoffs = {5, 10, 20};

struct RankingMetrics {
  std::array<double, 3> hr{};    // at kCutoffs
  std::array<double, 3> ndcg{};  // at kCutoffs
  size_t shoppers = 0;

  double ndcg10() const { return ndcg[1]; }
};

enum class EvalTarget { kValidation, kTest };

struct EvalOptions {
  EvalTarget target = EvalTarget::kTest;
  uint64_t seed = 1;        // tie-breaking
  int threads = 0;          // 0: hardware concurrency
  size_t batch_size = 256;  // shoppers per ScoreBatch call
  size_t max_shoppers = 0;  // 0: all (a subsample for quick model selection)
};

// The history a shopper shows the model for `target`: training sequence, plus the validation item
// when evaluating the test target.
std::vector<ItemIndex> EvalHistory(const LeaveOneOut& split, size_t evaluated_index,
                                   EvalTarget target);

RankingMetrics EvaluateRanking(const SequenceModel& model, const LeaveOneOut& split,
                               const EvalOptions& options);

// 0-based rank of `target` among items not in `history`, ties broken by `tie_draw` in [0, 1):
// rank = (#items scoring higher) + floor(tie_draw * (#other items scoring equal)).
// Returns -1 when the target is itself in the history (it cannot be recommended).
int64_t RankOfTarget(std::span<const float> scores, std::span<const ItemIndex> history,
                     ItemIndex target, double tie_draw);

// Mean and sample standard deviation over seeds, for the report table.
struct MetricsSummary {
  RankingMetrics mean;
  RankingMetrics stddev;
  int runs = 0;
};
MetricsSummary Summarize(std::span<const RankingMetrics> runs);

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_EVALUATION_H_
