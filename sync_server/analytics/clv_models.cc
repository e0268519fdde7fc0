#include "sync_server/analytics/clv_models.h"

#include <nlopt.h>

#include <algorithm>
#include <array>
#include <boost/math/policies/policy.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "sync_server/analytics/hypergeometric.h"

namespace vitrine::server::analytics {
namespace {

using Policy = internal::MathPolicy;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double LogGamma(double v) { return boost::math::lgamma(v, Policy()); }

double LogBeta(double a, double b) { return LogGamma(a) + LogGamma(b) - LogGamma(a + b); }

double Hyp2F1(double a, double b, double c, double z) { return internal::Hyp2F1(a, b, c, z); }

// log(exp(u) + exp(v)) without overflow; either may be -inf.
double LogAddExp(double u, double v) {
  if (u == kNegInf) return v;
  if (v == kNegInf) return u;
  const double hi = std::max(u, v);
  return hi + std::log1p(std::exp(std::min(u, v) - hi));
}

template <typename Obs, typename Params, typename F>
double SumLogLikelihood(const Params& p, std::span<const Obs> data, F per_customer) {
  double total = 0;
  for (const Obs& o : data) total += per_customer(p, o);
  return total;
}

// Minimises `negative_ll` over log-parameters in [log(lower), log(upper)]^n: Subplex from the
// initial point, then Nelder-Mead restarted from Subplex's answer (a restart escapes the
// occasional premature simplex collapse). Both are deterministic.
struct Objective {
  std::function<double(const std::vector<double>&)> negative_ll;  // on natural parameters
  int evaluations = 0;
};

double NloptObjective(unsigned n, const double* theta, double* grad, void* data) {
  (void)grad;  // derivative-free algorithms only
  auto* objective = static_cast<Objective*>(data);
  ++objective->evaluations;
  std::vector<double> params(n);
  for (unsigned i = 0; i < n; ++i) params[i] = std::exp(theta[i]);
  const double value = objective->negative_ll(params);
  return std::isfinite(value) ? value : std::numeric_limits<double>::max();
}

struct Minimum {
  std::vector<double> params;
  double negative_ll = 0;
  int evaluations = 0;
};

StatusOr<Minimum> Minimize(std::function<double(const std::vector<double>&)> negative_ll,
                           unsigned n, const FitOptions& options) {
  if (!(options.lower_bound > 0) || !(options.upper_bound > options.lower_bound) ||
      !(options.initial_value >= options.lower_bound) ||
      !(options.initial_value <= options.upper_bound) || options.max_evaluations <= 0) {
    return Status(Status::Kind::kInvalid, "invalid_fit_options",
                  "bounds must satisfy 0 < lower <= initial <= upper and max_evaluations > 0");
  }
  Objective objective{std::move(negative_ll), 0};
  std::vector<double> theta(n, std::log(options.initial_value));
  const std::vector<double> lower(n, std::log(options.lower_bound));
  const std::vector<double> upper(n, std::log(options.upper_bound));
  double value = 0;
  for (nlopt_algorithm algorithm : {NLOPT_LN_SBPLX, NLOPT_LN_NELDERMEAD}) {
    nlopt_opt opt = nlopt_create(algorithm, n);
    if (opt == nullptr) {
      return Status(Status::Kind::kInternal, "optimiser_unavailable", "nlopt_create failed");
    }
    nlopt_set_lower_bounds(opt, lower.data());
    nlopt_set_upper_bounds(opt, upper.data());
    nlopt_set_min_objective(opt, &NloptObjective, &objective);
    nlopt_set_xtol_rel(opt, options.relative_x_tolerance);
    nlopt_set_ftol_abs(opt, 1e-12);
    nlopt_set_maxeval(opt, std::max(1, options.max_evaluations - objective.evaluations));
    nlopt_set_initial_step1(opt, 0.25);
    const nlopt_result result = nlopt_optimize(opt, theta.data(), &value);
    nlopt_destroy(opt);
    // ROUNDOFF_LIMITED still leaves the best point found in theta.
    if (result < 0 && result != NLOPT_ROUNDOFF_LIMITED) {
      return Status(Status::Kind::kInternal, "fit_failed",
                    "nlopt failed with code " + std::to_string(static_cast<int>(result)));
    }
  }
  if (!std::isfinite(value) || value == std::numeric_limits<double>::max()) {
    return Status(Status::Kind::kInvalid, "fit_failed",
                  "the likelihood is not finite anywhere the optimiser looked");
  }
  Minimum minimum;
  minimum.params.resize(n);
  for (unsigned i = 0; i < n; ++i) minimum.params[i] = std::exp(theta[i]);
  minimum.negative_ll = value;
  minimum.evaluations = objective.evaluations;
  return minimum;
}

Status CheckRfm(std::span<const RfmObservation> data) {
  if (data.empty()) return Status(Status::Kind::kInvalid, "no_data", "no customers to fit");
  for (size_t i = 0; i < data.size(); ++i) {
    const RfmObservation& o = data[i];
    if (!(o.x >= 0) || !(o.t_x >= 0) || !(o.T >= o.t_x) || !std::isfinite(o.T) ||
        (o.x == 0 && o.t_x != 0)) {
      return Status(
          Status::Kind::kInvalid, "invalid_observation",
          "customer " + std::to_string(i) + " needs x >= 0, 0 <= t_x <= T (t_x = 0 when x = 0)");
    }
  }
  return Status::Ok();
}

// log A0 of the Pareto/NBD likelihood (may be -inf when t_x == T).
double ParetoLogA0(const ParetoNbdParams& p, const RfmObservation& o) {
  const double rsx = p.r + p.s + o.x;
  const bool alpha_larger = p.alpha >= p.beta;
  const double big = alpha_larger ? p.alpha : p.beta;
  const double diff = std::abs(p.alpha - p.beta);
  const double b2 = alpha_larger ? p.s + 1 : p.r + o.x;
  auto log_term = [&](double t) {
    return internal::LogHyp2F1NextToA(rsx, b2, diff / (big + t)) - rsx * std::log(big + t);
  };
  const double at_tx = log_term(o.t_x);
  const double at_T = log_term(o.T);
  const double delta = at_T - at_tx;  // <= 0: the term decreases in t
  if (!(delta < 0)) return delta == 0 ? kNegInf : kNaN;
  return at_tx + std::log1p(-std::exp(delta));
}

// Index of each value among the sorted distinct values of `values`.
struct Distinct {
  std::vector<double> values;
  std::vector<uint32_t> index;
};

Distinct DistinctValues(const std::vector<double>& values) {
  Distinct out;
  out.values = values;
  std::sort(out.values.begin(), out.values.end());
  out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
  out.index.reserve(values.size());
  for (double v : values) {
    out.index.push_back(static_cast<uint32_t>(
        std::lower_bound(out.values.begin(), out.values.end(), v) - out.values.begin()));
  }
  return out;
}

// The summed BG/NBD log-likelihood of a fixed data set, arranged for the optimiser's many
// evaluations. The per-customer formula (BgNbdLogLikelihood) splits into parts that depend on x
// only (the log-gamma terms), on T only and on t_x only (the logs), and the rest: identical
// observations are merged (weighted by their count), each part is computed once per distinct
// value per evaluation, and only the log-sum-exp remains per distinct observation. Large bases
// have few distinct x, T and t_x (days since the first purchase, in weeks), so one evaluation
// costs a few log-gammas and one exp/log1p per distinct observation.
class BgNbdLikelihood {
 public:
  explicit BgNbdLikelihood(std::span<const RfmObservation> data) {
    std::map<std::tuple<double, double, double>, double> counts;
    for (const RfmObservation& o : data) counts[{o.x, o.t_x, o.T}] += 1;
    std::vector<double> x, t_x, T;
    for (const auto& [key, n] : counts) {
      x.push_back(std::get<0>(key));
      t_x.push_back(std::get<1>(key));
      T.push_back(std::get<2>(key));
      weight_.push_back(n);
    }
    x_ = DistinctValues(x);
    t_x_ = DistinctValues(t_x);
    T_ = DistinctValues(T);
    x_weight_.assign(x_.values.size(), 0.0);
    for (size_t i = 0; i < weight_.size(); ++i) x_weight_[x_.index[i]] += weight_[i];
  }

