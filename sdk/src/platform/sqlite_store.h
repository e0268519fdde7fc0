// Tuning knobs of the native SQLite Store beyond storage.h's OpenSqliteStore(path), which uses
// the defaults below. Private to the SDK (tests and benchmarks use it to provoke SQLITE_FULL or
// to shorten the lock wait).
//
// Thread safety: the returned Store serialises all calls on one connection with a mutex.
// Ownership: one Store per database file; the queue counters it keeps in memory (Stats) assume
// no other writer changes the queue table behind its back.
#ifndef VITRINE_SDK_PLATFORM_SQLITE_STORE_H_
#define VITRINE_SDK_PLATFORM_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "sdk/src/core/storage.h"

namespace vitrine::internal {

struct SqliteStoreOptions {
  // How long a call waits for another connection's lock before returning kStorageBusy. Short on
  // purpose: capture must never hang behind a stuck writer; the persist task retries later.
  int busy_timeout_ms = 100;
  // PRAGMA max_page_count for this connection; 0 keeps SQLite's default (effectively no cap).
  // Writes past it fail with SQLITE_FULL, reported as kStorageFull.
  int64_t max_page_count = 0;
  // Rows kept in dead_letter; the oldest are dropped beyond this.
  int64_t max_dead_letter_rows = 1000;
};

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                 const SqliteStoreOptions& options);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_PLATFORM_SQLITE_STORE_H_
