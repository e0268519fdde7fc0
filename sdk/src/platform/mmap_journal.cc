// Native Journal: two preallocated, memory-mapped segment files (format in
// mmap_journal_format.h).
//
// Durability model: Append copies the record into a MAP_SHARED mapping of a file whose blocks
// were allocated up front with posix_fallocate. The bytes land in the kernel's page cache the
// moment the stores retire, so they survive the process being killed (SIGKILL, crash, OOM kill)
// at any point after Append returns; there is no syscall and no msync per append. Power loss or
// a kernel crash before writeback can lose the most recent records: that is out of scope (the
// SQLite queue the records move to within persist_interval_ms is synced by SQLite).
// Preallocation turns "disk full" into an error value at open time instead of a SIGBUS on a
// later store into a hole.
//
// Kill safety of a single Append: the end marker after the new record is zeroed first, then the
// crc and body are written, and the length word is release-stored last. A reader therefore sees
// either no record (length 0) or a complete one; a torn record fails its crc and ends the scan.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

#include "sdk/src/core/storage.h"
#include "sdk/src/platform/crc32c.h"
#include "sdk/src/platform/mmap_journal_format.h"

namespace vitrine::internal {
namespace journal_format {
namespace {

template <typename T>
T LoadAt(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
void StoreAt(uint8_t* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

uint32_t Crc(uint32_t crc, const uint8_t* data, size_t size) { return Crc32c(crc, data, size); }

uint32_t HeaderCrc(uint32_t magic, uint32_t version, uint64_t generation) {
  uint8_t buf[16];
  StoreAt(buf, magic);
  StoreAt(buf + 4, version);
  StoreAt(buf + 8, generation);
  return Crc(0, buf, sizeof(buf));
}

uint32_t RecordCrc(uint64_t generation, uint32_t body_length, const uint8_t* body) {
  uint8_t prefix[12];
  StoreAt(prefix, generation);
  StoreAt(prefix + 8, body_length);
  return Crc(Crc(0, prefix, sizeof(prefix)), body, body_length);
}

constexpr size_t kFixedBodyBytes = 1 + 8 + 8 + 4;  // id length, seq, occurred_at, priority

size_t BodyLength(const QueuedEvent& event) {
  return kFixedBodyBytes + event.event_id.size() + event.payload.size();
}

size_t Align8(size_t n) { return (n + 7) & ~size_t{7}; }

}  // namespace

SegmentHeader ReadHeader(const uint8_t* data, size_t size) {
  SegmentHeader h;
  if (data == nullptr || size < kHeaderBytes) return h;
  const auto magic = LoadAt<uint32_t>(data + kMagicOffset);
  const auto version = LoadAt<uint32_t>(data + kVersionOffset);
  const auto generation = LoadAt<uint64_t>(data + kGenerationOffset);
  const auto state = LoadAt<uint32_t>(data + kStateOffset);
  const auto crc = LoadAt<uint32_t>(data + kHeaderCrcOffset);
  if (magic != kMagic || version != kVersion || crc != HeaderCrc(magic, version, generation) ||
      state > static_cast<uint32_t>(SegmentState::kSealed)) {
    return h;
  }
  h.valid = true;
  h.generation = generation;
  h.state = static_cast<SegmentState>(state);
  return h;
}

void WriteHeaderIdentity(uint8_t* data, uint64_t generation) {
  StoreAt(data + kMagicOffset, kMagic);
  StoreAt(data + kVersionOffset, kVersion);
  StoreAt(data + kGenerationOffset, generation);
  StoreAt(data + kHeaderCrcOffset, HeaderCrc(kMagic, kVersion, generation));
}

void WriteState(uint8_t* data, SegmentState state) {
  // Release: the identity fields written before must be in place before the state says so.
  __atomic_store_n(reinterpret_cast<uint32_t*>(data + kStateOffset), static_cast<uint32_t>(state),
                   __ATOMIC_RELEASE);
}

size_t EncodedRecordSize(const QueuedEvent& event) {
  if (event.event_id.size() > kMaxIdBytes) return 0;
  const size_t body = BodyLength(event);
  if (body > UINT32_MAX - 16) return 0;
  return Align8(kRecordHeaderBytes + body);
}

void EncodeRecordBody(uint8_t* dst, uint64_t generation, const QueuedEvent& event) {
  const size_t body_length = BodyLength(event);
  uint8_t* body = dst + kRecordHeaderBytes;
  uint8_t* p = body;
  *p++ = static_cast<uint8_t>(event.event_id.size());
  std::memcpy(p, event.event_id.data(), event.event_id.size());
  p += event.event_id.size();
  StoreAt(p, event.seq);
  p += 8;
  StoreAt(p, event.occurred_at_ms);
  p += 8;
  StoreAt(p, static_cast<int32_t>(event.priority));
  p += 4;
  std::memcpy(p, event.payload.data(), event.payload.size());
  p += event.payload.size();
  // Zero the padding so segment images are deterministic.
  std::memset(p, 0, Align8(kRecordHeaderBytes + body_length) - kRecordHeaderBytes - body_length);
  StoreAt(dst + 4, RecordCrc(generation, static_cast<uint32_t>(body_length), body));
}

void PublishLength(uint8_t* dst, const QueuedEvent& event) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(dst), static_cast<uint32_t>(BodyLength(event)),
                   __ATOMIC_RELEASE);
}

void StoreEndMarker(uint8_t* dst) {
  __atomic_store_n(reinterpret_cast<uint32_t*>(dst), uint32_t{0}, __ATOMIC_RELEASE);
}

DecodedSegment DecodeRecords(const uint8_t* data, size_t size, uint64_t generation) {
  DecodedSegment out;
  if (data == nullptr || size < kHeaderBytes) return out;
  size_t off = kHeaderBytes;
  while (size - off >= kRecordHeaderBytes) {
    const auto body_length = LoadAt<uint32_t>(data + off);
    if (body_length < kFixedBodyBytes) break;  // 0 = end marker; anything shorter is corrupt
    const size_t room = size - off - kRecordHeaderBytes;
    if (body_length > room) break;
    const uint8_t* body = data + off + kRecordHeaderBytes;
    if (LoadAt<uint32_t>(data + off + 4) != RecordCrc(generation, body_length, body)) break;
    const size_t id_length = body[0];
    if (kFixedBodyBytes + id_length > body_length) break;
    const uint8_t* p = body + 1;
    QueuedEvent e;
    e.event_id.assign(reinterpret_cast<const char*>(p), id_length);
    p += id_length;
    e.seq = LoadAt<uint64_t>(p);
    p += 8;
    e.occurred_at_ms = LoadAt<int64_t>(p);
    p += 8;
    const auto priority = LoadAt<int32_t>(p);
    p += 4;
    if (priority < static_cast<int32_t>(EventPriority::kPageView) ||
        priority > static_cast<int32_t>(EventPriority::kNeverEvict)) {
      break;
    }
    e.priority = static_cast<EventPriority>(priority);
    e.payload.assign(reinterpret_cast<const char*>(p), body_length - kFixedBodyBytes - id_length);
    out.records.push_back(std::move(e));
    // The aligned size fits in the segment or the record is the last one; stop either way.
    const size_t next = Align8(kRecordHeaderBytes + body_length);
    if (next > size - off) {
      off = size;
      break;
    }
    off += next;
  }
  out.end = off;
  return out;
}

}  // namespace journal_format

namespace {

namespace jf = journal_format;

Status ErrnoStatus(int err, const std::string& what) {
  const StatusCode code = (err == ENOSPC || err == EFBIG || err == EDQUOT)
                              ? StatusCode::kStorageFull
                              : StatusCode::kStorageError;
  return Status(code, "journal: " + what + ": " + std::strerror(err));
}

struct Segment {
  int fd = -1;
  uint8_t* base = nullptr;
  size_t size = 0;
  uint64_t generation = 0;
  jf::SegmentState state = jf::SegmentState::kEmpty;
  size_t end = jf::kHeaderBytes;  // next write offset (active) / end of records (sealed)

