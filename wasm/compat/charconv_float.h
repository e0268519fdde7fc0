// std::from_chars for double, which libc++ before 20 lacks (Emscripten 3.1.6 ships libc++ 14).
// Force-included (-include) into the core's sources in the wasm build only, so the core keeps
// its standard call. Backed by vitrine::wasm::ParseDecimal (wasm/src/decimal.h) rather than
// strtod, whose long double arithmetic costs ~14 KB of wasm. Contract of the standard overload
// with chars_format::general, except that "inf" and "nan" are refused (the core's only caller,
// message_engine.cc ParseDouble, refuses non-finite values anyway): no leading whitespace or
// '+', no hex, errc::result_out_of_range on overflow.
#ifndef VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_
#define VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_

#include <charconv>
#include <system_error>

#include "wasm/src/decimal.h"

#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 200000
namespace std {  // NOLINT: supplies a standard overload this library version lacks

inline from_chars_result from_chars(const char* first, const char* last, double& value) {
  double parsed = 0;
  bool out_of_range = false;
  const size_t used = vitrine::wasm::ParseDecimal(first, last, &parsed, &out_of_range);
  if (used == 0) return {first, errc::invalid_argument};
  if (out_of_range) return {first + used, errc::result_out_of_range};
  value = parsed;
  return {first + used, errc()};
}

}  // namespace std
#endif

#endif  // VITRINE_WASM_COMPAT_CHARCONV_FLOAT_H_
