// Shopify request authentication: webhook HMACs and the OAuth install/callback query HMAC.
//
// Webhooks: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(app client secret, RAW body bytes)). The
// body must be the exact bytes received: re-serialised JSON never verifies. The header is
// base64-DECODED and compared as 32 raw bytes in constant time (CRYPTO_memcmp), which also accepts
// a trailing newline some libraries add and rejects hex digests.
//
// Header names are matched case-insensitively and in both spellings Shopify sends:
// `X-Shopify-<Name>` and the newer `shopify-<name>`.
//
// Secret rotation: after the client secret is rotated Shopify may keep signing with the old one for
// up to an hour, so a verifier holds the current secret and, optionally, the previous one. The
// caller drops the previous secret when its window is over (no clock in here).
//
// Errors are values, never exceptions. All functions are pure; WebhookVerifier is immutable after
// construction and safe to share between threads.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_HMAC_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_HMAC_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::shopify {

// HTTP request headers as received, in any case and order.
using Headers = std::vector<std::pair<std::string, std::string>>;

// Finds `X-Shopify-<name>` or `shopify-<name>` (case-insensitive). `name` is e.g. "Hmac-Sha256",
// "Topic", "Webhook-Id", "Event-Id", "Shop-Domain", "API-Version", "Triggered-At".
std::optional<std::string_view> FindShopifyHeader(const Headers& headers, std::string_view name);

// The routing headers of a webhook delivery (empty strings where a header is absent).
struct WebhookEnvelope {
  std::string topic;         // "orders/create"
  std::string shop_domain;   // "example.myshopify.com"
  std::string api_version;   // "2024-04"
  std::string webhook_id;    // same across Shopify's retries of one delivery
  std::string event_id;      // same across deliveries of one event to several subscriptions
  std::string triggered_at;  // RFC 3339
};
WebhookEnvelope ReadEnvelope(const Headers& headers);

enum class VerifyVerdict {
  kValid,                // signed with the current secret
  kValidPreviousSecret,  // signed with the previous secret (rotation window)
  kMissingHeader,        // no HMAC header at all
  kMalformedHeader,      // not base64 of 32 bytes (a hex digest lands here)
  kMismatch,             // well-formed but signed with another secret or over other bytes
  kNoSecret,             // verifier configured without a secret: refuse everything
};

struct VerifyResult {
  VerifyVerdict verdict = VerifyVerdict::kMismatch;
  std::string reason;  // human-readable, safe to log (never contains secrets or digests)
  bool ok() const {
    return verdict == VerifyVerdict::kValid || verdict == VerifyVerdict::kValidPreviousSecret;
  }
};

class WebhookVerifier {
 public:
  explicit WebhookVerifier(std::string current_secret, std::string previous_secret = {})
      : current_(std::move(current_secret)), previous_(std::move(previous_secret)) {}

  // Verifies a delivery: finds the HMAC header and checks it against `raw_body`.
  [[nodiscard]] VerifyResult Verify(const Headers& headers, std::string_view raw_body) const;
  // Verifies an HMAC header value directly.
  [[nodiscard]] VerifyResult VerifyHeaderValue(std::string_view header_value,
                                               std::string_view raw_body) const;

 private:
  std::string current_;
  std::string previous_;  // empty: no rotation window
};

// base64(HMAC-SHA256(secret, body)), as Shopify puts in the header. For tests and fake servers.
std::string SignWebhookBody(std::string_view secret, std::string_view raw_body);

// OAuth install/callback query (`code=..&hmac=..&shop=..&state=..&timestamp=..`): removes `hmac`
// (and the legacy `signature`), percent-decodes, sorts by key, joins `k=v` with '&' and compares
// the hex HMAC-SHA256 in constant time. Checking `timestamp` freshness and `state` is the caller's.
[[nodiscard]] VerifyResult VerifyOAuthQuery(std::string_view query, std::string_view secret);

// The message VerifyOAuthQuery signs (exposed for tests and fake servers).
std::string OAuthQueryMessage(std::string_view query);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_HMAC_H_
