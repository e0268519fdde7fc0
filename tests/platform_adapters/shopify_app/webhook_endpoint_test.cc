// POST /v1/shopify/webhooks on a real server: HMAC (401 and nothing stored), both header
// spellings, secret rotation, durable dedup, asynchronous apply into the catalog / profiles /
// orders, newest-wins, app/uninstalled, GDPR redact, and no loss across a restart between
// enqueue and apply.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "platform_adapters/shopify/convert.h"
#include "sync_server/http/http_server.h"
#include "tests/platform_adapters/shopify_app/harness.h"

namespace vitrine::shopify::testing {
namespace {

constexpr const char* kOrderId = "820982911946154508";        // exact, from the gid
constexpr const char* kOrderCustomer = "115310627314723951";  // see OrderCustomerId below
constexpr const char* kProductId = "788032119674292922";
constexpr const char* kCustomerId = "706405506930370084";

// The orders fixture rounds the customer's numeric id; what the mapper keeps is whatever
// records.h decides (gid when present). Read it back through the same mapper.
std::string OrderCustomerId() {
  auto fixture = LoadWebhook("orders/create");
  if (!fixture) return kOrderCustomer;
  auto parsed = ParseWebhook("orders/create", fixture->body);
  return parsed.ok() ? DecimalId(std::get<OrderRecord>(*parsed.record).customer_id) : "";
}

TEST(ShopifyWebhookEndpointTest, BadSignaturesAre401AndStoreNothing) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  for (const char* topic :
       {"orders/create", "customers/redact", "shop/redact", "app/uninstalled"}) {
    Delivery wrong_secret = Delivery::Fixture(topic);
    wrong_secret.Sign("not-the-secret");
    EXPECT_EQ(server.Post(wrong_secret).status, 401) << topic;

    Delivery reserialised = Delivery::Fixture(topic);
    reserialised.body += " ";  // same JSON, other bytes
    EXPECT_EQ(server.Post(reserialised).status, 401) << topic;

    Delivery missing = Delivery::Fixture(topic);
    missing.headers.erase("X-Shopify-Hmac-Sha256");
    EXPECT_EQ(server.Post(missing).status, 401) << topic;
  }
  // A hex digest of the right HMAC is still refused.
  Delivery hex = Delivery::Fixture("orders/create");
  hex.Set("X-Shopify-Hmac-Sha256", std::string(64, 'a'));
  EXPECT_EQ(server.Post(hex).status, 401);

  EXPECT_EQ(server.Pending(), 0);
  EXPECT_EQ(server.Drain(), 0u);
  // The forged deliveries did not burn their ids: the genuine one is still accepted.
  auto genuine = server.Post(Delivery::Fixture("orders/create"));
  EXPECT_EQ(genuine.status, 200);
  EXPECT_NE(genuine.body.find("queued"), std::string::npos) << genuine.body;
}

TEST(ShopifyWebhookEndpointTest, FixtureDeliveriesAreAckedThenAppliedAsynchronously) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  for (const char* topic :
       {"products/update", "orders/create", "customers/create", "carts/create"}) {
    auto r = server.Post(Delivery::Fixture(topic));
    ASSERT_EQ(r.status, 200) << topic << ": " << r.body;
  }
  // Acknowledged, not applied yet.
  EXPECT_EQ(server.Pending(), 4);
  EXPECT_FALSE(server.app().catalog().Get(kProductId).has_value());
  EXPECT_EQ(server.Stats().orders, 0);

  EXPECT_EQ(server.Drain(), 4u);
  EXPECT_EQ(server.Pending(), 0);
  const auto product = server.app().catalog().Get(kProductId);
  ASSERT_TRUE(product.has_value());
  EXPECT_EQ(product->title(), "Example T-Shirt");
  EXPECT_EQ(product->url(), "https://example.myshopify.com/products/example-t-shirt");
  EXPECT_EQ(product->currency(), "USD");
  EXPECT_GT(product->stock(), 0);

