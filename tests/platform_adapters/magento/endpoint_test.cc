// POST /v1/magento/events over a real server (App + HttpServer on loopback, real SQLite file):
// signature checks before anything is stored, dedup of retried notifications, newest-wins,
// durable queue across a restart, and one order counted once between Magento and the SDK.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "platform_adapters/magento/server_module.h"
#include "tests/platform_adapters/magento/fake_magento.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::magento {
namespace {

using server::App;
using server::HttpServer;
using server::ServerConfig;
using server::testing::HttpCall;
using server::testing::HttpResponse;
using server::testing::TestServer;

constexpr int64_t kNowMs = 1'767'000'000'000;
constexpr const char* kSecret = "magento-shared-secret";

MagentoModuleOptions Options(bool start = true) {
  MagentoModuleOptions o;
  o.signature.secrets = {kSecret};
  o.start_processor = start;
  o.clock_ms = [] { return kNowMs; };
  return o;
}

HttpResponse Post(uint16_t port, const std::string& body, const std::string& event_id,
                  const std::string& secret = kSecret, int64_t ts = kNowMs / 1000) {
  return HttpCall(port, "POST", "/v1/magento/events",
                  {{"Content-Type", "application/json"},
                   {"X-Vitrine-Event-Id", event_id},
                   {"X-Vitrine-Timestamp", std::to_string(ts)},
                   {"X-Vitrine-Signature", SignNotification(secret, ts, event_id, body)}},
                  body);
}

const std::string kStore =
    R"("store":{"code":"default","base_url":"https://shop.example/","currency":"USD"})";

std::string ProductBody(int64_t id, const std::string& name, const std::string& updated_at) {
  return R"({"topic":"product.saved",)" + kStore + R"(,"data":{"id":)" + std::to_string(id) +
         R"(,"sku":"S)" + std::to_string(id) + R"(","name":")" + name +
         R"(","price":10,"status":1,"visibility":4,"updated_at":")" + updated_at +
         R"(","custom_attributes":[{"attribute_code":"url_key","value":"p)" + std::to_string(id) +
         R"("}]}})";
}

struct Mounted {
  MagentoRouteModule* module = nullptr;
};

std::function<void(App&)> MountWith(Mounted& m, MagentoModuleOptions options) {
  return [&m, options](App& app) {
    auto module = MagentoRouteModule::Create(&app, options);
    ASSERT_TRUE(module.ok()) << module.status().ToString();
    m.module = module->get();
    app.Mount(std::move(*module));
  };
}

class MagentoEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("VITRINE_MAGENTO_SECRET"); }
};

TEST_F(MagentoEndpointTest, BadSignaturesAre401AndStoreNothing) {
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  const std::string body = ProductBody(1, "Tee", "2026-01-01 00:00:00");
  const uint16_t port = server.port();
  // Wrong secret.
  EXPECT_EQ(Post(port, body, "e1", "not-the-secret").status, 401);
  // Signed, then the body re-serialised (whitespace): the bytes no longer match.
  {
    const std::string sig = SignNotification(kSecret, kNowMs / 1000, "e2", body);
    std::string reserialised = body;
    reserialised.insert(1, " ");
    auto r = HttpCall(port, "POST", "/v1/magento/events",
                      {{"X-Vitrine-Event-Id", "e2"},
                       {"X-Vitrine-Timestamp", std::to_string(kNowMs / 1000)},
                       {"X-Vitrine-Signature", sig}},
                      reserialised);
    EXPECT_EQ(r.status, 401);
  }
  // Signature of another event id replayed under a new id.
  {
    auto r =
        HttpCall(port, "POST", "/v1/magento/events",
                 {{"X-Vitrine-Event-Id", "e3"},
                  {"X-Vitrine-Timestamp", std::to_string(kNowMs / 1000)},
                  {"X-Vitrine-Signature", SignNotification(kSecret, kNowMs / 1000, "e1", body)}},
                 body);
    EXPECT_EQ(r.status, 401);
  }
  // Stale (an hour old) and missing headers.
  EXPECT_EQ(Post(port, body, "e4", kSecret, kNowMs / 1000 - 3600).status, 401);
  EXPECT_EQ(HttpCall(port, "POST", "/v1/magento/events", {}, body).status, 401);
  auto r = Post(port, body, "e5", "nope");
  EXPECT_NE(r.body.find("bad_signature"), std::string::npos) << r.body;
  auto counts = m.module->inbox().Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->pending + counts->done, 0);
  EXPECT_FALSE(server.app().catalog().Get("1"));
  // The right signature goes through.
  EXPECT_EQ(Post(port, body, "e6").status, 202);
  EXPECT_EQ(HttpCall(port, "GET", "/v1/magento/events").status, 405);
}

