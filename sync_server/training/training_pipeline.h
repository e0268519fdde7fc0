// The training pipeline: every stored event and the catalog in, one ModelArtifact out.
//
//  - time-decayed popularity, global, per top-level category and per customer segment (view 1,
//    click 1, wishlist 2, cart 3, purchase 5, halved every `half_life_days` before `now_ms`);
//  - item-item neighbours from each profile's sequence of product interactions with the same
//    per-action weights (recsys::ItemKnnModel::FitWeighted);
//  - frequently-bought-together from order baskets (order_completed lines; recsys::FbtModel with
//    subcategories derived from catalog titles so complements pair and near-duplicates do not);
//  - cold start: catalog items no one has touched get neighbours from title embeddings and join
//    the "similar" lists of their closest items;
//  - optionally the sequential transformer over each profile's product sequence.
// Recommendation clicks (recommendation_clicked, product_clicked with a list_id) count as clicks:
// what the device showed flows back into the next training like any interaction.
//
// Thread safety: Train is a pure function of its inputs; run it on any thread. `feed` is called
// on the calling thread.
#ifndef VITRINE_SYNC_SERVER_TRAINING_TRAINING_PIPELINE_H_
#define VITRINE_SYNC_SERVER_TRAINING_TRAINING_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/recsys/model.h"
#include "sync_server/training/model_artifact.pb.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::training {

using server::Status;
using server::StatusOr;

struct TrainingOptions {
  double half_life_days = 14.0;
  size_t popular_items = 200;
  size_t category_popular_items = 50;
  size_t segment_popular_items = 50;
  // The segment a profile belongs to ("" for none): the analytics micro-segments. Unset: no
  // per-segment popularity. Called once per profile, on the training thread.
  std::function<std::string(int64_t profile_id)> segment_of;
  size_t neighbours_per_item = 30;
  size_t fbt_per_item = 10;
  int min_item_interactions = 1;  // items with fewer weighted interactions get no neighbours
  bool sequential = false;        // train the transformer (needs a build with libtorch)
  // Catalog items without any interaction get neighbours by title similarity (fastText; needs a
  // build with libfasttext) and join the tail of their closest items' lists.
  bool content_cold_start = true;
  int sequential_epochs = 0;  // 0: the model's default
  int threads = 0;
  uint64_t seed = 1;
};

// Calls `sink(profile_id, event)` for every stored event, oldest first.
using EventFeed = std::function<Status(
    const std::function<void(int64_t profile_id, const vitrine::v1::Event&)>& sink)>;

// `version` names the artifact ("m-<trained_at_ms>" is what the registry uses).
StatusOr<v1::ModelArtifact> Train(const EventFeed& feed,
                                  const std::vector<vitrine::v1::CatalogItem>& catalog,
                                  const std::string& version, int64_t now_ms,
                                  const TrainingOptions& options,
                                  const recsys::TrainOptions& control);

// Whether this build can train the sequential model.
bool SequentialAvailable();

}  // namespace vitrine::training

#endif  // VITRINE_SYNC_SERVER_TRAINING_TRAINING_PIPELINE_H_