  double operator()(const BgNbdParams& p) const {
    const size_t nx = x_.values.size();
    std::vector<double> r_x(nx), log_odds(nx);
    double total = 0;
    const double lg_r = LogGamma(p.r), lg_ab = LogGamma(p.a + p.b), lg_b = LogGamma(p.b);
    const double log_alpha = std::log(p.alpha), log_a = std::log(p.a);
    for (size_t j = 0; j < nx; ++j) {
      const double x = x_.values[j];
      r_x[j] = p.r + x;
      // a1 + a2 of BgNbdLogLikelihood.
      total += x_weight_[j] * (LogGamma(p.r + x) - lg_r + p.r * log_alpha + lg_ab +
                               LogGamma(p.b + x) - lg_b - LogGamma(p.a + p.b + x));
      log_odds[j] = x > 0 ? log_a - std::log(p.b + x - 1) : kNegInf;
    }
    std::vector<double> log_T(T_.values.size()), log_t_x(t_x_.values.size());
    for (size_t j = 0; j < log_T.size(); ++j) log_T[j] = std::log(p.alpha + T_.values[j]);
    for (size_t j = 0; j < log_t_x.size(); ++j) log_t_x[j] = std::log(p.alpha + t_x_.values[j]);
    for (size_t i = 0; i < weight_.size(); ++i) {
      const uint32_t j = x_.index[i];
      const double a3 = -r_x[j] * log_T[T_.index[i]];
      const double a4 =
          log_odds[j] == kNegInf ? kNegInf : log_odds[j] - r_x[j] * log_t_x[t_x_.index[i]];
      total += weight_[i] * LogAddExp(a3, a4);
    }
    return total;
  }