  EXPECT_EQ(server.Stats().orders, 1);
  auto buyer = server.app().admin().FindProfile(OrderCustomerId(), "");
  ASSERT_TRUE(buyer.ok()) << buyer.status().ToString();
  EXPECT_EQ(buyer->order_count, 1);
  auto customer = server.app().admin().FindProfile(kCustomerId, "");
  ASSERT_TRUE(customer.ok()) << customer.status().ToString();
  auto events = server.app().admin().ListEvents(customer->profile_id, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type(), "identify");
  EXPECT_FALSE((*events)[0].traits().at("email").empty());
  auto cart = server.app().admin().FindProfile("", "shopify-cart:eeafa272cebfd4b22385bc4b645e762c");
  ASSERT_TRUE(cart.ok()) << cart.status().ToString();
  EXPECT_EQ(cart->event_count, 1);

  auto outcomes = server.shopify().store().Outcomes();
  ASSERT_TRUE(outcomes.ok());
  for (const auto& [id, outcome] : *outcomes) EXPECT_EQ(outcome, "applied") << id;
}

TEST(ShopifyWebhookEndpointTest, NewShopifyHeaderSpellingIsAccepted) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  Delivery fixture = Delivery::Fixture("products/update");
  Delivery renamed;
  renamed.body = fixture.body;
  for (const auto& [name, value] : fixture.headers) {
    std::string n = name;
    if (n.starts_with("X-Shopify-")) n = "shopify-" + n.substr(10);
    renamed.headers[n] = value;
  }
  ASSERT_EQ(renamed.headers.count("shopify-Hmac-Sha256"), 1u);
  EXPECT_EQ(server.Post(renamed).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  EXPECT_TRUE(server.app().catalog().Get(kProductId).has_value());
}

TEST(ShopifyWebhookEndpointTest, PreviousSecretIsAcceptedOnlyInsideTheRotationWindow) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  const int64_t now = server::App::SystemClockMs();
  ShopifyAppOptions open_window = TestOptions();
  open_window.api_secret = "the-new-secret";
  open_window.previous_secret = kFixtureSecret;
  open_window.previous_secret_until_ms = now + 3'600'000;
  ShopifyServer rotating(open_window);
  EXPECT_EQ(rotating.Post(Delivery::Fixture("orders/create")).status, 200);
  EXPECT_EQ(rotating.Post(Delivery::Fixture("orders/updated").Sign("the-new-secret")).status, 200);

  ShopifyAppOptions closed_window = open_window;
  closed_window.previous_secret_until_ms = now - 1;
  ShopifyServer rotated(closed_window);
  EXPECT_EQ(rotated.Post(Delivery::Fixture("orders/create")).status, 401);
  EXPECT_EQ(rotated.Pending(), 0);
}

