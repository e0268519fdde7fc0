// A small JSON reader and writer for the module's C ABI (wasm/bindings/vitrine_abi.cc): JS hands
// arguments in as JSON text and gets results back as JSON text, so the module needs no embind
// runtime and no `val` marshalling code. Internal to the wasm build.
//
// Reader: RFC 8259 text into a Json tree (objects keep their members in order; a repeated key's
// first occurrence wins on lookup). \u escapes become UTF-8, a lone surrogate becomes U+FFFD
// (JSON.stringify writes lone surrogates as escapes). Nesting is capped at 64 levels so hostile
// input cannot exhaust the stack. Numbers go through ParseDecimal (decimal.h), not strtod.
// Writer: JsonOut appends compact JSON; doubles are written without printf (see Number).
// Thread safety: none needed (values and writers are not shared).
#ifndef VITRINE_WASM_SRC_JSON_LITE_H_
#define VITRINE_WASM_SRC_JSON_LITE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::wasm {

struct Json {
  enum Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<std::string> keys;  // kObject: member names, parallel to items
  std::vector<Json> items;        // kArray: elements; kObject: member values

  // The member `key` of an object (nullptr when absent or not an object).
  const Json* Find(std::string_view key) const;
};

// Parses `text` (one value, whitespace around it allowed). False with a short reason in *error
// ("unexpected character at 12") when it is not JSON.
bool ParseJson(std::string_view text, Json* out, std::string* error);

// Appends compact JSON. Separators are inserted automatically: Key() or a value directly inside
// an open container gets a comma when it is not the first.
class JsonOut {
 public:
  JsonOut& BeginObject() { return Open('{'); }
  JsonOut& EndObject() { return Close('}'); }
  JsonOut& BeginArray() { return Open('['); }
  JsonOut& EndArray() { return Close(']'); }
  JsonOut& Key(std::string_view key);
  JsonOut& String(std::string_view value);
  // Integers up to 2^53 as digits; other finite values with up to 20 significant digits of their
  // exact binary value, truncated, which JSON.parse reads back as the same double; NaN and
  // infinities as null.
  JsonOut& Number(double value);
  JsonOut& Bool(bool value);
  JsonOut& Null();

  const std::string& text() const { return text_; }
  std::string& text() { return text_; }

 private:
  JsonOut& Open(char c);
  JsonOut& Close(char c);
  void Separate();

  std::string text_;
  bool need_comma_ = false;
};

}  // namespace vitrine::wasm

#endif  // VITRINE_WASM_SRC_JSON_LITE_H_
