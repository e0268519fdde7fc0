// The CDNOW sample (Fader & Hardie): the RFM summary rebuilds exactly from the transactions,
// and the maximum-likelihood fits reproduce the published estimates (issue 4's tolerances:
// parameters within 0.015, log-likelihood within 0.05). Skipped when the datasets folder is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sync_server/analytics/clv_models.h"
#include "sync_server/analytics/rfm_summary.h"
#include "tests/sync_server/analytics/cdnow_data.h"

namespace vitrine::server::analytics {
namespace {

using testing::CdnowDir;
using testing::CdnowOptions;
using testing::LoadCdnowSample;

struct PublishedRow {
  double x = 0, t_x = 0, T = 0, zbar = 0;
};

// cdnow_customers_summary_with_transactions.csv: ID,x,t_x,T,zbar.
std::map<std::string, PublishedRow> LoadPublishedSummary() {
  std::map<std::string, PublishedRow> out;
  std::ifstream in(CdnowDir() / "cdnow_customers_summary_with_transactions.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string id;
    PublishedRow row;
    if (fields >> id >> row.x >> row.t_x >> row.T >> row.zbar) out[id] = row;
  }
  return out;
}

// cdnow_customers_summary.csv: ID,frequency,recency,T (the file the fits in `lifetimes` use).
std::map<std::string, RfmObservation> LoadPublishedRfm() {
  std::map<std::string, RfmObservation> out;
  std::ifstream in(CdnowDir() / "cdnow_customers_summary.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream fields(line);
    std::string id;
    RfmObservation o;
    if (fields >> id >> o.x >> o.t_x >> o.T) out[id] = o;
  }
  return out;
}

// Runs a fit and reports how long it took (stdout and the test XML).
template <typename F>
auto Timed(const char* name, F fit) {
  const auto start = std::chrono::steady_clock::now();
  auto result = fit();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s fit took %.2f s\n", name, seconds);
  ::testing::Test::RecordProperty(std::string(name) + "_fit_seconds", std::to_string(seconds));
  return result;
}

class CdnowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    VITRINE_REQUIRE_CDNOW();
    const auto transactions = LoadCdnowSample();
    ASSERT_EQ(transactions.size(), 6919u);
    auto built = BuildSummaries(transactions, CdnowOptions());
    ASSERT_TRUE(built.ok()) << built.status().ToString();
    summaries_ = std::move(*built);
    for (const auto& s : summaries_) rfm_.push_back(s.rfm());
  }

  // Fits are deterministic and the data are the same in every test: fit once per binary.
  const StatusOr<FitResult<BgNbdParams>>& BgFit() {
    static const auto* fit =
        new StatusOr<FitResult<BgNbdParams>>(Timed("BG/NBD", [&] { return FitBgNbd(rfm_); }));
    return *fit;
  }
  const StatusOr<FitResult<ParetoNbdParams>>& ParetoFit() {
    static const auto* fit = new StatusOr<FitResult<ParetoNbdParams>>(
        Timed("Pareto/NBD", [&] { return FitParetoNbd(rfm_); }));
    return *fit;
  }
  std::vector<CustomerSummary> summaries_;
  std::vector<RfmObservation> rfm_;
};

TEST_F(CdnowTest, SummaryRebuildsExactly) {
  const auto published = LoadPublishedRfm();
  const auto with_spend = LoadPublishedSummary();
  ASSERT_EQ(published.size(), 2357u);
  ASSERT_EQ(summaries_.size(), published.size());
  int repeat_buyers = 0;
  for (const auto& s : summaries_) {
    auto it = published.find(s.customer_id);
    ASSERT_NE(it, published.end()) << "customer " << s.customer_id;
    // Both sides are decimals with 2 places: exact up to binary representation.
    EXPECT_EQ(s.frequency, it->second.x) << s.customer_id;
    EXPECT_NEAR(s.recency_weeks, it->second.t_x, 1e-9) << s.customer_id;
    EXPECT_NEAR(s.age_weeks, it->second.T, 1e-9) << s.customer_id;
    EXPECT_NEAR(s.mean_repeat_spend, with_spend.at(s.customer_id).zbar, 0.005 + 1e-9)
        << s.customer_id;
    if (s.frequency > 0) ++repeat_buyers;
  }
  EXPECT_EQ(repeat_buyers, 946);
}

TEST_F(CdnowTest, BgNbdFitMatchesPublished) {
  const auto& fit = BgFit();
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const BgNbdParams& p = fit->params;
  std::printf("BG/NBD fit: r=%.4f alpha=%.4f a=%.4f b=%.4f LL=%.4f (%d evaluations)\n", p.r,
              p.alpha, p.a, p.b, fit->log_likelihood, fit->evaluations);
  EXPECT_NEAR(p.r, 0.243, 0.015);
  EXPECT_NEAR(p.alpha, 4.414, 0.015);
  EXPECT_NEAR(p.a, 0.793, 0.015);
  EXPECT_NEAR(p.b, 2.426, 0.015);
  EXPECT_NEAR(fit->log_likelihood, -9582.4, 0.05);
  // The likelihood at the optimum beats the published (rounded) parameters.
  EXPECT_GE(fit->log_likelihood, BgNbdLogLikelihood({0.243, 4.414, 0.793, 2.426}, rfm_));
}

