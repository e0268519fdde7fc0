// Shopify records (records.h) -> the server's wire types: order and identity events for the ingest
// service (proto vitrine.v1.Event) and catalog items (vitrine.v1.CatalogItem).
//
// Conventions (the storefront SDK on a Shopify theme uses the same ones, so both paths meet):
//  - product_id / variant_id / order_id: Shopify's numeric ids in decimal ("632910392").
//  - user_id: the Shopify customer id in decimal; anonymous_id of server-made events:
//    "shopify-customer:<id>", or "shopify-order:<id>" for guest orders.
//  - event_id: 16 bytes of SHA-256 over what identifies the fact ("order_completed" + order id),
//    so a webhook retry, an orders/updated after orders/create and an import of the same order
//    all carry the same event id and the ingest service stores it once; order_completed is also
//    deduplicated by order_id against the SDK's own event.
//
// Pure functions; thread-safe.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CONVERT_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CONVERT_H_

#include <optional>
#include <string>
#include <string_view>

#include "platform_adapters/shopify/records.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::shopify {

// Decimal id of a ShopifyId ("" when it has none).
std::string DecimalId(const ShopifyId& id);

// 16-byte event id derived from `key`.
std::string DerivedEventId(std::string_view key);

// order_completed (created/updated) or order_cancelled. nullopt when the order has no line with
// a product (custom-only orders: nothing to recommend from) or no usable timestamp.
std::optional<v1::Event> OrderToEvent(const OrderRecord& order);

// identify: links "shopify-customer:<id>" to user_id <id>, with email/name/phone/marketing
// traits. nullopt without an id.
std::optional<v1::Event> CustomerToEvent(const CustomerRecord& customer);

// deletion_requested for customers/redact. nullopt without a customer id.
std::optional<v1::Event> RedactToEvent(const GdprRequest& request, int64_t now_ms);

struct CatalogContext {
  std::string shop_domain;  // for the product URL: https://<shop>/products/<handle>
  std::string currency;     // the shop's currency (products carry none)
  std::string image_url;    // first image, when the caller found one
};
// Non-active products (draft, archived) get stock 0 so they are never recommended.
std::optional<v1::CatalogItem> ProductToCatalogItem(const CatalogItem& product,
                                                    const CatalogContext& context);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CONVERT_H_
