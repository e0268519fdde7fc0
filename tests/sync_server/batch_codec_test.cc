#include "sync_server/batch_codec.h"

#include <gtest/gtest.h>

#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::Gzip;
using testing::Line;
using testing::MakeEvent;
using testing::OrderEvent;
using testing::ProductEvent;

v1::Batch OneEventBatch(const v1::Event& e) {
  v1::Batch b;
  *b.add_events() = e;
  return b;
}

Status Check(const v1::Event& e, bool server_side = false) {
  auto r = DecodeBatch(OneEventBatch(e).SerializeAsString(), BodyFormat::kProtobuf, IngestLimits{},
                       server_side);
  return r.status();
}

TEST(BatchCodecTest, AcceptsValidEventsOfEveryShape) {
  EXPECT_TRUE(Check(ProductEvent(1, "product_viewed", "a", "p1")).ok());
  EXPECT_TRUE(Check(OrderEvent(2, "a", "o1", "p1")).ok());
  EXPECT_TRUE(Check(MakeEvent(3, "page_viewed", "a")).ok());
  EXPECT_TRUE(Check(MakeEvent(4, "product_list_viewed", "a")).ok());
  v1::Event identify = MakeEvent(5, "identify", "a");
  identify.set_user_id("u1");
  EXPECT_TRUE(Check(identify).ok());
  EXPECT_TRUE(Check(MakeEvent(6, "deletion_requested", "a")).ok());
}

TEST(BatchCodecTest, RefusesEachBrokenRuleWithItsReason) {
  struct Case {
    v1::Event event;
    std::string reason;
  };
  std::vector<Case> cases;
  auto e = ProductEvent(1, "product_viewed", "a", "p1");
  e.set_event_id("short");
  cases.push_back({e, "16 bytes"});
  cases.push_back({MakeEvent(1, "product_teleported", "a"), "unknown event type"});
  cases.push_back({MakeEvent(1, "email_opened", "a"), "server-side"});
  e = ProductEvent(1, "product_viewed", "a", "p1");
  e.set_occurred_at_ms(0);
  cases.push_back({e, "occurred_at_ms"});
  cases.push_back({ProductEvent(1, "product_viewed", "", "p1"), "anonymous_id"});
  cases.push_back({MakeEvent(1, "product_added_to_cart", "a"), "at least one product line"});
  e = ProductEvent(1, "product_viewed", "a", "p1");
  e.mutable_products(0)->set_product_id("");
  cases.push_back({e, "product_id"});
  e = ProductEvent(1, "product_viewed", "a", "p1");
  e.mutable_products(0)->set_sku("");
  cases.push_back({e, "variant_id or sku"});
  e = ProductEvent(1, "product_viewed", "a", "p1");
  e.mutable_products(0)->set_price_micros(-1);
  cases.push_back({e, "price_micros"});
  e = ProductEvent(1, "product_viewed", "a", "p1");
  e.mutable_products(0)->set_currency("eur");
  cases.push_back({e, "currency"});
  e = OrderEvent(1, "a", "o1", "p1");
  e.mutable_order()->set_order_id("");
  cases.push_back({e, "order.order_id"});
  e = OrderEvent(1, "a", "o1", "p1");
  e.mutable_order()->set_value_micros(-5);
  cases.push_back({e, "value_micros"});
  e = OrderEvent(1, "a", "o1", "p1");
  e.mutable_order()->set_currency("");
  cases.push_back({e, "order.currency"});
  e = OrderEvent(1, "a", "o1", "p1");
  e.clear_products();
  cases.push_back({e, "product line"});
  cases.push_back({MakeEvent(1, "search_submitted", "a"), "query"});
  cases.push_back({MakeEvent(1, "in_app_message_viewed", "a"), "message_id"});
  cases.push_back({MakeEvent(1, "identify", "a"), "user_id"});
  for (const auto& c : cases) {
    Status s = Check(c.event);
    EXPECT_EQ(s.kind(), Status::Kind::kInvalid) << c.reason;
    EXPECT_EQ(s.code(), "invalid_event") << c.reason;
    EXPECT_NE(s.message().find(c.reason), std::string::npos) << s.message() << " / " << c.reason;
    EXPECT_EQ(s.event_index(), 0);
  }
}

TEST(BatchCodecTest, ServerSideTypesAllowedOnlyForTheServer) {
  EXPECT_FALSE(Check(MakeEvent(1, "email_clicked", "a")).ok());
  EXPECT_TRUE(Check(MakeEvent(1, "email_clicked", "a"), /*server_side=*/true).ok());
}

