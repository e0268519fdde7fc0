#include "platform_adapters/shopify/intake.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/platform_adapters/shopify/fixtures.h"

namespace vitrine::shopify {
namespace {

using testing::LoadWebhook;

// A signed delivery of `body` for `topic`, as Shopify would send it.
Headers Delivery(const std::string& secret, const std::string& topic, const std::string& body,
                 const std::string& webhook_id, const std::string& event_id) {
  return {{"X-Shopify-Topic", topic},
          {"X-Shopify-Hmac-Sha256", SignWebhookBody(secret, body)},
          {"X-Shopify-Webhook-Id", webhook_id},
          {"X-Shopify-Event-Id", event_id},
          {"X-Shopify-Shop-Domain", "example.myshopify.com"}};
}

std::string OrderBody(const std::string& updated_at, const std::string& total) {
  return R"({"id":9007199254740993,"admin_graphql_api_id":"gid://shopify/Order/9007199254740993",)"
         R"("currency":"EUR","total_price":")" +
         total + R"(","updated_at":")" + updated_at + R"(","line_items":[]})";
}

class ShopifyIntakeTest : public ::testing::Test {
 protected:
  WebhookVerifier verifier_{"hush"};
  InMemoryWebhookDeduplicator dedup_;
  NewestVersionFilter versions_;
  WebhookIntake intake_{verifier_, dedup_, &versions_};
};

TEST_F(ShopifyIntakeTest, FixtureDeliveryIsAcceptedOnceThenAcknowledgedAsDuplicate) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto fixture = LoadWebhook("orders/create");
  ASSERT_TRUE(fixture.has_value());
  const IntakeResult first = intake_.Handle(fixture->headers, fixture->body, 0);
  ASSERT_EQ(first.status, IntakeStatus::kAccepted) << first.reason;
  EXPECT_EQ(first.http_status, 200);
  EXPECT_EQ(first.envelope.topic, "orders/create");
  EXPECT_EQ(first.envelope.shop_domain, "example.myshopify.com");
  ASSERT_TRUE(first.record.has_value());
  EXPECT_EQ(std::get<OrderRecord>(*first.record).order_id.numeric, uint64_t{820982911946154508});
  // Shopify's retry: same bytes, same ids.
  const IntakeResult retry = intake_.Handle(fixture->headers, fixture->body, 60000);
  EXPECT_EQ(retry.status, IntakeStatus::kDuplicate);
  EXPECT_EQ(retry.http_status, 200);
  EXPECT_FALSE(retry.record.has_value());
}

TEST_F(ShopifyIntakeTest, BadHmacIs401ForEveryGdprTopicAndPoisonsNothing) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  for (const char* topic : {"customers/data_request", "customers/redact", "shop/redact"}) {
    auto fixture = LoadWebhook(topic);
    ASSERT_TRUE(fixture.has_value()) << topic;
    Headers forged = fixture->headers;
    for (auto& [k, v] : forged) {
      if (k == "X-Shopify-Hmac-Sha256") v = SignWebhookBody("attacker", fixture->body);
    }
    const IntakeResult bad = intake_.Handle(forged, fixture->body, 0);
    EXPECT_EQ(bad.status, IntakeStatus::kUnauthorized) << topic;
    EXPECT_EQ(bad.http_status, 401) << topic;
    // The forged attempt did not record the ids: the genuine delivery still goes through.
    const IntakeResult good = intake_.Handle(fixture->headers, fixture->body, 1);
    EXPECT_EQ(good.status, IntakeStatus::kAccepted) << topic << ": " << good.reason;
    ASSERT_TRUE(good.record.has_value());
    EXPECT_TRUE(std::holds_alternative<GdprRequest>(*good.record)) << topic;
  }
  EXPECT_EQ(intake_.Handle({}, "{}", 2).http_status, 401);
}

TEST_F(ShopifyIntakeTest, OutOfOrderUpdatesKeepTheNewest) {
  const std::string newer = OrderBody("2024-05-01T12:00:00-04:00", "20.00");  // 16:00Z
  const std::string older = OrderBody("2024-05-01T15:00:00Z", "10.00");
  const auto a = intake_.Handle(Delivery("hush", "orders/updated", newer, "w2", "e2"), newer, 0);
  ASSERT_EQ(a.status, IntakeStatus::kAccepted) << a.reason;
  EXPECT_EQ(std::get<OrderRecord>(*a.record).value_micros, int64_t{20000000});
  const auto b = intake_.Handle(Delivery("hush", "orders/updated", older, "w1", "e1"), older, 1);
  EXPECT_EQ(b.status, IntakeStatus::kStale);
  EXPECT_EQ(b.http_status, 200);
  EXPECT_FALSE(b.record.has_value());
  const std::string newest = OrderBody("2024-05-01T16:00:01Z", "30.00");
  EXPECT_EQ(
      intake_.Handle(Delivery("hush", "orders/updated", newest, "w3", "e3"), newest, 2).status,
      IntakeStatus::kAccepted);
}

TEST_F(ShopifyIntakeTest, RotationUnknownTopicsAndMalformedBodiesAreAcknowledged) {
  WebhookVerifier rotating("new", "hush");
  WebhookIntake intake(rotating, dedup_, nullptr);
  const std::string body = OrderBody("2024-05-01T15:00:00Z", "1.00");
  const auto old_secret = intake.Handle(Delivery("hush", "orders/create", body, "w", "e"), body, 0);
  EXPECT_EQ(old_secret.status, IntakeStatus::kAccepted);
  EXPECT_TRUE(old_secret.signed_with_previous_secret);

  const std::string cart = R"({"id":"exampleCartId"})";
  const auto ignored = intake.Handle(Delivery("new", "carts/update", cart, "wc", "ec"), cart, 1);
  EXPECT_EQ(ignored.status, IntakeStatus::kIgnoredTopic);
  EXPECT_EQ(ignored.http_status, 200);

  const std::string broken = R"({"id": )";
  const auto malformed =
      intake.Handle(Delivery("new", "orders/create", broken, "wm", "em"), broken, 2);
  EXPECT_EQ(malformed.status, IntakeStatus::kMalformed);
  EXPECT_EQ(malformed.http_status, 200);
  EXPECT_NE(malformed.reason.find("JSON"), std::string::npos) << malformed.reason;
}

TEST(ShopifyVersionOfTest, GdprHasNoVersionAndOrdersUseTheirGid) {
  GdprRequest gdpr;
  EXPECT_FALSE(VersionOf(gdpr).has_value());
  OrderRecord order;
  order.order_id.numeric = 5;
  order.updated_at = "2024-01-01T00:00:00Z";
  const auto v = VersionOf(order);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->first, "gid://shopify/Order/5");
  order.updated_at = "yesterday";
  EXPECT_FALSE(VersionOf(order).has_value());
}

}  // namespace
}  // namespace vitrine::shopify
