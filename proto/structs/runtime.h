// The wire-format primitives behind the plain-struct messages that gen_structs.py generates (the
// browser build's replacement for protobuf-lite; see gen_structs.py).
//
// Encoding appends to a std::string. Decoding reads from a Reader over bytes it does not own
// (the caller keeps them alive for the Reader's lifetime) and follows protobuf's parser where a
// difference would be visible: varints of at most 10 bytes (tags and lengths at most 5), field
// number 0 and wire types 4, 6, 7 rejected outside a group, unknown groups skipped when
// balanced, lengths past the end rejected, nesting of messages and groups capped at 100, strings
// of `string` fields valid UTF-8 (surrogates and overlong forms refused).
//
// Thread safety: none needed; a Reader is used by one caller, the functions are pure.
#ifndef VITRINE_PROTO_STRUCTS_RUNTIME_H_
#define VITRINE_PROTO_STRUCTS_RUNTIME_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>

// Lets code shared with the protobuf build tell which message classes it was compiled against
// (the SDK core skips its protobuf arena).
#define VITRINE_WIRE_STRUCTS 1

namespace vitrine::wire_structs {

// protobuf's default recursion limit: nested messages and groups below the top level.
inline constexpr int kMaxDepth = 100;

class Reader {
 public:
  Reader() = default;
  explicit Reader(std::string_view bytes, int depth_left = kMaxDepth)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())),
        end_(p_ + bytes.size()),
        depth_left_(depth_left) {}

  bool done() const { return p_ == end_; }

  // A field's tag. False on a malformed tag, field number 0, or wire type 4, 6 or 7.
  bool ReadTag(uint32_t* field, uint32_t* wire_type);
  bool ReadVarint(uint64_t* value);
  bool ReadFixed32(uint32_t* value);
  bool ReadFixed64(uint64_t* value);
  // A length-delimited value into *out (replacing it); `utf8` checks it is valid UTF-8.
  bool ReadString(std::string* out, bool utf8);
  // The bytes of a packed repeated field, as a Reader of their own.
  bool ReadPacked(Reader* out);
  // A length-delimited sub-message, merged into `message` (protobuf merges a repeated one).
  template <typename Message>
  bool ReadMessage(Message& message) {
    Reader sub;
    return ReadNested(&sub) && message.MergeFrom(sub);
  }
  // Skips the value of a field that is not read (unknown, or a known one with another wire
  // type), a whole group included.
  bool Skip(uint32_t field, uint32_t wire_type);

 private:
  bool ReadLength(std::string_view* out);
  bool ReadNested(Reader* sub);

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int depth_left_ = kMaxDepth;
};

bool IsValidUtf8(std::string_view s);

void PutVarint(std::string& out, uint64_t value);
void PutTag(std::string& out, uint32_t field, uint32_t wire_type);
void PutFixed32(std::string& out, uint32_t value);
void PutFixed64(std::string& out, uint64_t value);
// A length-delimited field (string, bytes).
void PutBytes(std::string& out, uint32_t field, std::string_view value);
// A sub-message: BeginMessage writes the tag and returns where the body starts; the caller
// appends the body; EndMessage inserts the body's length in front of it.
size_t BeginMessage(std::string& out, uint32_t field);
void EndMessage(std::string& out, size_t body_start);

// map<string, string> entries: {1: key, 2: value}, both always written, as protobuf does.
void PutStringPair(std::string& out, uint32_t field, std::string_view key, std::string_view value);
bool ReadStringPair(Reader& in, std::map<std::string, std::string>& map);

inline uint32_t FloatBits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline uint64_t DoubleBits(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline float FloatFromBits(uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
inline double DoubleFromBits(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

}  // namespace vitrine::wire_structs

#endif  // VITRINE_PROTO_STRUCTS_RUNTIME_H_
