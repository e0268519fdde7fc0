// In-memory Journal and Store for the WebAssembly build (internal). They stand in for the native
// mmap journal and SQLite store behind storage.h until the browser backend (IndexedDB with a
// localStorage fallback) lands; the Client reaches them through the same factory functions the
// native build defines, OpenMmapJournal and OpenSqliteStore.
//
// Durability: none beyond the module's lifetime. State is kept per path in a process-wide
// registry, so a Client reopened on the same data_dir (a "tab reload" inside one module
// instance, or a test) finds its queue and key-value state again.
// Thread safety: every method locks one mutex per store (free in a build without pthreads).
#ifndef VITRINE_WASM_SRC_MEMORY_STORAGE_H_
#define VITRINE_WASM_SRC_MEMORY_STORAGE_H_

#include <memory>
#include <string>

#include "sdk/src/core/storage.h"

namespace vitrine::internal {

// A fresh, unshared store and journal (tests).
std::unique_ptr<Store> NewMemoryStore();
std::unique_ptr<Journal> NewMemoryJournal(size_t segment_bytes);

// Forgets every store and journal kept by path (a hard "clear site data").
void ResetMemoryStorageRegistry();

}  // namespace vitrine::internal

#endif  // VITRINE_WASM_SRC_MEMORY_STORAGE_H_