TEST_F(MagentoEndpointTest, SignatureRotationAcceptsEitherSecret) {
  SignatureOptions options;
  options.secrets = {"new", "old"};
  std::map<std::string, std::string> h = {{"x-vitrine-event-id", "id-1"},
                                          {"x-vitrine-timestamp", "1000"}};
  h["x-vitrine-signature"] = SignNotification("old", 1000, "id-1", "{}");
  EXPECT_EQ(VerifyNotification(h, "{}", options, 1000), SignatureVerdict::kValid);
  h["x-vitrine-signature"] = SignNotification("zzz", 1000, "id-1", "{}") + "," +
                             SignNotification("new", 1000, "id-1", "{}");
  EXPECT_EQ(VerifyNotification(h, "{}", options, 1000), SignatureVerdict::kValid);
  h["x-vitrine-signature"] = SignNotification("zzz", 1000, "id-1", "{}");
  EXPECT_EQ(VerifyNotification(h, "{}", options, 1000), SignatureVerdict::kMismatch);
  EXPECT_EQ(VerifyNotification(h, "{}", options, 1000 + 301), SignatureVerdict::kStale);
  h["x-vitrine-event-id"] = "has space";
  EXPECT_EQ(VerifyNotification(h, "{}", options, 1000), SignatureVerdict::kMissing);
}

TEST_F(MagentoEndpointTest, ProductNotificationReachesTheCatalogOnceAndNewestWins) {
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  const uint16_t port = server.port();
  const std::string newer = ProductBody(7, "Tee v2", "2026-01-02 00:00:00");
  const std::string older = ProductBody(7, "Tee v1", "2026-01-01 00:00:00");
  EXPECT_EQ(Post(port, newer, "p7-2").status, 202);
  // Magento's module retrying the same notification: stored once.
  auto dup = Post(port, newer, "p7-2");
  EXPECT_EQ(dup.status, 200);
  EXPECT_NE(dup.body.find("duplicate"), std::string::npos);
  // An older save delivered late.
  EXPECT_EQ(Post(port, older, "p7-1").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  auto item = server.app().catalog().Get("7");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->title(), "Tee v2");
  EXPECT_EQ(item->url(), "https://shop.example/p7.html");
  const ProcessorStats stats = m.module->processor().stats();
  EXPECT_EQ(stats.applied, 1);
  EXPECT_EQ(stats.stale, 1);
  EXPECT_EQ(*m.module->inbox().Outcome("p7-1"), "stale");
}

TEST_F(MagentoEndpointTest, OrderFromMagentoAndFromTheSdkCountsOnce) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  auto order = testing::FixtureResponse("docs/tutorials__orders__order-create-order.1.json");
  ASSERT_TRUE(order);
  const std::string body =
      R"({"topic":"order.saved",)" + kStore + R"(,"data":)" + testing::ToJson(*order) + "}";
  EXPECT_EQ(Post(server.port(), body, "o3").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(m.module->processor().stats().applied, 1);
  // The storefront's SDK reports the same order (its order_id is the increment id).
  v1::Batch batch;
  v1::Event e = server::testing::MakeEvent(1, "order_completed", "browser-anon-1");
  e.set_user_id(UserIdFor(3));
  e.mutable_order()->set_order_id("000000003");
  e.mutable_order()->set_value_micros(165000000);
  e.mutable_order()->set_currency("USD");
  *e.add_products() = server::testing::Line("1553");
  *batch.add_events() = e;
  auto r = server.PostBatch(batch);
  ASSERT_EQ(r.status, 200) << r.body;
  auto stats = server.app().store().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->orders, 1);
  // The same order notified again (status change) is stale or a duplicate event: still one.
  EXPECT_EQ(Post(server.port(), body, "o3-again").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(server.app().store().Stats()->orders, 1);
}

// Events of one type in the server's store, with the profile each landed in.
std::vector<std::pair<int64_t, v1::Event>> EventsOfType(App& app, const std::string& type) {
  std::vector<std::pair<int64_t, v1::Event>> out;
  EXPECT_TRUE(app.store()
                  .ScanEvents([&](int64_t profile, const v1::Event& e) {
                    if (e.type() == type) out.emplace_back(profile, e);
                  })
                  .ok());
  return out;
}

