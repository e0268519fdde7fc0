// Native Store: one SQLite connection in WAL mode (synchronous=NORMAL: a commit survives a
// process kill; after power loss only the last commits can be lost, never corruption).
//
// Every call takes mu_ and runs on the one connection with cached prepared statements. Errors
// are values: SQLITE_FULL -> kStorageFull, SQLITE_BUSY/LOCKED -> kStorageBusy (after the short
// busy timeout), anything else -> kStorageError; a failed write transaction is rolled back and
// the connection stays usable. Queue count and bytes are kept in memory (computed once at open,
// updated after each commit) so Stats and Evict never scan the table.
#include "sdk/src/platform/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace vitrine::internal {
namespace {

// The queue is keyed by seq (the rowid: strictly increasing per install, so inserts append and
// ReadOldest walks the table in order) with a unique event_id for Remove and dedup. No other
// index: eviction queries are rare, while every index slows the hot insert path
// (four B-trees per row cost ~8x in persisted events per second).
constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS queue("
    "  seq INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE, occurred_at_ms INTEGER NOT NULL,"
    "  priority INTEGER NOT NULL, size INTEGER NOT NULL, payload BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS dead_letter("
    "  event_id BLOB PRIMARY KEY, seq INTEGER NOT NULL, occurred_at_ms INTEGER NOT NULL,"
    "  priority INTEGER NOT NULL, payload BLOB NOT NULL, reason TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB NOT NULL);";

// Only a repeated event_id is ignored (dedup). A different event reusing a seq is a bug upstream
// and fails the batch with an error instead of being dropped silently, as OR IGNORE would.
constexpr char kInsert[] =
    "INSERT INTO queue(event_id, seq, occurred_at_ms, priority, size, payload)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(event_id) DO NOTHING";
constexpr char kReadOldest[] =
    "SELECT event_id, seq, occurred_at_ms, priority, payload FROM queue ORDER BY seq LIMIT ?1";
constexpr char kRemove[] = "DELETE FROM queue WHERE event_id = ?1 RETURNING size";
constexpr char kDeadLetterCopy[] =
    "INSERT OR REPLACE INTO dead_letter(event_id, seq, occurred_at_ms, priority, payload, reason)"
    " SELECT event_id, seq, occurred_at_ms, priority, payload, ?2 FROM queue WHERE event_id = ?1";
constexpr char kDeadLetterTrim[] =
    "DELETE FROM dead_letter WHERE rowid IN (SELECT rowid FROM dead_letter ORDER BY rowid DESC"
    " LIMIT -1 OFFSET ?1)";
// A scan (device clocks can go backwards, so age is not ordered by seq); the Client runs it
// rarely, see PersistTick.
constexpr char kEvictAge[] =
    "DELETE FROM queue WHERE occurred_at_ms < ?1 AND priority < ?2 RETURNING size";
constexpr char kEvictCandidates[] =
    "SELECT event_id, size FROM queue WHERE priority < ?1 ORDER BY priority, seq";
constexpr char kCount[] = "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM queue";
constexpr char kMaxSeq[] = "SELECT MAX(seq) FROM queue";
// The newest event's time (by seq, the capture order), without a scan.
constexpr char kMaxOccurred[] = "SELECT occurred_at_ms FROM queue ORDER BY seq DESC LIMIT 1";
constexpr char kGet[] = "SELECT value FROM kv WHERE key = ?1";
constexpr char kPut[] =
    "INSERT INTO kv(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = "
    "excluded.value";
constexpr char kDelete[] = "DELETE FROM kv WHERE key = ?1";
// Compared as bytes (substr on a blob counts bytes), so any prefix works, UTF-8 or not.
constexpr char kDeletePrefix[] =
    "DELETE FROM kv WHERE substr(CAST(key AS BLOB), 1, ?2) = CAST(?1 AS BLOB)";

// Resets a cached statement when the call is done with it, whatever the outcome.
class StmtUse {
 public:
  explicit StmtUse(sqlite3_stmt* s) : s_(s) {}
  ~StmtUse() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  StmtUse(const StmtUse&) = delete;
  StmtUse& operator=(const StmtUse&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

// Binds bytes as a blob; an empty value is a zero-length blob, never NULL.
int BindBlob(sqlite3_stmt* s, int i, std::string_view v) {
  if (v.empty()) return sqlite3_bind_zeroblob(s, i, 0);
  return sqlite3_bind_blob64(s, i, v.data(), v.size(), SQLITE_STATIC);
}

std::string ColumnBytes(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  const int n = sqlite3_column_bytes(s, i);
  if (p == nullptr || n <= 0) return std::string();
  return std::string(static_cast<const char*>(p), static_cast<size_t>(n));
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteStoreOptions options) : options_(options) {}

  ~SqliteStore() override {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  Status Init(const std::string& path) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) return Error(rc, "open " + path);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
    Status s = Exec("PRAGMA journal_mode=WAL", "enable WAL");
    if (s.ok()) s = Exec("PRAGMA synchronous=NORMAL", "set synchronous");
    if (s.ok() && options_.max_page_count > 0) {
      s = Exec("PRAGMA max_page_count=" + std::to_string(options_.max_page_count),
               "set max_page_count");
    }
    if (s.ok()) s = Exec(kSchema, "create schema");
    if (!s.ok()) return s;
    auto stmt = Prepare(kCount);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    const int step = sqlite3_step(use.get());
    if (step != SQLITE_ROW) return Error(step, "count queue");
    count_ = static_cast<uint64_t>(sqlite3_column_int64(use.get(), 0));
    bytes_ = static_cast<uint64_t>(sqlite3_column_int64(use.get(), 1));
    return Status::Ok();
  }

  StatusOr<size_t> Insert(const std::vector<QueuedEvent>& events) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (events.empty()) return size_t{0};
    auto stmt = Prepare(kInsert);
    if (!stmt.ok()) return stmt.status();
    Txn txn(this);
    if (Status s = txn.Begin(); !s.ok()) return s;
    size_t added = 0;
    uint64_t added_bytes = 0;
    {
      StmtUse use(*stmt);
      sqlite3_stmt* st = use.get();
      for (const QueuedEvent& e : events) {
        BindBlob(st, 1, e.event_id);
        sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(e.seq));
        sqlite3_bind_int64(st, 3, e.occurred_at_ms);
        sqlite3_bind_int(st, 4, static_cast<int>(e.priority));
        sqlite3_bind_int64(st, 5, static_cast<sqlite3_int64>(e.payload.size()));
        BindBlob(st, 6, e.payload);
        const int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) return Error(rc, "insert into queue");
        if (sqlite3_changes(db_) > 0) {
          ++added;
          added_bytes += e.payload.size();
        }
        sqlite3_reset(st);
      }
    }
    if (Status s = txn.Commit(); !s.ok()) return s;
    count_ += added;
    bytes_ += added_bytes;
    return added;
  }

  StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t max_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<QueuedEvent> out;
    if (max_count == 0) return out;
    auto stmt = Prepare(kReadOldest);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    sqlite3_stmt* st = use.get();
    sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(std::min<size_t>(max_count, INT64_MAX)));
    size_t bytes = 0;
    for (;;) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(rc, "read queue");
      const auto size = static_cast<size_t>(sqlite3_column_bytes(st, 4));
      if (!out.empty() && bytes + size > max_bytes) break;
      QueuedEvent e;
      e.event_id = ColumnBytes(st, 0);
      e.seq = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
      e.occurred_at_ms = sqlite3_column_int64(st, 2);
      e.priority = ToPriority(sqlite3_column_int(st, 3));
      e.payload = ColumnBytes(st, 4);
      bytes += size;
      out.push_back(std::move(e));
    }
    return out;
  }

  StatusOr<size_t> Remove(const std::vector<std::string>& event_ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (event_ids.empty()) return size_t{0};
    Txn txn(this);
    if (Status s = txn.Begin(); !s.ok()) return s;
    uint64_t removed = 0;
    uint64_t removed_bytes = 0;
    if (Status s = DeleteIds(event_ids, &removed, &removed_bytes); !s.ok()) return s;
    if (Status s = txn.Commit(); !s.ok()) return s;
    Forget(removed, removed_bytes);
    return static_cast<size_t>(removed);
  }

  Status DeadLetter(const std::vector<std::string>& event_ids, const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (event_ids.empty()) return Status::Ok();
    auto copy = Prepare(kDeadLetterCopy);
    if (!copy.ok()) return copy.status();
    auto trim = Prepare(kDeadLetterTrim);
    if (!trim.ok()) return trim.status();
    Txn txn(this);
    if (Status s = txn.Begin(); !s.ok()) return s;
    {
      StmtUse use(*copy);
      sqlite3_stmt* st = use.get();
      for (const std::string& id : event_ids) {
        BindBlob(st, 1, id);
        sqlite3_bind_text(st, 2, reason.data(), static_cast<int>(reason.size()), SQLITE_STATIC);
        const int rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) return Error(rc, "copy to dead_letter");
        sqlite3_reset(st);
      }
    }
    uint64_t removed = 0;
    uint64_t removed_bytes = 0;
    if (Status s = DeleteIds(event_ids, &removed, &removed_bytes); !s.ok()) return s;
    {
      StmtUse use(*trim);
      sqlite3_bind_int64(use.get(), 1, options_.max_dead_letter_rows);
      const int rc = sqlite3_step(use.get());
      if (rc != SQLITE_DONE) return Error(rc, "trim dead_letter");
    }
    if (Status s = txn.Commit(); !s.ok()) return s;
    Forget(removed, removed_bytes);
    return Status::Ok();
  }

  StatusOr<size_t> Evict(uint64_t max_bytes, int64_t min_occurred_at_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto age = Prepare(kEvictAge);
    if (!age.ok()) return age.status();
    auto candidates = Prepare(kEvictCandidates);
    if (!candidates.ok()) return candidates.status();
    Txn txn(this);
    if (Status s = txn.Begin(); !s.ok()) return s;
    uint64_t removed = 0;
    uint64_t removed_bytes = 0;
    {
      StmtUse use(*age);
      sqlite3_bind_int64(use.get(), 1, min_occurred_at_ms);
      sqlite3_bind_int(use.get(), 2, static_cast<int>(EventPriority::kNeverEvict));
      for (;;) {
        const int rc = sqlite3_step(use.get());
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Error(rc, "evict by age");
        ++removed;
        removed_bytes += static_cast<uint64_t>(sqlite3_column_int64(use.get(), 0));
      }
    }
    const uint64_t remaining = bytes_ - std::min(bytes_, removed_bytes);
    if (remaining > max_bytes) {
      // Lowest value first, oldest first within a value class, until the bound holds.
      std::vector<std::string> victims;
      uint64_t freed = 0;
      {
        StmtUse use(*candidates);
        sqlite3_bind_int(use.get(), 1, static_cast<int>(EventPriority::kNeverEvict));
        while (remaining - freed > max_bytes) {
          const int rc = sqlite3_step(use.get());
          if (rc == SQLITE_DONE) break;  // only never-evict events left
          if (rc != SQLITE_ROW) return Error(rc, "select eviction victims");
          victims.push_back(ColumnBytes(use.get(), 0));
          freed += static_cast<uint64_t>(sqlite3_column_int64(use.get(), 1));
        }
      }
      if (Status s = DeleteIds(victims, &removed, &removed_bytes); !s.ok()) return s;
    }
    if (Status s = txn.Commit(); !s.ok()) return s;
    Forget(removed, removed_bytes);
    return static_cast<size_t>(removed);
  }

  StatusOr<QueueStats> Stats() override {
    std::lock_guard<std::mutex> lock(mu_);
    QueueStats stats;
    stats.count = count_;
    stats.bytes = bytes_;
    auto max_seq = QueryInt(kMaxSeq, "max seq");
    if (!max_seq.ok()) return max_seq.status();
    auto max_occurred = QueryInt(kMaxOccurred, "max occurred_at");
    if (!max_occurred.ok()) return max_occurred.status();
    stats.max_seq = static_cast<uint64_t>(*max_seq);
    stats.max_occurred_at_ms = *max_occurred;
    return stats;
  }

  // Also empties dead_letter: both hold the user's events, and PurgeQueue is what consent
  // opt-out and deletion requests use.
  Status PurgeQueue() override {
    std::lock_guard<std::mutex> lock(mu_);
    Txn txn(this);
    if (Status s = txn.Begin(); !s.ok()) return s;
    if (Status s = Exec("DELETE FROM queue; DELETE FROM dead_letter;", "purge queue"); !s.ok()) {
      return s;
    }
    if (Status s = txn.Commit(); !s.ok()) return s;
    count_ = 0;
    bytes_ = 0;
    return Status::Ok();
  }

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = Prepare(kGet);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    BindKey(use.get(), 1, key);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return Error(rc, "get " + std::string(key));
    return std::optional<std::string>(ColumnBytes(use.get(), 0));
  }

  Status Put(std::string_view key, std::string_view value) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = Prepare(kPut);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    BindKey(use.get(), 1, key);
    BindBlob(use.get(), 2, value);
    return StepDone(use.get(), "put " + std::string(key));
  }

  Status Delete(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = Prepare(kDelete);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    BindKey(use.get(), 1, key);
    return StepDone(use.get(), "delete " + std::string(key));
  }

  Status DeletePrefix(std::string_view prefix) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto stmt = Prepare(kDeletePrefix);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    BindKey(use.get(), 1, prefix);
    sqlite3_bind_int64(use.get(), 2, static_cast<sqlite3_int64>(prefix.size()));
    return StepDone(use.get(), "delete prefix " + std::string(prefix));
  }

 private:
  // BEGIN IMMEDIATE takes the write lock up front, so a busy database fails here (after the
  // busy timeout) instead of deadlocking on a lock upgrade halfway through.
  class Txn {
   public:
    explicit Txn(SqliteStore* store) : store_(store) {}
    ~Txn() {
      if (open_ && !sqlite3_get_autocommit(store_->db_)) {
        sqlite3_exec(store_->db_, "ROLLBACK", nullptr, nullptr, nullptr);
      }
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    Status Begin() {
      Status s = store_->Exec("BEGIN IMMEDIATE", "begin transaction");
      open_ = s.ok();
      return s;
    }
    Status Commit() {
      Status s = store_->Exec("COMMIT", "commit");
      if (s.ok()) open_ = false;
      return s;
    }

   private:
    SqliteStore* store_;
    bool open_ = false;
  };

  static EventPriority ToPriority(int v) {
    return static_cast<EventPriority>(std::clamp(v, static_cast<int>(EventPriority::kPageView),
                                                 static_cast<int>(EventPriority::kNeverEvict)));
  }

  static void BindKey(sqlite3_stmt* s, int i, std::string_view key) {
    sqlite3_bind_text64(s, i, key.empty() ? "" : key.data(), key.size(), SQLITE_STATIC,
                        SQLITE_UTF8);
  }

  Status Error(int rc, const std::string& what) const {
    const int primary = rc & 0xff;
    StatusCode code = StatusCode::kStorageError;
    std::string detail;
    if (primary == SQLITE_FULL) {
      code = StatusCode::kStorageFull;
      detail = "database or disk is full";
    } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
      code = StatusCode::kStorageBusy;
      detail = "database is locked by another connection (waited " +
               std::to_string(options_.busy_timeout_ms) + " ms)";
    }
    const char* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    std::string text = "sqlite: " + what + ": ";
    if (!detail.empty()) text += detail + "; ";
    text +=
        std::string(msg != nullptr ? msg : "unknown error") + " (code " + std::to_string(rc) + ")";
    return Status(code, std::move(text));
  }

  Status Exec(const std::string& sql, const std::string& what) {
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(rc, what);
    return Status::Ok();
  }

  // Statements are cached by the address of their SQL constant.
  StatusOr<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error(rc, "prepare");
    }
    stmts_.emplace(sql, stmt);
    return stmt;
  }

  Status StepDone(sqlite3_stmt* st, const std::string& what) {
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE) return Error(rc, what);
    return Status::Ok();
  }

  StatusOr<int64_t> QueryInt(const char* sql, const char* what) {
    auto stmt = Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    const int rc = sqlite3_step(use.get());
    if (rc == SQLITE_DONE) return int64_t{0};  // no row: empty queue
    if (rc != SQLITE_ROW) return Error(rc, what);
    return static_cast<int64_t>(sqlite3_column_int64(use.get(), 0));  // NULL reads as 0
  }

  // REQUIRES: mu_ held, inside a transaction. Adds to *removed / *removed_bytes.
  Status DeleteIds(const std::vector<std::string>& ids, uint64_t* removed,
                   uint64_t* removed_bytes) {
    if (ids.empty()) return Status::Ok();
    auto stmt = Prepare(kRemove);
    if (!stmt.ok()) return stmt.status();
    StmtUse use(*stmt);
    sqlite3_stmt* st = use.get();
    for (const std::string& id : ids) {
      BindBlob(st, 1, id);
      for (;;) {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return Error(rc, "delete from queue");
        ++*removed;
        *removed_bytes += static_cast<uint64_t>(sqlite3_column_int64(st, 0));
      }
      sqlite3_reset(st);
    }
    return Status::Ok();
  }

  void Forget(uint64_t removed, uint64_t removed_bytes) {
    count_ -= std::min(count_, removed);
    bytes_ -= std::min(bytes_, removed_bytes);
  }

  const SqliteStoreOptions options_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
  uint64_t count_ = 0;  // rows in queue
  uint64_t bytes_ = 0;  // sum of payload sizes in queue
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                 const SqliteStoreOptions& options) {
  auto store = std::make_unique<SqliteStore>(options);
  Status s = store->Init(path);
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  return OpenSqliteStore(path, SqliteStoreOptions{});
}

}  // namespace vitrine::internal
