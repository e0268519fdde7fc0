#include "wasm/src/decimal.h"

#include <cmath>
#include <cstdint>

namespace vitrine::wasm {
namespace {

using Uint128 = unsigned __int128;

// 10^0 .. 10^22 are exact doubles.
constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                  1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

Uint128 Pow5(int n) {
  Uint128 p = 1;
  while (n-- > 0) p *= 5;
  return p;
}

int BitLength(Uint128 v) {
  int n = 0;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

double Compose(uint64_t w, int e10, bool sticky) {
  if (w == 0) return 0;
  // Clinger's fast path: both operands exact, so one IEEE operation rounds correctly.
  if (!sticky && w <= (uint64_t{1} << 53) && e10 >= -22 && e10 <= 22) {
    return e10 >= 0 ? static_cast<double>(w) * kExactPow10[e10]
                    : static_cast<double>(w) / kExactPow10[-e10];
  }
  // 10^e = 5^e * 2^e: the power of five is exact in 64 bits up to 5^27, the power of two is a
  // final exact ldexp (no subnormals this close to 1).
  if (e10 >= 0 && e10 <= 27) {
    // w * 5^e10 < 2^64 * 2^63: exact in 128 bits; with >= 55 significant bits, the lowest bit
    // can record "a digit was dropped" without touching the rounding decision.
    Uint128 v = Uint128{w} * Pow5(e10);
    if (sticky && BitLength(v) >= 55) v |= 1;
    return std::ldexp(static_cast<double>(v), e10);  // the conversion rounds to nearest even
  }
  if (e10 < 0 && e10 >= -31) {
    // (w << s) / 5^k with w's top bit at bit 127: 5^31 < 2^72 leaves a quotient of >= 56 bits,
    // whose lowest bit records a nonzero remainder (round to nearest stays exact).
    const int s = 128 - BitLength(w);
    const Uint128 n = Uint128{w} << s;
    const Uint128 d = Pow5(-e10);
    Uint128 q = n / d;
    if (n % d != 0 || sticky) q |= 1;
    return std::ldexp(static_cast<double>(q), e10 - s);
  }
  // Far outside: scaled in steps of exact powers of ten (an ulp or two of error).
  double v = static_cast<double>(w);
  while (e10 > 22 && std::isfinite(v)) {
    v *= 1e22;
    e10 -= 22;
  }
  while (e10 < -22 && v != 0) {
    v /= 1e22;
    e10 += 22;
  }
  if (e10 > 22 || e10 < -22) return v;  // already infinite or zero
  return e10 >= 0 ? v * kExactPow10[e10] : v / kExactPow10[-e10];
}

}  // namespace

size_t ParseDecimal(const char* first, const char* last, double* out, bool* out_of_range) {
  const char* p = first;
  const bool negative = p != last && *p == '-';
  if (negative) ++p;
  uint64_t w = 0;
  int digits = 0;  // significant digits kept in w (at most 19: w < 10^19 < 2^64)
  int e10 = 0;
  bool sticky = false;  // a nonzero digit did not fit in w
  bool any = false;
  auto digit = [&](int d, bool fraction) {
    any = true;
    if (w == 0 && d == 0) {
      if (fraction) --e10;  // a leading zero after the point
      return;
    }
    if (digits < 19) {
      w = w * 10 + static_cast<uint64_t>(d);
      ++digits;
      if (fraction) --e10;
    } else {
      if (!fraction) ++e10;
      if (d != 0) sticky = true;
    }
  };
  while (p != last && *p >= '0' && *p <= '9') digit(*p++ - '0', false);
  if (p != last && *p == '.') {
    ++p;
    while (p != last && *p >= '0' && *p <= '9') digit(*p++ - '0', true);
  }
  if (!any) return 0;
  if (p != last && (*p == 'e' || *p == 'E')) {
    const char* q = p + 1;
    const bool exp_negative = q != last && *q == '-';
    if (q != last && (*q == '-' || *q == '+')) ++q;
    if (q != last && *q >= '0' && *q <= '9') {
      int exp = 0;
      while (q != last && *q >= '0' && *q <= '9') {
        if (exp < 100000) exp = exp * 10 + (*q - '0');
        ++q;
      }
      e10 += exp_negative ? -exp : exp;
      p = q;
    }
  }
  double v = Compose(w, e10, sticky);
  *out_of_range = std::isinf(v);
  *out = negative ? -v : v;
  return static_cast<size_t>(p - first);
}

}  // namespace vitrine::wasm
