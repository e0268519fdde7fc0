// Shopify webhook payloads mapped onto Vitrine's records (orders, catalog items, customers) and
// the mandatory GDPR requests.
//
// Ids: Shopify ids exceed 2^53 and the documented examples were already rounded by float64
// tooling (`"id": 820982911946154500` next to `gid://shopify/Order/820982911946154508`). So every
// id is a ShopifyId: the gid string when the payload has one (canonical) and the numeric id taken
// from the gid when possible, else from the payload's integer token, exactly, never via double.
//
// Money stays the decimal text Shopify sends ("388.00") plus the currency code; converting to
// minor units needs the currency's exponent and belongs to the consumer.
//
// Errors are values: ParseWebhook returns a WebhookParseResult with a code and a message. All
// functions are pure and thread-safe.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_RECORDS_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "platform_adapters/shopify/json.h"

namespace vitrine::shopify {

struct ShopifyId {
  std::string gid;                  // "gid://shopify/Order/820982911946154508" (may be empty)
  std::optional<uint64_t> numeric;  // 820982911946154508
  bool empty() const { return gid.empty() && !numeric.has_value(); }
  // The key to store records under: the gid, or one built from the numeric id and `kind`.
  std::string Key(std::string_view kind) const;
};

enum class OrderEvent { kCreated, kUpdated, kCancelled };

struct OrderLine {
  ShopifyId line_id;
  std::optional<uint64_t> product_id;  // null for custom lines
  std::optional<uint64_t> variant_id;
  int64_t quantity = 0;
  std::string price;                    // per unit, decimal text
  std::optional<int64_t> price_micros;  // the same, exact, in micros (proto ProductLine)
  std::string sku;
  std::string title;
};

struct OrderRecord {
  OrderEvent event = OrderEvent::kCreated;
  ShopifyId order_id;
  std::string name;                     // "#9999"
  std::string total_price;              // decimal text, shop currency
  std::optional<int64_t> value_micros;  // total_price in micros (proto OrderInfo.value_micros)
  std::string currency;                 // ISO 4217
  ShopifyId customer_id;                // empty for guest checkouts
  std::string email;
  std::vector<OrderLine> lines;
  std::string created_at;
  std::string updated_at;
  std::string cancelled_at;  // empty unless cancelled
  std::string financial_status;
  bool test = false;
};

struct CatalogVariant {
  ShopifyId variant_id;
  std::string title;
  std::string price;
  std::string sku;
  std::optional<int64_t> inventory_quantity;
};

struct CatalogItem {
  ShopifyId product_id;
  std::string title;
  std::string handle;
  std::string vendor;
  std::string product_type;
  std::string status;  // active / draft / archived
  std::string tags;
  std::string price;  // lowest variant price, decimal text; empty without variants
  std::optional<int64_t> price_micros;   // the same in micros
  std::optional<int64_t> stock;          // sum of variants' inventory_quantity where any is present
  std::vector<CatalogVariant> variants;  // Shopify sends full data for the first 100 only
  std::string updated_at;
};

struct CustomerRecord {
  ShopifyId customer_id;
  std::string email;
  std::string phone;
  std::string first_name;
  std::string last_name;
  std::string state;            // disabled / enabled / invited / declined
  std::string marketing_state;  // email_marketing_consent.state, empty when absent
  std::string tags;
  std::string created_at;
  std::string updated_at;
};

enum class GdprKind { kCustomerDataRequest, kCustomerRedact, kShopRedact };

struct GdprRequest {
  GdprKind kind = GdprKind::kShopRedact;
  std::optional<uint64_t> shop_id;
  std::string shop_domain;
  std::optional<uint64_t> customer_id;  // absent for shop/redact
  std::string customer_email;
  std::string customer_phone;
  std::vector<uint64_t> order_ids;          // orders_requested / orders_to_redact
  std::optional<uint64_t> data_request_id;  // customers/data_request only
};

enum class ParseErrorCode {
  kMalformedJson,    // not JSON, or not a JSON object
  kMissingField,     // a required field (the record's id) is absent or of the wrong type
  kUnsupportedTopic  // topic this adapter does not map (acknowledge and ignore)
};

struct ParseError {
  ParseErrorCode code = ParseErrorCode::kMalformedJson;
  std::string message;
};

using WebhookRecord = std::variant<OrderRecord, CatalogItem, CustomerRecord, GdprRequest>;

struct WebhookParseResult {
  std::optional<WebhookRecord> record;
  ParseError error;  // meaningful when !ok()
  bool ok() const { return record.has_value(); }
};

// Maps a webhook body for `topic` ("orders/create", "orders/updated", "orders/cancelled",
// "products/create", "products/update", "customers/create", "customers/update",
// "customers/data_request", "customers/redact", "shop/redact").
[[nodiscard]] WebhookParseResult ParseWebhook(std::string_view topic, std::string_view body);

// Individual mappers (same error contract).
[[nodiscard]] WebhookParseResult ParseOrder(std::string_view body, OrderEvent event);
[[nodiscard]] WebhookParseResult ParseProduct(std::string_view body);
[[nodiscard]] WebhookParseResult ParseCustomer(std::string_view body);
[[nodiscard]] WebhookParseResult ParseGdpr(std::string_view body, GdprKind kind);

// "388.00" -> 388000000 exactly (the wire contract carries money as integer micros). Accepts an
// optional '-', digits, and up to 6 fraction digits (more only when they are zeros); nullopt for
// anything else or on overflow.
std::optional<int64_t> DecimalToMicros(std::string_view text);

// The same mappers over an already parsed object: REST import pages (`{"orders":[...]}`) and
// bulk-operation JSONL lines reuse them.
[[nodiscard]] WebhookParseResult MapOrder(const JsonValue& object, OrderEvent event);
[[nodiscard]] WebhookParseResult MapProduct(const JsonValue& object);
[[nodiscard]] WebhookParseResult MapCustomer(const JsonValue& object);

// Numeric id at the end of a gid ("gid://shopify/Order/123?x=1" -> 123).
std::optional<uint64_t> NumericIdFromGid(std::string_view gid);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_RECORDS_H_
