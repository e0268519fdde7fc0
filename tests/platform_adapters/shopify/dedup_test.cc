#include "platform_adapters/shopify/dedup.h"

#include <gtest/gtest.h>

#include <string>

namespace vitrine::shopify {
namespace {

constexpr int64_t kHour = 3600 * 1000;

TEST(ShopifyDedupTest, RetriesOfOneDeliveryAreDuplicates) {
  InMemoryWebhookDeduplicator dedup;
  EXPECT_EQ(dedup.CheckAndRecord("w1", "e1", 0), DedupVerdict::kNew);
  // Shopify retries up to 8 times over 4 hours with the same ids.
  for (int i = 1; i <= 8; ++i) {
    EXPECT_EQ(dedup.CheckAndRecord("w1", "e1", i * kHour / 2), DedupVerdict::kDuplicate) << i;
  }
  EXPECT_EQ(dedup.CheckAndRecord("w2", "e2", 5 * kHour), DedupVerdict::kNew);
}

TEST(ShopifyDedupTest, SameEventThroughAnotherSubscriptionIsADuplicate) {
  InMemoryWebhookDeduplicator dedup;
  EXPECT_EQ(dedup.CheckAndRecord("w1", "e1", 0), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w-other", "e1", 1), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("w1", "", 2), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("", "", 3), DedupVerdict::kNoId);
  // Webhook ids and event ids live in separate spaces.
  EXPECT_EQ(dedup.CheckAndRecord("e1-as-webhook", "w1", 4), DedupVerdict::kNew);
}

TEST(ShopifyDedupTest, OutOfOrderDeliveriesAreEachProcessedOnce) {
  InMemoryWebhookDeduplicator dedup;
  // Deliveries 3, 1, 2 arrive first, then every one again in another order.
  EXPECT_EQ(dedup.CheckAndRecord("w3", "e3", 10), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w1", "e1", 11), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w2", "e2", 12), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w2", "e2", 13), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("w1", "e1", 14), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("w3", "e3", 15), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.size(), 6u);
}

TEST(ShopifyDedupTest, IdsExpireAfterTheTtl) {
  InMemoryWebhookDeduplicator dedup(DedupOptions{.capacity = 100, .ttl_ms = kHour});
  EXPECT_EQ(dedup.CheckAndRecord("w1", "", 0), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w1", "", kHour - 1), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("w1", "", kHour), DedupVerdict::kNew);
  EXPECT_EQ(dedup.CheckAndRecord("w2", "", 3 * kHour), DedupVerdict::kNew);
  // The expired entry was dropped, not kept forever.
  EXPECT_EQ(dedup.size(), 1u);
}

TEST(ShopifyDedupTest, CapacityEvictsOldestFirst) {
  InMemoryWebhookDeduplicator dedup(DedupOptions{.capacity = 3, .ttl_ms = kHour});
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(dedup.CheckAndRecord("w" + std::to_string(i), "", i), DedupVerdict::kNew);
  }
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_EQ(dedup.CheckAndRecord("w4", "", 10), DedupVerdict::kDuplicate);
  EXPECT_EQ(dedup.CheckAndRecord("w2", "", 11), DedupVerdict::kDuplicate);
  // w0 was evicted: bounded memory means a very old retry is processed again (apply is
  // idempotent downstream thanks to NewestVersionFilter/upserts).
  EXPECT_EQ(dedup.CheckAndRecord("w0", "", 12), DedupVerdict::kNew);
  EXPECT_EQ(dedup.size(), 3u);
}

TEST(ShopifyTimestampTest, ParsesShopifyFormatsToUtc) {
  EXPECT_EQ(ParseTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestampMs("2022-01-01T00:00:00.000Z"), int64_t{1640995200000});
  // -05:00 offset: the same instant as midnight UTC.
  EXPECT_EQ(ParseTimestampMs("2021-12-31T19:00:00-05:00"), int64_t{1640995200000});
  EXPECT_EQ(ParseTimestampMs("2026-01-01T00:00:00.123456789Z"), int64_t{1767225600123});
  EXPECT_EQ(ParseTimestampMs("2021-12-31T19:00:00"), std::nullopt);  // no zone
  EXPECT_EQ(ParseTimestampMs("2021-13-31T19:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseTimestampMs("garbage"), std::nullopt);
  EXPECT_EQ(ParseTimestampMs(""), std::nullopt);
}

TEST(ShopifyNewestVersionTest, LateOlderUpdateNeverOverwritesNewer) {
  NewestVersionFilter filter;
  const std::string order = "gid://shopify/Order/820982911946154508";
  const int64_t t1 = *ParseTimestampMs("2022-01-01T10:00:00Z");
  const int64_t t2 = *ParseTimestampMs("2022-01-01T06:00:01-05:00");  // 11:00:01Z
  EXPECT_EQ(filter.Offer(order, t2), VersionVerdict::kApply);
  EXPECT_EQ(filter.Offer(order, t1), VersionVerdict::kStale);  // arrived late
  EXPECT_EQ(filter.Offer(order, t2), VersionVerdict::kStale);  // retry of the same payload
  EXPECT_EQ(filter.Offer("gid://shopify/Order/820982911946154509", t1), VersionVerdict::kApply);
  EXPECT_EQ(filter.Offer(order, t2 + 1), VersionVerdict::kApply);
}

}  // namespace
}  // namespace vitrine::shopify
