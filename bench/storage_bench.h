// Benchmark of the SDK's persist path, the work behind every captured event: journal Append
// (what Track pays), then per batch of up to 1,000 events: journal Seal, one SQLite transaction
// (Store::Insert), journal ClearSealed. Events carry ~150-byte payloads, as a serialized
// product_viewed does. Real files in a fresh temporary directory (removed afterwards), 4 MiB
// journal segments, the native store's default settings (WAL, synchronous=NORMAL).
//
// Thread safety: runs on the caller's thread; not meant to run concurrently with itself.
#ifndef VITRINE_BENCH_STORAGE_BENCH_H_
#define VITRINE_BENCH_STORAGE_BENCH_H_

#include <cstddef>

// Persisted events per second over the whole path; 0 when the storage could not be opened or a
// step failed (the reason is printed to stderr).
double RunPersistBench(size_t events);

#endif  // VITRINE_BENCH_STORAGE_BENCH_H_
