// GET /v1/snapshot, admin messages and catalog, deletion, healthz and metrics over a real listener.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "sync_server/config.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::HttpCall;
using testing::kAdminKey;
using testing::kWriteKey;
using testing::MakeEvent;
using testing::OrderEvent;
using testing::ProductEvent;
using testing::TestServer;

v1::Snapshot GetSnapshot(TestServer& server, const std::string& query,
                         std::string* etag = nullptr) {
  auto r = server.Get("/v1/snapshot?" + query, kWriteKey);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  v1::Snapshot snap;
  EXPECT_TRUE(snap.ParseFromString(r.body));
  if (etag) *etag = r.Header("etag");
  return snap;
}

bool Contains(const google::protobuf::RepeatedPtrField<v1::ScoredItem>& items,
              const std::string& id) {
  return std::any_of(items.begin(), items.end(),
                     [&](const auto& s) { return s.product_id() == id; });
}

const v1::Neighbours* NeighboursOf(const v1::Snapshot& snap, const std::string& id) {
  for (const auto& n : snap.neighbours()) {
    if (n.product_id() == id) return &n;
  }
  return nullptr;
}

// Shoppers who view "serum" also view "toner"; "mask" is viewed alone, many times.
void IngestViews(TestServer& server) {
  v1::Batch b;
  uint64_t id = 1;
  const int64_t t = 1'767'000'000'000;
  for (int shopper = 0; shopper < 5; ++shopper) {
    const std::string anon = "shopper-" + std::to_string(shopper);
    *b.add_events() = ProductEvent(id++, "product_viewed", anon, "serum", t + shopper * 1000);
    *b.add_events() =
        ProductEvent(id++, "product_viewed", anon, "toner", t + shopper * 1000 + 60'000);
  }
  for (int i = 0; i < 3; ++i) {
    // A day apart: outside the co-occurrence window.
    *b.add_events() =
        ProductEvent(id++, "product_added_to_cart", "loner", "mask", t + i * 86'400'000LL);
  }
  *b.add_events() = OrderEvent(id++, "shopper-0", "o-1", "serum", t + 120'000);
  ASSERT_EQ(server.PostBatch(b).status, 200);
}

TEST(SnapshotHttpTest, ReflectsPopularityNeighboursAndPurchases) {
  TestServer server;
  IngestViews(server);
  v1::Snapshot snap = GetSnapshot(server, "anonymous_id=shopper-0");
  EXPECT_FALSE(snap.profile_id().empty());
  EXPECT_EQ(snap.ttl_seconds(), 900u);
  EXPECT_FALSE(snap.model_version().empty());
  ASSERT_GE(snap.popular_size(), 3);
  // serum: 5 views + order (5) = 10; mask: 3 cart adds = 9; toner: 5 views.
  EXPECT_EQ(snap.popular(0).product_id(), "serum");
  EXPECT_TRUE(Contains(snap.popular(), "mask"));
  const v1::Neighbours* n = NeighboursOf(snap, "serum");
  ASSERT_NE(n, nullptr);
  ASSERT_GE(n->items_size(), 1);
  EXPECT_EQ(n->items(0).product_id(), "toner");
  EXPECT_EQ(NeighboursOf(snap, "mask"), nullptr);  // never seen with anything
  ASSERT_EQ(snap.purchased_product_ids_size(), 1);
  EXPECT_EQ(snap.purchased_product_ids(0), "serum");
  EXPECT_FALSE(Contains(snap.personal(), "serum"));  // purchased: not recommended again
  EXPECT_TRUE(Contains(snap.personal(), "toner"));
  // Items seen only in events get their catalog entry from the product lines.
  bool has_toner = false;
  for (const auto& item : snap.catalog()) {
    if (item.product_id() == "toner") {
      has_toner = true;
      EXPECT_EQ(item.title(), "Product toner");
      EXPECT_EQ(item.price_micros(), 12'340'000);
      EXPECT_EQ(item.category(), "Skin Care/Face");
    }
  }
  EXPECT_TRUE(has_toner);

  // An unknown device gets the non-personal snapshot.
  v1::Snapshot anon = GetSnapshot(server, "anonymous_id=never-seen");
  EXPECT_TRUE(anon.profile_id().empty());
  EXPECT_EQ(anon.popular(0).product_id(), "serum");
}

TEST(SnapshotHttpTest, EtagAnd304) {
  TestServer server;
  IngestViews(server);
  std::string etag;
  GetSnapshot(server, "anonymous_id=shopper-1", &etag);
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(etag.front(), '"');
  std::string again;
  GetSnapshot(server, "anonymous_id=shopper-1", &again);
  EXPECT_EQ(etag, again);  // generated_at changed, the content did not

  auto r = server.Get("/v1/snapshot?anonymous_id=shopper-1", kWriteKey, {{"If-None-Match", etag}});
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.Header("etag"), etag);

  // New activity changes the content, so the old tag no longer matches.
  v1::Batch b;
  *b.add_events() = ProductEvent(9000, "product_viewed", "shopper-1", "cleanser");
  ASSERT_EQ(server.PostBatch(b).status, 200);
  r = server.Get("/v1/snapshot?anonymous_id=shopper-1", kWriteKey, {{"If-None-Match", etag}});
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.Header("etag"), etag);

  // JSON on request.
  r = server.Get("/v1/snapshot?anonymous_id=shopper-1", kWriteKey,
                 {{"Accept", "application/json"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "application/json");
  v1::Snapshot from_json;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &from_json).ok());
  EXPECT_TRUE(Contains(from_json.popular(), "cleanser"));

  EXPECT_EQ(server.Get("/v1/snapshot?anonymous_id=x", "").status, 401);
}