  Segment() = default;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  ~Segment() {
    if (base != nullptr) munmap(base, size);
    if (fd >= 0) close(fd);
  }
  size_t used() const { return state == jf::SegmentState::kEmpty ? 0 : end - jf::kHeaderBytes; }
};

Status OpenSegment(const std::string& path, size_t segment_bytes, Segment& seg) {
  seg.fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (seg.fd < 0) return ErrnoStatus(errno, "open " + path);
  struct stat st {};
  if (fstat(seg.fd, &st) != 0) return ErrnoStatus(errno, "stat " + path);
  // Never shrink an existing file: it may hold records written with a larger segment size.
  const size_t size = std::max(static_cast<size_t>(st.st_size), segment_bytes);
  const int err = posix_fallocate(seg.fd, 0, static_cast<off_t>(size));
  if (err != 0) return ErrnoStatus(err, "allocate " + std::to_string(size) + " bytes for " + path);
  // MAP_POPULATE: take the page faults of the whole segment here, at open, not in Append.
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, seg.fd, 0);
  if (p == MAP_FAILED) return ErrnoStatus(errno, "mmap " + path);
  seg.base = static_cast<uint8_t*>(p);
  seg.size = size;
  return Status::Ok();
}

class MmapJournal final : public Journal {
 public:
  MmapJournal() = default;