TEST_F(CdnowTest, ParetoNbdFitMatchesPublished) {
  const auto& fit = ParetoFit();
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const ParetoNbdParams& p = fit->params;
  std::printf("Pareto/NBD fit: r=%.4f alpha=%.4f s=%.4f beta=%.4f LL=%.4f (%d evaluations)\n", p.r,
              p.alpha, p.s, p.beta, fit->log_likelihood, fit->evaluations);
  EXPECT_NEAR(p.r, 0.553, 0.015);
  EXPECT_NEAR(p.alpha, 10.578, 0.015);
  EXPECT_NEAR(p.s, 0.606, 0.015);
  EXPECT_NEAR(p.beta, 11.669, 0.015);
  EXPECT_NEAR(fit->log_likelihood, -9595.0, 0.05);
}

TEST_F(CdnowTest, GammaGammaFitMatchesPublished) {
  // As `lifetimes` does: the 946 repeat buyers with zbar from the published file.
  std::vector<SpendObservation> spend;
  for (const auto& [id, row] : LoadPublishedSummary()) {
    if (row.x > 0) spend.push_back({row.x, row.zbar});
  }
  ASSERT_EQ(spend.size(), 946u);
  const auto fit = Timed("Gamma-Gamma", [&] { return FitGammaGamma(spend); });
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  const GammaGammaParams& p = fit->params;
  std::printf("Gamma-Gamma fit: p=%.4f q=%.4f gamma=%.4f LL=%.4f (%d evaluations)\n", p.p, p.q,
              p.gamma, fit->log_likelihood, fit->evaluations);
  EXPECT_NEAR(p.p, 6.25, 0.015);
  EXPECT_NEAR(p.q, 3.74, 0.015);
  EXPECT_NEAR(p.gamma, 15.44, 0.015);

  // Our own summary's unrounded means give nearly the same fit.
  std::vector<SpendObservation> own;
  for (const auto& s : summaries_) {
    if (s.frequency > 0) own.push_back({s.frequency, s.mean_repeat_spend});
  }
  auto own_fit = FitGammaGamma(own);
  ASSERT_TRUE(own_fit.ok());
  EXPECT_NEAR(own_fit->params.p, 6.25, 0.05);
  EXPECT_NEAR(own_fit->params.q, 3.74, 0.05);
  EXPECT_NEAR(own_fit->params.gamma, 15.44, 0.2);
}

TEST_F(CdnowTest, HoldoutRepeatPurchasesArePredicted) {
  // Calibrate on weeks 1-39, predict each customer's repeat purchases in weeks 40-78 and compare
  // the totals with what happened. Measured: actual 1882 purchase days; BG/NBD 1653.4 and
  // Pareto/NBD 1665.5 (both ~12% under, as both models agree, this is the sample rather than the
  // code: the history-free aggregate BG/NBD forecast says 1666.7 too). Tolerance: within 15% of
  // the actual total, and the conditional sum within 2% of the aggregate forecast.
  const auto& bg = BgFit();
  const auto& pareto = ParetoFit();
  ASSERT_TRUE(bg.ok());
  ASSERT_TRUE(pareto.ok());
  double actual = 0, bg_predicted = 0, pareto_predicted = 0, bg_unconditional = 0;
  // By calibration frequency bucket, as in FHL 2005's conditional-expectation table.
  std::map<int, std::array<double, 4>> by_x;  // count, actual, bg, pareto
  for (const auto& s : summaries_) {
    const double e_bg = BgNbdConditionalExpectedPurchases(bg->params, s.rfm(), 39);
    const double e_pareto = ParetoNbdConditionalExpectedPurchases(pareto->params, s.rfm(), 39);
    ASSERT_TRUE(std::isfinite(e_bg) && std::isfinite(e_pareto)) << s.customer_id;
    actual += s.holdout_frequency;
    // The aggregate forecast that ignores each customer's history (FHL 2005, figure 2).
    bg_unconditional += BgNbdExpectedPurchases(bg->params, s.age_weeks + 39) -
                        BgNbdExpectedPurchases(bg->params, s.age_weeks);
    bg_predicted += e_bg;
    pareto_predicted += e_pareto;
    auto& row = by_x[std::min(7, static_cast<int>(s.frequency))];
    row[0] += 1;
    row[1] += s.holdout_frequency;
    row[2] += e_bg;
    row[3] += e_pareto;
  }
  std::printf("Holdout weeks 40-78, mean repeat purchases per customer by calibration x:\n");
  std::printf("  x    n   actual  BG/NBD  Pareto/NBD\n");
  for (const auto& [x, row] : by_x) {
    std::printf("  %s%d %5.0f  %6.3f  %6.3f  %6.3f\n", x == 7 ? ">=" : "  ", x, row[0],
                row[1] / row[0], row[2] / row[0], row[3] / row[0]);
  }
  std::printf("  total: actual %.0f, BG/NBD %.1f, Pareto/NBD %.1f, BG/NBD unconditional %.1f\n",
              actual, bg_predicted, pareto_predicted, bg_unconditional);
  EXPECT_GT(actual, 1000);
  EXPECT_NEAR(bg_predicted / actual, 1.0, 0.15);
  EXPECT_NEAR(pareto_predicted / actual, 1.0, 0.15);
  EXPECT_NEAR(bg_predicted / bg_unconditional, 1.0, 0.02);
  // Customers who bought more often in calibration buy more in the holdout, in both the data
  // and the predictions.
  EXPECT_LT(by_x[0][1] / by_x[0][0], by_x[7][1] / by_x[7][0]);
  EXPECT_LT(by_x[0][2] / by_x[0][0], by_x[7][2] / by_x[7][0]);
}

}  // namespace
}  // namespace vitrine::server::analytics
