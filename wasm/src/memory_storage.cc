// In-memory storage edges for the WebAssembly build; see memory_storage.h.
// The queue mirrors the SQLite store's semantics (sdk/src/platform/sqlite_store.cc): keyed by
// seq, deduplicated by event_id, eviction by priority class then age, bounded dead letters.
#include "wasm/src/memory_storage.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace vitrine::internal {
namespace {

constexpr size_t kMaxDeadLetters = 1000;
constexpr char kKvPrefix[] = "k/";
constexpr char kEventPrefix[] = "e/";

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string EventKey(std::string_view event_id) { return kEventPrefix + Hex(event_id); }

// Mirror value of a queued event: seq (8 bytes), occurred_at_ms (8), priority (4), all
// little-endian, then the payload.
std::string EncodeEvent(const QueuedEvent& e) {
  std::string out;
  auto put = [&out](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  put(e.seq, 8);
  put(static_cast<uint64_t>(e.occurred_at_ms), 8);
  put(static_cast<uint64_t>(static_cast<uint32_t>(e.priority)), 4);
  out += e.payload;
  return out;
}

std::optional<QueuedEvent> DecodeEvent(std::string event_id, std::string_view bytes) {
  if (bytes.size() < 20) return std::nullopt;
  auto get = [&bytes](size_t at, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) {
      v = (v << 8) | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
    }
    return v;
  };
  QueuedEvent e;
  e.event_id = std::move(event_id);
  e.seq = get(0, 8);
  e.occurred_at_ms = static_cast<int64_t>(get(8, 8));
  const uint64_t priority = get(16, 4);
  if (priority > static_cast<uint64_t>(EventPriority::kNeverEvict)) return std::nullopt;
  e.priority = static_cast<EventPriority>(priority);
  e.payload = std::string(bytes.substr(20));
  return e;
}

struct StoreState {
  std::mutex mu;
  std::map<uint64_t, QueuedEvent> queue;            // by seq: ReadOldest walks in order
  std::unordered_map<std::string, uint64_t> by_id;  // event_id -> seq
  std::vector<std::pair<QueuedEvent, std::string>> dead_letters;  // oldest first
  uint64_t bytes = 0;
  std::map<std::string, std::string, std::less<>> kv;
  bool mirrored = false;        // ImportMirror was called: track changes
  std::set<std::string> dirty;  // mirror keys changed since TakeMirrorChanges
  void Mark(std::string key) {
    if (mirrored) dirty.insert(std::move(key));
  }
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(std::shared_ptr<StoreState> state) : s_(std::move(state)) {}

  StatusOr<size_t> Insert(const std::vector<QueuedEvent>& events) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    // All or nothing, as one SQLite transaction: check every row before changing any.
    for (const QueuedEvent& e : events) {
      if (s_->by_id.count(e.event_id)) continue;
      if (s_->queue.count(e.seq)) {
        return Status(StatusCode::kStorageError, "queue: seq reused by a different event");
      }
    }
    size_t added = 0;
    for (const QueuedEvent& e : events) {
      if (s_->by_id.count(e.event_id) || s_->queue.count(e.seq)) continue;
      s_->by_id.emplace(e.event_id, e.seq);
      s_->Mark(EventKey(e.event_id));
      s_->bytes += e.payload.size();
      s_->queue.emplace(e.seq, e);
      ++added;
    }
    return added;
  }

  StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t max_bytes) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<QueuedEvent> out;
    size_t bytes = 0;
    for (const auto& [seq, e] : s_->queue) {
      if (out.size() >= max_count) break;
      if (!out.empty() && bytes + e.payload.size() > max_bytes) break;
      bytes += e.payload.size();
      out.push_back(e);
    }
    return out;
  }

  StatusOr<size_t> Remove(const std::vector<std::string>& event_ids) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    size_t removed = 0;
    for (const std::string& id : event_ids) removed += EraseLocked(id, nullptr);
    return removed;
  }

  Status DeadLetter(const std::vector<std::string>& event_ids, const std::string& reason) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    for (const std::string& id : event_ids) {
      QueuedEvent moved;
      if (EraseLocked(id, &moved)) s_->dead_letters.emplace_back(std::move(moved), reason);
    }
    if (s_->dead_letters.size() > kMaxDeadLetters) {
      const auto excess = static_cast<std::ptrdiff_t>(s_->dead_letters.size() - kMaxDeadLetters);
      s_->dead_letters.erase(s_->dead_letters.begin(), s_->dead_letters.begin() + excess);
    }
    return Status::Ok();
  }

  StatusOr<size_t> Evict(uint64_t max_bytes, int64_t min_occurred_at_ms) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<std::string> victims;
    for (const auto& [seq, e] : s_->queue) {
      if (e.occurred_at_ms < min_occurred_at_ms && e.priority < EventPriority::kNeverEvict) {
        victims.push_back(e.event_id);
      }
    }
    size_t dropped = 0;
    for (const std::string& id : victims) dropped += EraseLocked(id, nullptr);
    if (s_->bytes <= max_bytes) return dropped;
    // Lowest class first, oldest (by seq) first within a class.
    std::vector<std::pair<EventPriority, uint64_t>> order;
    for (const auto& [seq, e] : s_->queue) {
      if (e.priority < EventPriority::kNeverEvict) order.emplace_back(e.priority, seq);
    }
    std::sort(order.begin(), order.end());
    for (const auto& [priority, seq] : order) {
      if (s_->bytes <= max_bytes) break;
      auto it = s_->queue.find(seq);
      dropped += EraseLocked(it->second.event_id, nullptr);
    }
    return dropped;
  }

  StatusOr<QueueStats> Stats() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    QueueStats stats;
    stats.count = s_->queue.size();
    stats.bytes = s_->bytes;
    if (!s_->queue.empty()) {
      stats.max_seq = s_->queue.rbegin()->first;
      stats.max_occurred_at_ms = s_->queue.rbegin()->second.occurred_at_ms;
    }
    return stats;
  }

  Status PurgeQueue() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    for (const auto& [id, seq] : s_->by_id) s_->Mark(EventKey(id));
    s_->queue.clear();
    s_->by_id.clear();
    s_->bytes = 0;
    return Status::Ok();
  }

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->kv.find(key);
    if (it == s_->kv.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  Status Put(std::string_view key, std::string_view value) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->kv.insert_or_assign(std::string(key), std::string(value));
    s_->Mark(kKvPrefix + std::string(key));
    return Status::Ok();
  }

  Status Delete(std::string_view key) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->kv.find(key);
    if (it != s_->kv.end()) {
      s_->Mark(kKvPrefix + it->first);
      s_->kv.erase(it);
    }
    return Status::Ok();
  }

  Status DeletePrefix(std::string_view prefix) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    auto it = s_->kv.lower_bound(prefix);
    while (it != s_->kv.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix) {
      s_->Mark(kKvPrefix + it->first);
      it = s_->kv.erase(it);
    }
    return Status::Ok();
  }

 private:
  // Removes one queued event by id; moves it into *out when given. Returns 1 if it was there.
  size_t EraseLocked(const std::string& id, QueuedEvent* out) {
    auto it = s_->by_id.find(id);
    if (it == s_->by_id.end()) return 0;
    auto q = s_->queue.find(it->second);
    s_->Mark(EventKey(id));
    s_->bytes -= q->second.payload.size();
    if (out) *out = std::move(q->second);
    s_->queue.erase(q);
    s_->by_id.erase(it);
    return 1;
  }

  std::shared_ptr<StoreState> s_;
};

struct JournalState {
  std::mutex mu;
  std::vector<QueuedEvent> active;
  std::vector<QueuedEvent> sealed;
  size_t active_bytes = 0;
  size_t sealed_bytes = 0;
  bool mirrored = false;
  std::set<std::string> dirty;  // mirror keys of records appended or purged
  void Mark(const QueuedEvent& e) {
    if (mirrored) dirty.insert(EventKey(e.event_id));
  }
};

// Two segments like the native journal: Append fills the active one up to segment_bytes of
// payload, Seal hands its records over and keeps them until ClearSealed.

class MemoryJournal final : public Journal {
 public:
  MemoryJournal(std::shared_ptr<JournalState> state, size_t segment_bytes)
      : s_(std::move(state)), segment_bytes_(segment_bytes) {}

  Status Append(const QueuedEvent& event) override {
    std::lock_guard<std::mutex> lock(s_->mu);
    if (s_->active_bytes + event.payload.size() > segment_bytes_) {
      return Status(StatusCode::kStorageFull, "journal segment full");
    }
    s_->active_bytes += event.payload.size();
    s_->active.push_back(event);
    s_->Mark(event);
    return Status::Ok();
  }

  StatusOr<std::vector<QueuedEvent>> Seal() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    // The previous seal was never cleared (its Store commit failed): hand the same records out
    // again rather than sealing more, as the native journal does. Store::Insert ignores repeats.
    if (!s_->sealed.empty()) return s_->sealed;
    s_->sealed.swap(s_->active);
    s_->sealed_bytes = s_->active_bytes;
    s_->active_bytes = 0;
    return s_->sealed;
  }

  Status ClearSealed() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    s_->sealed.clear();
    s_->sealed_bytes = 0;
    return Status::Ok();
  }

  StatusOr<std::vector<QueuedEvent>> ReadAll() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    std::vector<QueuedEvent> all = s_->sealed;
    all.insert(all.end(), s_->active.begin(), s_->active.end());
    return all;
  }

  Status Purge() override {
    std::lock_guard<std::mutex> lock(s_->mu);
    for (const QueuedEvent& e : s_->active) s_->Mark(e);
    for (const QueuedEvent& e : s_->sealed) s_->Mark(e);
    s_->active.clear();
    s_->sealed.clear();
    s_->active_bytes = s_->sealed_bytes = 0;
    return Status::Ok();
  }

  size_t bytes_used() const override {
    std::lock_guard<std::mutex> lock(s_->mu);
    return s_->active_bytes + s_->sealed_bytes;
  }

 private:
  std::shared_ptr<JournalState> s_;
  const size_t segment_bytes_;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<StoreState>> stores;
  std::map<std::string, std::shared_ptr<JournalState>> journals;
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();  // never destroyed: outlives every Client
  return *registry;
}

