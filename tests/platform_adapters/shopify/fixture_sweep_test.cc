// Sweeps over every shared Shopify fixture the mappers handle: each must map, and every id that
// comes with a gid must equal the gid's number exactly (no float64 rounding anywhere).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <variant>

#include "platform_adapters/shopify/records.h"
#include "tests/platform_adapters/shopify/fixtures.h"

namespace vitrine::shopify {
namespace {

using testing::ReadBytes;
using testing::ReadJson;
using testing::ShopifyFixtures;

void ExpectExact(const ShopifyId& id, const std::string& where) {
  EXPECT_FALSE(id.empty()) << where;
  if (!id.gid.empty()) {
    EXPECT_EQ(id.numeric, NumericIdFromGid(id.gid)) << where << " " << id.gid;
  }
}

void ExpectExactIds(const WebhookRecord& record, const std::string& where) {
  if (const auto* order = std::get_if<OrderRecord>(&record)) {
    ExpectExact(order->order_id, where);
    for (const auto& line : order->lines) ExpectExact(line.line_id, where + " line");
    if (!order->customer_id.empty()) ExpectExact(order->customer_id, where + " customer");
  } else if (const auto* item = std::get_if<CatalogItem>(&record)) {
    ExpectExact(item->product_id, where);
    for (const auto& v : item->variants) ExpectExact(v.variant_id, where + " variant");
  } else if (const auto* customer = std::get_if<CustomerRecord>(&record)) {
    ExpectExact(customer->customer_id, where);
  }
}

TEST(ShopifyFixtureSweepTest, EveryMappedWebhookTopicMaps) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  const auto root = ShopifyFixtures() / "webhooks" / "2024-04";
  int mapped = 0;
  for (const char* topic :
       {"orders/create", "orders/updated", "orders/cancelled", "products/create", "products/update",
        "customers/create", "customers/update", "customers/data_request", "customers/redact",
        "shop/redact"}) {
    const std::string body = ReadBytes(root / (std::string(topic) + ".body"));
    ASSERT_FALSE(body.empty()) << topic;
    const auto r = ParseWebhook(topic, body);
    ASSERT_TRUE(r.ok()) << topic << ": " << r.error.message;
    ExpectExactIds(*r.record, topic);
    ++mapped;
  }
  EXPECT_EQ(mapped, 10);
}

TEST(ShopifyFixtureSweepTest, EveryRestOrderProductAndCustomerObjectMaps) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  const auto dir = ShopifyFixtures() / "rest-2024-04";
  int objects = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    std::string single, plural;
    if (name.rfind("order.", 0) == 0) {
      single = "order", plural = "orders";
    } else if (name.rfind("product.", 0) == 0) {
      single = "product", plural = "products";
    } else if (name.rfind("customer.", 0) == 0) {
      single = "customer", plural = "customers";
    } else {
      continue;
    }
    auto doc = ReadJson(entry.path());
    ASSERT_TRUE(doc.has_value()) << name;
    const JsonValue* response = doc->Find("response");
    if (response == nullptr || !response->is_object()) continue;  // e.g. DELETE: empty body
    std::vector<const JsonValue*> found;
    if (const JsonValue* one = response->Find(single); one != nullptr && one->is_object()) {
      found.push_back(one);
    }
    if (const JsonValue* many = response->Find(plural); many != nullptr) {
      for (const JsonValue& item : many->items()) found.push_back(&item);
    }
    for (const JsonValue* object : found) {
      const WebhookParseResult r = single == "order"     ? MapOrder(*object, OrderEvent::kUpdated)
                                   : single == "product" ? MapProduct(*object)
                                                         : MapCustomer(*object);
      // Some documented responses are partial (e.g. only the changed fields); those without an
      // id are reported as kMissingField, never as a crash or a made-up id.
      if (!r.ok()) {
        EXPECT_EQ(r.error.code, ParseErrorCode::kMissingField) << name;
        continue;
      }
      ExpectExactIds(*r.record, name);
      ++objects;
    }
  }
  EXPECT_GE(objects, 40);
}

}  // namespace
}  // namespace vitrine::shopify