  Status Init(const std::string& dir, size_t segment_bytes) {
    if (segment_bytes < jf::kHeaderBytes + 4096) {
      return Status(StatusCode::kInvalidArgument, "journal: segment_bytes must be at least 4160");
    }
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus(errno, "mkdir " + dir);
    }
    const char* names[2] = {"/journal-a.bin", "/journal-b.bin"};
    for (int i = 0; i < 2; ++i) {
      Status s = OpenSegment(dir + names[i], segment_bytes, seg_[i]);
      if (!s.ok()) return s;
    }
    // One process at a time: a second writer would interleave records.
    if (flock(seg_[0].fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status(StatusCode::kStorageBusy, "journal: " + dir + " is open elsewhere");
      }
      return ErrnoStatus(errno, "lock " + dir);
    }
    Recover();
    return Status::Ok();
  }

  Status Append(const QueuedEvent& event) override {
    const size_t need = jf::EncodedRecordSize(event);
    if (need == 0) return Status(StatusCode::kInvalidArgument, "journal: event id too long");
    std::lock_guard<std::mutex> lock(mu_);
    Segment& s = seg_[active_];
    if (need > std::min(seg_[0].size, seg_[1].size) - jf::kHeaderBytes) {
      // Would never fit, not even in an empty segment: retrying cannot help.
      return Status(StatusCode::kInvalidArgument,
                    "journal: record of " + std::to_string(need) + " bytes exceeds segment size");
    }
    if (need > s.size - s.end) return Status(StatusCode::kStorageFull, "journal: segment full");
    uint8_t* dst = s.base + s.end;
    if (s.size - s.end - need >= jf::kRecordHeaderBytes) jf::StoreEndMarker(dst + need);
    jf::EncodeRecordBody(dst, s.generation, event);
    jf::PublishLength(dst, event);
    s.end += need;
    bytes_used_.fetch_add(need, std::memory_order_relaxed);
    return Status::Ok();
  }

