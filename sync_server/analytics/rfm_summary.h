// Builds the per-customer RFM summary the CLV models take (clv_models.h) from raw transactions.
//
// Rules (those of Fader & Hardie and the `lifetimes` library, which rebuild the published CDNOW
// summary exactly):
//  - purchases on the same calendar day are one purchase (their amounts add up);
//  - the first purchase day is the customer's birth and is not a repeat purchase;
//  - frequency x = distinct purchase days in (birth, cutoff]; recency t_x = last purchase day in
//    the calibration period minus birth; age T = cutoff minus birth (cutoff inclusive);
//  - time is days / 7 (weeks), optionally rounded (the published CDNOW file uses 2 decimals);
//  - mean repeat spend = mean of the merged repeat-purchase amounts (0 when x = 0);
//  - customers born after the cutoff are left out (they have no calibration history);
//  - with a holdout end, purchase days in (cutoff, holdout_end] are counted separately.
//
// Thread safety: pure function over values.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_RFM_SUMMARY_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_RFM_SUMMARY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sync_server/analytics/clv_models.h"
#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

// Days since 1970-01-01 (proleptic Gregorian), the unit of every date here.
using CivilDay = int32_t;

// Days since 1970-01-01 of a calendar date; nullopt if the date does not exist.
std::optional<CivilDay> DayFromCivil(int year, int month, int day);

struct Transaction {
  std::string customer_id;
  CivilDay day = 0;
  double amount = 0;
};

struct SummaryOptions {
  CivilDay calibration_end = 0;         // inclusive
  std::optional<CivilDay> holdout_end;  // inclusive; REQUIRES: > calibration_end
  // Round recency and age (in weeks) to this many decimals; -1 keeps full precision.
  int round_decimals = -1;
};

struct CustomerSummary {
  std::string customer_id;
  CivilDay first_day = 0;
  double frequency = 0;          // x
  double recency_weeks = 0;      // t_x
  double age_weeks = 0;          // T
  double mean_repeat_spend = 0;  // mean of repeat purchases; 0 when frequency == 0
  double first_spend = 0;        // amount of the first (merged) purchase
  int holdout_frequency = 0;     // purchase days in (calibration_end, holdout_end]
  double holdout_spend = 0;

  RfmObservation rfm() const { return {frequency, recency_weeks, age_weeks}; }
};

// One summary per customer born on or before the cutoff, in order of first appearance in
// `transactions` (which need not be sorted). kInvalid for an empty customer id, a non-finite
// amount or a holdout end not after the cutoff.
StatusOr<std::vector<CustomerSummary>> BuildSummaries(std::span<const Transaction> transactions,
                                                      const SummaryOptions& options);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_RFM_SUMMARY_H_
