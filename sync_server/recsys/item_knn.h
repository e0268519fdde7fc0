// Item-item collaborative filtering from co-occurrence in shoppers' sequences, and time-decayed
// popularity: the strong, cheap baselines every other model must beat, and what the server ships
// when nothing better is trained.
//
// Item-item: two items co-occur when one shopper touched both within `window` positions; a pair
// at distance d adds action_weight * distance_decay^(d-1), and pairs in sequence order (a then b)
// weigh `forward_weight`, the reverse `backward_weight` (next-item intent is directional). The
// similarity is c(a,b) / (n(a)^alpha * n(b)^(1-alpha)) (alpha = 0.5 is cosine), keeping the best
// `neighbours` per item. A shopper's score for item j sums sim(h, j) over the history h, the
// newest item weighted 1 and older ones by recency_decay^(age); a tiny popularity term orders
// items no neighbour reaches.
//
// Thread safety: see model.h (Fit once, then const scoring from any thread).
#ifndef VITRINE_SYNC_SERVER_RECSYS_ITEM_KNN_H_
#define VITRINE_SYNC_SERVER_RECSYS_ITEM_KNN_H_

#include <cstdint>
#include <span>
#include <vector>

#include "sync_server/recsys/model.h"

namespace vitrine::recsys {

// Defaults tuned on the Beauty validation items (vitrine-recsys-eval --validation; see
// docs/benchmarks.md): long windows with mild distance decay, forward pairs weighing ~3x the
// reverse, normalisation close to P(b | a), and strong recency in the history.
struct ItemKnnOptions {
  int window = 20;               // positions apart that still count as co-occurring
  double distance_decay = 0.9;   // weight of a pair d positions apart: decay^(d-1)
  double forward_weight = 1.0;   // a before b
  double backward_weight = 0.3;  // b before a
  double alpha = 0.9;            // similarity normalisation, 0.5 = cosine, 1 = P(b | a)
  int neighbours = 200;          // kept per item
  double recency_decay = 0.5;    // history weight per step back from the newest item
  int history_items = 20;        // newest items of the history that vote
  double popularity_weight = 1e-2;
};

struct ScoredNeighbour {
  ItemIndex item;
  float score;
};

class ItemKnnModel : public SequenceModel {
 public:
  explicit ItemKnnModel(ItemKnnOptions options = {});

  std::string_view name() const override { return "item-knn"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;

  // The best neighbours of `item`, best first (empty for an unknown item).
  std::span<const ScoredNeighbour> Neighbours(ItemIndex item) const;
  // Per-action pair weights for the training pipeline: a sequence of (item, weight) where weight
  // is the action's strength (view 1, cart 3, purchase 5); Fit() uses weight 1 everywhere.
  Status FitWeighted(int32_t item_count,
                     std::span<const std::vector<std::pair<ItemIndex, float>>> sequences,
                     const TrainOptions& options);

  int32_t item_count() const { return item_count_; }

 private:
  ItemKnnOptions options_;
  int32_t item_count_ = 0;
  std::vector<uint32_t> offsets_;  // CSR over neighbours_
  std::vector<ScoredNeighbour> neighbours_;
  std::vector<float> popularity_;  // normalised to [0, 1]
};

// Counts each interaction once (newer ones count more when `position_decay` < 1, relative to the
// end of each sequence) and ranks by that count.
class PopularityModel : public SequenceModel {
 public:
  explicit PopularityModel(double position_decay = 1.0) : position_decay_(position_decay) {}
  std::string_view name() const override { return "popularity"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;
  std::span<const float> scores() const { return scores_; }

 private:
  double position_decay_;
  std::vector<float> scores_;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_ITEM_KNN_H_
