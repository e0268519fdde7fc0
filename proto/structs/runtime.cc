#include "proto/structs/runtime.h"

namespace vitrine::wire_structs {
namespace {

constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kStartGroup = 3;
constexpr uint32_t kEndGroup = 4;
constexpr uint32_t kFixed32 = 5;

// At most `max_bytes` bytes; bits past 64 are dropped, as protobuf's parser drops them.
bool ReadRawVarint(const uint8_t*& p, const uint8_t* end, int max_bytes, uint64_t* value) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (p == end) return false;
    const uint8_t byte = *p++;
    if (i < 10) result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *value = result;
      return true;
    }
  }
  return false;
}

}  // namespace

bool Reader::ReadTag(uint32_t* field, uint32_t* wire_type) {
  uint64_t tag = 0;
  if (!ReadRawVarint(p_, end_, 5, &tag)) return false;
  const auto tag32 = static_cast<uint32_t>(tag);  // protobuf keeps the low 32 bits
  *field = tag32 >> 3;
  *wire_type = tag32 & 7;
  return *field != 0 && *wire_type != kEndGroup && *wire_type < 6;
}

bool Reader::ReadVarint(uint64_t* value) { return ReadRawVarint(p_, end_, 10, value); }

bool Reader::ReadFixed32(uint32_t* value) {
  if (end_ - p_ < 4) return false;
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p_[i];
  p_ += 4;
  *value = v;
  return true;
}

bool Reader::ReadFixed64(uint64_t* value) {
  if (end_ - p_ < 8) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p_[i];
  p_ += 8;
  *value = v;
  return true;
}

bool Reader::ReadLength(std::string_view* out) {
  uint64_t size = 0;
  // protobuf reads a size as at most 5 bytes below 2 GiB.
  if (!ReadRawVarint(p_, end_, 5, &size) || size > 0x7fffffef) return false;
  if (size > static_cast<uint64_t>(end_ - p_)) return false;
  *out = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(size));
  p_ += size;
  return true;
}

bool Reader::ReadString(std::string* out, bool utf8) {
  std::string_view bytes;
  if (!ReadLength(&bytes)) return false;
  if (utf8 && !IsValidUtf8(bytes)) return false;
  out->assign(bytes.data(), bytes.size());
  return true;
}

bool Reader::ReadPacked(Reader* out) {
  std::string_view bytes;
  if (!ReadLength(&bytes)) return false;
  *out = Reader(bytes, depth_left_);
  return true;
}

bool Reader::ReadNested(Reader* sub) {
  std::string_view bytes;
  if (!ReadLength(&bytes) || depth_left_ <= 0) return false;
  *sub = Reader(bytes, depth_left_ - 1);
  return true;
}

bool Reader::Skip(uint32_t field, uint32_t wire_type) {
  uint64_t ignored = 0;
  std::string_view bytes;
  switch (wire_type) {
    case kVarint:
      return ReadVarint(&ignored);
    case kFixed64:
      return ReadFixed64(&ignored);
    case kLengthDelimited:
      return ReadLength(&bytes);
    case kFixed32: {
      uint32_t ignored32 = 0;
      return ReadFixed32(&ignored32);
    }
    case kStartGroup: {
      if (depth_left_ <= 0) return false;
      --depth_left_;
      // Fields until the end-group tag of the same field number.
      while (true) {
        uint64_t tag = 0;
        if (!ReadRawVarint(p_, end_, 5, &tag)) return false;
        const auto tag32 = static_cast<uint32_t>(tag);
        const uint32_t inner_field = tag32 >> 3;
        const uint32_t inner_type = tag32 & 7;
        if (inner_type == kEndGroup) {
          ++depth_left_;
          return inner_field == field;
        }
        if (inner_field == 0 || inner_type > kFixed32) return false;
        if (!Skip(inner_field, inner_type)) return false;
      }
    }
    default:
      return false;
  }
}

bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* end = p + s.size();
  while (p < end) {
    const uint8_t c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (size_t i = 2; i <= n; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

void PutVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void PutTag(std::string& out, uint32_t field, uint32_t wire_type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}

void PutFixed32(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void PutFixed64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void PutBytes(std::string& out, uint32_t field, std::string_view value) {
  PutTag(out, field, kLengthDelimited);
  PutVarint(out, value.size());
  out.append(value.data(), value.size());
}

size_t BeginMessage(std::string& out, uint32_t field) {
  PutTag(out, field, kLengthDelimited);
  return out.size();
}

void EndMessage(std::string& out, size_t body_start) {
  std::string length;
  PutVarint(length, out.size() - body_start);
  out.insert(body_start, length);
}

void PutStringPair(std::string& out, uint32_t field, std::string_view key, std::string_view value) {
  const size_t start = BeginMessage(out, field);
  PutBytes(out, 1, key);
  PutBytes(out, 2, value);
  EndMessage(out, start);
}

namespace {

struct StringPair {
  std::string key;
  std::string value;

  bool MergeFrom(Reader& in) {
    while (!in.done()) {
      uint32_t field = 0;
      uint32_t wire_type = 0;
      if (!in.ReadTag(&field, &wire_type)) return false;
      if (wire_type == kLengthDelimited && (field == 1 || field == 2)) {
        if (!in.ReadString(field == 1 ? &key : &value, /*utf8=*/true)) return false;
        continue;
      }
      if (!in.Skip(field, wire_type)) return false;
    }
    return true;
  }
};

}  // namespace

bool ReadStringPair(Reader& in, std::map<std::string, std::string>& map) {
  StringPair entry;
  if (!in.ReadMessage(entry)) return false;
  map.insert_or_assign(std::move(entry.key), std::move(entry.value));
  return true;
}

namespace {

uint32_t WireType(Kind kind) {
  switch (kind) {
    case Kind::kFloat:
      return kFixed32;
    case Kind::kDouble:
      return kFixed64;
    case Kind::kString:
    case Kind::kBytes:
    case Kind::kMessage:
    case Kind::kMap:
      return kLengthDelimited;
    default:
      return kVarint;
  }
}

// Numbers reached through a function (see NumberAccess) or through a pointer to member.
bool NumberThroughFunction(const FieldInfo& field) {
  return field.repeated || field.kind == Kind::kEnum;
}

uint64_t LoadNumber(const MessageBase& message, const FieldInfo& field) {
  const FieldInfo::Member& m = field.member;
  switch (field.kind) {
    case Kind::kInt32:
      return ToBits(message.*m.int32);
    case Kind::kInt64:
      return ToBits(message.*m.int64);
    case Kind::kUint32:
      return ToBits(message.*m.uint32);
    case Kind::kUint64:
      return ToBits(message.*m.uint64);
    case Kind::kBool:
      return ToBits(message.*m.boolean);
    case Kind::kFloat:
      return ToBits(message.*m.float32);
    default:
      return ToBits(message.*m.float64);
  }
}

void StoreNumber(MessageBase& message, const FieldInfo& field, uint64_t bits) {
  const FieldInfo::Member& m = field.member;
  switch (field.kind) {
    case Kind::kInt32:
      message.*m.int32 = FromBits<int32_t>(bits);
      break;
    case Kind::kInt64:
      message.*m.int64 = FromBits<int64_t>(bits);
      break;
    case Kind::kUint32:
      message.*m.uint32 = FromBits<uint32_t>(bits);
      break;
    case Kind::kUint64:
      message.*m.uint64 = FromBits<uint64_t>(bits);
      break;
    case Kind::kBool:
      message.*m.boolean = FromBits<bool>(bits);
      break;
    case Kind::kFloat:
      message.*m.float32 = FromBits<float>(bits);
      break;
    default:
      message.*m.float64 = FromBits<double>(bits);
      break;
  }
}

void PutNumber(std::string& out, uint32_t wire_type, uint64_t bits) {
  if (wire_type == kFixed32) {
    PutFixed32(out, static_cast<uint32_t>(bits));
  } else if (wire_type == kFixed64) {
    PutFixed64(out, bits);
  } else {
    PutVarint(out, bits);
  }
}

bool ReadNumber(Reader& in, uint32_t wire_type, uint64_t* bits) {
  if (wire_type == kFixed32) {
    uint32_t value = 0;
    if (!in.ReadFixed32(&value)) return false;
    *bits = value;
    return true;
  }
  return wire_type == kFixed64 ? in.ReadFixed64(bits) : in.ReadVarint(bits);
}

// One value of a number field read from `in` with the field's own wire type, stored.
bool ReadNumberInto(Reader& in, MessageBase& message, const FieldInfo& field, uint32_t wire_type) {
  uint64_t bits = 0;
  if (!ReadNumber(in, wire_type, &bits)) return false;
  if (NumberThroughFunction(field)) return field.member.numbers(message, kAppend, &bits);
  StoreNumber(message, field, bits);
  return true;
}

}  // namespace

// Fields in the table's order, which is field-number order, as protobuf writes them; proto3
// defaults (zero numbers, empty strings, absent messages) omitted, repeated numbers packed.
void Encode(const MessageInfo& info, const MessageBase& message, std::string& out) {
  for (size_t i = 0; i < info.size; ++i) {
    const FieldInfo& field = info.fields[i];
    const FieldInfo::Member& m = field.member;
    const uint32_t wire_type = WireType(field.kind);
    switch (field.kind) {
      case Kind::kString:
      case Kind::kBytes:
        if (field.repeated) {
          for (const std::string& item : message.*m.strings) PutBytes(out, field.number, item);
        } else if (!(message.*m.string).empty()) {
          PutBytes(out, field.number, message.*m.string);
        }
        break;
      case Kind::kMap:
        for (const auto& [key, value] : message.*m.map) {
          PutStringPair(out, field.number, key, value);
        }
        break;
      case Kind::kMessage: {
        // The access functions only read when given an index (see MessageAccess).
        auto& owner = const_cast<MessageBase&>(message);
        for (size_t j = 0; const MessageBase* item = m.messages->access(owner, j); ++j) {
          const size_t start = BeginMessage(out, field.number);
          Encode(*m.messages->info, *item, out);
          EndMessage(out, start);
        }
        break;
      }
      default: {
        uint64_t bits = 0;
        if (field.repeated) {
          auto& owner = const_cast<MessageBase&>(message);
          if (!m.numbers(owner, 0, &bits)) break;
          const size_t start = BeginMessage(out, field.number);
          for (size_t j = 0; m.numbers(owner, j, &bits); ++j) PutNumber(out, wire_type, bits);
          EndMessage(out, start);
          break;
        }
        if (field.kind == Kind::kEnum) {
          m.numbers(const_cast<MessageBase&>(message), 0, &bits);
        } else {
          bits = LoadNumber(message, field);
        }
        if (bits == 0) break;
        PutTag(out, field.number, wire_type);
        PutNumber(out, wire_type, bits);
        break;
      }
    }
  }
}

void Clear(const MessageInfo& info, MessageBase& message) {
  for (size_t i = 0; i < info.size; ++i) {
    const FieldInfo& field = info.fields[i];
    const FieldInfo::Member& m = field.member;
    switch (field.kind) {
      case Kind::kString:
      case Kind::kBytes:
        if (field.repeated) {
          (message.*m.strings).clear();
        } else {
          (message.*m.string).clear();
        }
        break;
      case Kind::kMap:
        (message.*m.map).clear();
        break;
      case Kind::kMessage:
        m.messages->access(message, kClear);
        break;
      default:
        if (NumberThroughFunction(field)) {
          m.numbers(message, kClear, nullptr);
        } else {
          StoreNumber(message, field, 0);
        }
        break;
    }
  }
}

bool Parse(const MessageInfo& info, MessageBase& message, std::string_view data) {
  Clear(info, message);
  Reader in(data);
  return Decode(info, message, in);
}

bool Decode(const MessageInfo& info, MessageBase& message, Reader& in) {
  while (!in.done()) {
    uint32_t number = 0;
    uint32_t wire_type = 0;
    if (!in.ReadTag(&number, &wire_type)) return false;
    const FieldInfo* field = info.fields;
    const FieldInfo* const end = info.fields + info.size;
    while (field != end && field->number != number) ++field;
    if (field != end) {
      const FieldInfo::Member& m = field->member;
      const uint32_t field_wire_type = WireType(field->kind);
      if (field_wire_type != kLengthDelimited && field->repeated && wire_type == kLengthDelimited) {
        // Packed numbers (accepted unpacked too, below, as protobuf does).
        Reader packed;
        if (!in.ReadPacked(&packed)) return false;
        while (!packed.done()) {
          if (!ReadNumberInto(packed, message, *field, field_wire_type)) return false;
        }
        continue;
      }
      if (wire_type == field_wire_type) {
        switch (field->kind) {
          case Kind::kString:
          case Kind::kBytes: {
            std::string& target =
                field->repeated ? (message.*m.strings).emplace_back() : message.*m.string;
            if (!in.ReadString(&target, field->kind == Kind::kString)) return false;
            break;
          }
          case Kind::kMap:
            if (!ReadStringPair(in, message.*m.map)) return false;
            break;
          case Kind::kMessage: {
            Reader sub;
            if (!in.ReadNested(&sub) ||
                !Decode(*m.messages->info, *m.messages->access(message, kAppend), sub)) {
              return false;
            }
            break;
          }
          default:
            if (!ReadNumberInto(in, message, *field, wire_type)) return false;
            break;
        }
        continue;
      }
    }
    // Unknown field, or a known one with another wire type: skipped, as protobuf does.
    if (!in.Skip(number, wire_type)) return false;
  }
  return true;
}

}  // namespace vitrine::wire_structs