std::string StorePath(const std::string& data_dir) { return data_dir + "/queue.db"; }

// REQUIRES: the registry lock held.
std::pair<std::shared_ptr<StoreState>, std::shared_ptr<JournalState>> StatesLocked(
    Registry& r, const std::string& data_dir) {
  auto& store = r.stores[StorePath(data_dir)];
  if (!store) store = std::make_shared<StoreState>();
  auto& journal = r.journals[data_dir];
  if (!journal) journal = std::make_shared<JournalState>();
  return {store, journal};
}

}  // namespace

std::unique_ptr<Store> NewMemoryStore() {
  return std::make_unique<MemoryStore>(std::make_shared<StoreState>());
}

std::unique_ptr<Journal> NewMemoryJournal(size_t segment_bytes) {
  return std::make_unique<MemoryJournal>(std::make_shared<JournalState>(), segment_bytes);
}

void ResetMemoryStorageRegistry() {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.stores.clear();
  r.journals.clear();
}

StatusOr<size_t> ImportMirror(const std::string& data_dir,
                              const std::vector<std::pair<std::string, std::string>>& entries) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto [store, journal] = StatesLocked(r, data_dir);
  std::lock_guard<std::mutex> store_lock(store->mu);
  std::lock_guard<std::mutex> journal_lock(journal->mu);
  store->mirrored = true;
  journal->mirrored = true;
  size_t skipped = 0;
  for (const auto& [key, value] : entries) {
    const std::string_view k(key);
    if (k.substr(0, 2) == kKvPrefix) {
      store->kv.insert_or_assign(std::string(k.substr(2)), value);
      continue;
    }
    std::optional<std::string> id;
    if (k.substr(0, 2) == kEventPrefix) id = Unhex(k.substr(2));
    std::optional<QueuedEvent> e;
    if (id && !id->empty()) e = DecodeEvent(*id, value);
    if (!e || store->by_id.count(e->event_id) || store->queue.count(e->seq)) {
      ++skipped;
      continue;
    }
    store->by_id.emplace(e->event_id, e->seq);
    store->bytes += e->payload.size();
    store->queue.emplace(e->seq, std::move(*e));
  }
  return skipped;
}

size_t JournaledEventCount(const std::string& data_dir) {
  std::shared_ptr<JournalState> journal;
  {
    Registry& r = GetRegistry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.journals.find(data_dir);
    if (it == r.journals.end()) return 0;
    journal = it->second;
  }
  std::lock_guard<std::mutex> lock(journal->mu);
  return journal->active.size() + journal->sealed.size();
}

std::vector<MirrorChange> TakeMirrorChanges(const std::string& data_dir) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto [store, journal] = StatesLocked(r, data_dir);
  std::lock_guard<std::mutex> store_lock(store->mu);
  std::lock_guard<std::mutex> journal_lock(journal->mu);
  std::set<std::string> keys;
  keys.swap(store->dirty);
  keys.merge(journal->dirty);
  journal->dirty.clear();
  // An event is wherever it is now: in the queue, still in the journal, or gone.
  std::map<std::string, const QueuedEvent*> in_journal;
  for (const auto* segment : {&journal->sealed, &journal->active}) {
    for (const QueuedEvent& e : *segment) in_journal.emplace(EventKey(e.event_id), &e);
  }
  std::vector<MirrorChange> out;
  out.reserve(keys.size());
  for (const std::string& key : keys) {
    MirrorChange change{key, std::nullopt};
    const std::string_view k(key);
    if (k.substr(0, 2) == kKvPrefix) {
      auto it = store->kv.find(k.substr(2));
      if (it != store->kv.end()) change.value = it->second;
    } else if (auto id = Unhex(k.substr(2))) {
      if (auto it = store->by_id.find(*id); it != store->by_id.end()) {
        change.value = EncodeEvent(store->queue.at(it->second));
      } else if (auto j = in_journal.find(key); j != in_journal.end()) {
        change.value = EncodeEvent(*j->second);
      }
    }
    out.push_back(std::move(change));
  }
  return out;
}

// The factories the Client calls (storage.h). Named after the native backends; see the report
// in wasm/README.md for the rename this build would like.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto& state = r.stores[path];
  if (!state) state = std::make_shared<StoreState>();
  return std::unique_ptr<Store>(std::make_unique<MemoryStore>(state));
}

StatusOr<std::unique_ptr<Journal>> OpenMmapJournal(const std::string& dir, size_t segment_bytes) {
  if (segment_bytes == 0) return Status(StatusCode::kInvalidArgument, "journal_bytes is 0");
  Registry& r = GetRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto& state = r.journals[dir];
  if (!state) state = std::make_shared<JournalState>();
  return std::unique_ptr<Journal>(std::make_unique<MemoryJournal>(state, segment_bytes));
}

}  // namespace vitrine::internal
