#include "platform_adapters/shopify/convert.h"

#include <openssl/sha.h>

#include <limits>

#include "platform_adapters/shopify/dedup.h"

namespace vitrine::shopify {

std::string DecimalId(const ShopifyId& id) {
  if (id.numeric) return std::to_string(*id.numeric);
  return {};
}

std::string DerivedEventId(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  // Shaped as a v4 UUID (version and variant bits) like the SDK's ids.
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x40);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  return std::string(reinterpret_cast<const char*>(digest), 16);
}

namespace {

int32_t ClampInt32(int64_t v) {
  if (v > std::numeric_limits<int32_t>::max()) return std::numeric_limits<int32_t>::max();
  if (v < std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(v);
}

}  // namespace

std::optional<v1::Event> OrderToEvent(const OrderRecord& order) {
  const std::string order_id = DecimalId(order.order_id);
  if (order_id.empty()) return std::nullopt;
  const bool cancelled = order.event == OrderEvent::kCancelled;
  const std::string type = cancelled ? "order_cancelled" : "order_completed";
  const std::string& when =
      cancelled && !order.cancelled_at.empty() ? order.cancelled_at : order.created_at;
  const auto at_ms = ParseTimestampMs(when.empty() ? order.updated_at : when);
  if (!at_ms || *at_ms <= 0) return std::nullopt;
  v1::Event event;
  event.set_event_id(DerivedEventId("shopify|" + type + "|" + order_id));
  event.set_type(type);
  event.set_occurred_at_ms(*at_ms);
  const std::string customer = DecimalId(order.customer_id);
  if (!customer.empty()) {
    event.set_user_id(customer);
    event.set_anonymous_id("shopify-customer:" + customer);
  } else {
    event.set_anonymous_id("shopify-order:" + order_id);
  }
  const std::string currency = order.currency.empty() ? "USD" : order.currency;
  auto* info = event.mutable_order();
  info->set_order_id(order_id);
  info->set_value_micros(order.value_micros.value_or(0) < 0 ? 0 : order.value_micros.value_or(0));
  info->set_currency(currency);
  for (const OrderLine& line : order.lines) {
    if (!line.product_id) continue;  // custom line: no product to learn from
    auto* p = event.add_products();
    p->set_product_id(std::to_string(*line.product_id));
    if (line.variant_id) p->set_variant_id(std::to_string(*line.variant_id));
    p->set_sku(line.sku);
    if (p->variant_id().empty() && p->sku().empty()) p->set_sku(p->product_id());
    p->set_price_micros(line.price_micros.value_or(0) < 0 ? 0 : line.price_micros.value_or(0));
    p->set_currency(currency);
    p->set_name(line.title);
    p->set_quantity(ClampInt32(line.quantity));
  }
  if (event.products_size() == 0) return std::nullopt;
  (*event.mutable_properties())["source"] = "shopify";
  if (!order.name.empty()) (*event.mutable_properties())["order_name"] = order.name;
  if (order.test) (*event.mutable_properties())["test"] = "true";
  return event;
}

std::optional<v1::Event> CustomerToEvent(const CustomerRecord& customer) {
  const std::string id = DecimalId(customer.customer_id);
  if (id.empty()) return std::nullopt;
  auto at_ms = ParseTimestampMs(customer.updated_at);
  if (!at_ms) at_ms = ParseTimestampMs(customer.created_at);
  if (!at_ms || *at_ms <= 0) return std::nullopt;
  v1::Event event;
  // One identify per customer version: a changed email makes a new event, a retry does not.
  event.set_event_id(DerivedEventId("shopify|identify|" + id + "|" + std::to_string(*at_ms)));
  event.set_type("identify");
  event.set_occurred_at_ms(*at_ms);
  event.set_user_id(id);
  event.set_anonymous_id("shopify-customer:" + id);
  auto& traits = *event.mutable_traits();
  if (!customer.email.empty()) traits["email"] = customer.email;
  if (!customer.phone.empty()) traits["phone"] = customer.phone;
  if (!customer.first_name.empty()) traits["first_name"] = customer.first_name;
  if (!customer.last_name.empty()) traits["last_name"] = customer.last_name;
  if (!customer.marketing_state.empty()) traits["email_marketing"] = customer.marketing_state;
  if (!customer.tags.empty()) traits["tags"] = customer.tags;
  traits["source"] = "shopify";
  return event;
}

std::optional<v1::Event> RedactToEvent(const GdprRequest& request, int64_t now_ms) {
  if (request.kind != GdprKind::kCustomerRedact || !request.customer_id) return std::nullopt;
  const std::string id = std::to_string(*request.customer_id);
  v1::Event event;
  event.set_event_id(DerivedEventId("shopify|deletion_requested|" + id));
  event.set_type("deletion_requested");
  event.set_occurred_at_ms(now_ms);
  event.set_user_id(id);
  event.set_anonymous_id("shopify-customer:" + id);
  (*event.mutable_properties())["source"] = "shopify customers/redact";
  return event;
}

std::optional<v1::CatalogItem> ProductToCatalogItem(const CatalogItem& product,
                                                    const CatalogContext& context) {
  const std::string id = DecimalId(product.product_id);
  if (id.empty()) return std::nullopt;
  v1::CatalogItem item;
  item.set_product_id(id);
  item.set_title(product.title);
  item.set_price_micros(product.price_micros.value_or(0));
  item.set_currency(context.currency);
  item.set_image_url(context.image_url);
  if (!context.shop_domain.empty() && !product.handle.empty()) {
    item.set_url("https://" + context.shop_domain + "/products/" + product.handle);
  }
  item.set_category(product.product_type);
  item.set_brand(product.vendor);
  const bool active = product.status.empty() || product.status == "active";
  // Without inventory tracking Shopify sends no quantity: treat as available.
  item.set_stock(active ? ClampInt32(product.stock.value_or(1)) : 0);
  return item;
}

}  // namespace vitrine::shopify
