// Storage behind an interface: SQLite (sqlite_store.h) is the embedded default; a PostgreSQL
// backend implements the same two classes for shops that outgrow one machine.
//
// The store holds no business rules. Identity merges, deduplication policy and tombstones are
// decided by the services, which call these primitives.
//
// Thread safety: Store's read and admin methods may be called from any thread concurrently.
// BeginWrite() and the WriteTxn it returns belong to the single ingest writer thread: there is at
// most one open WriteTxn at a time. A WriteTxn that is destroyed without Commit() rolls back.
#ifndef VITRINE_SYNC_SERVER_STORAGE_STORE_H_
#define VITRINE_SYNC_SERVER_STORAGE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync_server/common/status.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server {

struct StoreStats {
  int64_t events = 0;
  int64_t profiles = 0;
  int64_t orders = 0;
  int64_t catalog_items = 0;
};

struct ProfileInfo {
  int64_t profile_id = 0;
  std::string user_id;  // empty when anonymous
  std::vector<std::string> anonymous_ids;
  int64_t event_count = 0;
  int64_t order_count = 0;
};

// Everything the writer needs to rebuild its in-memory identity graph at startup.
struct IdentityGraphRows {
  struct Profile {
    int64_t profile_id;
    std::string user_id;
  };
  struct Link {
    std::string anonymous_id;
    int64_t profile_id;
  };
  struct Tombstone {
    std::string key;  // "a:<anonymous_id>" or "u:<user_id>"
    int64_t deleted_at_ms;
  };
  std::vector<Profile> profiles;
  std::vector<Link> links;
  std::vector<Tombstone> tombstones;
};

class WriteTxn {
 public:
  virtual ~WriteTxn() = default;
  // false when an event with this event_id is already stored. `payload`: the event's serialized
  // bytes when the caller already has them (nullptr: the store serializes `event`).
  virtual StatusOr<bool> InsertEvent(const v1::Event& event, const std::string* payload,
                                     int64_t profile_id) = 0;
  // false when `order_id` was already claimed (by this or another event).
  virtual StatusOr<bool> ClaimOrder(const std::string& order_id, const std::string& event_id,
                                    int64_t profile_id) = 0;
  virtual Status CreateProfile(int64_t profile_id, const std::string& user_id) = 0;
  virtual Status SetProfileUser(int64_t profile_id, const std::string& user_id) = 0;
  virtual Status LinkAnonymous(const std::string& anonymous_id, int64_t profile_id) = 0;
  // Moves every anonymous id, event and order of `from` to `into`, then deletes `from`.
  virtual Status MergeProfile(int64_t from, int64_t into) = 0;
  // Deletes the profile, its identity links, events and orders.
  virtual Status DeleteProfile(int64_t profile_id) = 0;
  virtual Status AddTombstone(const std::string& key, int64_t deleted_at_ms) = 0;
  virtual Status Commit() = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Writer thread only.
  virtual StatusOr<std::unique_ptr<WriteTxn>> BeginWrite() = 0;
  virtual StatusOr<IdentityGraphRows> LoadIdentityGraph() = 0;

  // Calls `fn` for every stored event, oldest first (model rebuild at startup).
  virtual Status ScanEvents(
      const std::function<void(int64_t profile_id, const v1::Event&)>& fn) = 0;

  virtual StatusOr<StoreStats> Stats() = 0;
  virtual StatusOr<std::optional<int64_t>> FindProfileByUser(const std::string& user_id) = 0;
  virtual StatusOr<std::optional<int64_t>> FindProfileByAnonymous(
      const std::string& anonymous_id) = 0;
  virtual StatusOr<std::optional<ProfileInfo>> GetProfile(int64_t profile_id) = 0;
  // Newest first, at most `limit`.
  virtual StatusOr<std::vector<v1::Event>> ListProfileEvents(int64_t profile_id, size_t limit) = 0;

  virtual Status PutMessage(const v1::InAppMessage& message) = 0;
  virtual StatusOr<bool> DeleteMessage(const std::string& id) = 0;  // false: no such message
  virtual StatusOr<std::vector<v1::InAppMessage>> ListMessages() = 0;

  virtual Status UpsertCatalog(const std::vector<v1::CatalogItem>& items) = 0;
  virtual StatusOr<std::vector<v1::CatalogItem>> ListCatalog() = 0;

  // Trained recommendation models (training/model_artifact.proto bytes), newest wins. Put keeps
  // the `keep` newest versions and deletes older ones in the same transaction.
  virtual Status PutModelArtifact(const std::string& version, int64_t created_at_ms,
                                  const std::string& bytes, int keep) = 0;
  // The newest artifact's bytes, or nullopt when none was ever stored.
  virtual StatusOr<std::optional<std::string>> LatestModelArtifact() = 0;

  // Cheap liveness check of the database (for /healthz).
  virtual Status Ping() = 0;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_STORAGE_STORE_H_
