#include "sync_server/analytics/rfm_summary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_map>
#include <utility>

namespace vitrine::server::analytics {

std::optional<CivilDay> DayFromCivil(int year, int month, int day) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(year),
                                        std::chrono::month(static_cast<unsigned>(month)),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<CivilDay>(std::chrono::sys_days(ymd).time_since_epoch().count());
}

namespace {

double Weeks(CivilDay days, int round_decimals) {
  const double weeks = days / 7.0;
  if (round_decimals < 0) return weeks;
  const double scale = std::pow(10.0, round_decimals);
  return std::round(weeks * scale) / scale;
}

}  // namespace

StatusOr<std::vector<CustomerSummary>> BuildSummaries(std::span<const Transaction> transactions,
                                                      const SummaryOptions& options) {
  if (options.holdout_end && *options.holdout_end <= options.calibration_end) {
    return Status(Status::Kind::kInvalid, "invalid_holdout", "holdout end must follow the cutoff");
  }
  // Per customer: merged amount per purchase day (ordered), customers in first-seen order.
  std::unordered_map<std::string, size_t> index;
  std::vector<std::pair<std::string, std::map<CivilDay, double>>> days;
  for (size_t i = 0; i < transactions.size(); ++i) {
    const Transaction& t = transactions[i];
    if (t.customer_id.empty() || !std::isfinite(t.amount)) {
      return Status(Status::Kind::kInvalid, "invalid_transaction",
                    "transaction " + std::to_string(i) + " has no customer or a non-finite amount");
    }
    auto [it, inserted] = index.emplace(t.customer_id, days.size());
    if (inserted) days.emplace_back(t.customer_id, std::map<CivilDay, double>{});
    days[it->second].second[t.day] += t.amount;
  }
  std::vector<CustomerSummary> out;
  out.reserve(days.size());
  for (auto& [id, by_day] : days) {
    const CivilDay birth = by_day.begin()->first;
    if (birth > options.calibration_end) continue;
    CustomerSummary s;
    s.customer_id = id;
    s.first_day = birth;
    s.first_spend = by_day.begin()->second;
    CivilDay last = birth;
    double repeat_total = 0;
    for (auto it = std::next(by_day.begin()); it != by_day.end(); ++it) {
      if (it->first <= options.calibration_end) {
        s.frequency += 1;
        repeat_total += it->second;
        last = it->first;
      } else if (options.holdout_end && it->first <= *options.holdout_end) {
        s.holdout_frequency += 1;
        s.holdout_spend += it->second;
      }
    }
    s.recency_weeks = Weeks(last - birth, options.round_decimals);
    s.age_weeks = Weeks(options.calibration_end - birth, options.round_decimals);
    s.mean_repeat_spend = s.frequency > 0 ? repeat_total / s.frequency : 0;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vitrine::server::analytics
