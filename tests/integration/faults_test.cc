// Faults between the SDK and a real server: a loopback proxy answers ~30% of batch requests with
// 500, 429 + Retry-After, connection resets (before and after the server stored the batch) or
// hangs. With an injected clock and scheduler (no sleeps), every event arrives exactly once and
// no request is sent before the Retry-After the server asked for has passed.
#include <gtest/gtest.h>

#include <map>

#include "tests/integration/server_harness.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/temp_dir.h"
#include "vitrine/client.h"
#include "vitrine/testing.h"

namespace vitrine {
namespace {

using testing::Fault;
using testing::FaultPlan;
using testing::FaultProxy;
using testing::ManualClock;
using testing::ManualScheduler;
using testing::ServerProcess;
using testing::TempDir;

TEST(Faults, ThirtyPercentFaultsZeroLostZeroDuplicatedRetryAfterHonoured) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_TRUE(server.ok()) << server.error();

  ManualClock clock;
  FaultPlan plan;
  plan.seed = 2026;
  plan.p_error_500 = 0.08;
  plan.p_rate_limit_429 = 0.07;
  plan.p_reset_before = 0.05;
  plan.p_reset_after = 0.06;
  plan.p_hang = 0.04;
  plan.retry_after_min_s = 2;
  plan.retry_after_max_s = 30;
  plan.max_hang_ms = 2000;
  plan.path_prefix = "/v1/batch";
  FaultProxy proxy("127.0.0.1", server.port(), plan, [&clock] { return clock.NowMs(); });

  ManualScheduler scheduler(clock);
  auto http = NewDefaultHttpExecutor();
  Options options;
  options.data_dir = dir.path() + "/sdk";
  options.server_url = proxy.url();
  options.write_key = testing::kWriteKey;
  options.clock = &clock;
  options.scheduler = &scheduler;
  options.http = http.get();
  options.max_batch_events = 50;
  options.request_timeout_ms = 400;  // a hung request costs 0.4 s of real time
  options.random_seed = 99;
  auto opened = Client::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& client = *opened;

  constexpr int kEvents = 3000;
  for (int i = 0; i < kEvents; ++i) {
    Product p;
    p.product_id = "p-" + std::to_string(i % 120);
    p.sku = p.product_id + "-s";
    p.price = 12.5;
    p.currency = "EUR";
    ASSERT_TRUE(client->ProductViewed(p).ok());
    if (i % 100 == 0) clock.AdvanceMs(1000);
  }

  for (int step = 0; step < 20000; ++step) {
    scheduler.RunDue();
    if (client->Stats().queued == 0 && step > 0 && server.StatsField("events") == kEvents) {
      break;
    }
    const int64_t next = scheduler.NextDueMs();
    ASSERT_GE(next, 0) << "nothing scheduled while events are still queued";
    clock.SetMs(std::max(next, clock.NowMs()));
  }

  EXPECT_EQ(client->Stats().queued, 0u);
  EXPECT_EQ(server.StatsField("events"), kEvents) << "0 lost, 0 duplicated";

  // Every fault kind happened, and after each 429 the next batch request waited Retry-After.
  std::map<Fault, int> kinds;
  const auto log = proxy.Log();
  int checked_429 = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].path.rfind("/v1/batch", 0) != 0) continue;
    ++kinds[log[i].fault];
    if (log[i].fault != Fault::kRateLimit429) continue;
    for (size_t j = i + 1; j < log.size(); ++j) {
      if (log[j].path.rfind("/v1/batch", 0) != 0) continue;
      EXPECT_GE(log[j].at_ms - log[i].at_ms, int64_t{log[i].retry_after_s} * 1000)
          << "request " << j << " came before the Retry-After of request " << i;
      ++checked_429;
      break;
    }
  }
  for (Fault f : {Fault::kNone, Fault::kError500, Fault::kRateLimit429, Fault::kResetBeforeForward,
                  Fault::kResetAfterForward, Fault::kHang}) {
    EXPECT_GT(kinds[f], 0) << "no " << testing::FaultName(f) << " was injected";
  }
  EXPECT_GT(checked_429, 0);
  const double faulted =
      1.0 - static_cast<double>(kinds[Fault::kNone]) / static_cast<double>(log.size());
  EXPECT_GT(faulted, 0.2);
}

}  // namespace
}  // namespace vitrine
