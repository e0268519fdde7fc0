// The native journal on real files: round trips, restart after an unclean stop, torn and corrupt
// tails, segment full, and a real out-of-space open (RLIMIT_FSIZE in a forked child).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "sdk/src/core/storage.h"
#include "sdk/src/platform/crc32c.h"
#include "sdk/src/platform/mmap_journal_format.h"
#include "tests/support/temp_dir.h"

namespace vitrine::internal {
namespace {

constexpr size_t kSegment = 64 * 1024;

QueuedEvent MakeEvent(uint64_t seq, size_t payload_bytes = 150,
                      EventPriority priority = EventPriority::kBrowsing) {
  QueuedEvent e;
  e.event_id = std::string(16, '\0');
  for (int i = 0; i < 8; ++i)
    e.event_id[static_cast<size_t>(i)] = static_cast<char>(seq >> (8 * i));
  e.event_id[15] = 'J';
  e.seq = seq;
  e.occurred_at_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
  e.priority = priority;
  e.payload = std::string(payload_bytes, static_cast<char>('a' + seq % 26));
  return e;
}

std::vector<uint64_t> Seqs(const std::vector<QueuedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

std::unique_ptr<Journal> Open(const std::string& dir, size_t segment = kSegment) {
  auto j = OpenMmapJournal(dir, segment);
  EXPECT_TRUE(j.ok()) << j.status().ToString();
  return j.ok() ? std::move(j).value() : nullptr;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAt(const std::string& path, size_t offset, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)),
            static_cast<ssize_t>(bytes.size()));
  close(fd);
}

TEST(MmapJournalTest, AppendReadAllRoundTripKeepsEveryField) {
  testing::TempDir dir;
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  QueuedEvent e = MakeEvent(7, 200, EventPriority::kNeverEvict);
  e.payload[3] = '\0';  // binary payloads are fine
  ASSERT_TRUE(j->Append(e).ok());
  ASSERT_TRUE(j->Append(MakeEvent(8, 0)).ok());
  auto all = j->ReadAll();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].event_id, e.event_id);
  EXPECT_EQ((*all)[0].seq, 7u);
  EXPECT_EQ((*all)[0].occurred_at_ms, e.occurred_at_ms);
  EXPECT_EQ((*all)[0].priority, EventPriority::kNeverEvict);
  EXPECT_EQ((*all)[0].payload, e.payload);
  EXPECT_EQ((*all)[1].payload, "");
  EXPECT_GT(j->bytes_used(), 200u);
}

TEST(MmapJournalTest, SealReturnsSealedRecordsAndNewAppendsGoToTheOtherSegment) {
  testing::TempDir dir;
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  for (uint64_t i = 0; i < 5; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
  auto sealed = j->Seal();
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Seqs(*sealed), Range(0, 5));
  for (uint64_t i = 5; i < 8; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
  // Before ClearSealed both segments are on disk, oldest first.
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 8));
  ASSERT_TRUE(j->ClearSealed().ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(5, 8));
  // Second cycle reuses the cleared segment; nothing of its old content comes back.
  auto sealed2 = j->Seal();
  ASSERT_TRUE(sealed2.ok());
  EXPECT_EQ(Seqs(*sealed2), Range(5, 8));
  ASSERT_TRUE(j->Append(MakeEvent(8)).ok());
  ASSERT_TRUE(j->ClearSealed().ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(8, 9));
}

TEST(MmapJournalTest, SealOfEmptyJournalReturnsNothing) {
  testing::TempDir dir;
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  auto sealed = j->Seal();
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sealed->empty());
  EXPECT_TRUE(j->ClearSealed().ok());
  EXPECT_EQ(j->bytes_used(), 0u);
}

TEST(MmapJournalTest, UnclearedSealIsHandedOutAgain) {
  testing::TempDir dir;
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  ASSERT_TRUE(j->Append(MakeEvent(1)).ok());
  ASSERT_EQ(Seqs(*j->Seal()), Range(1, 2));
  ASSERT_TRUE(j->Append(MakeEvent(2)).ok());
  // The store commit "failed": no ClearSealed. The next Seal returns the same records again and
  // keeps the new one safe in the active segment.
  EXPECT_EQ(Seqs(*j->Seal()), Range(1, 2));
  ASSERT_TRUE(j->ClearSealed().ok());
  EXPECT_EQ(Seqs(*j->Seal()), Range(2, 3));
  ASSERT_TRUE(j->ClearSealed().ok());
  EXPECT_TRUE(j->ReadAll()->empty());
}

