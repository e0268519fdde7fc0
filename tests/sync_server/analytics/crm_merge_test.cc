// CRM import merged into the server's unified profiles through the real ingest (identity graph,
// order_id dedup), then the analytics compute over the merged store.
#include "sync_server/analytics/crm_merge.h"

#include <gtest/gtest.h>

#include <sstream>

#include "sync_server/analytics/analytics_job.h"
#include "sync_server/analytics/crm_csv.h"
#include "sync_server/analytics/profile_store.h"
#include "sync_server/batch_codec.h"
#include "sync_server/server.h"
#include "tests/support/temp_dir.h"

namespace vitrine::server::analytics {
namespace {

IngestBatchFn IngestInto(App& app) {
  return [&app](v1::Batch batch) -> StatusOr<IngestOutcome> {
    auto r = app.ingest().Ingest(std::move(batch));
    if (!r.ok()) return r.status();
    return IngestOutcome{r->stored, r->duplicates};
  };
}

v1::Event SdkOrder(const std::string& order_id, const std::string& anon, const std::string& user) {
  v1::Event e;
  e.set_event_id(std::string(15, '\x01') + order_id.back());
  e.set_type("order_completed");
  e.set_occurred_at_ms(1'709'648'400'000);  // 2024-03-05T14:20:00Z
  e.set_anonymous_id(anon);
  e.set_user_id(user);
  e.mutable_order()->set_order_id(order_id);
  e.mutable_order()->set_currency("EUR");
  e.mutable_order()->set_value_micros(25'000'000);
  auto* p = e.add_products();
  p->set_product_id("sku-9");
  p->set_sku("sku-9");
  p->set_price_micros(12'500'000);
  p->set_currency("EUR");
  p->set_quantity(2);
  return e;
}

constexpr const char* kCsv =
    "customer_id,email,order_id,order_date,product_id,quantity,unit_price,currency\n"
    // A-1 was already sent by the SDK: acked as a duplicate, not counted twice.
    "c-17,ann@example.com,A-1,2024-03-05T14:20:00Z,sku-9,2,12.50,EUR\n"
    "c-17,Ann@Example.com,A-2,2024-04-01,sku-3,1,40.00,EUR\n"
    "c-17,ann@example.com,A-2,2024-04-01,sku-4,3,5.00,EUR\n"
    // Email only: a profile of its own until a row ties the email to a customer id.
    ",bob@example.com,B-1,2024-02-01,sku-3,1,40.00,EUR\n"
    "c-18,bob@example.com,B-2,2024-03-01,sku-9,1,12.50,EUR\n"
    // Inconsistent order: two customers on one order id.
    "c-19,,X-1,2024-03-01,sku-9,1,12.50,EUR\n"
    "c-20,,X-1,2024-03-01,sku-9,1,12.50,EUR\n"
    // Malformed row: reported by the CSV import, never reaches the merge.
    "c-21,,Z-1,2024-13-01,sku-9,1,12.50,EUR\n";

TEST(CrmMergeTest, EventsAreValidAndIdsStable) {
  std::istringstream in(kCsv);
  auto imported = ImportGenericCsv(in);
  ASSERT_TRUE(imported.ok());
  MergeReport report;
  auto events = OrdersToEvents(imported->lines, &report);
  ASSERT_EQ(events.size(), 4u);         // B-1, B-2
  EXPECT_EQ(report.issues.size(), 2u);  // both lines of X-1
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_TRUE(ValidateEvent(events[i], static_cast<int>(i), true).ok());
  }
  EXPECT_EQ(events[1].order().value_micros(), 55'000'000);
  EXPECT_EQ(events[1].products_size(), 2);
  EXPECT_EQ(events[1].anonymous_id(), "email:ann@example.com");
  EXPECT_EQ(events[0].event_id(), CrmOrderEventId("A-1"));
  EXPECT_NE(CrmOrderEventId("A-1"), CrmOrderEventId("A-2"));
}

TEST(CrmMergeTest, MergesThroughIdentityGraphWithoutDoubleCounting) {
  testing::TempDir dir;
  ServerConfig config;
  config.db = dir.File("vitrine.db");
  auto app = App::Open(config);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  // The shopper bought A-1 on the storefront, logged in as c-17.
  v1::Batch sdk;
  *sdk.add_events() = SdkOrder("A-1", "device-1", "c-17");
  ASSERT_TRUE((*app)->ingest().Ingest(sdk).ok());

  std::istringstream in(kCsv);
  auto imported = ImportGenericCsv(in);
  ASSERT_TRUE(imported.ok());
  EXPECT_EQ(imported->errors, 1);  // the bad date
  auto report = MergeOrders(imported->lines, IngestInto(**app));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->orders, 4);
  EXPECT_EQ(report->stored, 3);
  EXPECT_EQ(report->duplicates, 1);

  // Importing the same file again stores nothing.
  auto again = MergeOrders(imported->lines, IngestInto(**app));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stored, 0);
  EXPECT_EQ(again->duplicates, 4);

  Store& store = (*app)->store();
  auto c17 = store.FindProfileByUser("c-17");
  ASSERT_TRUE(c17.ok() && c17->has_value());
  // The device id, the email alias and the customer id are one profile.
  auto by_device = store.FindProfileByAnonymous("device-1");
  auto by_email = store.FindProfileByAnonymous("email:ann@example.com");
  ASSERT_TRUE(by_device.ok() && by_email.ok());
  EXPECT_EQ(*by_device, *c17);
  EXPECT_EQ(*by_email, *c17);
  auto info = store.GetProfile(**c17);
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ((*info)->order_count, 2);  // A-1 once, A-2
  // Bob's email-only order moved onto c-18 when B-2 tied them.
  auto c18 = store.FindProfileByUser("c-18");
  auto bob = store.FindProfileByAnonymous("email:bob@example.com");
  ASSERT_TRUE(c18.ok() && bob.ok() && c18->has_value());
  EXPECT_EQ(*bob, *c18);
  EXPECT_EQ((*store.GetProfile(**c18))->order_count, 2);

  // Profiles computed from the merged store count every order once.
  auto profiles = ProfileStore::Open(config.db);
  ASSERT_TRUE(profiles.ok());
  ComputeOptions options;
  options.segmentation.min_size = 1;
  options.segmentation.max_size = 2;
  auto computed = RunCompute(store, **profiles, options, 1'720'000'000'000);
  ASSERT_TRUE(computed.ok()) << computed.status().ToString();
  EXPECT_EQ(computed->buyers, 2);
  auto p = (*profiles)->GetProfile(**c17);
  ASSERT_TRUE(p.ok() && p->has_value());
  EXPECT_EQ((*p)->attributes.order_count, 2);
  EXPECT_DOUBLE_EQ((*p)->attributes.total_spend, 25 + 55);
}

}  // namespace
}  // namespace vitrine::server::analytics
