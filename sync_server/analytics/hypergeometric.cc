#include "sync_server/analytics/hypergeometric.h"

#include <boost/math/policies/policy.hpp>
// Boost 1.74's pFq header uses lgamma without including its definition.
#include <boost/math/special_functions/gamma.hpp>
#include <boost/math/special_functions/hypergeometric_pFq.hpp>
#include <cmath>
#include <limits>

namespace vitrine::server::analytics::internal {
namespace {

using Policy = MathPolicy;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double Hyp2F1(double a, double b, double c, double z) {
  if (!(z >= 0) || !(z < 1)) return kNaN;
  if (z == 0) return 1.0;
  return boost::math::hypergeometric_pFq({a, b}, {c}, z, static_cast<double*>(nullptr), Policy());
}

double LogHyp2F1Boost(double a, double b, double c, double z) {
  return std::log(Hyp2F1(a, b, c, z));
}

double LogHyp2F1NextToA(double a, double b, double z) {
  if (!(a > 0) || !(b > 0) || !(z >= 0) || !(z < 1)) return kNaN;
  if (z == 0) return 0;
  const double lead = a + 1 - b;  // first Pochhammer argument after Euler's transformation
  if (z > 0.9 || !(lead > 0)) return LogHyp2F1Boost(a, b, a + 1, z);
  double sum = 1, term = 1;
  const double tail_factor = z / (1 - z);
  for (int n = 0; n < 1000 && term * tail_factor > 1e-17 * sum; ++n) {
    term *= (lead + n) / (a + 1 + n) * z;
    sum += term;
  }
  return (1 - b) * std::log1p(-z) + std::log(sum);
}

}  // namespace vitrine::server::analytics::internal