TEST(ShopifyWebhookEndpointTest, RetriesAndMultiSubscriptionCopiesAreAppliedOnce) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  const Delivery order = Delivery::Fixture("orders/create");
  // Shopify's retries carry the same webhook id (and body).
  for (int i = 0; i < 4; ++i) EXPECT_EQ(server.Post(order).status, 200);
  // Another subscription's copy of the same event: new webhook id, same event id.
  Delivery copy = order;
  copy.Set("X-Shopify-Webhook-Id", "another-subscription");
  auto r = server.Post(copy);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("duplicate"), std::string::npos) << r.body;
  EXPECT_EQ(server.Pending(), 1);
  EXPECT_EQ(server.Drain(), 1u);
  // A retry after it was applied is still a duplicate.
  EXPECT_EQ(server.Post(order).status, 200);
  EXPECT_EQ(server.Drain(), 0u);
  // orders/updated for the same order (new ids) is applied but stores no second order.
  EXPECT_EQ(server.Post(Delivery::Fixture("orders/updated")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  const auto stats = server.Stats();
  EXPECT_EQ(stats.orders, 1);
  EXPECT_EQ(stats.events, 1);
}

TEST(ShopifyWebhookEndpointTest, OrderFromWebhookAndFromTheSdkIsCountedOnce) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  v1::Batch batch;
  *batch.add_events() = server::testing::OrderEvent(1, "browser-anon-1", kOrderId, "632910392");
  auto sdk = HttpCall(server.port(), "POST", "/v1/batch",
                      {{"Authorization", std::string("Bearer ") + server::testing::kWriteKey},
                       {"Content-Type", "application/x-protobuf"}},
                      batch.SerializeAsString());
  ASSERT_EQ(sdk.status, 200) << sdk.body;
  EXPECT_EQ(server.Post(Delivery::Fixture("orders/create")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  EXPECT_EQ(server.Stats().orders, 1);
}

TEST(ShopifyWebhookEndpointTest, OutOfOrderCustomerUpdatesKeepTheNewest) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  const std::string body = Delivery::Fixture("customers/update").body;
  auto with = [&](const std::string& updated_at, const std::string& email) {
    std::string b = body;
    const std::string from = "\"updated_at\":\"2021-12-31T19:00:00-05:00\"";
    const size_t at = b.find(from);
    EXPECT_NE(at, std::string::npos);
    if (at != std::string::npos)
      b.replace(at, from.size(), "\"updated_at\":\"" + updated_at + "\"");
    const size_t e = b.find("\"email\":\"");
    if (e != std::string::npos) {
      const size_t end = b.find('"', e + 9);
      b.replace(e + 9, end - e - 9, email);
    }
    return b;
  };
  ASSERT_EQ(server
                .Post(Delivery::Make("customers/update",
                                     with("2024-05-02T10:00:00Z", "new@example.com"), "1"))
                .status,
            200);
  ASSERT_EQ(server
                .Post(Delivery::Make("customers/update",
                                     with("2024-05-01T10:00:00Z", "old@example.com"), "2"))
                .status,
            200);
  EXPECT_EQ(server.Drain(), 2u);
  auto outcomes = server.shopify().store().Outcomes();
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 2u);
  EXPECT_EQ((*outcomes)[0].second, "applied");
  EXPECT_EQ((*outcomes)[1].second, "stale");
  auto profile = server.app().admin().FindProfile(kCustomerId, "");
  ASSERT_TRUE(profile.ok());
  auto events = server.app().admin().ListEvents(profile->profile_id, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].traits().at("email"), "new@example.com");
}

