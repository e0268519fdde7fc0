// The mandatory GDPR topics on a real server: customers/data_request produces an export of what
// the server holds about the customer (served to the operator under /v1/admin/shopify/exports
// and written to the export folder), shop/redact deletes every profile the shop gave us through
// the customers/redact path and every row the app holds for the shop, and nothing of another
// shop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "platform_adapters/shopify/json.h"
#include "tests/platform_adapters/shopify_app/harness.h"

namespace vitrine::shopify::testing {
namespace {

constexpr const char* kShop = "example.myshopify.com";
constexpr const char* kOtherShop = "other.myshopify.com";

std::map<std::string, std::string> Admin() {
  return {{"Authorization", std::string("Bearer ") + server::testing::kAdminKey}};
}

std::string Customer(const std::string& id, const std::string& email) {
  return R"({"id":)" + id + R"(,"email":")" + email +
         R"(","first_name":"John","updated_at":"2024-05-01T00:00:00Z"})";
}

// An order with one product line; `customer` empty: a guest order.
std::string Order(const std::string& id, const std::string& customer) {
  return R"({"id":)" + id + R"(,"admin_graphql_api_id":"gid://shopify/Order/)" + id +
         R"(","name":"#)" + id + R"(","currency":"USD","total_price":"10.00",)" +
         R"("created_at":"2024-05-02T00:00:00Z","updated_at":"2024-05-02T00:00:00Z",)" +
         (customer.empty() ? "" : R"("customer":{"id":)" + customer + "},") +
         R"("line_items":[{"id":1,"product_id":77,"variant_id":78,"quantity":1,"price":"10.00",)"
         R"("title":"Tee"}]})";
}

Delivery ForShop(Delivery d, const std::string& shop) {
  d.Set("X-Shopify-Shop-Domain", shop);
  return d;
}

TEST(ShopifyGdprTest, DataRequestExportsTheCustomersProfileEventsAndOrders) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ::vitrine::testing::TempDir dir;
  ShopifyAppOptions options = TestOptions();
  options.export_dir = dir.path();
  ShopifyServer server(options);
  // The fixture's request names customer 191167 and orders 299938, 280263, 220458: the
  // customer's own order and a guest order (checked out without logging in) are on the server.
  ASSERT_EQ(
      server.Post(Delivery::Make("customers/create", Customer("191167", "john@example.com"), "c"))
          .status,
      200);
  ASSERT_EQ(server.Post(Delivery::Make("orders/create", Order("299938", "191167"), "o1")).status,
            200);
  ASSERT_EQ(server.Post(Delivery::Make("orders/create", Order("280263", ""), "o2")).status, 200);
  // Someone else's order must not be in the export.
  ASSERT_EQ(server.Post(Delivery::Make("orders/create", Order("555", "424242"), "o3")).status, 200);
  ASSERT_EQ(server.Post(Delivery::Fixture("customers/data_request")).status, 200);
  EXPECT_EQ(server.Drain(), 5u);

  auto outcomes = server.shopify().store().Outcomes();
  ASSERT_TRUE(outcomes.ok());
  ASSERT_EQ(outcomes->size(), 5u);
  const auto& [export_id, outcome] = outcomes->back();
  EXPECT_EQ(outcome, "applied: export " + std::to_string(export_id));

  // Operator routes need the admin key.
  EXPECT_EQ(server.Get("/v1/admin/shopify/exports").status, 401);
  auto list = HttpCall(server.port(), "GET", "/v1/admin/shopify/exports", Admin());
  ASSERT_EQ(list.status, 200) << list.body;
  auto listed = ParseJson(list.body);
  ASSERT_TRUE(listed.ok()) << list.body;
  ASSERT_EQ(listed.value->items().size(), 1u);
  EXPECT_EQ(listed.value->items()[0].Find("customer_id")->AsString().value_or(""), "191167");
  EXPECT_EQ(listed.value->items()[0].Find("data_request_id")->AsString().value_or(""), "9999");

  const std::string target = "/v1/admin/shopify/exports/" + std::to_string(export_id);
  auto got = HttpCall(server.port(), "GET", target, Admin());
  ASSERT_EQ(got.status, 200) << got.body;
  auto doc = ParseJson(got.body);
  ASSERT_TRUE(doc.ok()) << got.body;
  EXPECT_EQ(doc.value->Find("customer")->Find("email")->AsString().value_or(""),
            "john@example.com");
  const JsonValue* profiles = doc.value->Find("profiles");
  ASSERT_NE(profiles, nullptr);
  // The customer's profile and the guest order's profile; not customer 424242's.
  ASSERT_EQ(profiles->items().size(), 2u) << got.body;
  std::vector<std::string> types;
  std::vector<std::string> orders;
  for (const JsonValue& p : profiles->items()) {
    for (const JsonValue& e : p.Find("events")->items()) {
      types.push_back(e.Find("type")->AsString().value_or(""));
      if (const JsonValue* order = e.Find("order")) {
        orders.push_back(order->Find("order_id")->AsString().value_or(""));
      }
    }
  }
  EXPECT_EQ(profiles->items()[0].Find("profile")->Find("user_id")->AsString().value_or(""),
            "191167");
  EXPECT_NE(std::find(types.begin(), types.end(), "identify"), types.end()) << got.body;
  std::sort(orders.begin(), orders.end());
  EXPECT_EQ(orders, (std::vector<std::string>{"280263", "299938"})) << got.body;
  EXPECT_EQ(got.body.find("424242"), std::string::npos);

  // The same document in the export folder.
  const auto file = dir.File("shopify-data-request-" + std::to_string(export_id) + ".json");
  EXPECT_EQ(ReadBytes(file), got.body);

  // Deleted once delivered.
  EXPECT_EQ(HttpCall(server.port(), "DELETE", target, Admin()).status, 200);
  EXPECT_EQ(HttpCall(server.port(), "GET", target, Admin()).status, 404);
  EXPECT_EQ(HttpCall(server.port(), "DELETE", target, Admin()).status, 404);
}

