// Webhook deduplication and newest-wins ordering.
//
// Shopify delivers at least once: a delivery is retried (same X-Shopify-Webhook-Id) up to 8 times
// over 4 hours, one event can reach several subscriptions (same X-Shopify-Event-Id), and
// deliveries arrive out of order. Two small pieces handle that:
//  - WebhookDeduplicator: "have we already accepted this delivery/event?" A delivery is a
//    duplicate when its webhook id OR its event id was seen within the TTL. The interface is
//    shaped so a durable store (SQLite/PostgreSQL table keyed by id with an expiry column) can
//    implement it; InMemoryWebhookDeduplicator is bounded by capacity and TTL.
//  - NewestVersionFilter: "is this payload newer than what we applied for this resource?" keyed
//    by resource id and the payload's updated_at, so a late older update never overwrites a newer
//    one.
//
// Time is passed in (milliseconds since the Unix epoch) so tests need no clock and no sleeps.
// Thread safety: the in-memory classes are NOT synchronized; the HTTP layer that shares one must
// guard it (one mutex per instance is enough at webhook rates).
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_DEDUP_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_DEDUP_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vitrine::shopify {

enum class DedupVerdict {
  kNew,        // first time seen: process it (now recorded)
  kDuplicate,  // webhook id or event id already recorded and not expired: acknowledge, skip
  kNoId,       // neither id present: cannot deduplicate, process (idempotent apply still holds)
};

class WebhookDeduplicator {
 public:
  virtual ~WebhookDeduplicator() = default;
  // Checks both ids and records them when new. Empty ids are ignored.
  [[nodiscard]] virtual DedupVerdict CheckAndRecord(std::string_view webhook_id,
                                                    std::string_view event_id, int64_t now_ms) = 0;
};

struct DedupOptions {
  size_t capacity = 100000;                    // ids kept; oldest evicted first
  int64_t ttl_ms = int64_t{48} * 3600 * 1000;  // Shopify retries for 4 h; keep 48 h
};

class InMemoryWebhookDeduplicator final : public WebhookDeduplicator {
 public:
  explicit InMemoryWebhookDeduplicator(DedupOptions options = {});
  DedupVerdict CheckAndRecord(std::string_view webhook_id, std::string_view event_id,
                              int64_t now_ms) override;
  size_t size() const { return expiry_.size(); }

 private:
  bool Seen(const std::string& key, int64_t now_ms) const;
  void Record(std::string key, int64_t now_ms);
  void Expire(int64_t now_ms);

  DedupOptions options_;
  // Keys are prefixed ("w:" webhook id, "e:" event id) so the two id spaces never collide.
  std::unordered_map<std::string, int64_t> expiry_;    // key -> expires at (ms)
  std::deque<std::pair<std::string, int64_t>> order_;  // insertion order for eviction/expiry
};

// Parses RFC 3339 / ISO 8601 timestamps as Shopify sends them ("2021-12-31T19:00:00-05:00",
// "2022-01-01T00:00:00.000Z", fractions up to nanoseconds) into UTC milliseconds.
std::optional<int64_t> ParseTimestampMs(std::string_view text);

enum class VersionVerdict {
  kApply,  // newer than (or first for) this resource: apply it
  kStale,  // older than or equal to what was applied: skip
};

class NewestVersionFilter {
 public:
  explicit NewestVersionFilter(size_t capacity = 1000000) : capacity_(capacity) {}
  // `resource_key` e.g. "gid://shopify/Order/820982911946154508"; `updated_at_ms` from the
  // payload. Equal timestamps are stale: a retry of the same payload changes nothing.
  [[nodiscard]] VersionVerdict Offer(std::string_view resource_key, int64_t updated_at_ms);

 private:
  size_t capacity_;
  std::unordered_map<std::string, int64_t> newest_;
};

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_DEDUP_H_
