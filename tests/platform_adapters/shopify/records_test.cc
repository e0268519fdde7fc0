#include "platform_adapters/shopify/records.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/platform_adapters/shopify/fixtures.h"

namespace vitrine::shopify {
namespace {

using testing::LoadWebhook;

constexpr uint64_t kTwoTo53 = uint64_t{1} << 53;

template <typename T>
const T& As(const WebhookParseResult& r) {
  return std::get<T>(*r.record);
}

TEST(ShopifyRecordsTest, OrderCreateKeepsIdsAbove2To53Exact) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto fixture = LoadWebhook("orders/create");
  ASSERT_TRUE(fixture.has_value());
  const auto r = ParseWebhook("orders/create", fixture->body);
  ASSERT_TRUE(r.ok()) << r.error.message;
  const auto& order = As<OrderRecord>(r);
  EXPECT_EQ(order.event, OrderEvent::kCreated);
  // The payload's "id" was rounded upstream (…500); the gid is exact (…508).
  EXPECT_EQ(order.order_id.gid, "gid://shopify/Order/820982911946154508");
  ASSERT_TRUE(order.order_id.numeric.has_value());
  EXPECT_EQ(*order.order_id.numeric, uint64_t{820982911946154508});
  EXPECT_GT(*order.order_id.numeric, kTwoTo53);
  // A double cannot even represent it.
  EXPECT_NE(static_cast<uint64_t>(static_cast<double>(*order.order_id.numeric)),
            *order.order_id.numeric);
  EXPECT_EQ(order.total_price, "388.00");
  EXPECT_EQ(order.value_micros, int64_t{388000000});
  EXPECT_EQ(order.lines[0].price_micros, int64_t{199000000});
  EXPECT_EQ(order.currency, "USD");
  EXPECT_EQ(order.name, "#9999");
  EXPECT_EQ(order.customer_id.gid, "gid://shopify/Customer/115310627314723954");
  EXPECT_EQ(order.customer_id.numeric, uint64_t{115310627314723954});
  ASSERT_EQ(order.lines.size(), 2u);
  EXPECT_EQ(order.lines[0].product_id, uint64_t{632910392});
  EXPECT_EQ(order.lines[0].variant_id, uint64_t{808950810});
  EXPECT_EQ(order.lines[0].quantity, 1);
  EXPECT_EQ(order.lines[0].price, "199.00");
  EXPECT_EQ(order.lines[0].sku, "IPOD2008PINK");
  EXPECT_EQ(order.lines[0].line_id.numeric, uint64_t{866550311766439020});
  EXPECT_EQ(order.lines[1].line_id.numeric, uint64_t{141249953214522974});
}

TEST(ShopifyRecordsTest, OrderUpdatedAndCancelledMapWithTheirEvent) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  for (const auto& [topic, event] : {std::pair{"orders/updated", OrderEvent::kUpdated},
                                     std::pair{"orders/cancelled", OrderEvent::kCancelled}}) {
    auto fixture = LoadWebhook(topic);
    ASSERT_TRUE(fixture.has_value()) << topic;
    const auto r = ParseWebhook(topic, fixture->body);
    ASSERT_TRUE(r.ok()) << topic << ": " << r.error.message;
    const auto& order = As<OrderRecord>(r);
    EXPECT_EQ(order.event, event);
    EXPECT_FALSE(order.order_id.empty()) << topic;
    EXPECT_FALSE(order.currency.empty()) << topic;
    if (event == OrderEvent::kCancelled) {
      EXPECT_FALSE(order.cancelled_at.empty());
    }
  }
}

TEST(ShopifyRecordsTest, ProductUpdateBecomesACatalogItemWithPriceAndStock) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto fixture = LoadWebhook("products/update");
  ASSERT_TRUE(fixture.has_value());
  const auto r = ParseWebhook("products/update", fixture->body);
  ASSERT_TRUE(r.ok()) << r.error.message;
  const auto& item = As<CatalogItem>(r);
  EXPECT_EQ(item.product_id.numeric, uint64_t{788032119674292922});
  EXPECT_EQ(item.title, "Example T-Shirt");
  EXPECT_EQ(item.handle, "example-t-shirt");
  EXPECT_EQ(item.vendor, "Acme");
  EXPECT_EQ(item.status, "active");
  ASSERT_FALSE(item.variants.empty());
  EXPECT_EQ(item.variants[0].variant_id.numeric, uint64_t{642667041472713922});
  EXPECT_EQ(item.price, "19.99");
  EXPECT_EQ(item.price_micros, int64_t{19990000});
  ASSERT_TRUE(item.stock.has_value());
  EXPECT_GE(*item.stock, 75);
}

TEST(ShopifyRecordsTest, CustomerCreateAndUpdate) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto fixture = LoadWebhook("customers/create");
  ASSERT_TRUE(fixture.has_value());
  const auto r = ParseWebhook("customers/create", fixture->body);
  ASSERT_TRUE(r.ok()) << r.error.message;
  const auto& c = As<CustomerRecord>(r);
  EXPECT_EQ(c.customer_id.numeric, uint64_t{706405506930370084});
  EXPECT_EQ(c.email, "bob@biller.com");
  EXPECT_EQ(c.first_name, "Bob");
  EXPECT_EQ(c.last_name, "Biller");
  EXPECT_EQ(c.updated_at, "2021-12-31T19:00:00-05:00");
  auto update = LoadWebhook("customers/update");
  ASSERT_TRUE(update.has_value());
  const auto u = ParseWebhook("customers/update", update->body);
  ASSERT_TRUE(u.ok()) << u.error.message;
  EXPECT_FALSE(As<CustomerRecord>(u).customer_id.empty());
}

