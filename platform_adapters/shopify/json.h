// A small JSON reader for Shopify payloads (internal to vitrine_shopify).
//
// Why not a general JSON library: Shopify ids exceed 2^53, so numbers must never pass through a
// double. This reader keeps every number as its exact source token and converts on request
// (AsUint64/AsInt64 refuse anything that is not an exact integer in range).
//
// Contract: Parse() never throws and never recurses deeper than JsonLimits::max_depth; malformed
// input returns an error with the byte offset. JsonValue is a plain value type (copyable, owns its
// data); it is not synchronized: share it read-only or guard it.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_JSON_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_JSON_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::shopify {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_object() const { return type_ == Type::kObject; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_number() const { return type_ == Type::kNumber; }

  // Member lookup; nullptr when this is not an object or the key is absent. First match wins.
  const JsonValue* Find(std::string_view key) const;
  // Elements of an array (empty for non-arrays).
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }

  // The decoded string (kString) or the exact number token (kNumber); nullopt otherwise.
  std::optional<std::string> AsString() const;
  // The exact number token of a kNumber, or the text of a kString (prices arrive as strings).
  std::optional<std::string> AsDecimalText() const;
  // Exact integers only: no fraction, no exponent, in range. Strings of digits are accepted too
  // (some APIs quote big ids).
  std::optional<uint64_t> AsUint64() const;
  std::optional<int64_t> AsInt64() const;
  std::optional<bool> AsBool() const;

 private:
  friend class JsonParser;
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;  // decoded string or number token
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

struct JsonLimits {
  size_t max_depth = 64;         // nesting of arrays/objects
  size_t max_bytes = 16u << 20;  // Shopify caps webhook bodies well below this
};

struct JsonParseResult {
  std::optional<JsonValue> value;  // set on success
  std::string error;               // "offset N: what" on failure
  bool ok() const { return value.has_value(); }
};

[[nodiscard]] JsonParseResult ParseJson(std::string_view text, const JsonLimits& limits = {});

// Parses a decimal integer token exactly ("-12", "820982911946154508"); nullopt otherwise.
std::optional<uint64_t> ParseUint64(std::string_view text);
std::optional<int64_t> ParseInt64(std::string_view text);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_JSON_H_
