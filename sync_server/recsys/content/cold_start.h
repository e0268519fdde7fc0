// The cold-start protocol: can a model rank products nobody has interacted with yet?
//
// 1. A seeded random `cold_fraction` of the items is declared new: every interaction with them is
//    removed from the training sequences (the leave-one-out training part of every shopper).
// 2. Evaluated shoppers are those whose leave-one-out TEST item is cold. Their history is the
//    usual test history (training part + validation item) with cold items removed too by default,
//    so nothing about new items leaks in through interactions (keep_cold_history relaxes this).
// 3. The target is ranked among the cold items only (a "new arrivals" shelf), minus history
//    items, with seeded random tie-breaking as in evaluation.h; HR/NDCG at 5/10/20.
// Baselines: OraclePopularity ranks cold items by their interaction counts in the FULL data (the
// best any popularity ranking could do, knowing the future); a constant model gives the random
// ranking through tie-breaking.
//
// Thread safety: plain functions; EvaluateColdStart calls the model's const Score.
#ifndef VITRINE_SYNC_SERVER_RECSYS_CONTENT_COLD_START_H_
#define VITRINE_SYNC_SERVER_RECSYS_CONTENT_COLD_START_H_

#include <cstdint>
#include <vector>

#include "sync_server/recsys/evaluation.h"
#include "sync_server/recsys/model.h"
#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

struct ColdStartOptions {
  double cold_fraction = 0.1;
  uint64_t seed = 1;  // which items are cold, and tie-breaking
  bool keep_cold_history = false;
};

struct ColdStartSplit {
  SequenceSet train;                              // leave-one-out training part, cold items removed
  std::vector<ItemIndex> cold_items;              // sorted
  std::vector<bool> is_cold;                      // per item
  std::vector<std::vector<ItemIndex>> histories;  // per evaluated shopper, oldest first
  std::vector<ItemIndex> targets;                 // parallel: each a cold item
  std::vector<int64_t> full_counts;               // interactions per item in the full data
};

ColdStartSplit MakeColdStartSplit(const SequenceSet& all, const ColdStartOptions& options);

// Ranks each target among the cold items not in the shopper's history.
RankingMetrics EvaluateColdStart(const SequenceModel& model, const ColdStartSplit& split,
                                 uint64_t tie_seed);

// Scores items by a fixed count vector (the full-data counts for the oracle baseline).
class CountModel : public SequenceModel {
 public:
  explicit CountModel(std::vector<int64_t> counts) : counts_(std::move(counts)) {}
  std::string_view name() const override { return "popularity"; }
  Status Fit(const SequenceSet&, const TrainOptions&) override { return Status::Ok(); }
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;

 private:
  std::vector<int64_t> counts_;
};

// Every item scores the same: the ranking is the random tie-break.
class RandomModel : public SequenceModel {
 public:
  std::string_view name() const override { return "random"; }
  Status Fit(const SequenceSet&, const TrainOptions&) override { return Status::Ok(); }
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_CONTENT_COLD_START_H_
