// Every SQLite entry point the shim header declares fails: there is no SQLite in the wasm build.
#include "sqlite3.h"

extern "C" {
int sqlite3_open(const char*, sqlite3** db) {
  if (db) *db = nullptr;
  return SQLITE_CANTOPEN;
}
int sqlite3_close(sqlite3*) { return SQLITE_OK; }
int sqlite3_exec(sqlite3*, const char*, int (*)(void*, int, char**, char**), void*, char**) {
  return SQLITE_CANTOPEN;
}
int sqlite3_prepare_v2(sqlite3*, const char*, int, sqlite3_stmt** stmt, const char**) {
  if (stmt) *stmt = nullptr;
  return SQLITE_CANTOPEN;
}
int sqlite3_step(sqlite3_stmt*) { return SQLITE_CANTOPEN; }
const unsigned char* sqlite3_column_text(sqlite3_stmt*, int) { return nullptr; }
int sqlite3_finalize(sqlite3_stmt*) { return SQLITE_OK; }
int sqlite3_changes(sqlite3*) { return 0; }
}
