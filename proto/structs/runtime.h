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
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

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
  // The bytes of a length-delimited sub-message, as a Reader one level deeper. False past the
  // recursion limit.
  bool ReadNested(Reader* sub);
  // Skips the value of a field that is not read (unknown, or a known one with another wire
  // type), a whole group included.
  bool Skip(uint32_t field, uint32_t wire_type);

 private:
  bool ReadLength(std::string_view* out);

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

// The table-driven codec. Every generated message derives from MessageBase and describes its
// fields with a static array of FieldInfo (kWireInfo); one encoder and one decoder walk those
// tables, so the codec's code does not grow with the number of messages and fields (the browser
// build pays for every byte of code; the tables are smaller and compress better).
//
// Where a member is: a pointer to member of the empty base, converted from the generated class's
// own pointer to member (&Event::type_). Unlike offsetof, which is only conditionally supported
// on classes that are not standard-layout (std::map is not), the derived-to-base conversion is a
// constant expression and applying it to an object whose dynamic type has the member is defined.
// Members whose type the runtime cannot name (enums, sub-messages, and repeated numbers, whose
// element type varies) are reached through a small function instantiated per field instead.
class MessageBase {};

enum class Kind : uint8_t {
  kInt32,
  kInt64,
  kUint32,
  kUint64,
  kBool,
  kFloat,
  kDouble,
  kEnum,
  kString,  // checked for UTF-8
  kBytes,
  kMessage,
  kMap,  // map<string, string>
};

struct MessageInfo;

// The index that asks an accessor function to append (or, for a singular field, to make present)
// rather than to read, and the one that asks it to clear the field.
inline constexpr size_t kAppend = ~size_t{0};
inline constexpr size_t kClear = ~size_t{1};

// Numbers through a function: with `index` kAppend, appends (or sets) the value `*bits`; with
// kClear, clears the field; otherwise reads element `index` into *bits, false past the end (a
// singular field has one).
using NumberAccess = bool (*)(MessageBase& message, size_t index, uint64_t* bits);
// Sub-messages: with `index` kAppend, a new element (or the present value, made present); with
// kClear, clears the field (nullptr); otherwise element `index`, nullptr past the end or when an
// optional one is absent. The encoder calls it on a const message with an index only: it reads.
using MessageAccess = MessageBase* (*)(MessageBase& message, size_t index);
struct SubMessage {
  MessageAccess access;
  const MessageInfo* info;  // the sub-message's table
};

struct FieldInfo {
  uint32_t number;
  Kind kind;
  bool repeated;
  union Member {
    int32_t MessageBase::*int32;
    int64_t MessageBase::*int64;
    uint32_t MessageBase::*uint32;
    uint64_t MessageBase::*uint64;
    bool MessageBase::*boolean;
    float MessageBase::*float32;
    double MessageBase::*float64;
    std::string MessageBase::*string;
    std::vector<std::string> MessageBase::*strings;
    std::map<std::string, std::string> MessageBase::*map;
    NumberAccess numbers;        // kEnum, and every repeated number
    const SubMessage* messages;  // kMessage (kept apart: most fields need no table pointer)
  } member;
};

struct MessageInfo {
  const FieldInfo* fields;  // by field number
  size_t size;
};

// The codec proper: appends `message`'s encoding to `out`; merges the fields read from `in`.
void Encode(const MessageInfo& info, const MessageBase& message, std::string& out);
bool Decode(const MessageInfo& info, MessageBase& message, Reader& in);
// Every field back to its default: what `*this = Message()` does, without a temporary per class.
void Clear(const MessageInfo& info, MessageBase& message);
// ParseFromString: Clear, then Decode all of `data` at the top level.
bool Parse(const MessageInfo& info, MessageBase& message, std::string_view data);

// A number as the 64 bits the wire carries (varints sign-extended from 32 bits, as protobuf
// does; floats as their bit pattern), and back.
template <typename T>
uint64_t ToBits(T value) {
  if constexpr (std::is_same_v<T, float>) {
    return FloatBits(value);
  } else if constexpr (std::is_same_v<T, double>) {
    return DoubleBits(value);
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? 1 : 0;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<uint64_t>(static_cast<int64_t>(value));
  } else {
    return static_cast<uint64_t>(value);  // int32_t sign-extends
  }
}
template <typename T>
T FromBits(uint64_t bits) {
  if constexpr (std::is_same_v<T, float>) {
    return FloatFromBits(static_cast<uint32_t>(bits));
  } else if constexpr (std::is_same_v<T, double>) {
    return DoubleFromBits(bits);
  } else if constexpr (std::is_same_v<T, bool>) {
    return bits != 0;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<T>(static_cast<int32_t>(bits));
  } else {
    return static_cast<T>(bits);
  }
}

