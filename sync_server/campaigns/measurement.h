// Campaign measurement: the funnel (open rate, click-to-open, conversion of openers) from human
// engagements only, and the causal effect versus the campaign's holdout: revenue, orders
// (repeat purchases) and conversion per recipient, pooled across segments.
//
// Uplift estimator: stratified difference in means (post-stratification by segment, the strata
// the holdout was drawn in). Per stratum s with treated and holdout groups:
//   d_s = mean_t - mean_c,   v_s = var_t / n_t + var_c / n_c   (unbiased sample variances)
// pooled with weights w_s = N_s / N (N_s = the stratum's size):
//   uplift = sum w_s d_s,    se = sqrt(sum w_s^2 v_s),   CI = uplift +- z(1 - alpha/2) se.
// This estimates the average effect per audience member (intention to treat: a treated
// recipient whose delivery failed still counts as treated). A single segment's d_s is noise at
// 200-500 people; the pooled estimate is what to read. Strata with fewer than two members in
// either group cannot contribute a variance and are skipped (and counted).
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_MEASUREMENT_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_MEASUREMENT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sync_server/campaigns/campaign_runner.h"
#include "sync_server/campaigns/tracking.h"

namespace vitrine::server::campaigns {

struct RecipientOutcome {
  std::string recipient_id;
  std::string segment;
  bool held_out = false;
  bool delivered = false;  // treated and accepted by the SMTP server
  bool opened = false;     // a human open (or a human click: a click implies an open)
  bool clicked = false;    // a human click
  int64_t orders = 0;      // in the attribution window after the send
  double revenue = 0;
};

struct Funnel {
  int64_t audience = 0;
  int64_t treated = 0;
  int64_t holdout = 0;
  int64_t delivered = 0;
  int64_t opened = 0;
  int64_t clicked = 0;
  int64_t converted_openers = 0;  // opened and ordered
  double open_rate = 0;           // opened / delivered
  double click_rate = 0;          // clicked / delivered
  double click_to_open = 0;       // clicked / opened
  double opener_conversion = 0;   // converted_openers / opened
  double revenue_per_treated = 0;
  double revenue_per_holdout = 0;
  double orders_per_treated = 0;
  double orders_per_holdout = 0;
  double conversion_treated = 0;  // share with an order
  double conversion_holdout = 0;
};

Funnel ComputeFunnel(const std::vector<RecipientOutcome>& outcomes);

enum class UpliftMetric { kRevenue, kOrders, kConversion };
const char* UpliftMetricName(UpliftMetric metric);

struct StratumUplift {
  std::string segment;
  int64_t n_treated = 0;
  int64_t n_holdout = 0;
  double mean_treated = 0;
  double mean_holdout = 0;
  double difference = 0;
  double std_error = 0;
};

struct UpliftEstimate {
  UpliftMetric metric = UpliftMetric::kRevenue;
  double estimate = 0;
  double std_error = 0;
  double ci_low = 0;
  double ci_high = 0;
  double confidence = 0.95;
  int64_t strata_used = 0;
  int64_t strata_skipped = 0;
  std::vector<StratumUplift> strata;  // by segment name
  bool Contains(double value) const { return ci_low <= value && value <= ci_high; }
};

// REQUIRES: 0 < confidence < 1.
UpliftEstimate PooledUplift(const std::vector<RecipientOutcome>& outcomes, UpliftMetric metric,
                            double confidence = 0.95);

// The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double NormalQuantile(double p);

struct OrderRecord {
  std::string recipient_id;
  int64_t at_ms = 0;
  double value = 0;
};

// Joins a run's send records with its human engagements and the orders placed within
// `window_ms` after each recipient's send time (held-out recipients: their recorded time).
std::vector<RecipientOutcome> BuildOutcomes(const std::vector<SendRecord>& sends,
                                            const std::vector<Engagement>& engagements,
                                            const std::vector<OrderRecord>& orders,
                                            int64_t window_ms);

// A plain-text report with bar charts: the funnel and the pooled uplifts with their intervals.
std::string RenderTextReport(const std::string& title, const Funnel& funnel,
                             const std::vector<UpliftEstimate>& uplifts);
// The same as JSON (for the admin API / console).
std::string RenderJsonReport(const std::string& campaign_id, const Funnel& funnel,
                             const std::vector<UpliftEstimate>& uplifts);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_MEASUREMENT_H_
