// On-disk format of the native journal segments (journal-a.bin, journal-b.bin). Private to
// sdk/src/platform/mmap_journal.cc; exposed here so the fuzz target and tests can decode and
// build segment images without going through the journal.
//
// A segment is one preallocated file:
//   [0, 64)   header: u32 magic "VTJ1", u32 version, u64 generation, u32 state, u32 crc
//             (crc32c of magic..generation). state is a single aligned u32 so a kill never
//             leaves it half written; generation orders the two segments (higher = newer).
//   [64, ...) records, each 8-byte aligned:
//             u32 body_length (0 = end of segment), u32 crc32c(generation, body_length, body),
//             body = u8 id_length, id, u64 seq, i64 occurred_at_ms, i32 priority, payload,
//             then zero padding up to the next multiple of 8.
// Numbers are in host byte order: the files never leave the device.
// The generation is part of each record's crc, so records left over from an earlier use of a
// cleared segment can never be mistaken for current ones.
//
// Thread safety: pure functions over caller-owned buffers.
#ifndef VITRINE_SDK_PLATFORM_MMAP_JOURNAL_FORMAT_H_
#define VITRINE_SDK_PLATFORM_MMAP_JOURNAL_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sdk/src/core/storage.h"

namespace vitrine::internal::journal_format {

inline constexpr uint32_t kMagic = 0x314A5456;  // "VTJ1" little endian
inline constexpr uint32_t kVersion = 2;         // 2: CRC-32C instead of zlib crc32
inline constexpr size_t kHeaderBytes = 64;
inline constexpr size_t kRecordHeaderBytes = 8;
inline constexpr size_t kMaxIdBytes = 255;
// Offsets inside the segment header.
inline constexpr size_t kMagicOffset = 0;
inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kGenerationOffset = 8;
inline constexpr size_t kStateOffset = 16;
inline constexpr size_t kHeaderCrcOffset = 20;

enum class SegmentState : uint32_t {
  kEmpty = 0,   // holds no records (never used, cleared or purged)
  kActive = 1,  // Append writes here
  kSealed = 2,  // switched away from; waits for ClearSealed
};

struct SegmentHeader {
  bool valid = false;  // magic, version and crc check out
  uint64_t generation = 0;
  SegmentState state = SegmentState::kEmpty;
};

struct DecodedSegment {
  std::vector<QueuedEvent> records;
  // Offset just past the last valid record (kHeaderBytes when there is none): where the next
  // Append goes.
  size_t end = kHeaderBytes;
};

SegmentHeader ReadHeader(const uint8_t* data, size_t size);
// Writes magic, version, generation and crc; leaves state alone (set it with WriteState).
// REQUIRES: size >= kHeaderBytes.
void WriteHeaderIdentity(uint8_t* data, uint64_t generation);
// One aligned 4-byte store, so a kill sees either the old or the new state.
void WriteState(uint8_t* data, SegmentState state);

// Bytes the record takes in a segment, header and padding included; 0 when the event cannot be
// encoded (id longer than kMaxIdBytes, or the record would not fit in 32 bits).
size_t EncodedRecordSize(const QueuedEvent& event);
// Writes the record's crc and body at dst (8-byte aligned) but not its length word, which the
// caller publishes last with PublishLength. REQUIRES: room for EncodedRecordSize(event) bytes.
void EncodeRecordBody(uint8_t* dst, uint64_t generation, const QueuedEvent& event);
// Release-stores the length word that makes the record visible to readers.
void PublishLength(uint8_t* dst, const QueuedEvent& event);
// Stores a zero length word (end marker) at dst; REQUIRES: 4-byte aligned.
void StoreEndMarker(uint8_t* dst);

// Decodes the records of a segment whose header carries `generation`, stopping without error at
// the first torn or corrupt record (length 0 or past the end, bad crc, malformed body).
DecodedSegment DecodeRecords(const uint8_t* data, size_t size, uint64_t generation);

}  // namespace vitrine::internal::journal_format

#endif  // VITRINE_SDK_PLATFORM_MMAP_JOURNAL_FORMAT_H_
