#include "bench/storage_bench.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sdk/src/core/event_builder.h"
#include "sdk/src/core/storage.h"

namespace {

using vitrine::internal::EventPriority;
using vitrine::internal::QueuedEvent;

constexpr size_t kBatch = 1000;
constexpr size_t kSegmentBytes = 4 * 1024 * 1024;
constexpr size_t kPayloadBytes = 150;

QueuedEvent MakeEvent(uint64_t seq) {
  QueuedEvent e;
  e.event_id = vitrine::internal::MakeEventId(0x5eed5eed5eed5eedULL, seq);  // as the Client does
  e.seq = seq;
  e.occurred_at_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
  e.priority = static_cast<EventPriority>(seq % 5);
  e.payload.assign(kPayloadBytes, static_cast<char>('a' + seq % 26));
  return e;
}

bool Check(const vitrine::Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "persist bench: %s: %s\n", what, s.ToString().c_str());
  return false;
}

// Seal -> Insert -> ClearSealed: one persist turn.
bool Persist(vitrine::internal::Journal& journal, vitrine::internal::Store& store) {
  auto sealed = journal.Seal();
  if (!Check(sealed.status(), "seal")) return false;
  auto inserted = store.Insert(*sealed);
  if (!Check(inserted.status(), "insert")) return false;
  return Check(journal.ClearSealed(), "clear sealed");
}

double Run(const std::string& dir, size_t events) {
  auto journal = vitrine::internal::OpenMmapJournal(dir, kSegmentBytes);
  if (!Check(journal.status(), "open journal")) return 0;
  auto store = vitrine::internal::OpenSqliteStore(dir + "/queue.db");
  if (!Check(store.status(), "open store")) return 0;
  // Built up front so the figure is storage work, not string building.
  std::vector<QueuedEvent> input;
  input.reserve(events);
  for (size_t i = 0; i < events; ++i) input.push_back(MakeEvent(i + 1));

  const auto start = std::chrono::steady_clock::now();
  size_t pending = 0;
  for (const QueuedEvent& e : input) {
    vitrine::Status s = (*journal)->Append(e);
    if (s.code() == vitrine::StatusCode::kStorageFull) {
      if (!Persist(**journal, **store)) return 0;
      pending = 0;
      s = (*journal)->Append(e);
    }
    if (!Check(s, "append")) return 0;
    if (++pending == kBatch) {
      if (!Persist(**journal, **store)) return 0;
      pending = 0;
    }
  }
  if (pending > 0 && !Persist(**journal, **store)) return 0;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  auto stats = (*store)->Stats();
  if (!Check(stats.status(), "stats")) return 0;
  if (stats->count != events) {
    std::fprintf(stderr, "persist bench: %llu of %zu events in the store\n",
                 static_cast<unsigned long long>(stats->count), events);
    return 0;
  }
  return secs > 0 ? static_cast<double>(events) / secs : 0;
}

}  // namespace

double RunPersistBench(size_t events) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-persist-bench-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("persist bench: mkdtemp");
    return 0;
  }
  const double rate = Run(tmpl, events);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return rate;
}
