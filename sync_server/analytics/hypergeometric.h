// Internal to the analytics library (exposed for its tests): the Gauss hypergeometric function
// in the form the Pareto/NBD likelihood needs, 2F1(a, b; a + 1; z).
//
// Why not only Boost: boost::math::hypergeometric_pFq (Boost 1.74 has no dedicated 2F1) is
// general and careful but costs ~2 us a call, and a Pareto/NBD fit makes two calls per customer
// per likelihood evaluation (a CDNOW fit took ~30 s in a Debug build through pFq alone). For c = a
// + 1 Euler's transformation gives a series of positive terms with ratios below z,
//   2F1(a, b; a+1; z) = (1 - z)^(1 - b) * sum_n (a + 1 - b)_n / (a + 1)_n * z^n,
// so there is no cancellation and the tail after a term t is below t * z / (1 - z): summing until
// that bound is under 1e-17 of the sum is exact to double precision. It is used for
// 0 <= z <= 0.9 (at most ~400 terms); larger z, or a + 1 - b <= 0, go to Boost's pFq.
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_HYPERGEOMETRIC_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_HYPERGEOMETRIC_H_

#include <boost/math/policies/policy.hpp>

namespace vitrine::server::analytics::internal {

// The Boost.Math error policy of the analytics library: every numerical failure becomes NaN (and
// errno) instead of an exception (the optimiser treats a NaN likelihood as "worse than anything"
// and steps back); the series cap keeps a 2F1 near z = 1 from spinning for a million terms.
using MathPolicy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::errno_on_error>,
    boost::math::policies::pole_error<boost::math::policies::errno_on_error>,
    boost::math::policies::overflow_error<boost::math::policies::errno_on_error>,
    boost::math::policies::evaluation_error<boost::math::policies::errno_on_error>,
    boost::math::policies::max_series_iterations<200000>,
    boost::math::policies::promote_double<false>>;

// 2F1(a, b; c; z) through Boost's pFq; NaN where Boost reports an error or z is outside [0, 1).
double Hyp2F1(double a, double b, double c, double z);

// log 2F1(a, b; c; z) through Boost's pFq; NaN where Boost reports an error. REQUIRES: 0 <= z < 1.
double LogHyp2F1Boost(double a, double b, double c, double z);

// log 2F1(a, b; a + 1; z). REQUIRES: a > 0, b > 0, 0 <= z < 1 (else NaN).
double LogHyp2F1NextToA(double a, double b, double z);

}  // namespace vitrine::server::analytics::internal

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_HYPERGEOMETRIC_H_
