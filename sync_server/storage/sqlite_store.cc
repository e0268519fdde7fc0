#include "sync_server/storage/sqlite_store.h"

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

namespace vitrine::server {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS profiles(
  profile_id INTEGER PRIMARY KEY,
  user_id TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS identities(
  anonymous_id TEXT PRIMARY KEY,
  profile_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identities_by_profile ON identities(profile_id);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY,
  event_id BLOB NOT NULL UNIQUE,
  profile_id INTEGER NOT NULL,
  type TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  payload BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_profile ON events(profile_id);
CREATE TABLE IF NOT EXISTS orders(
  order_id TEXT PRIMARY KEY,
  event_id BLOB NOT NULL,
  profile_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS orders_by_profile ON orders(profile_id);
CREATE TABLE IF NOT EXISTS tombstones(
  key TEXT PRIMARY KEY,
  deleted_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages(
  id TEXT PRIMARY KEY,
  body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catalog(
  product_id TEXT PRIMARY KEY,
  body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS model_artifacts(
  seq INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE,
  created_at_ms INTEGER NOT NULL,
  body BLOB NOT NULL);
)sql";

Status DbError(sqlite3* db, const std::string& what) {
  return Status(Status::Kind::kUnavailable, "storage_error",
                what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

// A prepared statement, reset after each use.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      return DbError(db, std::string("prepare ") + sql);
    }
    return Status::Ok();
  }
  sqlite3_stmt* get() { return stmt_; }
  void BindText(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  // No copy: `s` must stay alive and unchanged until the statement is reset (Exec does both).
  void BindTextStatic(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void BindBlobStatic(int i, const std::string& s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void BindInt(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindNull(int i) { sqlite3_bind_null(stmt_, i); }
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  // Runs a statement that returns no rows.
  Status Exec(const char* what) {
    const int rc = Step();
    Reset();
    if (rc != SQLITE_DONE) return DbError(db_, what);
    return Status::Ok();
  }
  std::string ColumnText(int i) {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  std::string ColumnBlob(int i) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }
  int64_t ColumnInt(int i) { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

Status ExecSql(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string message = err ? err : "unknown";
    sqlite3_free(err);
    return Status(Status::Kind::kUnavailable, "storage_error",
                  std::string(sql).substr(0, 60) + ": " + message);
  }
  return Status::Ok();
}

StatusOr<sqlite3*> OpenConnection(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = DbError(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 10000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;",
                             "PRAGMA cache_size=-65536;", "PRAGMA temp_store=MEMORY;"}) {
    Status s = ExecSql(db, pragma);
    if (!s.ok()) {
      sqlite3_close(db);
      return s;
    }
  }
  return db;
}

class SqliteStore;

// The writer connection's prepared statements; used only by the writer thread.
struct WriterStatements {
  Stmt begin, commit, rollback;
  Stmt insert_event, claim_order, create_profile, set_user, link_anon;
  Stmt merge_identities, merge_events, merge_orders, delete_profile;
  Stmt delete_identities, delete_events, delete_orders, add_tombstone;

  Status Prepare(sqlite3* db) {
    struct Item {
      Stmt* stmt;
      const char* sql;
    };
    const Item items[] = {
        {&begin, "BEGIN IMMEDIATE"},
        {&commit, "COMMIT"},
        {&rollback, "ROLLBACK"},
        {&insert_event,
         "INSERT OR IGNORE INTO events(event_id, profile_id, type, occurred_at_ms, payload) "
         "VALUES(?1, ?2, ?3, ?4, ?5)"},
        {&claim_order,
         "INSERT OR IGNORE INTO orders(order_id, event_id, profile_id) VALUES(?1, ?2, ?3)"},
        {&create_profile, "INSERT INTO profiles(profile_id, user_id) VALUES(?1, ?2)"},
        {&set_user, "UPDATE profiles SET user_id = ?2 WHERE profile_id = ?1"},
        {&link_anon, "INSERT OR REPLACE INTO identities(anonymous_id, profile_id) VALUES(?1, ?2)"},
        {&merge_identities, "UPDATE identities SET profile_id = ?2 WHERE profile_id = ?1"},
        {&merge_events, "UPDATE events SET profile_id = ?2 WHERE profile_id = ?1"},
        {&merge_orders, "UPDATE orders SET profile_id = ?2 WHERE profile_id = ?1"},
        {&delete_profile, "DELETE FROM profiles WHERE profile_id = ?1"},
        {&delete_identities, "DELETE FROM identities WHERE profile_id = ?1"},
        {&delete_events, "DELETE FROM events WHERE profile_id = ?1"},
        {&delete_orders, "DELETE FROM orders WHERE profile_id = ?1"},
        {&add_tombstone,
         "INSERT INTO tombstones(key, deleted_at_ms) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE "
         "SET deleted_at_ms = max(deleted_at_ms, excluded.deleted_at_ms)"},
    };
    for (const auto& item : items) {
      Status s = item.stmt->Prepare(db, item.sql);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
};

class SqliteWriteTxn final : public WriteTxn {
 public:
  explicit SqliteWriteTxn(WriterStatements* st) : st_(st) {}
  ~SqliteWriteTxn() override {
    if (!done_) (void)st_->rollback.Exec("rollback");
  }

  StatusOr<bool> InsertEvent(const v1::Event& event, const std::string* payload,
                             int64_t profile_id) override {
    if (!payload) {
      payload_.clear();
      event.SerializeToString(&payload_);
      payload = &payload_;
    }
    Stmt& s = st_->insert_event;
    // The hottest statement: bind without copies (event and payload outlive Exec).
    s.BindBlobStatic(1, event.event_id());
    s.BindInt(2, profile_id);
    s.BindTextStatic(3, event.type());
    s.BindInt(4, event.occurred_at_ms());
    s.BindBlobStatic(5, *payload);
    Status status = s.Exec("insert event");
    if (!status.ok()) return status;
    return sqlite3_changes(sqlite3_db_handle(s.get())) > 0;
  }
  StatusOr<bool> ClaimOrder(const std::string& order_id, const std::string& event_id,
                            int64_t profile_id) override {
    Stmt& s = st_->claim_order;
    s.BindText(1, order_id);
    s.BindBlob(2, event_id);
    s.BindInt(3, profile_id);
    Status status = s.Exec("claim order");
    if (!status.ok()) return status;
    return sqlite3_changes(sqlite3_db_handle(s.get())) > 0;
  }
  Status CreateProfile(int64_t profile_id, const std::string& user_id) override {
    Stmt& s = st_->create_profile;
    s.BindInt(1, profile_id);
    if (user_id.empty()) {
      s.BindNull(2);
    } else {
      s.BindText(2, user_id);
    }
    return s.Exec("create profile");
  }
  Status SetProfileUser(int64_t profile_id, const std::string& user_id) override {
    Stmt& s = st_->set_user;
    s.BindInt(1, profile_id);
    s.BindText(2, user_id);
    return s.Exec("set profile user");
  }
  Status LinkAnonymous(const std::string& anonymous_id, int64_t profile_id) override {
    Stmt& s = st_->link_anon;
    s.BindText(1, anonymous_id);
    s.BindInt(2, profile_id);
    return s.Exec("link anonymous id");
  }
  Status MergeProfile(int64_t from, int64_t into) override {
    for (Stmt* s : {&st_->merge_identities, &st_->merge_events, &st_->merge_orders}) {
      s->BindInt(1, from);
      s->BindInt(2, into);
      Status status = s->Exec("merge profile");
      if (!status.ok()) return status;
    }
    st_->delete_profile.BindInt(1, from);
    return st_->delete_profile.Exec("delete merged profile");
  }
  Status DeleteProfile(int64_t profile_id) override {
    for (Stmt* s : {&st_->delete_identities, &st_->delete_events, &st_->delete_orders,
                    &st_->delete_profile}) {
      s->BindInt(1, profile_id);
      Status status = s->Exec("delete profile");
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }
  Status AddTombstone(const std::string& key, int64_t deleted_at_ms) override {
    Stmt& s = st_->add_tombstone;
    s.BindText(1, key);
    s.BindInt(2, deleted_at_ms);
    return s.Exec("add tombstone");
  }
  Status Commit() override {
    Status s = st_->commit.Exec("commit");
    if (s.ok()) done_ = true;
    return s;
  }

 private:
  WriterStatements* st_;
  bool done_ = false;
  std::string payload_;
};

// WAL checkpoints, off the writer's path. SQLite's default (wal_autocheckpoint) runs them inside
// the COMMIT that crosses 1,000 frames: the writer thread then copies pages into the database
// file and waits for two fsyncs while every request of the next group waits for it. Instead the
// writer connection does none, a WAL hook counts frames after each commit, and past
// kCheckpointFrames new frames a checkpointer thread runs a PASSIVE checkpoint on its own
// connection, concurrently with the writer.
// Under constant load a passive checkpoint never reaches the newest frames, so SQLite would never
// restart the log: past kMaxWalFrames the writer, between two transactions, checkpoints the small
// rest itself (after a running background one), and its next transaction starts the WAL over.
constexpr int kCheckpointFrames = 2000;  // ~8 MiB of 4 KiB pages
constexpr int kMaxWalFrames = 16384;     // ~64 MiB

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* writer, sqlite3* reader, sqlite3* checkpointer)
      : writer_(writer), reader_(reader), checkpointer_(checkpointer) {}
  ~SqliteStore() override {
    {
      std::lock_guard lock(ckpt_mu_);
      ckpt_stopping_ = true;
    }
    ckpt_cv_.notify_all();
    if (ckpt_thread_.joinable()) ckpt_thread_.join();
    writer_stmts_.reset();
    sqlite3_close_v2(checkpointer_);
    sqlite3_close_v2(writer_);
    sqlite3_close_v2(reader_);
  }

  Status Init() {
    Status s = ExecSql(writer_, kSchema);
    if (!s.ok()) return s;
    for (sqlite3* db : {writer_, checkpointer_}) {
      s = ExecSql(db, "PRAGMA wal_autocheckpoint=0;");
      if (!s.ok()) return s;
    }
    writer_stmts_ = std::make_unique<WriterStatements>();
    s = writer_stmts_->Prepare(writer_);
    if (!s.ok()) return s;
    sqlite3_wal_hook(writer_, &SqliteStore::WalHook, this);
    ckpt_thread_ = std::thread([this] { CheckpointLoop(); });
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<WriteTxn>> BeginWrite() override {
    if (wal_frames_ >= kMaxWalFrames && wal_frames_ >= last_inline_frames_ + kCheckpointFrames) {
      CheckpointInline();
    }
    Status s = writer_stmts_->begin.Exec("begin");
    if (!s.ok()) return s;
    return std::unique_ptr<WriteTxn>(std::make_unique<SqliteWriteTxn>(writer_stmts_.get()));
  }

  StatusOr<IdentityGraphRows> LoadIdentityGraph() override {
    std::lock_guard lock(reader_mu_);
    IdentityGraphRows rows;
    Stmt s;
    Status status = s.Prepare(reader_, "SELECT profile_id, COALESCE(user_id, '') FROM profiles");
    if (!status.ok()) return status;
    while (s.Step() == SQLITE_ROW) rows.profiles.push_back({s.ColumnInt(0), s.ColumnText(1)});
    Stmt l;
    status = l.Prepare(reader_, "SELECT anonymous_id, profile_id FROM identities");
    if (!status.ok()) return status;
    while (l.Step() == SQLITE_ROW) rows.links.push_back({l.ColumnText(0), l.ColumnInt(1)});
    Stmt t;
    status = t.Prepare(reader_, "SELECT key, deleted_at_ms FROM tombstones");
    if (!status.ok()) return status;
    while (t.Step() == SQLITE_ROW) rows.tombstones.push_back({t.ColumnText(0), t.ColumnInt(1)});
    return rows;
  }

  Status ScanEvents(const std::function<void(int64_t, const v1::Event&)>& fn) override {
    // A connection of its own: a scan (training reads every event, for seconds) must not hold
    // the shared reader that snapshot and admin requests need. WAL gives it a consistent view
    // while the writer goes on.
    std::string path;
    {
      std::lock_guard lock(reader_mu_);
      const char* name = sqlite3_db_filename(reader_, "main");
      path = name != nullptr ? name : "";
    }
    auto conn = OpenConnection(path);
    if (!conn.ok()) return conn.status();
    sqlite3* db = *conn;
    Status status;
    {
      Stmt s;
      status = s.Prepare(db, "SELECT profile_id, payload FROM events ORDER BY seq");
      if (status.ok()) {
        v1::Event event;
        int rc;
        while ((rc = s.Step()) == SQLITE_ROW) {
          const std::string payload = s.ColumnBlob(1);
          if (event.ParseFromString(payload)) fn(s.ColumnInt(0), event);
        }
        if (rc != SQLITE_DONE) status = DbError(db, "scan events");
      }
    }
    sqlite3_close(db);
    return status;
  }

  StatusOr<StoreStats> Stats() override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status =
        s.Prepare(reader_,
                  "SELECT (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM profiles), "
                  "(SELECT COUNT(*) FROM orders), (SELECT COUNT(*) FROM catalog)");
    if (!status.ok()) return status;
    if (s.Step() != SQLITE_ROW) return DbError(reader_, "stats");
    return StoreStats{s.ColumnInt(0), s.ColumnInt(1), s.ColumnInt(2), s.ColumnInt(3)};
  }

  StatusOr<std::optional<int64_t>> FindProfileByUser(const std::string& user_id) override {
    return FindOne("SELECT profile_id FROM profiles WHERE user_id = ?1", user_id);
  }
  StatusOr<std::optional<int64_t>> FindProfileByAnonymous(
      const std::string& anonymous_id) override {
    return FindOne("SELECT profile_id FROM identities WHERE anonymous_id = ?1", anonymous_id);
  }

  StatusOr<std::optional<ProfileInfo>> GetProfile(int64_t profile_id) override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status =
        s.Prepare(reader_, "SELECT COALESCE(user_id, '') FROM profiles WHERE profile_id = ?1");
    if (!status.ok()) return status;
    s.BindInt(1, profile_id);
    if (s.Step() != SQLITE_ROW) return std::optional<ProfileInfo>();
    ProfileInfo info;
    info.profile_id = profile_id;
    info.user_id = s.ColumnText(0);
    Stmt a;
    status = a.Prepare(
        reader_, "SELECT anonymous_id FROM identities WHERE profile_id = ?1 ORDER BY anonymous_id");
    if (!status.ok()) return status;
    a.BindInt(1, profile_id);
    while (a.Step() == SQLITE_ROW) info.anonymous_ids.push_back(a.ColumnText(0));
    Stmt c;
    status = c.Prepare(reader_,
                       "SELECT (SELECT COUNT(*) FROM events WHERE profile_id = ?1), "
                       "(SELECT COUNT(*) FROM orders WHERE profile_id = ?1)");
    if (!status.ok()) return status;
    c.BindInt(1, profile_id);
    if (c.Step() == SQLITE_ROW) {
      info.event_count = c.ColumnInt(0);
      info.order_count = c.ColumnInt(1);
    }
    return std::optional<ProfileInfo>(std::move(info));
  }

  StatusOr<std::vector<v1::Event>> ListProfileEvents(int64_t profile_id, size_t limit) override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_,
                              "SELECT payload FROM events WHERE profile_id = ?1 ORDER BY "
                              "occurred_at_ms DESC, seq DESC LIMIT ?2");
    if (!status.ok()) return status;
    s.BindInt(1, profile_id);
    s.BindInt(2, static_cast<int64_t>(limit));
    std::vector<v1::Event> out;
    while (s.Step() == SQLITE_ROW) {
      v1::Event event;
      if (event.ParseFromString(s.ColumnBlob(0))) out.push_back(std::move(event));
    }
    return out;
  }

  Status PutMessage(const v1::InAppMessage& message) override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_, "INSERT OR REPLACE INTO messages(id, body) VALUES(?1, ?2)");
    if (!status.ok()) return status;
    s.BindText(1, message.id());
    s.BindBlob(2, message.SerializeAsString());
    return s.Exec("put message");
  }
  StatusOr<bool> DeleteMessage(const std::string& id) override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_, "DELETE FROM messages WHERE id = ?1");
    if (!status.ok()) return status;
    s.BindText(1, id);
    status = s.Exec("delete message");
    if (!status.ok()) return status;
    return sqlite3_changes(reader_) > 0;
  }
  StatusOr<std::vector<v1::InAppMessage>> ListMessages() override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_, "SELECT body FROM messages ORDER BY id");
    if (!status.ok()) return status;
    std::vector<v1::InAppMessage> out;
    while (s.Step() == SQLITE_ROW) {
      v1::InAppMessage m;
      if (m.ParseFromString(s.ColumnBlob(0))) out.push_back(std::move(m));
    }
    return out;
  }

  Status UpsertCatalog(const std::vector<v1::CatalogItem>& items) override {
    std::lock_guard lock(reader_mu_);
    Status status = ExecSql(reader_, "BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    Stmt s;
    status = s.Prepare(reader_, "INSERT OR REPLACE INTO catalog(product_id, body) VALUES(?1, ?2)");
    for (size_t i = 0; status.ok() && i < items.size(); ++i) {
      s.BindText(1, items[i].product_id());
      s.BindBlob(2, items[i].SerializeAsString());
      status = s.Exec("upsert catalog");
    }
    if (!status.ok()) {
      (void)ExecSql(reader_, "ROLLBACK");
      return status;
    }
    return ExecSql(reader_, "COMMIT");
  }
  StatusOr<std::vector<v1::CatalogItem>> ListCatalog() override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_, "SELECT body FROM catalog");
    if (!status.ok()) return status;
    std::vector<v1::CatalogItem> out;
    while (s.Step() == SQLITE_ROW) {
      v1::CatalogItem item;
      if (item.ParseFromString(s.ColumnBlob(0))) out.push_back(std::move(item));
    }
    return out;
  }

