// ParseDecimal (wasm/src/decimal.h) against strtod, which the tests may still use.
#include "wasm/src/decimal.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

namespace vitrine::wasm {
namespace {

double Parse(const std::string& text, size_t* used = nullptr) {
  double v = -12345;
  bool out_of_range = false;
  const size_t n = ParseDecimal(text.data(), text.data() + text.size(), &v, &out_of_range);
  if (used) *used = n;
  return v;
}

TEST(DecimalTest, ExactWhereJsonNumbersLive) {
  for (const char* text : {"0",
                           "-0",
                           "1",
                           "9.99",
                           "12.5",
                           "0.1",
                           "0.30000000000000004",
                           "123456789.125",
                           "9007199254740993",
                           "18446744073709551615",
                           "1e21",
                           "1.7e19",
                           "2.5e-7",
                           "0.000123456789012345678",
                           "3.141592653589793",
                           "1700000000000",
                           "99999999999999999",
                           "4.9406564584124654e-3",
                           "5.",
                           ".5",
                           "1E5",
                           "1e+2",
                           "00012.50"}) {
    EXPECT_EQ(Parse(text), std::strtod(text, nullptr)) << text;
  }
  EXPECT_TRUE(std::signbit(Parse("-0")));
}

TEST(DecimalTest, ShortestAndLongFormsOfRandomDoublesRoundTrip) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  std::uniform_int_distribution<int> exponent(-14, 28);
  char buf[64];
  for (int i = 0; i < 20000; ++i) {
    const double d = mantissa(rng) * std::pow(10.0, exponent(rng)) * (i % 2 ? 1 : -1);
    for (const char* format : {"%.17g", "%.15g", "%.6f", "%.3f"}) {
      std::snprintf(buf, sizeof buf, format, d);
      ASSERT_EQ(Parse(buf), std::strtod(buf, nullptr)) << buf;
    }
  }
}

TEST(DecimalTest, FarOutsideWithinAnUlpOrTwo) {
  for (const char* text : {"1e-300", "1.7976931348623157e308", "2.2250738585072014e-308", "1e-25",
                           "123456789012345678901234567890"}) {
    const double want = std::strtod(text, nullptr);
    EXPECT_NEAR(Parse(text) / want, 1.0, 5e-16) << text;
  }
  double v = 0;
  bool out_of_range = false;
  const std::string huge = "1e400";
  EXPECT_EQ(ParseDecimal(huge.data(), huge.data() + huge.size(), &v, &out_of_range), 5u);
  EXPECT_TRUE(out_of_range);
  EXPECT_EQ(Parse("1e-400"), 0.0);
}

TEST(DecimalTest, StopsWhereTheNumberEndsAndRefusesNonNumbers) {
  size_t used = 0;
  EXPECT_EQ(Parse("12.5abc", &used), 12.5);
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(Parse("7e", &used), 7.0);
  EXPECT_EQ(used, 1u) << "an exponent needs digits";
  EXPECT_EQ(Parse("7e+x", &used), 7.0);
  EXPECT_EQ(used, 1u);
  for (const char* text : {"", "-", ".", "-.", "+1", " 1", "inf", "nan", "x1", "e5"}) {
    Parse(text, &used);
    EXPECT_EQ(used, 0u) << text;
  }
}

}  // namespace
}  // namespace vitrine::wasm
