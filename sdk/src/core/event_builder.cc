#include "sdk/src/core/event_builder.h"

#include <cmath>

namespace vitrine::internal {
namespace {

constexpr size_t kMaxProducts = 200;
constexpr size_t kMaxProperties = 32;
constexpr size_t kMaxKeyBytes = 64;
constexpr size_t kMaxValueBytes = 1024;
constexpr size_t kMaxIdBytes = 256;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool IsCurrencyCode(std::string_view c) {
  if (c.size() != 3) return false;
  for (char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

// Protobuf string fields must be UTF-8: an event with other bytes would serialize but never
// parse again (the server and the SDK's own sync would refuse it), so it is refused here.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += len;
  }
  return true;
}

Status CheckUtf8(std::string_view value, std::string_view field) {
  if (IsValidUtf8(value)) return Status::Ok();
  return Status(StatusCode::kInvalidArgument, std::string(field) + " is not valid UTF-8");
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status CheckId(std::string_view value, std::string_view field) {
  if (value.size() > kMaxIdBytes) return Invalid(std::string(field) + " is longer than 256 bytes");
  return Status::Ok();
}

Status BuildProduct(const Product& p, size_t index, v1::ProductLine& out) {
  const std::string where = "products[" + std::to_string(index) + "].";
  if (p.product_id.empty()) return Invalid(where + "product_id is required");
  if (p.variant_id.empty() && p.sku.empty())
    return Invalid(where + "variant_id or sku is required");
  if (!IsCurrencyCode(p.currency)) {
    return Invalid(where + "currency must be an ISO 4217 code like \"EUR\", got \"" + p.currency +
                   "\"");
  }
  if (p.quantity < 0) return Invalid(where + "quantity must be >= 0");
  for (auto [value, field] : {std::pair{&p.product_id, "product_id"},
                              {&p.variant_id, "variant_id"},
                              {&p.sku, "sku"},
                              {&p.list_id, "list_id"}}) {
    if (Status s = CheckId(*value, where + field); !s.ok()) return s;
  }
  for (auto [value, field] : {std::pair{&p.product_id, "product_id"},
                              {&p.variant_id, "variant_id"},
                              {&p.sku, "sku"},
                              {&p.name, "name"},
                              {&p.brand, "brand"},
                              {&p.category, "category"},
                              {&p.list_id, "list_id"},
                              {&p.url, "url"},
                              {&p.image_url, "image_url"}}) {
    if (Status s = CheckUtf8(*value, where + field); !s.ok()) return s;
  }
  int64_t price = 0;
  if (Status s = ToMicros(p.price, where + "price", price); !s.ok()) return s;
  out.set_product_id(p.product_id);
  out.set_variant_id(p.variant_id);
  out.set_sku(p.sku);
  out.set_price_micros(price);
  out.set_currency(p.currency);
  out.set_name(p.name);
  out.set_brand(p.brand);
  out.set_category(p.category);
  out.set_quantity(p.quantity == 0 ? 1 : p.quantity);
  out.set_position(p.position);
  out.set_list_id(p.list_id);
  out.set_url(p.url);
  out.set_image_url(p.image_url);
  return Status::Ok();
}

Status CheckMap(const std::map<std::string, std::string>& m, std::string_view field) {
  if (m.size() > kMaxProperties) return Invalid(std::string(field) + " has more than 32 entries");
  for (const auto& [k, v] : m) {
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) {
      return Invalid(std::string(field) + " keys and values must be valid UTF-8");
    }
    if (k.empty() || k.size() > kMaxKeyBytes) {
      return Invalid(std::string(field) + " keys must be 1..64 bytes");
    }
    if (v.size() > kMaxValueBytes) {
      return Invalid(std::string(field) + "[\"" + k + "\"] is longer than 1024 bytes");
    }
  }
  return Status::Ok();
}

bool NeedsProducts(std::string_view type) {
  return (StartsWith(type, "product_") && type != "product_list_viewed") ||
         type == "checkout_started" || type == "recommendation_clicked";
}

}  // namespace

Status ToMicros(double amount, std::string_view field, int64_t& micros) {
  if (!std::isfinite(amount) || amount < 0 || amount > 9e12) {
    return Invalid(std::string(field) + " must be a finite amount >= 0");
  }
  micros = std::llround(amount * 1e6);
  return Status::Ok();
}

std::string MakeEventId(uint64_t identity_bits, uint64_t seq) {
  std::string id(16, '\0');
  for (int i = 0; i < 8; ++i) {
    id[static_cast<size_t>(i)] = static_cast<char>(identity_bits >> (56 - 8 * i));
    id[static_cast<size_t>(8 + i)] = static_cast<char>(seq >> (56 - 8 * i));
  }
  id[6] = static_cast<char>((id[6] & 0x0f) | 0x80);  // version 8
  id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);  // RFC 9562 variant
  return id;
}