TEST(ShopifyGdprTest, ShopRedactDeletesEverythingHeldForThatShopOnly) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  ShopifyAppStore& store = server.shopify().store();
  ASSERT_TRUE(store.PutShop(kShop, "shpat_a", "read_orders", 1).ok());
  ASSERT_TRUE(store.PutShop(kOtherShop, "shpat_b", "read_orders", 1).ok());
  ASSERT_TRUE(store.PutSetting(std::string("import:") + kShop + ":orders", "2024").ok());
  ASSERT_TRUE(store.PutSetting(std::string("import:") + kOtherShop + ":orders", "2024").ok());

  // The shop's customer, their order, a guest order, a cart, a product with inventory items.
  for (const Delivery& d :
       {Delivery::Make("customers/create", Customer("191167", "john@example.com"), "c"),
        Delivery::Make("orders/create", Order("299938", "191167"), "o1"),
        Delivery::Make("orders/create", Order("280263", ""), "o2"),
        Delivery::Fixture("carts/create"),
        Delivery::Make("products/update",
                       R"({"id":88,"title":"Tee","handle":"tee","status":"active",)"
                       R"("updated_at":"2024-05-01T00:00:00Z","variants":[{"id":89,)"
                       R"("price":"10.00","inventory_item_id":4242,"inventory_quantity":3}]})",
                       "p"),
        Delivery::Fixture("customers/data_request"),
        // Another shop's customer and order.
        ForShop(Delivery::Make("customers/create", Customer("5150", "ann@example.com"), "x"),
                kOtherShop),
        ForShop(Delivery::Make("orders/create", Order("6160", "5150"), "y"), kOtherShop)}) {
    ASSERT_EQ(server.Post(d).status, 200);
  }
  EXPECT_EQ(server.Drain(), 8u);
  ASSERT_TRUE(server.app().admin().FindProfile("191167", "").ok());
  ASSERT_TRUE(server.app().admin().FindProfile("", "shopify-order:280263").ok());
  ASSERT_TRUE(
      server.app().admin().FindProfile("", "shopify-cart:eeafa272cebfd4b22385bc4b645e762c").ok());
  EXPECT_EQ(server.Stats().orders, 3);
  auto keys = store.ShopKeys(kShop);
  ASSERT_TRUE(keys.ok());
  EXPECT_NE(std::find(keys->begin(), keys->end(), "u:191167"), keys->end());
  const auto has_inventory = std::any_of(keys->begin(), keys->end(),
                                         [](const std::string& k) { return k.starts_with("i:"); });
  EXPECT_TRUE(has_inventory);
  ASSERT_EQ(store.ListDataExports()->size(), 1u);

  // A real shop/redact body replayed with the other shop's header: the signed body decides.
  Delivery redact = Delivery::Make(
      "shop/redact", std::string(R"({"shop_id":954889,"shop_domain":")") + kShop + "\"}", "r");
  redact.Set("X-Shopify-Shop-Domain", kOtherShop).Sign(kFixtureSecret);
  ASSERT_EQ(server.Post(redact).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  auto outcomes = store.Outcomes();
  ASSERT_TRUE(outcomes.ok());
  EXPECT_TRUE(outcomes->back().second.starts_with("applied: shop redacted"))
      << outcomes->back().second;

  // The shop's people are gone from the server, with their events and orders.
  EXPECT_FALSE(server.app().admin().FindProfile("191167", "").ok());
  EXPECT_FALSE(server.app().admin().FindProfile("", "shopify-customer:191167").ok());
  EXPECT_FALSE(server.app().admin().FindProfile("", "shopify-order:280263").ok());
  EXPECT_FALSE(
      server.app().admin().FindProfile("", "shopify-cart:eeafa272cebfd4b22385bc4b645e762c").ok());
  EXPECT_EQ(server.Stats().orders, 1);

  // The app's rows for the shop are gone.
  EXPECT_FALSE(store.GetShop(kShop)->has_value());
  EXPECT_FALSE(store.GetSetting(std::string("import:") + kShop + ":orders")->has_value());
  EXPECT_TRUE(store.ShopKeys(kShop)->empty());
  EXPECT_TRUE(store.ListDataExports()->empty());
  for (const std::string& key : *keys) {
    if (!key.starts_with("i:")) continue;
    // The inventory item is no longer mapped to the shop's product.
    auto level = store.SetInventoryLevel(key.substr(2), "1", 5);
    ASSERT_TRUE(level.ok());
    EXPECT_FALSE(level->has_value()) << key;
  }

  // A late retry of the shop's old order does not bring the customer back (tombstoned).
  ASSERT_EQ(server.Post(Delivery::Make("orders/updated", Order("299938", "191167"), "late")).status,
            200);
  EXPECT_EQ(server.Drain(), 1u);
  EXPECT_FALSE(server.app().admin().FindProfile("191167", "").ok());

  // The other shop is untouched.
  EXPECT_TRUE(server.app().admin().FindProfile("5150", "").ok());
  EXPECT_TRUE(store.GetShop(kOtherShop)->has_value());
  EXPECT_TRUE(store.GetSetting(std::string("import:") + kOtherShop + ":orders")->has_value());
  EXPECT_FALSE(store.ShopKeys(kOtherShop)->empty());
}

