// The sync loop end to end: the native client against a real vitrine-server on loopback.
#include <gtest/gtest.h>

#include <set>

#include "tests/integration/server_harness.h"
#include "tests/support/temp_dir.h"
#include "vitrine/client.h"
#include "vitrine/testing.h"

namespace vitrine {
namespace {

using testing::ManualClock;
using testing::ServerProcess;
using testing::TempDir;

Product Item(int i) {
  Product p;
  p.product_id = "p-" + std::to_string(i % 300);
  p.sku = p.product_id + "-30ml";
  p.price = 10 + (i % 50);
  p.currency = "EUR";
  p.name = "Product " + std::to_string(i % 300);
  p.category = (i % 3 == 0) ? "Skin Care/Serums" : "Hair Care/Shampoo";
  return p;
}

TEST(EndToEnd, TenThousandEventsThreeSessionsOneIdentifyOneProfile) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_TRUE(server.ok()) << server.error();

  ManualClock clock;
  Options options;
  options.data_dir = dir.path() + "/sdk";
  options.server_url = server.url();
  options.write_key = testing::kWriteKey;
  options.clock = &clock;  // sessions split by moving the clock, not by waiting
  auto opened = Client::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& client = *opened;

  constexpr int kTotal = 10'000;
  std::set<std::string> sessions;
  int tracked = 0;
  for (int session = 0; session < 3; ++session) {
    const int in_session = session == 2 ? kTotal - tracked : kTotal / 3;
    for (int i = 0; i < in_session; ++i) {
      clock.AdvanceMs(50);
      if (session == 1 && i == 100) {
        ASSERT_TRUE(client->Identify("cust-e2e", {{"email", "e2e@example.com"}}).ok());
      } else if (i % 10 == 0) {
        ASSERT_TRUE(client->PageViewed("/c/" + std::to_string(i)).ok());
      } else if (i % 17 == 0) {
        ASSERT_TRUE(client->ProductAddedToCart(Item(i)).ok());
      } else {
        ASSERT_TRUE(client->ProductViewed(Item(i)).ok());
      }
      ++tracked;
      sessions.insert(client->Stats().session_id);
    }
    clock.AdvanceMs(31 * 60 * 1000);  // inactivity: the next event opens a new session
  }
  ASSERT_EQ(tracked, kTotal);
  EXPECT_EQ(sessions.size(), 3u);

  for (int attempt = 0; attempt < 20 && client->Stats().queued + 0 > 0; ++attempt) {
    (void)client->Flush();
  }
  Status flushed = client->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  EXPECT_EQ(client->Stats().queued, 0u);
  EXPECT_EQ(client->Stats().acked, static_cast<uint64_t>(kTotal));

  EXPECT_EQ(server.StatsField("events"), kTotal);
  EXPECT_EQ(server.StatsField("profiles"), 1);
  HttpResponse profile = server.Admin("GET", "/v1/admin/profiles?user_id=cust-e2e");
  ASSERT_EQ(profile.status, 200) << profile.body;
  EXPECT_EQ(ServerProcess::JsonInt(profile.body, "event_count"), kTotal) << profile.body;
}

}  // namespace
}  // namespace vitrine