 private:
  std::vector<double> weight_;  // per distinct observation
  Distinct x_, t_x_, T_;        // indexed per distinct observation
  std::vector<double> x_weight_;
};

// The summed Gamma-Gamma log-likelihood arranged the same way: with s = x * mean_spend,
//   sum_i [lgamma(p x + q) - lgamma(p x) - lgamma(q) + q log(gamma) + p x log(x)]
//   + sum_i (p x - 1) log(mean) - sum_i (p x + q) log(gamma + s),
// the first sum is a per-distinct-x table, the second two constants per distinct x, and only
// log(gamma + s) is evaluated per distinct (x, s).
class GammaGammaLikelihood {
 public:
  explicit GammaGammaLikelihood(std::span<const SpendObservation> data) {
    std::map<std::pair<double, double>, double> counts;  // (x, mean) -> customers
    for (const SpendObservation& o : data) counts[{o.x, o.mean_spend}] += 1;
    std::vector<double> x;
    for (const auto& [key, n] : counts) {
      x.push_back(key.first);
      spend_.push_back(key.first * key.second);
      weight_.push_back(n);
    }
    x_ = DistinctValues(x);
    const size_t nx = x_.values.size();
    x_weight_.assign(nx, 0.0);
    x_log_mean_.assign(nx, 0.0);
    size_t i = 0;
    for (const auto& [key, n] : counts) {
      const uint32_t j = x_.index[i++];
      x_weight_[j] += n;
      x_log_mean_[j] += n * std::log(key.second);
    }
  }

  double operator()(const GammaGammaParams& p) const {
    const size_t nx = x_.values.size();
    std::vector<double> px_q(nx);
    double total = 0;
    const double lg_q = LogGamma(p.q), log_gamma = std::log(p.gamma);
    for (size_t j = 0; j < nx; ++j) {
      const double x = x_.values[j];
      const double px = p.p * x;
      px_q[j] = px + p.q;
      total += x_weight_[j] *
                   (LogGamma(px + p.q) - LogGamma(px) - lg_q + p.q * log_gamma + px * std::log(x)) +
               (px - 1) * x_log_mean_[j];
    }
    for (size_t i = 0; i < weight_.size(); ++i) {
      total -= weight_[i] * px_q[x_.index[i]] * std::log(p.gamma + spend_[i]);
    }
    return total;
  }