TEST(ShopifyGdprTest, ShopRedactWithoutAValidShopInTheBodyDeletesNothing) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  ShopifyServer server;
  ASSERT_EQ(
      server.Post(Delivery::Make("customers/create", Customer("191167", "j@example.com"), "c"))
          .status,
      200);
  // The fixture's body carries Shopify's placeholder "{shop}.myshopify.com".
  ASSERT_EQ(server.Post(Delivery::Fixture("shop/redact")).status, 200);
  EXPECT_EQ(server.Drain(), 2u);
  auto outcomes = server.shopify().store().Outcomes();
  ASSERT_TRUE(outcomes.ok());
  EXPECT_TRUE(outcomes->back().second.starts_with("malformed:")) << outcomes->back().second;
  EXPECT_TRUE(server.app().admin().FindProfile("191167", "").ok());
}

// The production wiring: with VITRINE_SHOPIFY_API_SECRET set, App::Open mounts the webhook
// module and the operator's export routes (server_glue.h, MountShopifyFromEnv).
TEST(ShopifyGdprTest, TheServerMountsTheExportRoutesFromTheEnvironment) {
  ::setenv("VITRINE_SHOPIFY_API_SECRET", kFixtureSecret, 1);
  std::unique_ptr<server::testing::TestServer> server;
  try {
    server = std::make_unique<server::testing::TestServer>();
  } catch (...) {
  }
  ::unsetenv("VITRINE_SHOPIFY_API_SECRET");  // other tests mount their own module
  ASSERT_NE(server, nullptr);
  auto list = HttpCall(server->port(), "GET", "/v1/admin/shopify/exports", Admin());
  EXPECT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.body, "[]");
  EXPECT_EQ(HttpCall(server->port(), "GET", "/v1/admin/shopify/exports").status, 401);
  EXPECT_EQ(HttpCall(server->port(), "GET", "/v1/admin/shopify/exports/1", Admin()).status, 404);
  // The webhook endpoint is there too, refusing an unsigned delivery.
  EXPECT_EQ(HttpCall(server->port(), "POST", "/v1/shopify/webhooks",
                     {{"X-Shopify-Topic", "shop/redact"}}, "{}")
                .status,
            401);
}

}  // namespace
}  // namespace vitrine::shopify::testing
