#include "platform_adapters/magento/notifications.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace vitrine::magento {
namespace {

std::string HexHmac(std::string_view secret, std::string_view message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

std::string Header(const std::map<std::string, std::string>& headers, std::string_view name) {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

}  // namespace

bool ValidEventId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

std::string SignNotification(std::string_view secret, int64_t timestamp_s,
                             std::string_view event_id, std::string_view body) {
  std::string message = std::to_string(timestamp_s);
  message += '.';
  message += event_id;
  message += '.';
  message += body;
  return "v1=" + HexHmac(secret, message);
}

SignatureVerdict VerifyNotification(const std::map<std::string, std::string>& headers,
                                    std::string_view body, const SignatureOptions& options,
                                    int64_t now_s) {
  const std::string event_id = Header(headers, kEventIdHeader);
  const std::string timestamp = Header(headers, kTimestampHeader);
  const std::string signatures = Header(headers, kSignatureHeader);
  if (!ValidEventId(event_id) || timestamp.empty() || timestamp.size() > 12 || signatures.empty() ||
      options.secrets.empty()) {
    return SignatureVerdict::kMissing;
  }
  int64_t ts = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return SignatureVerdict::kMissing;
    ts = ts * 10 + (c - '0');
  }
  if (ts < now_s - options.tolerance_s || ts > now_s + options.tolerance_s) {
    return SignatureVerdict::kStale;
  }
  // Every candidate is compared against every secret, all the way: the time taken says nothing
  // about which part matched.
  bool matched = false;
  std::string_view rest = signatures;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view candidate = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!candidate.empty() && candidate.front() == ' ') candidate.remove_prefix(1);
    while (!candidate.empty() && candidate.back() == ' ') candidate.remove_suffix(1);
    for (const std::string& secret : options.secrets) {
      if (secret.empty()) continue;
      const std::string expected = SignNotification(secret, ts, event_id, body);
      if (candidate.size() == expected.size() &&
          CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
        matched = true;
      }
    }
  }
  return matched ? SignatureVerdict::kValid : SignatureVerdict::kMismatch;
}

std::optional<Notification> ParseNotification(std::string_view body, NotificationError* error) {
  auto fail = [error](std::string message, bool unsupported = false) {
    if (error != nullptr) {
      error->message = std::move(message);
      error->unsupported_topic = unsupported;
    }
    return std::nullopt;
  };
  auto parsed = shopify::ParseJson(body);
  if (!parsed.ok()) return fail("malformed JSON: " + parsed.error);
  const JsonValue& root = *parsed.value;
  if (!root.is_object()) return fail("body is not a JSON object");
  Notification n;
  n.topic = JsonText(root, "topic");
  if (const JsonValue* store = root.Find("store"); store && store->is_object()) {
    n.store.code = JsonText(*store, "code");
    if (const JsonValue* id = store->Find("id"); id && id->AsInt64()) n.store.id = *id->AsInt64();
    n.store.base_url = JsonText(*store, "base_url");
    n.store.media_url = JsonText(*store, "media_url");
    if (auto c = JsonText(*store, "currency"); !c.empty()) n.store.currency = c;
  }
  if (n.store.media_url.empty() && !n.store.base_url.empty()) {
    n.store.media_url = n.store.base_url + "media/";
  }
  const JsonValue* data = root.Find("data");
  if (data == nullptr || !data->is_object()) return fail("no data object");
  MapError map_error;
  if (n.topic == "product.saved") {
    n.product = MapProduct(*data, n.store, &map_error);
    if (!n.product) return fail(map_error.message);
  } else if (n.topic == "product.deleted") {
    const JsonValue* id = data->Find("id");
    if (id == nullptr || !id->AsInt64()) return fail("product.deleted without an id");
    n.deleted_product_id = *id->AsInt64();
  } else if (n.topic == "customer.saved") {
    n.customer = MapCustomer(*data, &map_error);
    if (!n.customer) return fail(map_error.message);
  } else if (n.topic == "order.saved") {
    n.order = MapOrder(*data, n.store, &map_error);
    if (!n.order) return fail(map_error.message);
  } else if (n.topic == "creditmemo.saved") {
    // A memo names its order by entity id only; the module sends the order along.
    const JsonValue* order_json = root.Find("order");
    if (order_json == nullptr || !order_json->is_object()) {
      return fail("creditmemo.saved without its order");
    }
    auto order = MapOrder(*order_json, n.store, &map_error);
    if (!order) return fail("creditmemo.saved: " + map_error.message);
    if (const JsonValue* state = data->Find("state"); state && state->AsInt64() == 3) {
      return fail("canceled credit memo: nothing was refunded", true);
    }
    n.refund = MapCreditMemo(*data, RefOf(*order), n.store, &map_error);
    if (!n.refund) return fail(map_error.message);
  } else {
    return fail("unsupported topic '" + n.topic.substr(0, 64) + "'", true);
  }
  return n;
}

}  // namespace vitrine::magento
