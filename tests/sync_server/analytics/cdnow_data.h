// Test helper: loads the CDNOW sample (Fader & Hardie) from the shared datasets folder.
// Thread safety: none needed (tests call it from the main thread).
#ifndef VITRINE_TESTS_SYNC_SERVER_ANALYTICS_CDNOW_DATA_H_
#define VITRINE_TESTS_SYNC_SERVER_ANALYTICS_CDNOW_DATA_H_

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sync_server/analytics/rfm_summary.h"

namespace vitrine::server::analytics::testing {

inline std::filesystem::path CdnowDir() {
  return std::filesystem::path(VITRINE_SHARED_DIR) / "datasets" / "cdnow";
}

inline bool HaveCdnow() { return std::filesystem::exists(CdnowDir() / "CDNOW_sample.txt"); }

#define VITRINE_REQUIRE_CDNOW()                                              \
  if (!::vitrine::server::analytics::testing::HaveCdnow())                   \
  GTEST_SKIP() << "datasets folder absent: no CDNOW_sample.txt under "       \
               << ::vitrine::server::analytics::testing::CdnowDir().string() \
               << " (set -DVITRINE_SHARED_DIR)"

// CDNOW_sample.txt rows: id_total id_sample YYYYMMDD cds dollars. Customer id = id_sample
// without leading zeros, as in cdnow_customers_summary.csv.
inline std::vector<Transaction> LoadCdnowSample() {
  std::vector<Transaction> out;
  std::ifstream in(CdnowDir() / "CDNOW_sample.txt");
  std::string id_total, id_sample, date;
  int cds = 0;
  double dollars = 0;
  while (in >> id_total >> id_sample >> date >> cds >> dollars) {
    const int ymd = std::stoi(date);
    auto day = DayFromCivil(ymd / 10000, ymd / 100 % 100, ymd % 100);
    if (!day) return {};
    out.push_back(Transaction{std::to_string(std::stoi(id_sample)), *day, dollars});
  }
  return out;
}

// Weeks 1-39 calibration (to 1997-09-30 inclusive), weeks 40-78 holdout (to 1998-06-30).
inline SummaryOptions CdnowOptions() {
  SummaryOptions options;
  options.calibration_end = *DayFromCivil(1997, 9, 30);
  options.holdout_end = *DayFromCivil(1998, 6, 30);
  options.round_decimals = 2;
  return options;
}

}  // namespace vitrine::server::analytics::testing

#endif  // VITRINE_TESTS_SYNC_SERVER_ANALYTICS_CDNOW_DATA_H_