// creditmemo.saved as the module sends it: the memo plus its order. The memo is Adobe's
// documented invoice of order 3, which has the credit memo's shape (records_test.cc).
TEST_F(MagentoEndpointTest, CreditMemoNotificationIsOneRefundInTheBuyersProfile) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  auto order = testing::FixtureResponse("docs/tutorials__orders__order-create-order.1.json");
  auto memo = testing::FixtureResponse("docs/tutorials__orders__order-create-invoice.1.json");
  ASSERT_TRUE(order && memo);
  const std::string order_body =
      R"({"topic":"order.saved",)" + kStore + R"(,"data":)" + testing::ToJson(*order) + "}";
  const std::string memo_body = R"({"topic":"creditmemo.saved",)" + kStore + R"(,"data":)" +
                                testing::ToJson(*memo) + R"(,"order":)" + testing::ToJson(*order) +
                                "}";
  EXPECT_EQ(Post(server.port(), order_body, "o3").status, 202);
  EXPECT_EQ(Post(server.port(), memo_body, "cm3").status, 202);
  EXPECT_EQ(Post(server.port(), memo_body, "cm3").status, 200);  // the module's retry
  // The memo saved again (a comment added, say): a new notification id, the same refund.
  std::string resaved = memo_body;
  const std::string stamp = R"("updated_at":"2017-08-21 22:36:03")";
  resaved.replace(resaved.find(stamp), stamp.size(), R"("updated_at":"2017-08-22 09:00:00")");
  EXPECT_EQ(Post(server.port(), resaved, "cm3-resaved").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(*m.module->inbox().Outcome("cm3"), "applied");
  auto refunds = EventsOfType(server.app(), "order_refunded");
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].second.order().order_id(), "000000003");
  EXPECT_EQ(refunds[0].second.order().value_micros(), 165000000);
  auto orders = EventsOfType(server.app(), "order_completed");
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(refunds[0].first, orders[0].first);        // the buyer's profile
  EXPECT_EQ(server.app().store().Stats()->orders, 1);  // a refund is not another order

  // The scheduled import reads the same order and memo: still one order, one refund.
  testing::FakeMagento fake;
  fake.SetRows("V1/orders", {testing::RowFrom(*order, "entity_id")});
  fake.SetRows("V1/creditmemos", {testing::RowFrom(*memo, "entity_id")});
  auto transport = adapters::NewCurlHttpClient();
  RestOptions rest;
  rest.base_url = fake.url();
  rest.bearer_token = "t";
  RestClient client(rest, transport.get());
  ImportOptions import;
  import.products = false;
  import.customers = false;
  AppSink sink(&server.app());
  ImportReport report;
  ASSERT_TRUE(Import(client, import, sink, &report).ok());
  EXPECT_EQ(report.refunds, 1);
  EXPECT_EQ(EventsOfType(server.app(), "order_refunded").size(), 1u);
  EXPECT_EQ(EventsOfType(server.app(), "order_completed").size(), 1u);

  // Without its order the memo cannot be attributed: kept as malformed, not retried.
  const std::string orphan =
      R"({"topic":"creditmemo.saved",)" + kStore + R"(,"data":)" + testing::ToJson(*memo) + "}";
  EXPECT_EQ(Post(server.port(), orphan, "cm-orphan").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(*m.module->inbox().Outcome("cm-orphan"),
            "malformed: creditmemo.saved without its order");
}

std::string StoreProductBody(const std::string& code, int64_t store_id, const std::string& name,
                             const std::string& updated_at) {
  std::string body = ProductBody(7, name, updated_at);
  body.replace(body.find(kStore), kStore.size(),
               R"("store":{"code":")" + code + R"(","id":)" + std::to_string(store_id) +
                   R"(,"base_url":"https://shop.example/)" + (code == "default" ? "" : code + "/") +
                   R"(","currency":")" + (code == "fr" ? "EUR" : "USD") + R"("})");
  return body;
}