TEST(ShopifyWebhookEndpointTest, InventoryLevelsUpdateTheProductsStock) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  // A product whose variants name their inventory items (the documented payload omits them).
  const std::string product =
      R"({"id":111,"admin_graphql_api_id":"gid://shopify/Product/111","title":"Mug",)"
      R"("handle":"mug","status":"active","updated_at":"2024-05-01T00:00:00Z","variants":[)"
      R"({"id":1,"price":"9.50","sku":"MUG-1","inventory_item_id":9007199254740993,)"
      R"("inventory_quantity":3},)"
      R"({"id":2,"price":"9.50","sku":"MUG-2","inventory_item_id":555,"inventory_quantity":4}]})";
  ASSERT_EQ(server.Post(Delivery::Make("products/update", product, "p")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  ASSERT_EQ(server.app().catalog().Get("111")->stock(), 7);
  // 2^53 + 1: only exact if the id never passed through a double.
  const std::string level =
      R"({"inventory_item_id":9007199254740993,"location_id":24826418,"available":0,)"
      R"("updated_at":"2024-05-02T00:00:00Z"})";
  ASSERT_EQ(server.Post(Delivery::Make("inventory_levels/update", level, "l1")).status, 200);
  const std::string other = R"({"inventory_item_id":555,"location_id":24826418,"available":2,)"
                            R"("updated_at":"2024-05-02T00:00:00Z"})";
  ASSERT_EQ(server.Post(Delivery::Make("inventory_levels/update", other, "l2")).status, 200);
  EXPECT_EQ(server.Drain(), 2u);
  EXPECT_EQ(server.app().catalog().Get("111")->stock(), 2);
  // The documented payload (item not mapped) is recorded, not an error.
  EXPECT_EQ(server.Post(Delivery::Fixture("inventory_levels/update")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  EXPECT_EQ(server.shopify().store().Outcomes()->back().second,
            "recorded: inventory item not mapped yet");
}

TEST(ShopifyWebhookEndpointTest, AppUninstalledRevokesTheStoredToken) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  ASSERT_TRUE(server.shopify().store().PutShop("example.myshopify.com", "shpat_x", "read", 1).ok());
  EXPECT_EQ(server.Post(Delivery::Fixture("app/uninstalled")).status, 200);
  EXPECT_EQ(server.shopify().store().GetShop("example.myshopify.com")->value().access_token,
            "shpat_x");  // not before the worker ran
  EXPECT_EQ(server.Drain(), 1u);
  const auto shop = server.shopify().store().GetShop("example.myshopify.com");
  ASSERT_TRUE(shop.ok() && shop->has_value());
  EXPECT_TRUE((*shop)->access_token.empty());
  EXPECT_GT((*shop)->uninstalled_ms, 0);
}

TEST(ShopifyWebhookEndpointTest, CustomersRedactDeletesTheProfile) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  // customers/redact names customer 191167: give that customer a profile first.
  const std::string customer =
      R"({"id":191167,"email":"john@example.com","updated_at":"2024-05-01T00:00:00Z"})";
  ASSERT_EQ(server.Post(Delivery::Make("customers/create", customer, "c")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  ASSERT_TRUE(server.app().admin().FindProfile("191167", "").ok());
  EXPECT_EQ(server.Post(Delivery::Fixture("customers/redact")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  EXPECT_FALSE(server.app().admin().FindProfile("191167", "").ok());
}

// The server dies after acknowledging (queued in SQLite) and before applying: a new server on
// the same database applies everything, once.
TEST(ShopifyWebhookEndpointTest, CrashBetweenEnqueueAndApplyLosesNothing) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ::vitrine::testing::TempDir dir;
  server::ServerConfig config;
  config.db = dir.File("vitrine.db");
  config.write_key = server::testing::kWriteKey;
  config.admin_key = server::testing::kAdminKey;
  config.access_log = false;
  auto open = [&](bool worker) {
    struct Running {
      std::unique_ptr<server::App> app;
      std::unique_ptr<server::HttpServer> http;
      ShopifyApp* shopify = nullptr;
      uint16_t port = 0;
    } r;
    for (int attempt = 0; attempt < 5 && !r.http; ++attempt) {
      r.port = ::vitrine::testing::FreePort();
      config.listen = "http://127.0.0.1:" + std::to_string(r.port);
      auto app = server::App::Open(config);
      EXPECT_TRUE(app.ok());
      if (!app.ok()) break;
      r.app = std::move(*app);
      ShopifyAppOptions options = TestOptions();
      options.start_worker = worker;
      options.worker_idle_ms = 20;
      auto module = OpenShopifyApp(*r.app, options);
      EXPECT_TRUE(module.ok());
      if (!module.ok()) break;
      r.shopify = module->get();
      r.app->Mount(std::move(*module));
      r.http = std::make_unique<server::HttpServer>(r.app.get());
      if (!r.http->Start().ok()) r.http.reset();
    }
    return r;
  };
  {
    auto first = open(/*worker=*/false);
    ASSERT_TRUE(first.http);
    for (const char* topic : {"products/update", "orders/create", "customers/create"}) {
      ASSERT_EQ(Post(first.port, Delivery::Fixture(topic)).status, 200) << topic;
    }
    EXPECT_EQ(*first.shopify->store().PendingCount(), 3);
    first.app->ingest().Stop();
    first.http.reset();
    first.app.reset();  // "crash": nothing applied
  }
  auto second = open(/*worker=*/true);
  ASSERT_TRUE(second.http);
  // Retries of the acknowledged deliveries after the restart are still duplicates.
  EXPECT_NE(Post(second.port, Delivery::Fixture("orders/create")).body.find("duplicate"),
            std::string::npos);
  // The worker applies the backlog on its own; wait for it (bounded), not for a fixed time.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (*second.shopify->store().PendingCount() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(*second.shopify->store().PendingCount(), 0);
  EXPECT_TRUE(second.app->catalog().Get(kProductId).has_value());
  EXPECT_EQ(second.app->admin().Stats()->orders, 1);
  EXPECT_TRUE(second.app->admin().FindProfile(kCustomerId, "").ok());
  second.app->ingest().Stop();
  second.http.reset();
  second.app.reset();
}

}  // namespace
}  // namespace vitrine::shopify::testing
