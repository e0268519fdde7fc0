// Category purchase propensity: P(a customer orders in category c within the next `horizon`),
// one L2-regularised logistic regression per category over a handful of features, fitted by
// NLopt's L-BFGS (analytic gradient), with an honest temporal holdout evaluation:
//
//   period 1 (training): features from activity up to T1 - horizon, labels = orders in
//                        (T1 - horizon, T1];
//   period 2 (evaluation): features from activity up to T1 (no label of period 2 is seen when
//                        fitting), labels = orders in (T1, T1 + horizon].
//
// Features of (customer, category c) at a cutoff, all from activity at or before it:
//   bias; the customer's time-decayed affinity to c (views 1, carts 3, orders 5, half-life 30
//   days, share of the customer's total); log1p(orders containing c); log1p(orders);
//   log1p(weeks since the last order); the BG/NBD expected number of orders over the horizon
//   (fitted on the same side of the cutoff).
// The evaluation reports, per category: AUC (ties counted half), the AUC of the affinity alone
// (a strong heuristic baseline), mean predicted probability vs actual rate, and the expected
// calibration error over 10 equal-width probability bins.
//
// Customers are those with at least one order at or before the cutoff.
// Thread safety: pure functions over values.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_PROPENSITY_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_PROPENSITY_H_

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

inline constexpr int kPropensityFeatures = 6;

struct PropensityOptions {
  double horizon_weeks = 13;
  int categories = 10;  // the categories with the most orders before the training cutoff
  double l2 = 1e-3;     // per-customer L2 penalty on the non-bias weights
  double half_life_days = 30;
};

struct PropensityModel {
  std::vector<std::string> categories;
  std::vector<std::array<double, kPropensityFeatures>> weights;  // per category
};

struct CategoryEvaluation {
  std::string category;
  int64_t customers = 0;
  int64_t positives = 0;
  double auc = 0;
  double affinity_auc = 0;  // baseline: the decayed affinity alone
  double mean_predicted = 0;
  double actual_rate = 0;
  double calibration_error = 0;  // ECE, 10 bins
};

// Fits on period 1 ending at `t1_ms` (see above).
StatusOr<PropensityModel> FitPropensity(std::span<const ActivityLine> lines, int64_t t1_ms,
                                        const PropensityOptions& options = {});
// Evaluates on period 2 starting at `t1_ms`.
StatusOr<std::vector<CategoryEvaluation>> EvaluatePropensity(const PropensityModel& model,
                                                             std::span<const ActivityLine> lines,
                                                             int64_t t1_ms,
                                                             const PropensityOptions& options = {});

// Scores every customer with an order at or before `as_of_ms`: profile id -> P(orders in
// category c within the horizon after as_of), in the order of model.categories. To score the
// present, fit with t1_ms = as_of_ms (the model then learnt from the last complete horizon).
StatusOr<std::map<int64_t, std::vector<double>>> ScorePropensity(
    const PropensityModel& model, std::span<const ActivityLine> lines, int64_t as_of_ms,
    const PropensityOptions& options = {});

// AUC of scores against 0/1 labels (Mann-Whitney, ties half); NaN without both classes.
double Auc(std::span<const double> scores, std::span<const int> labels);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_PROPENSITY_H_
