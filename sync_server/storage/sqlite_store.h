// SQLite implementation of Store: one database file in WAL mode (synchronous=NORMAL), one
// connection for the ingest writer (prepared statements, many requests per transaction) and one
// mutex-guarded connection for reads and admin writes. WAL checkpoints run on a third connection
// and thread, off the writer's path (see sqlite_store.cc).
//
// Thread safety: as Store (see store.h).
#ifndef VITRINE_SYNC_SERVER_STORAGE_SQLITE_STORE_H_
#define VITRINE_SYNC_SERVER_STORAGE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "sync_server/storage/store.h"

namespace vitrine::server {

// Opens (creating if needed) the database at `path` and applies the schema.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_STORAGE_SQLITE_STORE_H_