TEST(SnapshotHttpTest, AdminMessagesAppearInTheSnapshot) {
  TestServer server;
  const std::string message = R"({"id": "cart-reminder", "priority": 5,
    "trigger": {"event_type": "product_added_to_cart", "absent_event_type": "checkout_started",
                "absence_ms": 1800000},
    "content": {"title": "Still thinking?", "product_ids": ["serum"]}})";
  auto r = server.PostJson("/v1/admin/messages", message);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(server
                .PostJson("/v1/admin/messages", R"({"id": "x", "trigger": {"event_type": "nope"},
    "content": {"title": "t"}})")
                .status,
            400);
  EXPECT_EQ(server.PostJson("/v1/admin/messages", message, kWriteKey).status, 403);
  r = server.Get("/v1/admin/messages");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("cart-reminder"), std::string::npos);

  // The catalog feeds the snapshot's catalog slice for referenced items.
  r = server.PostJson("/v1/admin/catalog",
                      R"({"items": [{"product_id": "serum", "title": "Glow Serum",
    "price_micros": 25000000, "currency": "EUR", "category": "Skin Care/Face/Serums", "stock": 4}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(server.PostJson("/v1/admin/catalog", R"({"items": [{"title": "no id"}]})").status, 400);

  v1::Snapshot snap = GetSnapshot(server, "anonymous_id=someone");
  ASSERT_EQ(snap.messages_size(), 1);
  EXPECT_EQ(snap.messages(0).id(), "cart-reminder");
  EXPECT_EQ(snap.messages(0).content().title(), "Still thinking?");
  ASSERT_EQ(snap.catalog_size(), 1);
  EXPECT_EQ(snap.catalog(0).title(), "Glow Serum");

  r = HttpCall(server.port(), "DELETE", "/v1/admin/messages/cart-reminder",
               {{"Authorization", std::string("Bearer ") + kAdminKey}});
  EXPECT_EQ(r.status, 204);
  r = HttpCall(server.port(), "DELETE", "/v1/admin/messages/cart-reminder",
               {{"Authorization", std::string("Bearer ") + kAdminKey}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(GetSnapshot(server, "anonymous_id=someone").messages_size(), 0);
}

TEST(SnapshotHttpTest, DeletionRequestRemovesTheProfileForGood) {
  TestServer server;
  v1::Batch history;
  for (uint64_t i = 1; i <= 5; ++i) {
    v1::Event e = ProductEvent(i, "product_viewed", "doomed", "p1",
                               1'767'000'000'000 + static_cast<int64_t>(i));
    e.set_user_id("user-gone");
    *history.add_events() = e;
  }
  *history.add_events() = ProductEvent(50, "product_viewed", "bystander", "p1");
  ASSERT_EQ(server.PostBatch(history).status, 200);
  ASSERT_EQ(server.Get("/v1/admin/profiles?user_id=user-gone").status, 200);

  v1::Batch deletion;
  *deletion.add_events() = MakeEvent(100, "deletion_requested", "doomed", 1'767'000'100'000);
  auto r = server.PostBatch(deletion);
  ASSERT_EQ(r.status, 200);
  v1::BatchAck ack;
  ASSERT_TRUE(ack.ParseFromString(r.body));
  EXPECT_EQ(ack.acked_event_ids_size(), 1);
  EXPECT_EQ(server.Get("/v1/admin/profiles?user_id=user-gone").status, 404);
  EXPECT_EQ(server.Get("/v1/admin/profiles?anonymous_id=doomed").status, 404);

  // A retried old batch is acked but does not resurrect anything.
  r = server.PostBatch(history);
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(ack.ParseFromString(r.body));
  EXPECT_EQ(ack.acked_event_ids_size(), 6);
  EXPECT_EQ(ack.stored(), 0u);
  EXPECT_EQ(server.Get("/v1/admin/profiles?user_id=user-gone").status, 404);
  auto stats = server.Get("/v1/admin/stats");
  EXPECT_NE(stats.body.find("\"events\":1,"), std::string::npos) << stats.body;
  EXPECT_NE(stats.body.find("\"profiles\":1,"), std::string::npos) << stats.body;
  EXPECT_TRUE(GetSnapshot(server, "anonymous_id=doomed").profile_id().empty());
}

TEST(OpsHttpTest, HealthzAndMetrics) {
  TestServer server;
  auto r = HttpCall(server.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  v1::Batch b;
  *b.add_events() = ProductEvent(1, "product_viewed", "a", "p");
  ASSERT_EQ(server.PostBatch(b).status, 200);
  ASSERT_EQ(server.PostBatch(b).status, 200);
  ASSERT_EQ(server.PostBatch(b, "bad-key").status, 401);
  std::string etag;
  GetSnapshot(server, "anonymous_id=a", &etag);
  EXPECT_EQ(server.Get("/v1/snapshot?anonymous_id=a", kWriteKey, {{"If-None-Match", etag}}).status,
            304);

  r = HttpCall(server.port(), "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  const std::string& m = r.body;
  EXPECT_NE(m.find("vitrine_http_requests_total{route=\"/v1/batch\",status=\"200\"} 2"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("vitrine_http_requests_total{route=\"/v1/batch\",status=\"401\"} 1"),
            std::string::npos);
  EXPECT_NE(m.find("vitrine_events_ingested_total 1\n"), std::string::npos);
  EXPECT_NE(m.find("vitrine_events_duplicate_total 1\n"), std::string::npos);
  EXPECT_NE(m.find("vitrine_batches_rejected_total 1\n"), std::string::npos);
  EXPECT_NE(m.find("vitrine_ingest_latency_ms_count 2\n"), std::string::npos);
  EXPECT_NE(m.find("vitrine_snapshot_not_modified_ratio 0.5\n"), std::string::npos);
}

TEST(ConfigTest, FileThenFlagsWin) {
  testing::TempDir dir;
  const std::filesystem::path path = dir.File("vitrine.conf");
  {
    std::ofstream f(path);
    f << "# comment\nlisten = http://127.0.0.1:9000\nwrite_key = from-file\nadmin-key = admin\n"
         "max-batch-events = 10\ndemo = true\n";
  }
  auto config = ParseConfig({"--write-key", "from-flag", "--config", path.string(),
                             "--demo-customers=7", "--access-log", "false", "--demo"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->listen, "http://127.0.0.1:9000");
  EXPECT_EQ(config->write_key, "from-flag");
  EXPECT_EQ(config->admin_key, "admin");
  EXPECT_EQ(config->limits.max_events, 10u);
  EXPECT_TRUE(config->demo);
  EXPECT_EQ(config->demo_customers, 7u);
  EXPECT_FALSE(config->access_log);
  EXPECT_FALSE(ParseConfig({"--no-such-flag", "1"}).ok());
  EXPECT_FALSE(ParseConfig({"--max-batch-events", "many"}).ok());
}

}  // namespace
}  // namespace vitrine::server

namespace vitrine::server {
namespace {

TEST(DemoLoadTest, LoadsTheDemoShopThroughTheIngestService) {
  testing::TempDir dir;
  ServerConfig config;
  config.db = dir.File("demo.db");
  config.demo_customers = 40;
  auto app = App::Open(config);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  Status s = (*app)->LoadDemo();
  if (s.code() == "no_demo") GTEST_SKIP() << "built without the demo shop generator";
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto stats = (*app)->admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(stats->events, 40);
  EXPECT_GT(stats->catalog_items, 0);
  EXPECT_GT(stats->orders, 0);
  // Every demo customer identifies: at most one profile each.
  EXPECT_LE(stats->profiles, 40);
  std::string user;
  for (int i = 0; i <= 40 && user.empty(); ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "cust-%06d", i);
    if ((*app)->admin().FindProfile(id, "").ok()) user = id;
  }
  ASSERT_FALSE(user.empty()) << "no identified demo customer";
  auto snap = (*app)->snapshots().Build("", user);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->snapshot.profile_id().empty());
  EXPECT_GT(snap->snapshot.popular_size(), 0);
  EXPECT_GT(snap->snapshot.catalog_size(), 0);
  // Loading again is idempotent: every event is a duplicate.
  ASSERT_TRUE((*app)->LoadDemo().ok());
  EXPECT_EQ((*app)->admin().Stats()->events, stats->events);
}

}  // namespace
}  // namespace vitrine::server