TEST(MmapJournalTest, ReopenAfterUncleanStopReturnsEverythingInOrder) {
  testing::TempDir dir;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
    ASSERT_EQ(j->Seal()->size(), 10u);
    for (uint64_t i = 10; i < 15; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
    // "Dies" here: no ClearSealed, no flush, only the destructor's munmap/close.
  }
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 15));
  // Appends continue after the last record of the active segment.
  ASSERT_TRUE(j->Append(MakeEvent(15)).ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 16));
  EXPECT_EQ(Seqs(*j->Seal()), Range(0, 10));
}

TEST(MmapJournalTest, RecordsSurviveAKilledProcess) {
  testing::TempDir dir;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto j = OpenMmapJournal(dir.path(), kSegment);
    if (!j.ok()) _exit(2);
    for (uint64_t i = 0; i < 20; ++i) {
      if (!(*j)->Append(MakeEvent(i)).ok()) _exit(3);
    }
    raise(SIGKILL);  // no destructor, no munmap, no close
    _exit(4);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 20));
}

TEST(MmapJournalTest, TornTailIsSkippedAndEarlierRecordsSurvive) {
  testing::TempDir dir;
  size_t used_before_last = 0;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    for (uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
    used_before_last = j->bytes_used();
    ASSERT_TRUE(j->Append(MakeEvent(4)).ok());
  }
  // Scribble over the last record's payload, as a kill mid-write would leave it.
  const size_t last = journal_format::kHeaderBytes + used_before_last;
  WriteAt(dir.File("journal-a.bin"), last + 40, "XXXXXXXX");
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 4));
  // The next append replaces the torn record and is readable.
  ASSERT_TRUE(j->Append(MakeEvent(99)).ok());
  std::vector<uint64_t> expected = Range(0, 4);
  expected.push_back(99);
  EXPECT_EQ(Seqs(*j->ReadAll()), expected);
}

TEST(MmapJournalTest, LengthPastEndOfSegmentEndsReadingWithoutError) {
  testing::TempDir dir;
  size_t used = 0;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
    used = j->bytes_used();
  }
  const uint32_t huge = 0x7fffffff;
  WriteAt(dir.File("journal-a.bin"), journal_format::kHeaderBytes + used,
          std::string(reinterpret_cast<const char*>(&huge), 4));
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  auto all = j->ReadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Seqs(*all), Range(0, 3));
}

TEST(MmapJournalTest, CorruptHeaderMakesSegmentReadEmptyNotFail) {
  testing::TempDir dir;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    ASSERT_TRUE(j->Append(MakeEvent(1)).ok());
  }
  WriteAt(dir.File("journal-a.bin"), 8, "garbage!");
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(j->ReadAll()->empty());
  ASSERT_TRUE(j->Append(MakeEvent(2)).ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(2, 3));
}

TEST(MmapJournalTest, SegmentFullReturnsStorageFullAndSealMakesRoom) {
  testing::TempDir dir;
  auto j = Open(dir.path(), 8192);
  ASSERT_NE(j, nullptr);
  uint64_t n = 0;
  Status s;
  while ((s = j->Append(MakeEvent(n))).ok()) ++n;
  EXPECT_EQ(s.code(), StatusCode::kStorageFull) << s.ToString();
  EXPECT_GT(n, 30u);
  EXPECT_EQ(Seqs(*j->Seal()), Range(0, n));
  EXPECT_TRUE(j->Append(MakeEvent(n)).ok());
}

TEST(MmapJournalTest, RecordLargerThanASegmentIsInvalidArgument) {
  testing::TempDir dir;
  auto j = Open(dir.path(), 8192);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->Append(MakeEvent(1, 9000)).code(), StatusCode::kInvalidArgument);
  QueuedEvent long_id = MakeEvent(2);
  long_id.event_id = std::string(300, 'x');
  EXPECT_EQ(j->Append(long_id).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(j->ReadAll()->empty());
}

