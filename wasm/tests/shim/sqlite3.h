// Test-only stand-in for <sqlite3.h> in the wasm build, which has no SQLite: it lets
// tests/sdk/client_test.cc compile unchanged. The few tests that open the native queue.db
// directly are excluded from the wasm run (see wasm/CMakeLists.txt); should one run anyway,
// every call fails with SQLITE_CANTOPEN and its assertions fail loudly.
#ifndef VITRINE_WASM_TESTS_SHIM_SQLITE3_H_
#define VITRINE_WASM_TESTS_SHIM_SQLITE3_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;

#define SQLITE_OK 0
#define SQLITE_CANTOPEN 14
#define SQLITE_ROW 100
#define SQLITE_DONE 101

int sqlite3_open(const char* filename, sqlite3** db);
int sqlite3_close(sqlite3* db);
int sqlite3_exec(sqlite3* db, const char* sql, int (*callback)(void*, int, char**, char**),
                 void* arg, char** errmsg);
int sqlite3_prepare_v2(sqlite3* db, const char* sql, int n, sqlite3_stmt** stmt, const char** tail);
int sqlite3_step(sqlite3_stmt* stmt);
const unsigned char* sqlite3_column_text(sqlite3_stmt* stmt, int column);
int sqlite3_finalize(sqlite3_stmt* stmt);
int sqlite3_changes(sqlite3* db);

#ifdef __cplusplus
}
#endif

#endif  // VITRINE_WASM_TESTS_SHIM_SQLITE3_H_
