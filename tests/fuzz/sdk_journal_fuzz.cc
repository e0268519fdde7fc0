// Fuzzes the journal's recovery path: the input is the raw content of journal-a.bin (whatever a
// crash, a bad disk or a hostile file could leave), the journal is opened over it and replayed.
// Opening and ReadAll must never crash; an Append after replay must come back last.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "sdk/src/core/storage.h"
#include "sdk/src/platform/mmap_journal_format.h"

namespace {

namespace jf = vitrine::internal::journal_format;

constexpr size_t kSegmentBytes = 8192;

// One directory for the whole run (the target is called tens of thousands of times), removed at
// exit.
struct FuzzDir {
  FuzzDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-journal-fuzz-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path = tmpl;
  }
  ~FuzzDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// Makes the file's content `data` followed by zeros up to at least kSegmentBytes, which is what
// the journal sees anyway after preallocating. Rewrites in place: no unlink, truncate or
// allocation per input, since those metadata operations queue behind every other fsync on a
// shared disk and turn a replay run into minutes.
void Overwrite(const std::string& path, const uint8_t* data, size_t size) {
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  struct stat st {};
  if (fstat(fd, &st) != 0) std::abort();
  std::string content;
  if (size > 0) content.assign(reinterpret_cast<const char*>(data), size);
  content.resize(std::max({size, kSegmentBytes, static_cast<size_t>(st.st_size)}), '\0');
  if (pwrite(fd, content.data(), content.size(), 0) != static_cast<ssize_t>(content.size())) {
    std::abort();
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The decoder on its own, under the generation the header claims.
  const jf::SegmentHeader header = jf::ReadHeader(data, size);
  (void)jf::DecodeRecords(data, size, header.generation);

  static FuzzDir dir;
  Overwrite(dir.path + "/journal-a.bin", data, size);
  Overwrite(dir.path + "/journal-b.bin", nullptr, 0);
  auto journal = vitrine::internal::OpenMmapJournal(dir.path, kSegmentBytes);
  if (!journal.ok()) return 0;
  auto before = (*journal)->ReadAll();
  if (!before.ok()) std::abort();
  vitrine::internal::QueuedEvent e;
  e.event_id = std::string(16, 'F');
  e.seq = UINT64_MAX;
  e.payload = "fuzz";
  if ((*journal)->Append(e).ok()) {
    auto after = (*journal)->ReadAll();
    if (!after.ok() || after->size() != before->size() + 1 || after->back().seq != UINT64_MAX) {
      std::abort();  // an acknowledged append must be readable, after everything recovered
    }
  }
  (void)(*journal)->Seal();
  (void)(*journal)->ClearSealed();
  return 0;
}