TEST(BatchCodecTest, ReportsTheIndexOfTheFirstInvalidEvent) {
  v1::Batch b;
  *b.add_events() = ProductEvent(1, "product_viewed", "a", "p1");
  *b.add_events() = ProductEvent(2, "product_viewed", "a", "p1");
  *b.add_events() = MakeEvent(3, "bogus", "a");
  auto r = DecodeBatch(b.SerializeAsString(), BodyFormat::kProtobuf, IngestLimits{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().event_index(), 2);
}

TEST(BatchCodecTest, MalformedInputIsInvalidNotACrash) {
  auto r = DecodeBatch("\xff\xff\xff\x0f garbage", BodyFormat::kProtobuf, IngestLimits{});
  EXPECT_EQ(r.status().code(), "malformed_protobuf");
  r = DecodeBatch("{\"events\": [", BodyFormat::kJson, IngestLimits{});
  EXPECT_EQ(r.status().code(), "malformed_json");
  r = DecodeBatch("", BodyFormat::kProtobuf, IngestLimits{});
  EXPECT_EQ(r.status().code(), "empty_batch");
}

TEST(BatchCodecTest, JsonMappingOfTheSameSchema) {
  const std::string json =
      R"({"sent_at_ms": "5", "events": [{"event_id": "AAAAAAAAAAAAAAAAAAAAAQ==",
    "type": "product_viewed", "occurred_at_ms": 1700000000000, "anonymous_id": "a",
    "products": [{"product_id": "p", "sku": "s", "price_micros": 100, "currency": "EUR"}]}]})";
  auto r = DecodeBatch(json, BodyFormat::kJson, IngestLimits{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->events(0).products(0).product_id(), "p");
  EXPECT_EQ(r->events(0).event_id().size(), 16u);
}

TEST(BatchCodecTest, TooManyEventsIsTooLarge) {
  IngestLimits limits;
  limits.max_events = 2;
  v1::Batch b;
  for (int i = 0; i < 3; ++i)
    *b.add_events() = ProductEvent(static_cast<uint64_t>(i), "product_viewed", "a", "p");
  auto r = DecodeBatch(b.SerializeAsString(), BodyFormat::kProtobuf, limits);
  EXPECT_EQ(r.status().kind(), Status::Kind::kTooLarge);
}

TEST(BatchCodecTest, InflateRoundTripsAndCapsBombs) {
  const std::string plain(100000, 'x');
  auto out = Inflate(Gzip(plain), 1 << 20);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, plain);
  auto bomb = Inflate(Gzip(std::string(10 << 20, '\0')), 1 << 20);
  EXPECT_EQ(bomb.status().kind(), Status::Kind::kTooLarge);
  auto broken = Inflate("not gzip at all", 1 << 20);
  EXPECT_EQ(broken.status().code(), "malformed_gzip");
  std::string truncated = Gzip(plain);
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(Inflate(truncated, 1 << 20).status().code(), "malformed_gzip");
}

TEST(BatchCodecTest, InAppMessageValidation) {
  auto ok = DecodeInAppMessageJson(
      R"({"id": "m1", "trigger": {"event_type": "product_added_to_cart"}, "content": {"title": "Hi"}})");
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_FALSE(DecodeInAppMessageJson(
                   R"({"trigger": {"event_type": "page_viewed"}, "content": {"title": "x"}})")
                   .ok());
  EXPECT_FALSE(DecodeInAppMessageJson(
                   R"({"id": "m", "trigger": {"event_type": "nope"}, "content": {"title": "x"}})")
                   .ok());
  EXPECT_FALSE(
      DecodeInAppMessageJson(R"({"id": "m", "trigger": {"event_type": "page_viewed"}})").ok());
}

}  // namespace
}  // namespace vitrine::server

namespace vitrine::server {
namespace {

TEST(BatchCodecTest, SplitEventPayloadsCutsEachEventFromTheBody) {
  v1::Batch batch;
  batch.set_sent_at_ms(1'767'000'000'000);
  batch.mutable_context()->set_sdk_name("test");
  *batch.add_events() = testing::ProductEvent(1, "product_viewed", "a", "p1");
  *batch.add_events() = testing::OrderEvent(2, "a", "order-1", "p1");
  *batch.add_events() = testing::MakeEvent(3, "page_viewed", "b");
  const std::string body = batch.SerializeAsString();
  const std::vector<std::string> payloads = SplitEventPayloads(body);
  ASSERT_EQ(payloads.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    v1::Event parsed;
    ASSERT_TRUE(parsed.ParseFromString(payloads[static_cast<size_t>(i)]));
    EXPECT_EQ(parsed.SerializeAsString(), batch.events(i).SerializeAsString()) << i;
  }
  // A truncated body yields nothing (the caller then serializes each event itself).
  EXPECT_TRUE(SplitEventPayloads(std::string_view(body).substr(0, body.size() - 3)).empty());
  EXPECT_TRUE(SplitEventPayloads("\xff\xff\xff").empty());
}

}  // namespace
}  // namespace vitrine::server
