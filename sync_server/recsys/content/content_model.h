// Content-based recommendation for cold start: items are ranked by how close their text vector is
// to what the shopper has been looking at, so a product nobody has bought yet can still be shown.
//
// ContentModel: item vector = the embedder's vector of ContentTokens (normalised title words +
// "attr_<id>" tokens), L2-normalised; items without text get a zero vector (score 0). A shopper's
// query is the recency-weighted mean of the history items' vectors (weight decay^age, the newest
// item age 0), and every item scores the cosine with it. Fit trains fastText on the catalog (it
// needs only the ItemText given at construction; the sequences only fix item_count), unless an
// embedder was plugged in.
//
// HybridModel: a collaborative SequenceModel blended with a ContentModel per item, trusting the
// content side where the item has little training history:
//   alpha_i = shrinkage / (shrinkage + n_i)   (n_i = training interactions of item i)
//   score_i = (1 - alpha_i) * z(collab)_i + alpha_i * content_weight * z(content)_i
// where z() standardises one shopper's scores across items (the two scales are unrelated). A new
// product (n_i = 0) is ranked by text alone; a bestseller almost by the collaborative model.
//
// Thread safety (both): Fit is not thread-safe; afterwards Score is const and thread-safe.
// Save/Load: versioned binary of the item vectors with a checksum; a model loaded this way scores
// without retraining. Load rejects anything malformed with kInvalid.
#ifndef VITRINE_SYNC_SERVER_RECSYS_CONTENT_CONTENT_MODEL_H_
#define VITRINE_SYNC_SERVER_RECSYS_CONTENT_CONTENT_MODEL_H_

#include <filesystem>
#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string_view>
#include <vector>

#include "sync_server/recsys/content/fasttext_embedder.h"
#include "sync_server/recsys/content/text_embedder.h"
#include "sync_server/recsys/model.h"
#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

struct ContentOptions {
  FastTextOptions fasttext;
  double recency_decay = 0.7;  // weight of each older history item relative to the next newer
  int max_history = 20;        // only the newest items form the query
};

class ContentModel : public SequenceModel {
 public:
  // Trains fastText on `text` in Fit.
  explicit ContentModel(ItemText text, ContentOptions options = {});
  // Uses `embedder` (shared, must outlive nothing: the model keeps a reference) instead.
  ContentModel(ItemText text, std::shared_ptr<const TextEmbedder> embedder,
               ContentOptions options = {});

  std::string_view name() const override { return "content"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;

  int32_t item_count() const { return item_count_; }
  int dimension() const { return dim_; }
  // Row `item` of the unit-norm item matrix (all zeros: no text). REQUIRES: 0 <= item < count.
  std::span<const float> ItemVector(ItemIndex item) const;
  // Cosine of two items' vectors (0 when either has none).
  float Similarity(ItemIndex a, ItemIndex b) const;

  Status Save(std::ostream& out) const;
  Status Save(const std::filesystem::path& path) const;
  // Replaces the vectors with the saved ones (the ItemText is not needed to score).
  Status Load(std::istream& in);
  Status Load(const std::filesystem::path& path);

 private:
  ItemText text_;
  std::shared_ptr<const TextEmbedder> embedder_;
  ContentOptions options_;
  int32_t item_count_ = 0;
  int dim_ = 0;
  std::vector<float> vectors_;  // item_count_ x dim_, row-major, unit or zero rows
};

struct HybridOptions {
  double shrinkage = 20;      // training interactions at which both sides weigh the same
  double content_weight = 1;  // scale of the content side once standardised
};

class HybridModel : public SequenceModel {
 public:
  // Owns both; Fit fits both on the same training set.
  HybridModel(std::unique_ptr<SequenceModel> collaborative, std::unique_ptr<ContentModel> content,
              HybridOptions options = {});

  std::string_view name() const override { return "hybrid"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;

  // alpha_i, the content share of item i (1 for items never seen in training).
  float ContentShare(ItemIndex item) const;

 private:
  std::unique_ptr<SequenceModel> collaborative_;
  std::unique_ptr<ContentModel> content_;
  HybridOptions options_;
  std::vector<float> alpha_;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_CONTENT_CONTENT_MODEL_H_