EventPriority PriorityOf(std::string_view type) {
  if (type == "page_viewed") return EventPriority::kPageView;
  if (type == "product_viewed" || type == "search_submitted") {
    return EventPriority::kProductInterest;
  }
  if (StartsWith(type, "order_") || type == "identify" || type == "consent_updated" ||
      type == "deletion_requested" || type == "account_created" || type == "user_signed_in" ||
      type == "user_signed_out") {
    return EventPriority::kNeverEvict;
  }
  if (StartsWith(type, "product_added") || StartsWith(type, "product_removed") ||
      StartsWith(type, "checkout") || type == "cart_viewed") {
    return EventPriority::kCartIntent;
  }
  return EventPriority::kBrowsing;
}

Status BuildEvent(const EventSpec& spec, v1::Event& out) {
  const std::string& type = spec.type;
  if (type.empty()) return Invalid("event type is required");
  if (!IsKnownEventType(type)) {
    return Status(StatusCode::kUnknownEvent,
                  "unknown event type \"" + type + "\" (see the vocabulary in DESIGN.md)");
  }
  if (IsServerSideEventType(type)) {
    return Status(StatusCode::kInvalidArgument, "\"" + type + "\" is recorded by the server only");
  }
  if (spec.products.size() > kMaxProducts) return Invalid("more than 200 product lines");
  if (Status s = CheckMap(spec.properties, "properties"); !s.ok()) return s;
  if (Status s = CheckMap(spec.traits, "traits"); !s.ok()) return s;

  out.set_type(type);
  for (size_t i = 0; i < spec.products.size(); ++i) {
    if (Status s = BuildProduct(spec.products[i], i, *out.add_products()); !s.ok()) return s;
  }
  if (NeedsProducts(type) && spec.products.empty()) {
    return Invalid(type + " needs at least one product");
  }
  const bool is_order = StartsWith(type, "order_");
  if (is_order) {
    if (!spec.order) return Invalid(type + " needs an order");
    const Order& o = *spec.order;
    if (o.order_id.empty()) return Invalid("order.order_id is required");
    if (Status s = CheckId(o.order_id, "order.order_id"); !s.ok()) return s;
    if (!IsCurrencyCode(o.currency)) {
      return Invalid("order.currency must be an ISO 4217 code, got \"" + o.currency + "\"");
    }
    if (o.products.empty()) return Invalid(type + " needs at least one product line");
    if (!spec.products.empty()) return Invalid("order lines belong in order.products");
    auto* order = out.mutable_order();
    int64_t micros = 0;
    if (Status s = ToMicros(o.value, "order.value", micros); !s.ok()) return s;
    order->set_value_micros(micros);
    if (Status s = ToMicros(o.tax, "order.tax", micros); !s.ok()) return s;
    order->set_tax_micros(micros);
    if (Status s = ToMicros(o.shipping, "order.shipping", micros); !s.ok()) return s;
    order->set_shipping_micros(micros);
    order->set_order_id(o.order_id);
    order->set_currency(o.currency);
    order->set_coupon(o.coupon);
    for (size_t i = 0; i < o.products.size(); ++i) {
      if (Status s = BuildProduct(o.products[i], i, *out.add_products()); !s.ok()) return s;
    }
  } else if (spec.order) {
    return Invalid("only order_* events carry an order");
  }
  if (type == "search_submitted" && spec.query.empty()) {
    return Invalid("search_submitted needs a query");
  }
  if (StartsWith(type, "in_app_message_") && spec.message_id.empty()) {
    return Invalid(type + " needs a message_id");
  }
  if (StartsWith(type, "promotion_") && spec.promotion_id.empty()) {
    return Invalid(type + " needs a promotion_id");
  }
  if (type == "checkout_step_completed" && spec.checkout_step <= 0) {
    return Invalid("checkout_step_completed needs a checkout_step >= 1");
  }
  if (StartsWith(type, "recommendation_") && spec.placement.empty()) {
    return Invalid(type + " needs a placement");
  }
  if (type == "page_viewed" && spec.page_url.size() > 4096) {
    return Invalid("page_url is longer than 4096 bytes");
  }
  for (auto [value, field] : {std::pair{&spec.query, "query"},
                              {&spec.list_id, "list_id"},
                              {&spec.list_name, "list_name"},
                              {&spec.page_url, "page_url"},
                              {&spec.referrer, "referrer"},
                              {&spec.message_id, "message_id"},
                              {&spec.placement, "placement"},
                              {&spec.promotion_id, "promotion_id"}}) {
    if (Status s = CheckUtf8(*value, field); !s.ok()) return s;
  }
  if (spec.order) {
    for (auto [value, field] : {std::pair{&spec.order->order_id, "order.order_id"},
                                {&spec.order->coupon, "order.coupon"}}) {
      if (Status s = CheckUtf8(*value, field); !s.ok()) return s;
    }
  }
  out.set_query(spec.query);
  out.set_list_id(spec.list_id);
  out.set_list_name(spec.list_name);
  out.set_page_url(spec.page_url);
  out.set_referrer(spec.referrer);
  out.set_message_id(spec.message_id);
  out.set_placement(spec.placement);
  out.set_promotion_id(spec.promotion_id);
  out.set_checkout_step(spec.checkout_step);
  for (const auto& [k, v] : spec.traits) (*out.mutable_traits())[k] = v;
  for (const auto& [k, v] : spec.properties) (*out.mutable_properties())[k] = v;
  return Status::Ok();
}

}  // namespace vitrine::internal