TEST(MmapJournalTest, PurgeDropsBothSegmentsAcrossReopen) {
  testing::TempDir dir;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    ASSERT_TRUE(j->Append(MakeEvent(1)).ok());
    ASSERT_EQ(j->Seal()->size(), 1u);
    ASSERT_TRUE(j->Append(MakeEvent(2)).ok());
    ASSERT_TRUE(j->Purge().ok());
    EXPECT_EQ(j->bytes_used(), 0u);
    EXPECT_TRUE(j->ReadAll()->empty());
  }
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(j->ReadAll()->empty());
  ASSERT_TRUE(j->Append(MakeEvent(3)).ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(3, 4));
}

TEST(MmapJournalTest, SecondOpenOfTheSameDirectoryIsBusy) {
  testing::TempDir dir;
  auto first = Open(dir.path());
  ASSERT_NE(first, nullptr);
  auto second = OpenMmapJournal(dir.path(), kSegment);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kStorageBusy);
}

TEST(MmapJournalTest, KilledBetweenSealAndActivateRecoversSealedRecords) {
  testing::TempDir dir;
  {
    auto j = Open(dir.path());
    ASSERT_NE(j, nullptr);
    for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
  }
  // Mark segment a sealed by hand, as if killed right after the state store in Seal.
  const uint32_t sealed = static_cast<uint32_t>(journal_format::SegmentState::kSealed);
  WriteAt(dir.File("journal-a.bin"), journal_format::kStateOffset,
          std::string(reinterpret_cast<const char*>(&sealed), 4));
  auto j = Open(dir.path());
  ASSERT_NE(j, nullptr);
  ASSERT_TRUE(j->Append(MakeEvent(3)).ok());
  EXPECT_EQ(Seqs(*j->ReadAll()), Range(0, 4));
  EXPECT_EQ(Seqs(*j->Seal()), Range(0, 3));
}

TEST(MmapJournalTest, ExistingLargerSegmentIsNotShrunk) {
  testing::TempDir dir;
  {
    auto j = Open(dir.path(), 2 * kSegment);
    ASSERT_NE(j, nullptr);
    for (uint64_t i = 0; i < 500; ++i) ASSERT_TRUE(j->Append(MakeEvent(i)).ok());
  }
  auto j = Open(dir.path(), kSegment);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->ReadAll()->size(), 500u);
  EXPECT_EQ(ReadFile(dir.File("journal-a.bin")).size(), 2 * kSegment);
}

TEST(MmapJournalTest, OpenBeyondFileSizeLimitReturnsErrorInsteadOfCrashing) {
  testing::TempDir dir;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim {};
    lim.rlim_cur = 16 * 1024;
    lim.rlim_max = 16 * 1024;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0) _exit(10);
    auto j = OpenMmapJournal(dir.path(), 1024 * 1024);
    if (j.ok()) _exit(11);
    _exit(j.status().code() == StatusCode::kStorageFull ? 0 : 12);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus)) << "child died of signal " << WTERMSIG(wstatus);
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "10: setrlimit failed, 11: open succeeded, 12: wrong code";
}

TEST(MmapJournalTest, DirectoryThatIsAFileIsAnErrorValue) {
  testing::TempDir dir;
  const std::string not_a_dir = dir.File("plain-file");
  std::ofstream(not_a_dir) << "x";
  auto j = OpenMmapJournal(not_a_dir, kSegment);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kStorageError) << j.status().ToString();
}

TEST(MmapJournalTest, TooSmallSegmentIsInvalidArgument) {
  testing::TempDir dir;
  auto j = OpenMmapJournal(dir.path(), 100);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), StatusCode::kInvalidArgument);
}

TEST(MmapJournalTest, AppendIsWellUnderAMicrosecond) {
  testing::TempDir dir;
  auto j = Open(dir.path(), 4 * 1024 * 1024);
  ASSERT_NE(j, nullptr);
  const QueuedEvent e = MakeEvent(1, 200);
  // A fresh segment, page faults included: that is what capture pays in the field.
  const auto start = std::chrono::steady_clock::now();
  int m = 0;
  while (j->Append(e).ok()) ++m;
  ASSERT_GT(m, 10000);
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
      m;
  std::printf("journal append: %.0f ns per 200-byte record (%d records)\n", ns, m);
  // Generous bound: debug and sanitizer builds on a shared 2-core machine.
  EXPECT_LT(ns, 20000.0);
}

