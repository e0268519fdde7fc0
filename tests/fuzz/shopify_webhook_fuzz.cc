// Fuzz target: a Shopify webhook delivery end to end through vitrine_shopify (HMAC verification,
// envelope, dedup, payload mapping) plus the OAuth query verifier. Must never crash.
// Input layout: "<topic>\n<hmac header value>\n<raw body>"; missing parts are empty.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "platform_adapters/shopify/dedup.h"
#include "platform_adapters/shopify/hmac.h"
#include "platform_adapters/shopify/intake.h"
#include "platform_adapters/shopify/records.h"

namespace {

std::string_view NextLine(std::string_view& rest) {
  const size_t nl = rest.find('\n');
  const std::string_view line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vitrine::shopify;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view rest = input;
  const std::string_view topic = NextLine(rest);
  const std::string_view hmac = NextLine(rest);
  const std::string_view body = rest;

  const WebhookVerifier verifier("fuzz-secret", "fuzz-old");
  const Headers headers = {{"shopify-topic", std::string(topic)},
                           {"X-Shopify-Hmac-Sha256", std::string(hmac)},
                           {"X-Shopify-Webhook-Id", std::string(topic)}};
  (void)verifier.Verify(headers, body);
  // Whatever the body, its own signature must verify and a signature of other bytes must not.
  if (!verifier.VerifyHeaderValue(SignWebhookBody("fuzz-secret", body), body).ok()) {
    __builtin_trap();
  }
  if (verifier.VerifyHeaderValue(SignWebhookBody("other", body), body).ok()) __builtin_trap();

  const WebhookEnvelope envelope = ReadEnvelope(headers);
  InMemoryWebhookDeduplicator dedup(DedupOptions{.capacity = 2, .ttl_ms = 10});
  if (dedup.CheckAndRecord(envelope.webhook_id, hmac, 0) == DedupVerdict::kNew &&
      dedup.CheckAndRecord(envelope.webhook_id, hmac, 1) != DedupVerdict::kDuplicate) {
    __builtin_trap();
  }
  (void)ParseTimestampMs(topic);

  const auto parsed = ParseWebhook(topic, body);
  if (!parsed.ok() && parsed.error.message.empty()) __builtin_trap();
  // Every mapper sees every body, whatever the topic line said.
  (void)ParseOrder(body, OrderEvent::kUpdated);
  (void)ParseProduct(body);
  (void)ParseCustomer(body);
  (void)ParseGdpr(body, GdprKind::kCustomerRedact);
  (void)VerifyOAuthQuery(input, "fuzz-secret");

  // The intake with a correctly signed copy: never 401, and only kAccepted carries a record.
  InMemoryWebhookDeduplicator intake_dedup;
  NewestVersionFilter versions;
  WebhookIntake intake(verifier, intake_dedup, &versions);
  Headers signed_headers = headers;
  signed_headers[1].second = SignWebhookBody("fuzz-secret", body);
  const IntakeResult result = intake.Handle(signed_headers, body, 0);
  if (result.http_status != 200) __builtin_trap();
  if (result.record.has_value() != (result.status == IntakeStatus::kAccepted)) __builtin_trap();
  (void)intake.Handle(headers, body, 1);
  return 0;
}
