// Frequently bought together (FBT): item pairs that co-occur in baskets more than their
// popularity explains, filtered so that complements pair and substitutes do not.
//
// Input is a SequenceSet read one of two ways (FbtOptions::window):
//  - window == 0: every sequence is one basket (an order's line items);
//  - window  > 0: every sequence is one shopper's interactions in time order and two items pair
//    when they are at most `window` positions apart. This is the proxy for data without orders,
//    such as the Amazon review sequences, where consecutive reviews approximate a shopping trip.
// Either way a pair is counted at most once per sequence, so one enthusiastic shopper cannot make
// a pair frequent.
//
// Scores: with N sequences, n_i sequences containing i and n_ij containing the pair,
//   confidence(i -> j) = n_ij / n_i,  lift = n_ij * N / (n_i * n_j),
//   score(i -> j) = n_ij / (n_i^(1 - damping) * n_j^damping)
// damping 0 ranks by confidence (favours bestsellers), 1 by lift (favours rarities, noisy),
// 0.5 (default) is the cosine in between. Pairs below min_support or with lift <= min_lift drop.
//
// The complement rule (text from text_features.h): for i -> j
//  - near-duplicates never pair (same normalised stem, or same brand and subcategory: another
//    size or shade of the same thing);
//  - inside one broad category, items of the SAME subcategory are substitutes and do not pair
//    (unless allow_substitutes); different subcategories are complements and do: nail polish ->
//    top coat, nail polish -> nail polish remover. Items without a derived subcategory pair only
//    when their broad categories differ.
//  - across broad categories everything that passes the statistics pairs.
// Without broad categories every item is in one broad category.
//
// Thread safety: Fit is not thread-safe; after it, every const method is safe from many threads.
#ifndef VITRINE_SYNC_SERVER_RECSYS_FBT_H_
#define VITRINE_SYNC_SERVER_RECSYS_FBT_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sync_server/recsys/model.h"
#include "sync_server/recsys/sequences.h"
#include "sync_server/recsys/text_features.h"

namespace vitrine::recsys {

struct FbtOptions {
  int window = 3;         // 0: each sequence is a basket; > 0: proxy window (see above)
  int min_support = 3;    // minimum n_ij (sequences with the pair)
  double min_lift = 1.0;  // pairs must co-occur more than chance
  double damping = 0.5;   // popularity damping of the target item, 0..1
  int top_k = 20;         // pairs kept per item
  bool allow_substitutes = false;
  // Score(history) sums the pair lists of the last `history_items` items, newest weighted most.
  int history_items = 3;
};

struct FbtPair {
  ItemIndex item = -1;
  float score = 0;
  float confidence = 0;
  float lift = 0;
  int32_t support = 0;  // n_ij
};

class FbtModel : public SequenceModel {
 public:
  // `features` must describe the same items as the sequences (item_count() may be 0: no text, so
  // only the statistics apply). `broad_categories`: one id per item, any negative value meaning
  // "unknown"; empty means one broad category for all.
  FbtModel(CatalogFeatures features, std::vector<int32_t> broad_categories = {},
           FbtOptions options = {});

  std::string_view name() const override { return "fbt"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;

  // Best partners of `item`, highest score first (at most top_k). Empty for unknown items.
  std::span<const FbtPair> Pairs(ItemIndex item) const;

  // Whether the complement rule lets `a -> b` pair (statistics aside).
  bool MayPair(ItemIndex a, ItemIndex b) const;

  int32_t item_count() const { return item_count_; }

 private:
  CatalogFeatures features_;
  std::vector<int32_t> broad_;
  FbtOptions options_;
  int32_t item_count_ = 0;
  std::vector<std::vector<FbtPair>> pairs_;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_FBT_H_
