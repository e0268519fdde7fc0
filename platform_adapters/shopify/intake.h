// WebhookIntake: what the (future) HTTP endpoint calls for each Shopify webhook delivery.
// It knows nothing of HTTP beyond suggesting a status code; the handler stays thin.
//
// Order of checks, and why:
//  1. HMAC over the raw body (current or previous secret). A bad or missing HMAC is 401, for every
//     topic, GDPR topics included (Shopify's review checks that), and nothing else is touched:
//     a forged delivery must not be able to poison the dedup store with ids.
//  2. Topic: topics this adapter does not map are acknowledged (200) and ignored.
//  3. Payload mapping: a malformed body with a valid HMAC is acknowledged (200) and reported;
//     Shopify would retry the same bytes 8 times for nothing.
//  4. Dedup by webhook id / event id: retries and multi-subscription copies are acknowledged.
//  5. Newest-wins by (resource, updated_at) for orders, products and customers: a late older
//     update is acknowledged and dropped.
// Only kAccepted carries a record to hand to the durable queue. Recording the ids in step 4 means
// "accepted into the queue": a durable deduplicator should commit the ids and the queued record
// in one transaction.
//
// Thread safety: Handle() mutates the deduplicator and version filter it was given; callers
// serialize calls (one mutex) or give each worker its own instances. Non-owning: the verifier,
// deduplicator and filter must outlive the intake.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_INTAKE_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_INTAKE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform_adapters/shopify/dedup.h"
#include "platform_adapters/shopify/hmac.h"
#include "platform_adapters/shopify/records.h"

namespace vitrine::shopify {

enum class IntakeStatus {
  kAccepted,      // new, verified, mapped: enqueue `record`
  kUnauthorized,  // HMAC missing/invalid: 401
  kIgnoredTopic,  // verified, topic not mapped here: 200
  kMalformed,     // verified, body does not map: 200, log `reason`
  kDuplicate,     // verified, already accepted: 200
  kStale,         // verified, older than what was accepted for this resource: 200
};

struct IntakeResult {
  IntakeStatus status = IntakeStatus::kUnauthorized;
  int http_status = 401;  // the code to answer Shopify with
  std::string reason;     // safe to log
  WebhookEnvelope envelope;
  bool signed_with_previous_secret = false;  // rotation still in progress: worth a log line
  std::optional<WebhookRecord> record;       // set for kAccepted only
};

class WebhookIntake {
 public:
  // `versions` may be null: no newest-wins filtering.
  WebhookIntake(const WebhookVerifier& verifier, WebhookDeduplicator& dedup,
                NewestVersionFilter* versions)
      : verifier_(verifier), dedup_(dedup), versions_(versions) {}

  [[nodiscard]] IntakeResult Handle(const Headers& headers, std::string_view raw_body,
                                    int64_t now_ms);

 private:
  const WebhookVerifier& verifier_;
  WebhookDeduplicator& dedup_;
  NewestVersionFilter* versions_;
};

// The resource key and updated_at of a mapped record ("gid://shopify/Order/1", ms), or nullopt
// where the record has no ordering (GDPR requests, missing/invalid updated_at).
std::optional<std::pair<std::string, int64_t>> VersionOf(const WebhookRecord& record);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_INTAKE_H_
