// Decimal text to double without strtod, for the wasm build (internal). musl's strtod works in
// 128-bit long double, which wasm emulates in software: strtod plus that emulation is ~14 KB of
// code, for parsing a few prices and thresholds. This parser is exact (correctly rounded, as
// strtod) for up to 19 significant digits scaled by 10^-31 .. 10^27, which covers every number
// JSON.stringify writes for prices, quantities, scores and timestamps (17 digits down to about
// 1e-15); outside that it is within an ulp or two.
// Grammar: [-]digits[.digits][(e|E)[+|-]digits], also "5." and ".5"; no whitespace, '+', hex,
// "inf" or "nan". Thread safety: pure function.
#ifndef VITRINE_WASM_SRC_DECIMAL_H_
#define VITRINE_WASM_SRC_DECIMAL_H_

#include <cstddef>

namespace vitrine::wasm {

// Parses a number at the start of [first, last). Returns how many chars it used (0: no number
// there). *out_of_range is set when the value overflows to infinity (then *out is +-inf).
size_t ParseDecimal(const char* first, const char* last, double* out, bool* out_of_range);

}  // namespace vitrine::wasm

#endif  // VITRINE_WASM_SRC_DECIMAL_H_