TEST(MmapJournalTest, ConcurrentAppendsAndSealsLoseAndDuplicateNothing) {
  testing::TempDir dir;
  auto j = Open(dir.path(), 256 * 1024);
  ASSERT_NE(j, nullptr);
  constexpr int kThreads = 4;
  constexpr uint64_t kPerThread = 2000;
  std::atomic<int> done{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        const QueuedEvent e = MakeEvent(static_cast<uint64_t>(t) * kPerThread + i, 40);
        while (j->Append(e).code() == StatusCode::kStorageFull) std::this_thread::yield();
      }
      done.fetch_add(1);
    });
  }
  std::vector<uint64_t> persisted;
  auto drain = [&] {
    auto sealed = j->Seal();
    ASSERT_TRUE(sealed.ok());
    for (const auto& e : *sealed) persisted.push_back(e.seq);
    ASSERT_TRUE(j->ClearSealed().ok());
  };
  while (done.load() < kThreads) drain();
  for (auto& w : writers) w.join();
  drain();
  std::sort(persisted.begin(), persisted.end());
  EXPECT_EQ(persisted, Range(0, kThreads * kPerThread));
  EXPECT_EQ(j->bytes_used(), 0u);
}

TEST(JournalFormatTest, Crc32cMatchesTheStandardCheckValueAndChains) {
  const std::string check = "123456789";
  EXPECT_EQ(Crc32c(0, check.data(), check.size()), 0xE3069283u);
  EXPECT_EQ(Crc32c(Crc32c(0, check.data(), 4), check.data() + 4, 5), 0xE3069283u);
  EXPECT_EQ(Crc32c(0, nullptr, 0), 0u);
  // Lengths around the 8-byte stride, unaligned starts.
  std::string data(64, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 37 + 11);
  for (size_t n = 0; n < 20; ++n) {
    const uint32_t whole = Crc32c(0, data.data() + 1, n + 9);
    EXPECT_EQ(Crc32c(Crc32c(0, data.data() + 1, n), data.data() + 1 + n, 9), whole) << n;
  }
}

TEST(JournalFormatTest, DecodeStopsAtFirstBadRecord) {
  std::vector<uint8_t> seg(4096, 0);
  journal_format::WriteHeaderIdentity(seg.data(), 5);
  journal_format::WriteState(seg.data(), journal_format::SegmentState::kActive);
  size_t off = journal_format::kHeaderBytes;
  for (uint64_t i = 0; i < 3; ++i) {
    QueuedEvent e = MakeEvent(i, 20);
    journal_format::EncodeRecordBody(seg.data() + off, 5, e);
    journal_format::PublishLength(seg.data() + off, e);
    off += journal_format::EncodedRecordSize(e);
  }
  auto h = journal_format::ReadHeader(seg.data(), seg.size());
  ASSERT_TRUE(h.valid);
  EXPECT_EQ(h.generation, 5u);
  EXPECT_EQ(journal_format::DecodeRecords(seg.data(), seg.size(), 5).records.size(), 3u);
  // Records written under another generation (left over from an earlier use) do not count.
  EXPECT_TRUE(journal_format::DecodeRecords(seg.data(), seg.size(), 4).records.empty());
  seg[off - 10] ^= 1;  // flip a payload byte of the third record
  auto d = journal_format::DecodeRecords(seg.data(), seg.size(), 5);
  EXPECT_EQ(d.records.size(), 2u);
  EXPECT_LT(d.end, off);
}

}  // namespace
}  // namespace vitrine::internal

namespace vitrine::internal {
namespace {

// Known CRC-32C answers (RFC 3720 B.4 and the common "123456789" check value), for both the
// hardware and the portable paths (the split covers unaligned tails).
TEST(Crc32c, MatchesPublishedCheckValues) {
  EXPECT_EQ(Crc32c(0, "123456789", 9), 0xE3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(0, zeros.data(), zeros.size()), 0x8A9136AAu);
  const std::string ones(32, '\xff');
  EXPECT_EQ(Crc32c(0, ones.data(), ones.size()), 0x62A8AB43u);
  // Incremental == one shot.
  const std::string text = "The quick brown fox jumps over the lazy dog";
  const uint32_t whole = Crc32c(0, text.data(), text.size());
  EXPECT_EQ(Crc32c(Crc32c(0, text.data(), 10), text.data() + 10, text.size() - 10), whole);
}

}  // namespace
}  // namespace vitrine::internal
