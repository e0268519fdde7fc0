// Fuzzes the journal's recovery path: the input is the raw content of journal-a.bin (whatever a
// crash, a bad disk or a hostile file could leave), the journal is opened over it and replayed.
// Opening and ReadAll must never crash; an Append after replay must come back last.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "sdk/src/core/storage.h"
#include "sdk/src/platform/mmap_journal_format.h"

namespace {

namespace jf = vitrine::internal::journal_format;

// One directory for the whole run: the target is called tens of thousands of times.
const std::string& Dir() {
  static const std::string dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vitrine-journal-fuzz-XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::atexit([] { std::filesystem::remove_all(Dir()); });
    return tmpl;
  }();
  return dir;
}

void WriteFile(const std::string& path, const uint8_t* data, size_t size) {
  // A fresh inode each time: truncating a file that was just written through a mapping makes
  // ext4 flush it on close (auto_da_alloc), which turns a fuzz run into minutes of disk I/O.
  unlink(path.c_str());
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    const ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The decoder on its own, under every generation the header could claim.
  const jf::SegmentHeader header = jf::ReadHeader(data, size);
  (void)jf::DecodeRecords(data, size, header.generation);

  const std::string& dir = Dir();
  WriteFile(dir + "/journal-a.bin", data, size);
  std::filesystem::remove(dir + "/journal-b.bin");
  auto journal = vitrine::internal::OpenMmapJournal(dir, 8192);
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