 private:
  std::vector<double> spend_, weight_;  // per distinct (x, mean)
  Distinct x_;
  std::vector<double> x_weight_, x_log_mean_;  // per distinct x: customers, sum of log(mean)
};

}  // namespace

// ---------------------------------------------------------------- BG/NBD

double BgNbdLogLikelihood(const BgNbdParams& p, const RfmObservation& o) {
  const double a1 = LogGamma(p.r + o.x) - LogGamma(p.r) + p.r * std::log(p.alpha);
  const double a2 =
      LogGamma(p.a + p.b) + LogGamma(p.b + o.x) - LogGamma(p.b) - LogGamma(p.a + p.b + o.x);
  const double a3 = -(p.r + o.x) * std::log(p.alpha + o.T);
  const double a4 =
      o.x > 0 ? std::log(p.a) - std::log(p.b + o.x - 1) - (p.r + o.x) * std::log(p.alpha + o.t_x)
              : kNegInf;
  return a1 + a2 + LogAddExp(a3, a4);
}

double BgNbdLogLikelihood(const BgNbdParams& p, std::span<const RfmObservation> data) {
  return SumLogLikelihood(p, data, [](const BgNbdParams& q, const RfmObservation& o) {
    return BgNbdLogLikelihood(q, o);
  });
}

double BgNbdExpectedPurchases(const BgNbdParams& p, double t) {
  if (p.a == 1 || !(t >= 0)) return kNaN;
  const double z = t / (p.alpha + t);
  return (p.a + p.b - 1) / (p.a - 1) *
         (1 - std::pow(p.alpha / (p.alpha + t), p.r) * Hyp2F1(p.r, p.b, p.a + p.b - 1, z));
}

double BgNbdProbabilityOfPurchases(const BgNbdParams& p, double t, int n) {
  if (n < 0 || !(t >= 0)) return kNaN;
  if (t == 0) return n == 0 ? 1.0 : 0.0;
  const double log_keep = std::log(p.alpha / (p.alpha + t));  // log P(no purchase | rate) part
  const double log_buy = std::log(t / (p.alpha + t));
  // log of Gamma(r + j) / (Gamma(r) j!) * (alpha/(alpha+t))^r * (t/(alpha+t))^j: NBD mass at j.
  auto log_nbd = [&](int j) {
    return LogGamma(p.r + j) - LogGamma(p.r) - LogGamma(j + 1.0) + p.r * log_keep + j * log_buy;
  };
  const double lb = LogBeta(p.a, p.b);
  double prob = std::exp(LogBeta(p.a, p.b + n) - lb + log_nbd(n));
  if (n > 0) {
    double cdf = 0;
    for (int j = 0; j < n; ++j) cdf += std::exp(log_nbd(j));
    prob += std::exp(LogBeta(p.a + 1, p.b + n - 1) - lb) * (1 - cdf);
  }
  return prob;
}

double BgNbdProbabilityAlive(const BgNbdParams& p, const RfmObservation& o) {
  if (o.x == 0) return 1.0;
  const double log_odds = std::log(p.a) - std::log(p.b + o.x - 1) +
                          (p.r + o.x) * (std::log(p.alpha + o.T) - std::log(p.alpha + o.t_x));
  return 1.0 / (1.0 + std::exp(log_odds));
}

double BgNbdConditionalExpectedPurchases(const BgNbdParams& p, const RfmObservation& o, double t) {
  if (p.a == 1 || !(t >= 0)) return kNaN;
  const double z = t / (p.alpha + o.T + t);
  const double expected_if_alive = (p.a + p.b + o.x - 1) / (p.a - 1) *
                                   (1 - std::pow((p.alpha + o.T) / (p.alpha + o.T + t), p.r + o.x) *
                                            Hyp2F1(p.r + o.x, p.b + o.x, p.a + p.b + o.x - 1, z));
  return expected_if_alive * BgNbdProbabilityAlive(p, o);
}

StatusOr<FitResult<BgNbdParams>> FitBgNbd(std::span<const RfmObservation> data,
                                          const FitOptions& options) {
  if (Status s = CheckRfm(data); !s.ok()) return s;
  const BgNbdLikelihood likelihood(data);
  auto negative_ll = [&likelihood](const std::vector<double>& v) {
    return -likelihood(BgNbdParams{v[0], v[1], v[2], v[3]});
  };
  auto minimum = Minimize(negative_ll, 4, options);
  if (!minimum.ok()) return minimum.status();
  const auto& v = minimum->params;
  return FitResult<BgNbdParams>{BgNbdParams{v[0], v[1], v[2], v[3]}, -minimum->negative_ll,
                                minimum->evaluations};
}

// ---------------------------------------------------------------- Pareto/NBD

double ParetoNbdLogLikelihood(const ParetoNbdParams& p, const RfmObservation& o) {
  const double head =
      LogGamma(p.r + o.x) - LogGamma(p.r) + p.r * std::log(p.alpha) + p.s * std::log(p.beta);
  const double survived = -(p.r + o.x) * std::log(p.alpha + o.T) - p.s * std::log(p.beta + o.T);
  const double died = std::log(p.s / (p.r + p.s + o.x)) + ParetoLogA0(p, o);
  return head + LogAddExp(survived, died);
}

double ParetoNbdLogLikelihood(const ParetoNbdParams& p, std::span<const RfmObservation> data) {
  return SumLogLikelihood(p, data, [](const ParetoNbdParams& q, const RfmObservation& o) {
    return ParetoNbdLogLikelihood(q, o);
  });
}

double ParetoNbdProbabilityAlive(const ParetoNbdParams& p, const RfmObservation& o) {
  const double log_ratio = std::log(p.s / (p.r + p.s + o.x)) +
                           (p.r + o.x) * std::log(p.alpha + o.T) + p.s * std::log(p.beta + o.T) +
                           ParetoLogA0(p, o);
  return 1.0 / (1.0 + std::exp(log_ratio));
}

double ParetoNbdConditionalExpectedPurchases(const ParetoNbdParams& p, const RfmObservation& o,
                                             double t) {
  if (p.s == 1 || !(t >= 0)) return kNaN;
  const double if_alive = (p.r + o.x) * (p.beta + o.T) / ((p.alpha + o.T) * (p.s - 1)) *
                          (1 - std::pow((p.beta + o.T) / (p.beta + o.T + t), p.s - 1));
  return if_alive * ParetoNbdProbabilityAlive(p, o);
}

StatusOr<FitResult<ParetoNbdParams>> FitParetoNbd(std::span<const RfmObservation> data,
                                                  const FitOptions& options) {
  if (Status s = CheckRfm(data); !s.ok()) return s;
  auto negative_ll = [data](const std::vector<double>& v) {
    return -ParetoNbdLogLikelihood(ParetoNbdParams{v[0], v[1], v[2], v[3]}, data);
  };
  auto minimum = Minimize(negative_ll, 4, options);
  if (!minimum.ok()) return minimum.status();
  const auto& v = minimum->params;
  return FitResult<ParetoNbdParams>{ParetoNbdParams{v[0], v[1], v[2], v[3]}, -minimum->negative_ll,
                                    minimum->evaluations};
}

// ---------------------------------------------------------------- Gamma-Gamma

double GammaGammaLogLikelihood(const GammaGammaParams& p, const SpendObservation& o) {
  const double px = p.p * o.x;
  return LogGamma(px + p.q) - LogGamma(px) - LogGamma(p.q) + p.q * std::log(p.gamma) +
         (px - 1) * std::log(o.mean_spend) + px * std::log(o.x) -
         (px + p.q) * std::log(p.gamma + o.mean_spend * o.x);
}

double GammaGammaLogLikelihood(const GammaGammaParams& p, std::span<const SpendObservation> data) {
  return SumLogLikelihood(p, data, [](const GammaGammaParams& q, const SpendObservation& o) {
    return GammaGammaLogLikelihood(q, o);
  });
}

double GammaGammaConditionalExpectedSpend(const GammaGammaParams& p, const SpendObservation& o) {
  if (!(p.q > 1)) return kNaN;
  return p.p * (p.gamma + o.x * o.mean_spend) / (p.p * o.x + p.q - 1);
}

StatusOr<FitResult<GammaGammaParams>> FitGammaGamma(std::span<const SpendObservation> data,
                                                    const FitOptions& options) {
  if (data.empty()) return Status(Status::Kind::kInvalid, "no_data", "no repeat buyers to fit");
  for (size_t i = 0; i < data.size(); ++i) {
    if (!(data[i].x >= 1) || !(data[i].mean_spend > 0) || !std::isfinite(data[i].mean_spend)) {
      return Status(Status::Kind::kInvalid, "invalid_observation",
                    "customer " + std::to_string(i) + " needs x >= 1 and mean_spend > 0");
    }
  }
  const GammaGammaLikelihood likelihood(data);
  auto negative_ll = [&likelihood](const std::vector<double>& v) {
    return -likelihood(GammaGammaParams{v[0], v[1], v[2]});
  };
  auto minimum = Minimize(negative_ll, 3, options);
  if (!minimum.ok()) return minimum.status();
  const auto& v = minimum->params;
  return FitResult<GammaGammaParams>{GammaGammaParams{v[0], v[1], v[2]}, -minimum->negative_ll,
                                     minimum->evaluations};
}

// ---------------------------------------------------------------- LTV

double LifetimeValue(const std::function<double(double)>& cumulative_expected_purchases,
                     double expected_spend, const LtvOptions& options) {
  if (!(options.step_weeks > 0) || !(options.horizon_weeks >= 0) ||
      !(options.annual_discount_rate > -1) || !cumulative_expected_purchases) {
    return kNaN;
  }
  constexpr double kWeeksPerYear = 365.25 / 7;
  const double log_growth = std::log1p(options.annual_discount_rate) / kWeeksPerYear;
  double value = 0;
  double previous = cumulative_expected_purchases(0);
  for (double end = options.step_weeks;; end += options.step_weeks) {
    const double t = std::min(end, options.horizon_weeks);
    const double cumulative = cumulative_expected_purchases(t);
    value += (cumulative - previous) * expected_spend * std::exp(-log_growth * t);
    previous = cumulative;
    if (t >= options.horizon_weeks) break;
  }
  return value;
}

}  // namespace vitrine::server::analytics
