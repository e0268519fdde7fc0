// Change notifications from the Vitrine_Snippet Magento module (module/Vitrine_Snippet): Magento
// has no native webhooks, so the module's observers POST each saved order, customer or product
// to the sync server, signed with a shared secret.
//
// Wire format (POST /v1/magento/events):
//   X-Vitrine-Event-Id:  unique id of this notification (the module makes a UUID; retries of the
//                        same notification reuse it), 1..128 printable ASCII characters
//   X-Vitrine-Timestamp: Unix seconds when it was signed
//   X-Vitrine-Signature: "v1=" + hex(HMAC-SHA256(secret, timestamp + "." + event_id + "." + raw
//                        body)); several "v1=" values separated by commas are accepted (the
//                        module signs with the new and the old secret while rotating)
//   body: {"topic": "order.saved" | "customer.saved" | "product.saved" | "product.deleted" |
//                   "creditmemo.saved",
//          "store": {"code", "id", "base_url", "media_url", "currency"},
//          "data": <the entity as Magento's REST API renders it>,
//          "order": <creditmemo.saved only: the memo's order as the REST API renders it>}
//   "store" is the store view the entity is rendered for: for products the view the module is
//   configured to describe (a save in another view's scope is rendered for that view again), for
//   orders, credit memos and customers the view they belong to.
// The timestamp bounds replays (default 5 minutes either way); the event id is the dedup key.
//
// Verification compares in constant time (CRYPTO_memcmp) and looks at nothing but the headers
// and the raw bytes: no JSON is parsed before the signature holds.
//
// Thread safety: pure functions.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_NOTIFICATIONS_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_NOTIFICATIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform_adapters/magento/records.h"

namespace vitrine::magento {

inline constexpr std::string_view kEventIdHeader = "x-vitrine-event-id";
inline constexpr std::string_view kTimestampHeader = "x-vitrine-timestamp";
inline constexpr std::string_view kSignatureHeader = "x-vitrine-signature";

enum class SignatureVerdict {
  kValid,
  kMissing,   // a header is absent or malformed
  kStale,     // timestamp outside the tolerance
  kMismatch,  // no signature matches any configured secret
};

struct SignatureOptions {
  std::vector<std::string> secrets;  // current first; a previous one during rotation
  int64_t tolerance_s = 300;
};

// "v1=<hex>" for these inputs (the module's PHP computes the same; tests and fakes use this).
std::string SignNotification(std::string_view secret, int64_t timestamp_s,
                             std::string_view event_id, std::string_view body);

// `headers`: names lower-cased (as the server's HttpExchange has them).
[[nodiscard]] SignatureVerdict VerifyNotification(const std::map<std::string, std::string>& headers,
                                                  std::string_view body,
                                                  const SignatureOptions& options, int64_t now_s);

// True for 1..128 printable ASCII characters without spaces.
bool ValidEventId(std::string_view id);

// A parsed notification body, mapped onto the server's types.
struct Notification {
  std::string topic;
  StoreContext store;
  std::optional<Product> product;             // product.saved
  std::optional<int64_t> deleted_product_id;  // product.deleted
  std::optional<Customer> customer;           // customer.saved
  std::optional<Order> order;                 // order.saved
  std::optional<CreditMemo> refund;           // creditmemo.saved
};

struct NotificationError {
  bool unsupported_topic = false;  // acknowledged and ignored (a newer module, say)
  std::string message;
};

[[nodiscard]] std::optional<Notification> ParseNotification(std::string_view body,
                                                            NotificationError* error);

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_NOTIFICATIONS_H_