  StatusOr<std::vector<QueuedEvent>> Seal() override {
    std::lock_guard<std::mutex> seal_lock(seal_mu_);
    int sealed = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int other = 1 - active_;
      if (seg_[other].state == jf::SegmentState::kSealed) {
        // The previous seal was never cleared (its Store commit failed): hand the same records
        // out again rather than switching onto them. Store::Insert ignores duplicates.
        sealed = other;
      } else if (seg_[active_].end == jf::kHeaderBytes) {
        return std::vector<QueuedEvent>{};  // nothing to seal; keep appending where we are
      } else {
        Segment& old = seg_[active_];
        jf::WriteState(old.base, jf::SegmentState::kSealed);
        old.state = jf::SegmentState::kSealed;
        Activate(other, old.generation + 1);
        sealed = 1 - other;
        active_ = other;
      }
    }
    // The sealed segment is no longer written by Append, and seal_mu_ keeps ClearSealed/Purge
    // away, so it is decoded without blocking capture.
    const Segment& s = seg_[sealed];
    return jf::DecodeRecords(s.base, s.end, s.generation).records;
  }

  Status ClearSealed() override {
    std::lock_guard<std::mutex> seal_lock(seal_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    Segment& s = seg_[1 - active_];
    if (s.state == jf::SegmentState::kSealed) Clear(s);
    return Status::Ok();
  }

  StatusOr<std::vector<QueuedEvent>> ReadAll() override {
    std::lock_guard<std::mutex> seal_lock(seal_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<QueuedEvent> out;
    // The sealed segment (if any) is always older than the active one.
    for (const int i : {1 - active_, active_}) {
      const Segment& s = seg_[i];
      if (s.state == jf::SegmentState::kEmpty) continue;
      auto records = jf::DecodeRecords(s.base, s.end, s.generation).records;
      out.insert(out.end(), std::make_move_iterator(records.begin()),
                 std::make_move_iterator(records.end()));
    }
    return out;
  }

  Status Purge() override {
    std::lock_guard<std::mutex> seal_lock(seal_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t next = std::max(seg_[0].generation, seg_[1].generation) + 1;
    Clear(seg_[1 - active_]);
    Clear(seg_[active_]);
    Activate(active_, next);
    return Status::Ok();
  }

  size_t bytes_used() const override { return bytes_used_.load(std::memory_order_relaxed); }

 private:
  // Decides which segment is active after open, from the headers left on disk.
  void Recover() {
    jf::SegmentHeader h[2];
    for (int i = 0; i < 2; ++i) {
      h[i] = jf::ReadHeader(seg_[i].base, seg_[i].size);
      Segment& s = seg_[i];
      if (!h[i].valid || h[i].state == jf::SegmentState::kEmpty) {
        s.state = jf::SegmentState::kEmpty;
        s.generation = h[i].valid ? h[i].generation : 0;
        s.end = jf::kHeaderBytes;
        continue;
      }
      s.state = h[i].state;
      s.generation = h[i].generation;
      s.end = jf::DecodeRecords(s.base, s.size, s.generation).end;
    }
    const uint64_t next = std::max(seg_[0].generation, seg_[1].generation) + 1;
    auto is = [&](int i, jf::SegmentState st) { return seg_[i].state == st; };
    if (is(0, jf::SegmentState::kEmpty) && is(1, jf::SegmentState::kEmpty)) {
      active_ = 0;
      Activate(0, next);
    } else if (is(0, jf::SegmentState::kEmpty) || is(1, jf::SegmentState::kEmpty)) {
      const int used = is(0, jf::SegmentState::kEmpty) ? 1 : 0;
      if (is(used, jf::SegmentState::kActive)) {
        active_ = used;
      } else {
        // Killed between sealing one segment and activating the other.
        active_ = 1 - used;
        Activate(active_, next);
      }
    } else {
      // Both hold records (normally one sealed, one active). The newer one keeps taking appends
      // after its last valid record; the older one is the sealed one.
      active_ = seg_[0].generation > seg_[1].generation ? 0 : 1;
      Segment& older = seg_[1 - active_];
      if (older.state != jf::SegmentState::kSealed) {
        jf::WriteState(older.base, jf::SegmentState::kSealed);
        older.state = jf::SegmentState::kSealed;
      }
      Segment& newer = seg_[active_];
      if (newer.state != jf::SegmentState::kActive) {
        jf::WriteState(newer.base, jf::SegmentState::kActive);
        newer.state = jf::SegmentState::kActive;
      }
    }
    // Whatever torn bytes follow the last valid record are overwritten by the next Append;
    // mark the end explicitly so a kill during that Append cannot expose them.
    Segment& a = seg_[active_];
    if (a.size - a.end >= jf::kRecordHeaderBytes) jf::StoreEndMarker(a.base + a.end);
    bytes_used_.store(seg_[0].used() + seg_[1].used(), std::memory_order_relaxed);
  }

  // REQUIRES: mu_ held; segment i is empty.
  void Activate(int i, uint64_t generation) {
    Segment& s = seg_[i];
    jf::StoreEndMarker(s.base + jf::kHeaderBytes);
    jf::WriteHeaderIdentity(s.base, generation);
    jf::WriteState(s.base, jf::SegmentState::kActive);
    s.generation = generation;
    s.state = jf::SegmentState::kActive;
    s.end = jf::kHeaderBytes;
  }

  // REQUIRES: mu_ held.
  void Clear(Segment& s) {
    jf::WriteState(s.base, jf::SegmentState::kEmpty);
    jf::StoreEndMarker(s.base + jf::kHeaderBytes);
    bytes_used_.fetch_sub(s.used(), std::memory_order_relaxed);
    s.state = jf::SegmentState::kEmpty;
    s.end = jf::kHeaderBytes;
  }

  Segment seg_[2];
  std::mutex seal_mu_;  // serialises Seal/ClearSealed/ReadAll/Purge; taken before mu_
  std::mutex mu_;       // guards active_ and the segments' write state
  int active_ = 0;
  std::atomic<size_t> bytes_used_{0};
};

}  // namespace

StatusOr<std::unique_ptr<Journal>> OpenMmapJournal(const std::string& dir, size_t segment_bytes) {
  auto journal = std::make_unique<MmapJournal>();
  Status s = journal->Init(dir, segment_bytes);
  if (!s.ok()) return s;
  return std::unique_ptr<Journal>(std::move(journal));
}

}  // namespace vitrine::internal
