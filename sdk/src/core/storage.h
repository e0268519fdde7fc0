// The SDK's storage edges (internal). Two parts:
//  - Journal: an append-only log whose records survive the process being killed the moment
//    Append returns (native: a preallocated memory-mapped file). track() writes here.
//  - Store: the durable queue and key-value state (native: SQLite in WAL mode). The background
//    persist task moves journal records here in one transaction, then clears the journal.
// One implementation per platform lives in sdk/src/platform/, chosen by CMake.
//
// Thread safety: Journal::Append may be called from any thread (implementations lock briefly);
// Store methods may be called from any thread (implementations serialise internally).
#ifndef VITRINE_SDK_CORE_STORAGE_H_
#define VITRINE_SDK_CORE_STORAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/status.h"

namespace vitrine::internal {

// Value class of an event for eviction: lower is evicted first. See Options in client.h.
enum class EventPriority : int32_t {
  kPageView = 0,
  kBrowsing = 1,
  kProductInterest = 2,
  kCartIntent = 3,
  kNeverEvict = 4,  // orders, identify, consent, deletion requests
};

struct QueuedEvent {
  std::string event_id;  // 16 raw bytes; primary key (re-inserting the same id is a no-op)
  uint64_t seq = 0;
  int64_t occurred_at_ms = 0;
  EventPriority priority = EventPriority::kBrowsing;
  std::string payload;  // serialized vitrine.v1.Event
};

class Journal {
 public:
  virtual ~Journal() = default;
  // Durable against process kill when it returns OK. kStorageFull when the active segment has no
  // room (the caller persists and retries) or the file could not be grown.
  virtual Status Append(const QueuedEvent& event) = 0;
  // Seals the active segment and switches to the other one; returns the sealed segment's
  // records (torn or corrupt tails are skipped). The sealed segment stays on disk until
  // ClearSealed, so a kill between Seal and the Store commit loses nothing.
  virtual StatusOr<std::vector<QueuedEvent>> Seal() = 0;
  virtual Status ClearSealed() = 0;
  // Everything on disk in both segments, oldest first (startup replay).
  virtual StatusOr<std::vector<QueuedEvent>> ReadAll() = 0;
  // Drops every record (consent opt-out, deletion).
  virtual Status Purge() = 0;
  virtual size_t bytes_used() const = 0;
};

struct QueueStats {
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t max_seq = 0;
  int64_t max_occurred_at_ms = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- queue ---
  // Inserts all in one transaction; ids already present are ignored. Returns how many were new.
  virtual StatusOr<size_t> Insert(const std::vector<QueuedEvent>& events) = 0;
  // Oldest first by seq, up to max_count events and max_bytes of payload (at least one event
  // is returned when any exists, even if larger than max_bytes).
  virtual StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t max_bytes) = 0;
  virtual StatusOr<size_t> Remove(const std::vector<std::string>& event_ids) = 0;
  // Moves events to the dead-letter table with a reason (permanently refused by the server).
  virtual Status DeadLetter(const std::vector<std::string>& event_ids,
                            const std::string& reason) = 0;
  // Evicts lowest priority first, oldest first, until at most max_bytes of payload remain, and
  // drops events older than min_occurred_at_ms whose priority is below kNeverEvict.
  // Returns how many were dropped.
  virtual StatusOr<size_t> Evict(uint64_t max_bytes, int64_t min_occurred_at_ms) = 0;
  virtual StatusOr<QueueStats> Stats() = 0;
  virtual Status PurgeQueue() = 0;

  // --- key-value state (identity, session, snapshot, caps, cart) ---
  virtual StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual Status Put(std::string_view key, std::string_view value) = 0;
  virtual Status Delete(std::string_view key) = 0;
  // Deletes every key starting with prefix.
  virtual Status DeletePrefix(std::string_view prefix) = 0;
};

// Native implementations (sdk/src/platform/).
StatusOr<std::unique_ptr<Journal>> OpenMmapJournal(const std::string& dir, size_t segment_bytes);
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_STORAGE_H_