namespace internal {

template <typename T>
struct MemberOf;
template <typename M, typename T>
struct MemberOf<T M::*> {
  using Owner = M;
  using Type = T;
};
template <typename T>
struct Repeated : std::false_type {
  using Element = T;
};
template <typename T>
struct Repeated<std::vector<T>> : std::true_type {
  using Element = T;
};
template <typename T>
struct Repeated<std::optional<T>> : std::false_type {
  using Element = T;
};

template <typename T>
constexpr Kind NumberKind() {
  if constexpr (std::is_enum_v<T>) return Kind::kEnum;
  if constexpr (std::is_same_v<T, int32_t>) return Kind::kInt32;
  if constexpr (std::is_same_v<T, int64_t>) return Kind::kInt64;
  if constexpr (std::is_same_v<T, uint32_t>) return Kind::kUint32;
  if constexpr (std::is_same_v<T, uint64_t>) return Kind::kUint64;
  if constexpr (std::is_same_v<T, bool>) return Kind::kBool;
  if constexpr (std::is_same_v<T, float>) return Kind::kFloat;
  return Kind::kDouble;
}

template <auto kMember>
bool AccessNumbers(MessageBase& message, size_t index, uint64_t* bits) {
  using Traits = MemberOf<decltype(kMember)>;
  auto& member = static_cast<typename Traits::Owner&>(message).*kMember;
  if constexpr (Repeated<typename Traits::Type>::value) {
    using T = typename Repeated<typename Traits::Type>::Element;
    if (index == kClear) {
      member.clear();
      return true;
    }
    if (index == kAppend) {
      member.push_back(FromBits<T>(*bits));
      return true;
    }
    if (index >= member.size()) return false;
    *bits = ToBits<T>(member[index]);
  } else {
    using T = typename Traits::Type;
    if (index == kClear) {
      member = T{};
      return true;
    }
    if (index == kAppend) {
      member = FromBits<T>(*bits);
      return true;
    }
    if (index != 0) return false;
    *bits = ToBits<T>(member);
  }
  return true;
}

template <auto kMember>
MessageBase* AccessMessages(MessageBase& message, size_t index) {
  using Traits = MemberOf<decltype(kMember)>;
  auto& member = static_cast<typename Traits::Owner&>(message).*kMember;
  if (index == kClear) {
    if constexpr (Repeated<typename Traits::Type>::value) {
      member.clear();
    } else {
      member.reset();
    }
    return nullptr;
  }
  if constexpr (Repeated<typename Traits::Type>::value) {
    if (index == kAppend) return &member.emplace_back();
    return index < member.size() ? &member[index] : nullptr;
  } else {
    if (index == kAppend) return member ? &*member : &member.emplace();
    return index == 0 && member ? &*member : nullptr;
  }
}

template <auto kMember>
inline constexpr SubMessage kSubMessage = {
    &AccessMessages<kMember>,
    &Repeated<typename MemberOf<decltype(kMember)>::Type>::Element::kWireInfo};

}  // namespace internal

// The FieldInfo of the member kMember (&Message::name_), field `number`; `utf8` for `string`
// fields (as opposed to `bytes`). Evaluated at compile time: the tables hold no code to run.
template <auto kMember>
constexpr FieldInfo Field(uint32_t number, bool utf8 = false) {
  using T = typename internal::MemberOf<decltype(kMember)>::Type;
  using B = MessageBase;
  FieldInfo f{number, Kind::kInt32, false, {}};
  if constexpr (std::is_same_v<T, std::string>) {
    f.kind = utf8 ? Kind::kString : Kind::kBytes;
    f.member.string = static_cast<std::string B::*>(kMember);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    f.kind = utf8 ? Kind::kString : Kind::kBytes;
    f.repeated = true;
    f.member.strings = static_cast<std::vector<std::string> B::*>(kMember);
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    f.kind = Kind::kMap;
    f.repeated = true;
    f.member.map = static_cast<std::map<std::string, std::string> B::*>(kMember);
  } else if constexpr (std::is_base_of_v<B, typename internal::Repeated<T>::Element>) {
    f.kind = Kind::kMessage;
    f.repeated = internal::Repeated<T>::value;
    f.member.messages = &internal::kSubMessage<kMember>;
  } else if constexpr (internal::Repeated<T>::value || std::is_enum_v<T>) {
    if constexpr (internal::Repeated<T>::value) {
      f.kind = internal::NumberKind<typename internal::Repeated<T>::Element>();
      f.repeated = true;
    } else {
      f.kind = Kind::kEnum;
    }
    f.member.numbers = &internal::AccessNumbers<kMember>;
  } else {
    f.kind = internal::NumberKind<T>();
    if constexpr (std::is_same_v<T, int32_t>) f.member.int32 = static_cast<int32_t B::*>(kMember);
    if constexpr (std::is_same_v<T, int64_t>) f.member.int64 = static_cast<int64_t B::*>(kMember);
    if constexpr (std::is_same_v<T, uint32_t>) {
      f.member.uint32 = static_cast<uint32_t B::*>(kMember);
    }
    if constexpr (std::is_same_v<T, uint64_t>) {
      f.member.uint64 = static_cast<uint64_t B::*>(kMember);
    }
    if constexpr (std::is_same_v<T, bool>) f.member.boolean = static_cast<bool B::*>(kMember);
    if constexpr (std::is_same_v<T, float>) f.member.float32 = static_cast<float B::*>(kMember);
    if constexpr (std::is_same_v<T, double>) f.member.float64 = static_cast<double B::*>(kMember);
  }
  return f;
}

}  // namespace vitrine::wire_structs

#endif  // VITRINE_PROTO_STRUCTS_RUNTIME_H_
