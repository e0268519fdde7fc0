// Plain C++ values for the event vocabulary (DESIGN.md). Protobuf types never appear in the
// public API; the core converts and validates these at capture time.
//
// Thread safety: plain values.
#ifndef VITRINE_EVENTS_H_
#define VITRINE_EVENTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine {

// One product line. Required: product_id, variant_id or sku, price (>= 0), currency (ISO 4217).
struct Product {
  std::string product_id;
  std::string variant_id;
  std::string sku;
  double price = 0;      // unit price in currency units (12.34); carried as integer micros
  std::string currency;  // "EUR"
  std::string name;
  std::string brand;
  std::string category;  // "Skin Care/Face/Serums"
  int32_t quantity = 1;
  int32_t position = 0;
  std::string list_id;
  std::string url;
  std::string image_url;
};

// Required for order_* events: order_id, value (>= 0), currency, at least one line.
struct Order {
  std::string order_id;
  double value = 0;
  std::string currency;
  double tax = 0;
  double shipping = 0;
  std::string coupon;
  std::vector<Product> products;
};

// A generic event: `type` is a vocabulary name ("product_viewed"). The typed helpers on Client
// fill this in; Client::Track accepts it directly for integrations that map other vocabularies.
struct EventSpec {
  std::string type;
  std::vector<Product> products;
  std::optional<Order> order;
  std::string query;
  std::string list_id;
  std::string list_name;
  std::string page_url;
  std::string referrer;
  std::string message_id;
  std::string placement;
  std::string promotion_id;
  int32_t checkout_step = 0;
  std::map<std::string, std::string> traits;
  std::map<std::string, std::string> properties;  // at most 32 entries, keys <= 64 bytes,
                                                  // values <= 1024 bytes
};

// The vocabulary, in DESIGN.md order. Server-side names (email_opened, email_clicked) are known
// but refused by the SDK.
const std::vector<std::string_view>& EventVocabulary();
bool IsKnownEventType(std::string_view type);
bool IsServerSideEventType(std::string_view type);

}  // namespace vitrine

#endif  // VITRINE_EVENTS_H_
