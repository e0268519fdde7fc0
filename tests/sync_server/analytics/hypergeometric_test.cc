// The fast 2F1(a, b; a+1; z) series against Boost's general pFq over the range the Pareto/NBD
// likelihood uses.
#include "sync_server/analytics/hypergeometric.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vitrine::server::analytics::internal {
namespace {

TEST(HypergeometricTest, SeriesMatchesBoost) {
  int checked = 0;
  for (double a : {0.05, 0.6, 1.2, 3.5, 12.0, 80.0}) {
    for (double b : {0.01, 0.6, 1.6, 3.0, 11.0, 60.0}) {
      for (double z : {0.0, 1e-6, 0.01, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99}) {
        const double fast = LogHyp2F1NextToA(a, b, z);
        const double reference = LogHyp2F1Boost(a, b, a + 1, z);
        if (!std::isfinite(reference)) continue;  // Boost gave up; nothing to compare
        ASSERT_TRUE(std::isfinite(fast)) << a << " " << b << " " << z;
        EXPECT_NEAR(fast, reference, 1e-12 * std::max(1.0, std::abs(reference)))
            << "a=" << a << " b=" << b << " z=" << z;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 250);
}

TEST(HypergeometricTest, KnownValuesAndDomain) {
  // 2F1(1, 1; 2; z) = -log(1 - z) / z.
  for (double z : {0.1, 0.5, 0.85}) {
    EXPECT_NEAR(std::exp(LogHyp2F1NextToA(1, 1, z)), -std::log1p(-z) / z, 1e-14);
  }
  EXPECT_EQ(LogHyp2F1NextToA(2, 3, 0), 0.0);
  EXPECT_TRUE(std::isnan(LogHyp2F1NextToA(2, 3, 1.0)));
  EXPECT_TRUE(std::isnan(LogHyp2F1NextToA(2, 3, -0.1)));
  EXPECT_TRUE(std::isnan(LogHyp2F1NextToA(-1, 3, 0.5)));
}

}  // namespace
}  // namespace vitrine::server::analytics::internal
