// Customer-lifetime-value models: BG/NBD and Pareto/NBD (purchase counts and "alive"
// probability), Gamma-Gamma (spend per purchase), and a discounted LTV over a horizon.
//
// Time unit: every time argument (t_x, T, t, horizons) is in WEEKS. The models are scale-free, so
// any unit works if used consistently, but the fitted alpha/beta are in the unit of the data, and
// the published CDNOW estimates are in weeks.
//
// Notation (Fader, Hardie & Lee 2005): for one customer, x = number of repeat purchases in the
// calibration period, t_x = time of the last purchase since the first one, T = time since the
// first purchase to the end of calibration.
//
// Fitting is maximum likelihood with NLopt's derivative-free local optimisers (Subplex, then a
// Nelder-Mead polish) over log-parameters within bounds; both are deterministic, so the same data
// give the same estimates. Special functions come from Boost.Math (log-gamma, and the Gauss
// hypergeometric 2F1 through boost::math::hypergeometric_pFq, configured to return NaN rather
// than throw; a NaN likelihood makes the optimiser back off).
//
// Errors: functions that can fail return a Status (never throw). Evaluation functions are pure
// and return NaN for parameters outside their domain.
// Thread safety: every function here is pure and safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_CLV_MODELS_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_CLV_MODELS_H_

#include <cstdint>
#include <functional>
#include <span>

#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

// One customer's calibration-period purchase history, in weeks.
struct RfmObservation {
  double x = 0;    // repeat purchases (distinct purchase days after the first)
  double t_x = 0;  // recency: first to last purchase
  double T = 0;    // age: first purchase to end of calibration; REQUIRES: T >= t_x >= 0
};

// Shared by every fit.
struct FitOptions {
  // Box for every parameter; the optimiser works on log(parameter) within log(bounds).
  double lower_bound = 1e-4;
  double upper_bound = 1e4;
  // Starting point for every parameter (lifetimes also starts from 1).
  double initial_value = 1.0;
  int max_evaluations = 20000;
  double relative_x_tolerance = 1e-10;
};

template <typename Params>
struct FitResult {
  Params params;
  double log_likelihood = 0;  // total over the customers, at params
  int evaluations = 0;        // objective evaluations used
};

// ---------------------------------------------------------------- BG/NBD
struct BgNbdParams {
  double r = 0, alpha = 0;  // Gamma(r, alpha) heterogeneity of the purchase rate
  double a = 0, b = 0;      // Beta(a, b) heterogeneity of the drop-out probability
};

// Log-likelihood of one customer (FHL 2005, eq. 6).
double BgNbdLogLikelihood(const BgNbdParams& p, const RfmObservation& o);
double BgNbdLogLikelihood(const BgNbdParams& p, std::span<const RfmObservation> data);
// E[X(t)]: expected purchases in (0, t] of a customer just acquired. NaN at a == 1 exactly
// (a removable singularity of the closed form).
double BgNbdExpectedPurchases(const BgNbdParams& p, double t);
// P(X(t) = n) for a customer just acquired.
double BgNbdProbabilityOfPurchases(const BgNbdParams& p, double t, int n);
// E[Y(t) | x, t_x, T]: expected purchases in (T, T + t]. NaN at a == 1 exactly.
double BgNbdConditionalExpectedPurchases(const BgNbdParams& p, const RfmObservation& o, double t);
// P(still alive | x, t_x, T); 1 when x == 0 (BG/NBD customers cannot drop out before a repeat).
double BgNbdProbabilityAlive(const BgNbdParams& p, const RfmObservation& o);
StatusOr<FitResult<BgNbdParams>> FitBgNbd(std::span<const RfmObservation> data,
                                          const FitOptions& options = {});

// ---------------------------------------------------------------- Pareto/NBD
struct ParetoNbdParams {
  double r = 0, alpha = 0;  // Gamma(r, alpha) heterogeneity of the purchase rate
  double s = 0, beta = 0;   // Gamma(s, beta) heterogeneity of the drop-out rate
};

// Log-likelihood of one customer (Fader & Hardie 2005, "A Note on Deriving the Pareto/NBD Model
// and Related Expressions", eq. 22 with the 2F1 representation of A0).
double ParetoNbdLogLikelihood(const ParetoNbdParams& p, const RfmObservation& o);
double ParetoNbdLogLikelihood(const ParetoNbdParams& p, std::span<const RfmObservation> data);
double ParetoNbdProbabilityAlive(const ParetoNbdParams& p, const RfmObservation& o);
// E[Y(t) | x, t_x, T]. NaN at s == 1 exactly (removable singularity of the closed form).
double ParetoNbdConditionalExpectedPurchases(const ParetoNbdParams& p, const RfmObservation& o,
                                             double t);
StatusOr<FitResult<ParetoNbdParams>> FitParetoNbd(std::span<const RfmObservation> data,
                                                  const FitOptions& options = {});

// ---------------------------------------------------------------- Gamma-Gamma
struct GammaGammaParams {
  double p = 0;  // shape of a purchase's value around the customer's mean
  double q = 0;  // Gamma(q, gamma) heterogeneity of the customers' scale
  double gamma = 0;
};

// One repeat buyer: x >= 1 repeat purchases with mean value mean_spend > 0.
struct SpendObservation {
  double x = 0;
  double mean_spend = 0;
};

double GammaGammaLogLikelihood(const GammaGammaParams& p, const SpendObservation& o);
double GammaGammaLogLikelihood(const GammaGammaParams& p, std::span<const SpendObservation> data);
// E[M | x, mean]: expected value of this customer's future purchases. With x = 0 this is the
// population mean p * gamma / (q - 1). REQUIRES: q > 1.
double GammaGammaConditionalExpectedSpend(const GammaGammaParams& p, const SpendObservation& o);
// REQUIRES: every observation has x >= 1 and mean_spend > 0 (else kInvalid).
StatusOr<FitResult<GammaGammaParams>> FitGammaGamma(std::span<const SpendObservation> data,
                                                    const FitOptions& options = {});

// ---------------------------------------------------------------- LTV
struct LtvOptions {
  double horizon_weeks = 52;
  // Cash flows are booked at the end of each step and discounted from there.
  double step_weeks = 1;
  // Annual rate; a cash flow at week w is worth (1 + rate)^(-w / 52.1775) today
  // (52.1775 = 365.25 / 7).
  double annual_discount_rate = 0.10;
};

// Discounted value over the horizon: sum over steps k of
//   (E[Y(k step)] - E[Y((k-1) step)]) * expected_spend * discount(k step),
// where cumulative_expected_purchases(t) is the model's E[Y(t) | history] (t in weeks), e.g. a
// bound BgNbdConditionalExpectedPurchases, and expected_spend the Gamma-Gamma E[M | history].
// Returns NaN if the options are invalid (non-positive step, negative horizon, rate <= -1).
double LifetimeValue(const std::function<double(double)>& cumulative_expected_purchases,
                     double expected_spend, const LtvOptions& options = {});

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_CLV_MODELS_H_