TEST_F(MagentoEndpointTest, AnotherStoreViewsProductNeverOverwritesTheCatalogsView) {
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  const uint16_t port = server.port();
  EXPECT_EQ(Post(port, StoreProductBody("default", 1, "Tee", "2026-01-01 00:00:00"), "d1").status,
            202);
  // Saved later in the French view's scope: its own title and currency.
  EXPECT_EQ(Post(port, StoreProductBody("fr", 2, "T-shirt", "2026-01-02 00:00:00"), "f1").status,
            202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  auto item = server.app().catalog().Get("7");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->title(), "Tee");
  EXPECT_EQ(item->currency(), "USD");
  EXPECT_EQ(item->url(), "https://shop.example/p7.html");
  EXPECT_EQ(*m.module->inbox().Outcome("f1"),
            "ignored: store view 'fr' is not the catalog's ('default')");
  EXPECT_EQ(m.module->processor().stats().ignored, 1);
  // The default view's next save is not taken for stale because of the French one.
  EXPECT_EQ(
      Post(port, StoreProductBody("default", 1, "Tee v2", "2026-01-01 12:00:00"), "d2").status,
      202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(server.app().catalog().Get("7")->title(), "Tee v2");
}

TEST_F(MagentoEndpointTest, ACatalogConfiguredForAnotherViewTakesThatViewsProducts) {
  Mounted m;
  MagentoModuleOptions options = Options();
  options.catalog_store = "fr";
  TestServer server(ServerConfig{}, MountWith(m, options));
  EXPECT_EQ(
      Post(server.port(), StoreProductBody("fr", 2, "T-shirt", "2026-01-02 00:00:00"), "f1").status,
      202);
  EXPECT_EQ(Post(server.port(), StoreProductBody("default", 1, "Tee", "2026-01-03 00:00:00"), "d1")
                .status,
            202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  auto item = server.app().catalog().Get("7");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->title(), "T-shirt");
  EXPECT_EQ(item->currency(), "EUR");
  EXPECT_EQ(item->url(), "https://shop.example/fr/p7.html");
}

TEST_F(MagentoEndpointTest, MalformedAndUnknownTopicsAreKeptNotRetried) {
  Mounted m;
  TestServer server(ServerConfig{}, MountWith(m, Options()));
  EXPECT_EQ(Post(server.port(), "not json", "bad-1").status, 202);
  EXPECT_EQ(Post(server.port(), R"({"topic":"cart.saved","data":{}})", "bad-2").status, 202);
  ASSERT_TRUE(m.module->processor().WaitDrained(30000));
  EXPECT_EQ(m.module->processor().stats().malformed, 1);
  EXPECT_EQ(m.module->processor().stats().ignored, 1);
  EXPECT_TRUE(m.module->inbox().Outcome("bad-1")->starts_with("malformed: "));
  EXPECT_EQ(m.module->inbox().Counts()->pending, 0);
}

// Accepted notifications are durable before the 202: a server stopped before processing them
// finds them at the next start.
TEST_F(MagentoEndpointTest, RestartLosesNothing) {
  server::testing::TempDir dir;
  ServerConfig config;
  config.db = dir.File("vitrine.db");
  config.write_key = server::testing::kWriteKey;
  config.admin_key = server::testing::kAdminKey;
  config.access_log = false;
  auto start = [&](bool process, MagentoRouteModule** module, std::unique_ptr<App>& app,
                   std::unique_ptr<HttpServer>& http, uint16_t& port) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port = server::testing::FreePort();
      config.listen = "http://127.0.0.1:" + std::to_string(port);
      auto opened = App::Open(config);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      app = std::move(*opened);
      auto created = MagentoRouteModule::Create(app.get(), Options(process));
      ASSERT_TRUE(created.ok()) << created.status().ToString();
      *module = created->get();
      app->Mount(std::move(*created));
      http = std::make_unique<HttpServer>(app.get());
      if (http->Start().ok()) return;
      http.reset();
      app.reset();
    }
    FAIL() << "cannot start";
  };
  {
    std::unique_ptr<App> app;
    std::unique_ptr<HttpServer> http;
    MagentoRouteModule* module = nullptr;
    uint16_t port = 0;
    start(/*process=*/false, &module, app, http, port);
    ASSERT_NE(module, nullptr);
    for (int i = 1; i <= 5; ++i) {
      EXPECT_EQ(
          Post(port, ProductBody(100 + i, "Item", "2026-01-01 00:00:00"), "r" + std::to_string(i))
              .status,
          202);
    }
    EXPECT_EQ(module->inbox().Counts()->pending, 5);
    EXPECT_FALSE(app->catalog().Get("101"));
    app->ingest().Stop();
    http.reset();
    app.reset();
  }
  std::unique_ptr<App> app;
  std::unique_ptr<HttpServer> http;
  MagentoRouteModule* module = nullptr;
  uint16_t port = 0;
  start(/*process=*/true, &module, app, http, port);
  ASSERT_NE(module, nullptr);
  ASSERT_TRUE(module->processor().WaitDrained(30000));
  for (int i = 1; i <= 5; ++i) EXPECT_TRUE(app->catalog().Get(std::to_string(100 + i))) << i;
  // The ids still deduplicate after the restart.
  EXPECT_EQ(Post(port, ProductBody(101, "Item", "2026-01-01 00:00:00"), "r1").status, 200);
  app->ingest().Stop();
  http.reset();
  app.reset();
}

// server.cc mounts the module when the shared secret is in the environment.
TEST_F(MagentoEndpointTest, MountedFromTheEnvironment) {
  {
    TestServer server;
    EXPECT_EQ(Post(server.port(), "{}", "x").status, 404);
  }
  setenv("VITRINE_MAGENTO_SECRET", kSecret, 1);
  TestServer server;
  unsetenv("VITRINE_MAGENTO_SECRET");
  const int64_t now_s = App::SystemClockMs() / 1000;
  EXPECT_EQ(Post(server.port(), "{}", "x", "wrong", now_s).status, 401);
  EXPECT_EQ(Post(server.port(), "{}", "x", kSecret, now_s).status, 202);
}

}  // namespace
}  // namespace vitrine::magento
