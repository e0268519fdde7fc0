// Builds the per-user snapshot (GET /v1/snapshot) from the newest trained model (personal list,
// item-item neighbours, frequently-bought-together; services/model_registry.h) when there is one,
// the incrementally maintained live model (fresh popularity, and neighbours of items the trained
// model has not seen yet), the profile's own recent events (bounded read by profile), the
// catalog and the active messages.
// The ETag is a hash of the serialized snapshot without generated_at_ms, so unchanged content
// always gets the same tag.
//
// Thread safety: Build() may be called concurrently.
#ifndef VITRINE_SYNC_SERVER_SERVICES_SNAPSHOT_SERVICE_H_
#define VITRINE_SYNC_SERVER_SERVICES_SNAPSHOT_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>

#include "sync_server/common/status.h"
#include "sync_server/services/content_service.h"
#include "sync_server/services/model_registry.h"
#include "sync_server/services/reco_model.h"
#include "sync_server/storage/store.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server {

struct SnapshotOptions {
  uint32_t ttl_seconds = 900;
  size_t popular_items = 50;
  size_t personal_items = 50;
  size_t neighbours_per_item = 20;
  size_t popular_with_neighbours = 20;     // top popular items that also get neighbour lists
  size_t popular_neighbours_per_item = 8;  // ... that long (the profile's own items: the above)
  size_t recent_items = 20;                // the profile's own items that get neighbour lists
  size_t profile_events = 500;             // newest events of the profile read per request
  size_t fbt_anchors = 10;                 // the profile's newest items that get FBT partners
  size_t fbt_per_item = 6;
  std::string model_version = "popularity-cooc-1";
};

struct SnapshotResult {
  v1::Snapshot snapshot;
  std::string etag;  // strong, quoted: "\"3f2a...\""
};

class SnapshotService {
 public:
  using Clock = std::function<int64_t()>;
  // Everything passed in must outlive the service.
  // `trained` may be null (live model only).
  SnapshotService(Store* store, RecoModel* model, CatalogService* catalog, MessageService* messages,
                  SnapshotOptions options, Clock clock, ModelRegistry* trained = nullptr);

  // Either id may be empty; user_id wins when both resolve. An unknown user gets the
  // non-personal snapshot (popular, neighbours, messages) with an empty profile_id.
  StatusOr<SnapshotResult> Build(const std::string& anonymous_id, const std::string& user_id);

  // Customer analytics: fills the profile's segment_ids and profile_attributes (may be empty).
  // Set once before serving (not synchronised); called concurrently from Build().
  void SetProfileDecorator(std::function<void(int64_t profile_id, v1::Snapshot& snapshot)> fn) {
    decorate_profile_ = std::move(fn);
  }

 private:
  Store* const store_;
  RecoModel* const model_;
  CatalogService* const catalog_;
  MessageService* const messages_;
  const SnapshotOptions options_;
  const Clock clock_;
  ModelRegistry* const trained_;
  std::function<void(int64_t, v1::Snapshot&)> decorate_profile_;
};

// Strong ETag of a snapshot's content (generated_at_ms excluded).
std::string SnapshotEtag(const v1::Snapshot& snapshot);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_SNAPSHOT_SERVICE_H_
