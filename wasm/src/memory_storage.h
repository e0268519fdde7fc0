// In-memory Journal and Store for the WebAssembly build (internal), behind storage.h; the Client
// reaches them through the same factory functions the native build defines, OpenMmapJournal and
// OpenSqliteStore. storage.h is synchronous and the browser's durable storage (IndexedDB) is
// not, so durability is a write-behind mirror driven from JavaScript:
//   1. before the Client opens, JS reads every stored entry and hands it to ImportMirror;
//   2. every change to the store or journal marks a mirror key dirty; JS calls
//      TakeMirrorChanges on a short timer and on pagehide and writes the result to IndexedDB
//      (or localStorage). The durability window is that timer plus the IndexedDB commit.
// Mirror keys: "k/<key>" for key-value state, "e/<event id in hex>" for queued events (journal
// records included, so an event is mirrored before it reaches the queue).
//
// State is kept per path in a process-wide registry, so a Client reopened on the same data_dir
// (a "tab reload" inside one module instance, or a test) finds its queue and state again.
// Thread safety: every method locks one mutex per store (free in a build without pthreads).
#ifndef VITRINE_WASM_SRC_MEMORY_STORAGE_H_
#define VITRINE_WASM_SRC_MEMORY_STORAGE_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sdk/src/core/storage.h"

namespace vitrine::internal {

// A fresh, unshared store and journal (tests).
std::unique_ptr<Store> NewMemoryStore();
std::unique_ptr<Journal> NewMemoryJournal(size_t segment_bytes);

// Forgets every store and journal kept by path (a hard "clear site data").
void ResetMemoryStorageRegistry();

// One mirror write: a put of `value`, or a delete when it is empty (nullopt).
struct MirrorChange {
  std::string key;
  std::optional<std::string> value;
};

// Loads mirrored entries into the store and journal of `data_dir` (before the Client opens on
// it) and turns on change tracking for it. Unknown or malformed entries are skipped and counted
// in the returned value.
StatusOr<size_t> ImportMirror(const std::string& data_dir,
                              const std::vector<std::pair<std::string, std::string>>& entries);
// Everything changed since the last call (only for a data_dir given to ImportMirror).
std::vector<MirrorChange> TakeMirrorChanges(const std::string& data_dir);

// Events in the journal of `data_dir` not yet moved to the store (Stats().queued counts only
// the store): the package's flush() waits for both to be empty.
size_t JournaledEventCount(const std::string& data_dir);

}  // namespace vitrine::internal

#endif  // VITRINE_WASM_SRC_MEMORY_STORAGE_H_