TEST(ShopifyRecordsTest, GdprTopicsBecomeTypedRequests) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto data = LoadWebhook("customers/data_request");
  ASSERT_TRUE(data.has_value());
  const auto d = ParseWebhook("customers/data_request", data->body);
  ASSERT_TRUE(d.ok()) << d.error.message;
  const auto& dr = As<GdprRequest>(d);
  EXPECT_EQ(dr.kind, GdprKind::kCustomerDataRequest);
  EXPECT_EQ(dr.shop_id, uint64_t{954889});
  EXPECT_EQ(dr.customer_id, uint64_t{191167});
  EXPECT_EQ(dr.customer_email, "john@example.com");
  EXPECT_EQ(dr.order_ids, (std::vector<uint64_t>{299938, 280263, 220458}));
  EXPECT_EQ(dr.data_request_id, uint64_t{9999});

  auto redact = LoadWebhook("customers/redact");
  ASSERT_TRUE(redact.has_value());
  const auto cr = ParseWebhook("customers/redact", redact->body);
  ASSERT_TRUE(cr.ok()) << cr.error.message;
  EXPECT_EQ(As<GdprRequest>(cr).kind, GdprKind::kCustomerRedact);
  EXPECT_EQ(As<GdprRequest>(cr).order_ids.size(), 3u);

  auto shop = LoadWebhook("shop/redact");
  ASSERT_TRUE(shop.has_value());
  const auto sr = ParseWebhook("shop/redact", shop->body);
  ASSERT_TRUE(sr.ok()) << sr.error.message;
  EXPECT_EQ(As<GdprRequest>(sr).kind, GdprKind::kShopRedact);
  EXPECT_EQ(As<GdprRequest>(sr).shop_domain, "{shop}.myshopify.com");
  EXPECT_FALSE(As<GdprRequest>(sr).customer_id.has_value());
}

TEST(ShopifyRecordsTest, IntegerIdsAreExactWithoutAGid) {
  // 2^63 + 7: beyond int64, within uint64; never via double.
  const auto r =
      ParseWebhook("customers/update", R"({"id": 9223372036854775815, "email": "a@b.c"})");
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(As<CustomerRecord>(r).customer_id.numeric, uint64_t{9223372036854775815u});
  EXPECT_EQ(As<CustomerRecord>(r).customer_id.Key("Customer"),
            "gid://shopify/Customer/9223372036854775815");
  // 2^53 + 1 as an integer token.
  const auto o = ParseWebhook("orders/create", R"({"id": 9007199254740993, "line_items": []})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(As<OrderRecord>(o).order_id.numeric, uint64_t{9007199254740993});
  // A float or exponent id is not an exact id.
  const auto f = ParseWebhook("orders/create", R"({"id": 8.2e17})");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error.code, ParseErrorCode::kMissingField);
}

TEST(ShopifyRecordsTest, MalformedBodiesGiveClearErrors) {
  for (const char* body : {"", "{", "[1,2]", "{\"id\":1,}", "nul", "{\"id\": 01}", "\"x\""}) {
    const auto r = ParseWebhook("orders/create", body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.error.code, ParseErrorCode::kMalformedJson) << body;
    EXPECT_NE(r.error.message.find("JSON"), std::string::npos) << r.error.message;
  }
  const auto unsupported = ParseWebhook("carts/update", "{}");
  EXPECT_EQ(unsupported.error.code, ParseErrorCode::kUnsupportedTopic);
  const auto no_customer = ParseWebhook("customers/redact", R"({"shop_id": 1})");
  EXPECT_EQ(no_customer.error.code, ParseErrorCode::kMissingField);
  const auto bad_lines = ParseWebhook("orders/create", R"({"id": 1, "line_items": {}})");
  EXPECT_EQ(bad_lines.error.code, ParseErrorCode::kMissingField);
}

TEST(ShopifyRecordsTest, DeeplyNestedJsonIsRejectedNotAStackOverflow) {
  const std::string deep =
      "{\"id\":1,\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto r = ParseWebhook("orders/create", deep);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.code, ParseErrorCode::kMalformedJson);
}

TEST(ShopifyRecordsTest, DecimalToMicrosIsExact) {
  EXPECT_EQ(DecimalToMicros("0"), 0);
  EXPECT_EQ(DecimalToMicros("12.34"), int64_t{12340000});
  EXPECT_EQ(DecimalToMicros("-0.000001"), int64_t{-1});
  EXPECT_EQ(DecimalToMicros("1.2345670"), int64_t{1234567});
  EXPECT_EQ(DecimalToMicros("1.2345678"), std::nullopt);  // would lose precision
  EXPECT_EQ(DecimalToMicros("9223372036854.775807"), INT64_MAX);
  EXPECT_EQ(DecimalToMicros("9223372036854.775808"), std::nullopt);
  EXPECT_EQ(DecimalToMicros("99999999999999999999"), std::nullopt);
  for (const char* bad : {"", "-", ".5", "5.", "1e3", "1,00", "+1", " 1"}) {
    EXPECT_EQ(DecimalToMicros(bad), std::nullopt) << bad;
  }
}

TEST(ShopifyRecordsTest, GidParsing) {
  EXPECT_EQ(NumericIdFromGid("gid://shopify/Order/820982911946154508"),
            uint64_t{820982911946154508});
  EXPECT_EQ(NumericIdFromGid("gid://shopify/Cart/abc"), std::nullopt);
  EXPECT_EQ(NumericIdFromGid("gid://shopify/Order/12?x=1"), uint64_t{12});
  EXPECT_EQ(NumericIdFromGid("https://example.com/1"), std::nullopt);
}

}  // namespace
}  // namespace vitrine::shopify
