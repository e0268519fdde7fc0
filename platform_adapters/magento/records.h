// Magento 2 REST objects mapped onto the server's own types: products become v1::CatalogItem,
// orders become order_completed / order_cancelled v1::Event, credit memos become order_refunded
// v1::Event, customers become identify events.
// No third record shape: each mapped value is the server type plus the few Magento fields the
// importer and the change-notification queue need (entity id, updated_at for newest-wins).
//
// Identity: a registered customer is user_id "magento:<customer id>" and anonymous_id
// "magento:customer:<id>"; a guest order gets anonymous_id "magento:guest:<sha256(lower email)>"
// (the email itself is not an id we want in logs). Event ids are derived from the entity id, so
// the same order imported twice, or once imported and once notified, is one event; the ingest
// service also claims `order.order_id` (the increment id, what the storefront's SDK sends), so
// an order reported by both the SDK and Magento counts once.
//
// Timestamps: Magento's REST API writes UTC without a zone marker ("2017-08-21 22:22:19").
// Money: JSON numbers (22, 1917.6) converted exactly to micros from their source token.
//
// All functions are pure and thread-safe.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_RECORDS_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform_adapters/shopify/json.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::magento {

using JsonValue = ::vitrine::shopify::JsonValue;

// What a product or order needs from the store view to become absolute URLs and priced items.
struct StoreContext {
  std::string code;                               // store view code ("default"); "" when unknown
  int64_t id = -1;                                // store_id (0 is the admin scope); -1 unknown
  std::string base_url;                           // "https://shop.example/" (trailing slash)
  std::string media_url;                          // "https://shop.example/media/"
  std::string currency = "USD";                   // base currency of the store view
  std::string product_url_suffix = ".html";       // catalog/seo/product_url_suffix
  std::map<int64_t, std::string> category_paths;  // category id -> "Gear/Bags"
};

struct Product {
  int64_t id = 0;
  std::string sku;
  std::string type_id;             // simple, configurable, bundle, virtual, ...
  int status = 1;                  // 1 enabled, 2 disabled
  int visibility = 4;              // 1 not visible individually (configurable children)
  std::vector<int64_t> child_ids;  // extension_attributes.configurable_product_links
  std::optional<int64_t> qty;      // stock_item.qty (0 when is_in_stock is false)
  std::string updated_at;
  int64_t updated_at_ms = 0;
  v1::CatalogItem item;  // product_id = decimal entity id
};

struct Customer {
  int64_t id = 0;
  std::string email;
  std::string updated_at;
  int64_t updated_at_ms = 0;
  v1::Event event;  // identify, user_id "magento:<id>", traits email/first_name/last_name
};

struct Order {
  int64_t entity_id = 0;
  std::optional<int64_t> store_id;     // the store view the order was placed in
  std::string increment_id;            // "000000003": the order number shoppers and the SDK see
  std::string state;                   // new, processing, complete, canceled, closed, ...
  std::string status;                  // pending, processing, ...
  std::optional<int64_t> customer_id;  // absent for guests
  std::string updated_at;
  int64_t updated_at_ms = 0;
  // Order item id of each configurable/bundle child row -> its parent row's item id.
  std::map<int64_t, int64_t> parent_item_of;
  v1::Event event;  // order_completed, or order_cancelled when state is canceled
};

// What a credit memo needs from its order: a credit memo names its order only by entity id, so
// the buyer and the order number (the SDK's order_id) come from the order.
struct OrderRef {
  int64_t entity_id = 0;
  std::string increment_id;
  std::string user_id;
  std::string anonymous_id;
  std::string currency;
  std::map<int64_t, int64_t> parent_item_of;  // as in Order
};
OrderRef RefOf(const Order& order);

// A credit memo (refund) as an order_refunded event: event id derived from the credit memo's
// entity id (one refund event per credit memo however often it is imported or notified),
// order.order_id the order's increment id, order.value_micros the amount refunded (the memo's
// grand_total: items, shipping, tax and adjustments), lines the refunded items (qty > 0; a
// configurable child's row folded into its parent as variant_id). A refund of an adjustment only
// (every item at qty 0) keeps the memo's item rows at price 0 so the event still names what was
// bought; properties["magento_refund"] says "items" or "adjustment".
struct CreditMemo {
  int64_t entity_id = 0;
  std::string increment_id;
  int64_t order_entity_id = 0;
  int state = 2;  // 1 open, 2 refunded, 3 canceled
  std::string updated_at;
  int64_t updated_at_ms = 0;
  v1::Event event;  // order_refunded
};

struct Category {
  int64_t id = 0;
  int64_t parent_id = 0;
  std::string name;
  std::string path;  // "1/2/3" (ids)
  int level = 0;
};

struct MapError {
  std::string message;
};

// Each returns nullopt and fills `error` when the object lacks its id.
std::optional<Product> MapProduct(const JsonValue& object, const StoreContext& store,
                                  MapError* error = nullptr);
std::optional<Customer> MapCustomer(const JsonValue& object, MapError* error = nullptr);
std::optional<Order> MapOrder(const JsonValue& object, const StoreContext& store,
                              MapError* error = nullptr);
std::optional<Category> MapCategory(const JsonValue& object);
// The order entity id a credit memo belongs to (its `order_id`); nullopt when absent.
std::optional<int64_t> CreditMemoOrderId(const JsonValue& memo);
// nullopt (with `error`) without an entity id, when `order` is not the memo's order, or for a
// canceled credit memo (state 3: nothing was refunded).
std::optional<CreditMemo> MapCreditMemo(const JsonValue& memo, const OrderRef& order,
                                        const StoreContext& store, MapError* error = nullptr);

// Every store view of the shop, from GET /V1/store/storeConfigs: the currency and URLs that go
// with a row's store_id, and the view a store code names.
struct StoreDirectory {
  std::map<int64_t, StoreContext> by_id;
  const StoreContext* Find(int64_t id) const;
  const StoreContext* FindCode(std::string_view code) const;
  std::string Codes() const;  // "default, fr" (for messages)
};
StoreDirectory ParseStoreConfigs(const JsonValue& configs);

// "Default Category/Gear/Bags" minus the root levels (level <= 1 is the tree root, level 2 the
// store's root category): category id -> "Gear/Bags".
std::map<int64_t, std::string> CategoryPaths(const std::vector<Category>& categories);

// Folds configurable children into their parents (lowest enabled child price when the parent has
// none, stock = sum of children) and drops products that are not visible on their own. Input is
// every product of the import; output the catalog items to upsert, ordered by entity id.
std::vector<v1::CatalogItem> BuildCatalog(const std::vector<Product>& products);

// "2017-08-21 22:22:19" (UTC, no zone) or with a 'T' and optional fraction/Z -> Unix ms.
std::optional<int64_t> ParseMagentoTime(std::string_view text);
// Unix ms -> "2017-08-21 22:22:19" (what updated_at filters compare against).
std::string FormatMagentoTime(int64_t unix_ms);

// A member's string or exact number text; "" when absent or of another type.
std::string JsonText(const JsonValue& object, std::string_view key);

// The identity strings (see the header comment).
std::string UserIdFor(int64_t customer_id);
std::string AnonymousIdForCustomer(int64_t customer_id);
std::string AnonymousIdForGuest(std::string_view email);

// 16 bytes shaped as a v4 UUID, derived from `key` (SHA-256): stable across imports/processes.
std::string StableEventId(std::string_view key);

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_RECORDS_H_
