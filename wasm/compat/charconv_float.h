// std::from_chars for double, which libc++ before 20 lacks (Emscripten 3.1.6 ships libc++ 14).
// Force-included (-include) into the core's sources in the wasm build only, so the core keeps
// its standard call. Same contract as the standard overload with chars_format::general: no
// leading whitespace or '+', no hex, "inf"/"nan" accepted, errc::result_out_of_range on overflow.
// Locale: strtod in Emscripten's libc always uses the "C" locale.
#ifndef VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_
#define VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <string>
#include <system_error>

#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 200000
namespace std {  // NOLINT: supplies a standard overload this library version lacks

inline from_chars_result from_chars(const char* first, const char* last, double& value) {
  from_chars_result fail{first, errc::invalid_argument};
  if (first == last) return fail;
  const char c = *first;
  const bool digit_or_sign = (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'i' ||
                             c == 'I' || c == 'n' || c == 'N';
  if (!digit_or_sign) return fail;  // strtod would skip whitespace and accept '+'
  const string text(first, last);   // strtod needs a terminator
  for (char ch : text) {
    if (ch == 'x' || ch == 'X') return fail;  // strtod would parse hex floats
  }
  errno = 0;
  char* end = nullptr;
  const double parsed = strtod(text.c_str(), &end);
  if (end == text.c_str()) return fail;
  const char* ptr = first + (end - text.c_str());
  if (errno == ERANGE) return {ptr, errc::result_out_of_range};
  value = parsed;
  return {ptr, errc()};
}

}  // namespace std
#endif

#endif  // VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_