  Status PutModelArtifact(const std::string& version, int64_t created_at_ms,
                          const std::string& bytes, int keep) override {
    std::lock_guard lock(reader_mu_);
    Status status = ExecSql(reader_, "BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    Stmt s;
    status = s.Prepare(
        reader_, "INSERT INTO model_artifacts(version, created_at_ms, body) VALUES(?1, ?2, ?3)");
    if (status.ok()) {
      s.BindText(1, version);
      s.BindInt(2, created_at_ms);
      s.BindBlob(3, bytes);
      status = s.Exec("put model artifact");
    }
    if (status.ok()) {
      Stmt prune;
      status = prune.Prepare(reader_,
                             "DELETE FROM model_artifacts WHERE seq NOT IN "
                             "(SELECT seq FROM model_artifacts ORDER BY seq DESC LIMIT ?1)");
      if (status.ok()) {
        prune.BindInt(1, std::max(1, keep));
        status = prune.Exec("prune model artifacts");
      }
    }
    if (!status.ok()) {
      (void)ExecSql(reader_, "ROLLBACK");
      return status;
    }
    return ExecSql(reader_, "COMMIT");
  }
  StatusOr<std::optional<std::string>> LatestModelArtifact() override {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status =
        s.Prepare(reader_, "SELECT body FROM model_artifacts ORDER BY seq DESC LIMIT 1");
    if (!status.ok()) return status;
    if (s.Step() == SQLITE_ROW) return std::optional<std::string>(s.ColumnBlob(0));
    return std::optional<std::string>();
  }

  Status Ping() override {
    std::lock_guard lock(reader_mu_);
    return ExecSql(reader_, "SELECT 1 FROM profiles LIMIT 1");
  }

 private:
  StatusOr<std::optional<int64_t>> FindOne(const char* sql, const std::string& key) {
    std::lock_guard lock(reader_mu_);
    Stmt s;
    Status status = s.Prepare(reader_, sql);
    if (!status.ok()) return status;
    s.BindText(1, key);
    if (s.Step() == SQLITE_ROW) return std::optional<int64_t>(s.ColumnInt(0));
    return std::optional<int64_t>();
  }

  // After each commit on the writer connection (writer thread): `frames` is the WAL's length.
  static int WalHook(void* self, sqlite3* /*db*/, const char* /*name*/, int frames) {
    auto* store = static_cast<SqliteStore*>(self);
    store->wal_frames_ = frames;
    if (frames < store->last_inline_frames_) store->last_inline_frames_ = 0;  // the log restarted
    bool wake = false;
    {
      std::lock_guard lock(store->ckpt_mu_);
      // A restarted log is shorter than what was backfilled before: count from its start.
      const int fresh = frames >= store->backfilled_ ? frames - store->backfilled_ : frames;
      if (fresh >= kCheckpointFrames && !store->ckpt_requested_ && !store->ckpt_running_) {
        store->ckpt_requested_ = true;
        wake = true;
      }
    }
    if (wake) store->ckpt_cv_.notify_one();
    return SQLITE_OK;
  }

  void CheckpointLoop() {
    std::unique_lock lock(ckpt_mu_);
    while (true) {
      ckpt_cv_.wait(lock, [this] { return ckpt_stopping_ || ckpt_requested_; });
      if (ckpt_stopping_) return;
      ckpt_requested_ = false;
      ckpt_running_ = true;
      lock.unlock();
      int log = 0;
      int done = 0;
      const int rc =
          sqlite3_wal_checkpoint_v2(checkpointer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      lock.lock();
      ckpt_running_ = false;
      if (rc == SQLITE_OK && done >= 0) backfilled_ = done;
      ckpt_idle_cv_.notify_all();
    }
  }

  // Writer thread, between transactions: finish the checkpoint so the next transaction restarts
  // the log. Mostly backfilled already by the checkpointer, so this copies little.
  void CheckpointInline() {
    {
      std::unique_lock lock(ckpt_mu_);
      ckpt_idle_cv_.wait(lock, [this] { return !ckpt_running_; });
      ckpt_running_ = true;  // keeps the checkpointer out meanwhile
    }
    int log = 0;
    int done = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(writer_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    // A reader holding an old snapshot can stop it short: retry only after more frames.
    last_inline_frames_ = wal_frames_;
    {
      std::lock_guard lock(ckpt_mu_);
      ckpt_running_ = false;
      if (rc == SQLITE_OK && done >= 0) backfilled_ = done;
    }
    ckpt_idle_cv_.notify_all();
  }

  sqlite3* writer_;
  std::unique_ptr<WriterStatements> writer_stmts_;
  std::mutex reader_mu_;
  sqlite3* reader_;  // guarded by reader_mu_

  sqlite3* checkpointer_;       // used by the checkpointer thread only
  int wal_frames_ = 0;          // writer thread only (hook and BeginWrite)
  int last_inline_frames_ = 0;  // writer thread only
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;       // a checkpoint was requested, or stopping
  std::condition_variable ckpt_idle_cv_;  // a checkpoint finished
  bool ckpt_requested_ = false;           // guarded by ckpt_mu_
  bool ckpt_running_ = false;             // guarded by ckpt_mu_
  bool ckpt_stopping_ = false;            // guarded by ckpt_mu_
  int backfilled_ = 0;                    // frames already in the database file; ckpt_mu_
  std::thread ckpt_thread_;
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  auto writer = OpenConnection(path);
  if (!writer.ok()) return writer.status();
  // The schema must exist before the second connection prepares anything against it.
  Status s = ExecSql(*writer, kSchema);
  if (!s.ok()) {
    sqlite3_close(*writer);
    return s;
  }
  auto reader = OpenConnection(path);
  if (!reader.ok()) {
    sqlite3_close(*writer);
    return reader.status();
  }
  auto checkpointer = OpenConnection(path);
  if (!checkpointer.ok()) {
    sqlite3_close(*writer);
    sqlite3_close(*reader);
    return checkpointer.status();
  }
  auto store = std::make_unique<SqliteStore>(*writer, *reader, *checkpointer);
  s = store->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace vitrine::server
