// A trained recommendation model, ready to serve: the decoded artifact plus product-id indexes
// and, when the artifact has one, the sequential model. Immutable once built, so one instance is
// shared by every snapshot request (std::shared_ptr<const TrainedModel>).
//
// Thread safety: all methods are const and safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_TRAINING_TRAINED_MODEL_H_
#define VITRINE_SYNC_SERVER_TRAINING_TRAINED_MODEL_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/recsys/model.h"
#include "sync_server/training/model_artifact.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::training {

using server::Status;
using server::StatusOr;

class TrainedModel {
 public:
  // Validates and indexes an artifact (and loads its sequential model). A malformed artifact is
  // a kInvalid error, never a crash.
  static StatusOr<std::unique_ptr<TrainedModel>> FromArtifact(v1::ModelArtifact artifact);
  static StatusOr<std::unique_ptr<TrainedModel>> Parse(const std::string& bytes);

  const std::string& version() const { return artifact_.version(); }
  const v1::ModelArtifact& artifact() const { return artifact_; }
  bool has_sequential() const { return sequential_ != nullptr; }

  // Item-item neighbours / frequently-bought-together partners of a product; nullptr if none.
  const vitrine::v1::Neighbours* NeighboursOf(const std::string& product_id) const;
  const vitrine::v1::Neighbours* FrequentlyBoughtWith(const std::string& product_id) const;
  // Popular items of a top-level category, best first (empty if unknown).
  const google::protobuf::RepeatedPtrField<vitrine::v1::ScoredItem>* CategoryPopular(
      const std::string& category) const;
  // Popular items among a segment's members, best first; nullptr if the model has none for it.
  const google::protobuf::RepeatedPtrField<vitrine::v1::ScoredItem>* SegmentPopular(
      const std::string& segment_id) const;

  // The personal ranking for a shopper whose history (product ids, oldest first) is `history`:
  // the sequential model when there is one, else the item-item votes of the newest items
  // (recency-weighted). Items in `exclude` and unknown products are skipped. At most `n`.
  std::vector<vitrine::v1::ScoredItem> Personal(const std::vector<std::string>& history,
                                                const std::vector<std::string>& exclude,
                                                size_t n) const;

 private:
  TrainedModel() = default;

  v1::ModelArtifact artifact_;
  std::unordered_map<std::string, int32_t> index_;   // product id -> dense index
  std::unordered_map<std::string, int> neighbours_;  // product id -> artifact_.neighbours index
  std::unordered_map<std::string, int> fbt_;
  std::unordered_map<std::string, int> category_;
  std::unordered_map<std::string, int> segment_;
  std::unique_ptr<recsys::SequenceModel> sequential_;
};

}  // namespace vitrine::training

#endif  // VITRINE_SYNC_SERVER_TRAINING_TRAINED_MODEL_H_
