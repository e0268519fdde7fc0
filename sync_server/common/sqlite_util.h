// A self-finalizing prepared statement and the open/exec helpers shared by the server's modules
// that keep their own tables in the server's SQLite file (campaigns, analytics, the platform
// adapters' queues and inboxes).
//
// Thread safety: a Stmt belongs to the thread that holds its connection's mutex.
#ifndef VITRINE_SYNC_SERVER_COMMON_SQLITE_UTIL_H_
#define VITRINE_SYNC_SERVER_COMMON_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "sync_server/common/status.h"

namespace vitrine::server::sqlite {

inline Status DbError(sqlite3* db, const std::string& what) {
  return Status(Status::Kind::kUnavailable, "storage",
                what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return stmt_ != nullptr; }
  Stmt& Text(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Int(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(stmt_); }
  std::string ColText(int i) {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  std::string ColBlob(int i) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }
  int64_t ColInt(int i) { return sqlite3_column_int64(stmt_, i); }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

inline Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    Status s(Status::Kind::kUnavailable, "storage", err ? err : "exec failed");
    sqlite3_free(err);
    return s;
  }
  return Status::Ok();
}

// Opens `path` read-write (creating it), WAL, waiting up to 10 s for the other connections'
// locks (the main store writes the same file).
inline StatusOr<sqlite3*> Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = DbError(db, "open " + path);
    sqlite3_close(db);
    return s;
  }
  sqlite3_busy_timeout(db, 10'000);
  Status s = Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  if (!s.ok()) {
    sqlite3_close(db);
    return s;
  }
  return db;
}

}  // namespace vitrine::server::sqlite

#endif  // VITRINE_SYNC_SERVER_COMMON_SQLITE_UTIL_H_
