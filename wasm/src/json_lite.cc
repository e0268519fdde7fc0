#include "wasm/src/json_lite.h"

#include <cmath>
#include <cstring>

#include "wasm/src/decimal.h"

namespace vitrine::wasm {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  bool Parse(Json* out, std::string* error) {
    SkipSpace();
    if (!Value(out, 0)) return Fail(error);
    SkipSpace();
    if (pos_ != text_.size()) return Fail(error);
    return true;
  }

 private:
  bool Fail(std::string* error) const {
    if (error) *error = "not JSON: unexpected input at " + std::to_string(pos_);
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool Value(Json* out, int depth) {
    SkipSpace();
    if (pos_ >= text_.size() || depth > kMaxDepth) return false;
    const char c = text_[pos_];
    if (c == '{') return Object(out, depth);
    if (c == '[') return Array(out, depth);
    if (c == '"') {
      out->kind = Json::kString;
      return String(&out->string);
    }
    if (c == 't' || c == 'f') {
      out->kind = Json::kBool;
      out->boolean = c == 't';
      return Literal(c == 't' ? "true" : "false");
    }
    if (c == 'n') {
      out->kind = Json::kNull;
      return Literal("null");
    }
    return Number(out);
  }

  bool Object(Json* out, int depth) {
    out->kind = Json::kObject;
    ++pos_;  // '{'
    if (Consume('}')) return true;
    do {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return false;
      out->keys.emplace_back();
      if (!String(&out->keys.back()) || !Consume(':')) return false;
      out->items.emplace_back();
      if (!Value(&out->items.back(), depth + 1)) return false;
    } while (Consume(','));
    return Consume('}');
  }

  bool Array(Json* out, int depth) {
    out->kind = Json::kArray;
    ++pos_;  // '['
    if (Consume(']')) return true;
    do {
      out->items.emplace_back();
      if (!Value(&out->items.back(), depth + 1)) return false;
    } while (Consume(','));
    return Consume(']');
  }

  static void AppendUtf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Four hex digits after "\u" at pos_.
  bool Hex4(uint32_t* out) {
    if (pos_ + 4 > text_.size()) return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<uint32_t>(h - '0');
      } else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
        v |= static_cast<uint32_t>((h | 0x20) - 'a' + 10);
      } else {
        return false;
      }
    }
    *out = v;
    return true;
  }

  bool String(std::string* out) {
    ++pos_;  // '"'
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        *out += c;
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
            const size_t back = pos_;
            pos_ += 2;
            uint32_t low = 0;
            if (!Hex4(&low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = back;  // not a pair: the high half alone, the next escape on its own
            }
          }
          AppendUtf8(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  bool Digits() {
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  // The JSON number grammar exactly (ParseDecimal alone would also take ".5" and "5.").
  bool Number(Json* out) {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
      ++pos_;
    } else if (!Digits()) {
      return false;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!Digits()) return false;
    }
    out->kind = Json::kNumber;
    bool out_of_range = false;
    (void)ParseDecimal(text_.data() + start, text_.data() + pos_, &out->number, &out_of_range);
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

using Uint128 = unsigned __int128;

void AppendDigits(Uint128 v, std::string* out) {
  char buf[40];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  while (n > 0) *out += buf[--n];
}

// v > 0, finite, not an integer below 2^53: m * 2^exp exactly, written as decimal digits of
// that exact value, truncated after 20 significant digits (well under the 2^-53 relative
// spacing of doubles, so the text parses back to v). False when v is outside what 128-bit
// integers cover here (below ~1e-21 or above ~1e37).
bool AppendExact(double v, std::string* out) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof bits);
  const int biased = static_cast<int>((bits >> 52) & 0x7FF);
  uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
  if (biased != 0) mantissa |= uint64_t{1} << 52;
  const int exp = (biased == 0 ? 1 : biased) - 1075;  // v = mantissa * 2^exp
  if (exp >= 0) {
    if (exp > 74) return false;
    AppendDigits(Uint128{mantissa} << exp, out);
    return true;
  }
  const int k = -exp;
  if (k > 123) return false;
  const Uint128 whole = Uint128{mantissa} >> k;
  const Uint128 mask = (Uint128{1} << k) - 1;
  Uint128 frac = Uint128{mantissa} & mask;
  AppendDigits(whole, out);
  int significant = 0;
  for (Uint128 w = whole; w != 0; w /= 10) ++significant;
  if (frac == 0) return true;
  *out += '.';
  while (frac != 0 && significant < 20) {
    frac *= 10;
    const int digit = static_cast<int>(frac >> k);
    frac &= mask;
    *out += static_cast<char>('0' + digit);
    if (significant > 0 || digit != 0) ++significant;
  }
  return true;
}

}  // namespace

const Json* Json::Find(std::string_view key) const {
  if (kind != kObject) return nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &items[i];
  }
  return nullptr;
}

bool ParseJson(std::string_view text, Json* out, std::string* error) {
  *out = Json();
  return Parser(text).Parse(out, error);
}

void JsonOut::Separate() {
  if (need_comma_) text_ += ',';
  need_comma_ = true;
}

JsonOut& JsonOut::Open(char c) {
  Separate();
  text_ += c;
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::Close(char c) {
  text_ += c;
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::Key(std::string_view key) {
  String(key);
  text_ += ':';
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::String(std::string_view value) {
  Separate();
  text_ += '"';
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      text_ += '\\';
      text_ += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      text_ += "\\u00";
      text_ += kHex[u >> 4];
      text_ += kHex[u & 15];
    } else {
      text_ += c;
    }
  }
  text_ += '"';
  return *this;
}

JsonOut& JsonOut::Number(double value) {
  Separate();
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  if (value < 0) {
    text_ += '-';
    value = -value;
  }
  if (value == std::trunc(value) && value < 9007199254740992.0) {
    AppendDigits(static_cast<uint64_t>(value), &text_);
    return *this;
  }
  // Far outside the range prices and scores live in: scaled by powers of 1e30 into range (may
  // be off by an ulp, which is fine for such values).
  int scale = 0;
  while (value > 1e36) {
    value /= 1e30;
    scale += 30;
  }
  while (value < 1e-20) {
    value *= 1e30;
    scale -= 30;
  }
  (void)AppendExact(value, &text_);
  if (scale != 0) {
    text_ += 'e';
    if (scale < 0) text_ += '-';
    AppendDigits(static_cast<uint64_t>(scale < 0 ? -scale : scale), &text_);
  }
  return *this;
}

JsonOut& JsonOut::Bool(bool value) {
  Separate();
  text_ += value ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::Null() {
  Separate();
  text_ += "null";
  return *this;
}

}  // namespace vitrine::wasm
