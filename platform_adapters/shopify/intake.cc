#include "platform_adapters/shopify/intake.h"

#include <type_traits>
#include <utility>
#include <variant>

namespace vitrine::shopify {

std::optional<std::pair<std::string, int64_t>> VersionOf(const WebhookRecord& record) {
  return std::visit(
      [](const auto& r) -> std::optional<std::pair<std::string, int64_t>> {
        using T = std::decay_t<decltype(r)>;
        std::string key;
        std::string updated_at;
        if constexpr (std::is_same_v<T, OrderRecord>) {
          key = r.order_id.Key("Order");
          updated_at = r.updated_at;
        } else if constexpr (std::is_same_v<T, CatalogItem>) {
          key = r.product_id.Key("Product");
          updated_at = r.updated_at;
        } else if constexpr (std::is_same_v<T, CustomerRecord>) {
          key = r.customer_id.Key("Customer");
          updated_at = r.updated_at;
        } else {
          return std::nullopt;  // GDPR requests are never superseded
        }
        const auto ms = ParseTimestampMs(updated_at);
        if (key.empty() || !ms) return std::nullopt;
        return std::pair(std::move(key), *ms);
      },
      record);
}

IntakeResult WebhookIntake::Handle(const Headers& headers, std::string_view raw_body,
                                   int64_t now_ms) {
  IntakeResult result;
  const VerifyResult verified = verifier_.Verify(headers, raw_body);
  if (!verified.ok()) {
    result.status = IntakeStatus::kUnauthorized;
    result.http_status = 401;
    result.reason = verified.reason;
    return result;
  }
  result.signed_with_previous_secret = verified.verdict == VerifyVerdict::kValidPreviousSecret;
  result.envelope = ReadEnvelope(headers);
  result.http_status = 200;

  WebhookParseResult parsed = ParseWebhook(result.envelope.topic, raw_body);
  if (!parsed.ok()) {
    result.status = parsed.error.code == ParseErrorCode::kUnsupportedTopic
                        ? IntakeStatus::kIgnoredTopic
                        : IntakeStatus::kMalformed;
    result.reason = parsed.error.message;
    return result;
  }
  if (dedup_.CheckAndRecord(result.envelope.webhook_id, result.envelope.event_id, now_ms) ==
      DedupVerdict::kDuplicate) {
    result.status = IntakeStatus::kDuplicate;
    result.reason = "already accepted";
    return result;
  }
  if (versions_ != nullptr) {
    if (const auto version = VersionOf(*parsed.record);
        version && versions_->Offer(version->first, version->second) == VersionVerdict::kStale) {
      result.status = IntakeStatus::kStale;
      result.reason = "older than the accepted version of " + version->first;
      return result;
    }
  }
  result.status = IntakeStatus::kAccepted;
  result.record = std::move(parsed.record);
  return result;
}

}  // namespace vitrine::shopify
