#include "platform_adapters/shopify/records.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "platform_adapters/shopify/json.h"

namespace vitrine::shopify {
namespace {

std::string Text(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return {};
  auto text = v->AsDecimalText();
  return text ? *text : std::string();
}

std::optional<uint64_t> Uint(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  return v == nullptr ? std::nullopt : v->AsUint64();
}

// The id of a Shopify object: admin_graphql_api_id is exact (a string), `id` may have been
// rounded by float64 tooling upstream, so the gid wins when both exist.
ShopifyId IdOf(const JsonValue& object) {
  ShopifyId id;
  if (const JsonValue* gid = object.Find("admin_graphql_api_id"); gid != nullptr) {
    if (auto s = gid->AsString()) id.gid = *s;
  }
  if (!id.gid.empty()) id.numeric = NumericIdFromGid(id.gid);
  if (!id.numeric) id.numeric = Uint(object, "id");
  return id;
}

WebhookParseResult Error(ParseErrorCode code, std::string message) {
  WebhookParseResult result;
  result.error = ParseError{code, std::move(message)};
  return result;
}

WebhookParseResult Ok(WebhookRecord record) {
  WebhookParseResult result;
  result.record = std::move(record);
  return result;
}

// Parses the body as a JSON object or returns the error to hand back.
std::optional<JsonValue> ParseObject(std::string_view body, WebhookParseResult& error) {
  auto parsed = ParseJson(body);
  if (!parsed.ok()) {
    error = Error(ParseErrorCode::kMalformedJson, "malformed JSON: " + parsed.error);
    return std::nullopt;
  }
  if (!parsed.value->is_object()) {
    error = Error(ParseErrorCode::kMalformedJson, "webhook body is not a JSON object");
    return std::nullopt;
  }
  return std::move(parsed.value);
}

std::vector<uint64_t> IdList(const JsonValue& object, std::string_view key) {
  std::vector<uint64_t> ids;
  if (const JsonValue* list = object.Find(key); list != nullptr) {
    for (const JsonValue& item : list->items()) {
      if (auto id = item.AsUint64()) ids.push_back(*id);
    }
  }
  return ids;
}

// Compares two non-negative decimal strings ("19.99" < "199.00") without floating point.
bool DecimalLess(std::string_view a, std::string_view b) {
  auto split = [](std::string_view s) {
    const size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
    return std::pair(whole, frac);
  };
  const auto [aw, af] = split(a);
  const auto [bw, bf] = split(b);
  if (aw.size() != bw.size()) return aw.size() < bw.size();
  if (aw != bw) return aw < bw;
  const size_t n = std::max(af.size(), bf.size());
  for (size_t i = 0; i < n; ++i) {
    const char ca = i < af.size() ? af[i] : '0';
    const char cb = i < bf.size() ? bf[i] : '0';
    if (ca != cb) return ca < cb;
  }
  return false;
}

bool IsPlainDecimal(std::string_view s) {
  if (s.empty()) return false;
  bool dot = false;
  for (const char c : s) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string ShopifyId::Key(std::string_view kind) const {
  if (!gid.empty()) return gid;
  if (numeric) return "gid://shopify/" + std::string(kind) + "/" + std::to_string(*numeric);
  return {};
}

std::optional<int64_t> DecimalToMicros(std::string_view text) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || (dot != std::string_view::npos && frac.empty())) return std::nullopt;
  constexpr int64_t kMax = INT64_MAX;
  int64_t value = 0;
  for (const char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    const int digit = c - '0';
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value > kMax / 1000000) return std::nullopt;
  value *= 1000000;
  int64_t scale = 100000;
  for (size_t i = 0; i < frac.size(); ++i) {
    const char c = frac[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (i >= 6) {
      if (c != '0') return std::nullopt;  // sub-micro precision would be lost
      continue;
    }
    const int64_t add = scale * (c - '0');
    if (value > kMax - add) return std::nullopt;
    value += add;
    scale /= 10;
  }
  return negative ? -value : value;
}

std::optional<uint64_t> NumericIdFromGid(std::string_view gid) {
  constexpr std::string_view kPrefix = "gid://shopify/";
  if (gid.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  gid.remove_prefix(kPrefix.size());
  const size_t q = gid.find('?');
  if (q != std::string_view::npos) gid = gid.substr(0, q);
  const size_t slash = gid.rfind('/');
  if (slash == std::string_view::npos) return std::nullopt;
  return ParseUint64(gid.substr(slash + 1));
}

WebhookParseResult MapOrder(const JsonValue& object, OrderEvent event) {
  const JsonValue* root = &object;
  if (!root->is_object()) {
    return Error(ParseErrorCode::kMalformedJson, "order is not a JSON object");
  }
  OrderRecord order;
  order.event = event;
  order.order_id = IdOf(*root);
  if (order.order_id.empty()) return Error(ParseErrorCode::kMissingField, "order has no id");
  order.name = Text(*root, "name");
  order.total_price = Text(*root, "total_price");
  order.value_micros = DecimalToMicros(order.total_price);
  order.currency = Text(*root, "currency");
  order.email = Text(*root, "email");
  order.created_at = Text(*root, "created_at");
  order.updated_at = Text(*root, "updated_at");
  order.cancelled_at = Text(*root, "cancelled_at");
  order.financial_status = Text(*root, "financial_status");
  if (const JsonValue* test = root->Find("test"); test != nullptr) {
    order.test = test->AsBool().value_or(false);
  }
  if (const JsonValue* customer = root->Find("customer");
      customer != nullptr && customer->is_object()) {
    order.customer_id = IdOf(*customer);
  }
  if (const JsonValue* lines = root->Find("line_items"); lines != nullptr) {
    if (!lines->is_array()) {
      return Error(ParseErrorCode::kMissingField, "order line_items is not an array");
    }
    for (const JsonValue& item : lines->items()) {
      if (!item.is_object()) continue;
      OrderLine line;
      line.line_id = IdOf(item);
      line.product_id = Uint(item, "product_id");
      line.variant_id = Uint(item, "variant_id");
      if (const JsonValue* q = item.Find("quantity"); q != nullptr) {
        line.quantity = q->AsInt64().value_or(0);
      }
      line.price = Text(item, "price");
      line.price_micros = DecimalToMicros(line.price);
      line.sku = Text(item, "sku");
      line.title = Text(item, "title");
      order.lines.push_back(std::move(line));
    }
  }
  return Ok(std::move(order));
}

WebhookParseResult ParseOrder(std::string_view body, OrderEvent event) {
  WebhookParseResult error;
  auto root = ParseObject(body, error);
  if (!root) return error;
  return MapOrder(*root, event);
}

WebhookParseResult MapProduct(const JsonValue& object) {
  const JsonValue* root = &object;
  if (!root->is_object()) {
    return Error(ParseErrorCode::kMalformedJson, "product is not a JSON object");
  }
  CatalogItem item;
  item.product_id = IdOf(*root);
  if (item.product_id.empty()) return Error(ParseErrorCode::kMissingField, "product has no id");
  item.title = Text(*root, "title");
  item.handle = Text(*root, "handle");
  item.vendor = Text(*root, "vendor");
  item.product_type = Text(*root, "product_type");
  item.status = Text(*root, "status");
  item.tags = Text(*root, "tags");
  item.updated_at = Text(*root, "updated_at");
  if (const JsonValue* variants = root->Find("variants"); variants != nullptr) {
    for (const JsonValue& v : variants->items()) {
      if (!v.is_object()) continue;
      CatalogVariant variant;
      variant.variant_id = IdOf(v);
      variant.title = Text(v, "title");
      variant.price = Text(v, "price");
      variant.sku = Text(v, "sku");
      if (const JsonValue* q = v.Find("inventory_quantity"); q != nullptr) {
        variant.inventory_quantity = q->AsInt64();
      }
      if (variant.inventory_quantity)
        item.stock = item.stock.value_or(0) + *variant.inventory_quantity;
      if (IsPlainDecimal(variant.price) &&
          (item.price.empty() || DecimalLess(variant.price, item.price))) {
        item.price = variant.price;
      }
      item.variants.push_back(std::move(variant));
    }
  }
  item.price_micros = DecimalToMicros(item.price);
  return Ok(std::move(item));
}

WebhookParseResult ParseProduct(std::string_view body) {
  WebhookParseResult error;
  auto root = ParseObject(body, error);
  if (!root) return error;
  return MapProduct(*root);
}

WebhookParseResult MapCustomer(const JsonValue& object) {
  const JsonValue* root = &object;
  if (!root->is_object()) {
    return Error(ParseErrorCode::kMalformedJson, "customer is not a JSON object");
  }
  CustomerRecord customer;
  customer.customer_id = IdOf(*root);
  if (customer.customer_id.empty()) {
    return Error(ParseErrorCode::kMissingField, "customer has no id");
  }
  customer.email = Text(*root, "email");
  customer.phone = Text(*root, "phone");
  customer.first_name = Text(*root, "first_name");
  customer.last_name = Text(*root, "last_name");
  customer.state = Text(*root, "state");
  customer.tags = Text(*root, "tags");
  customer.created_at = Text(*root, "created_at");
  customer.updated_at = Text(*root, "updated_at");
  if (const JsonValue* consent = root->Find("email_marketing_consent");
      consent != nullptr && consent->is_object()) {
    customer.marketing_state = Text(*consent, "state");
  }
  return Ok(std::move(customer));
}

WebhookParseResult ParseCustomer(std::string_view body) {
  WebhookParseResult error;
  auto root = ParseObject(body, error);
  if (!root) return error;
  return MapCustomer(*root);
}

WebhookParseResult ParseGdpr(std::string_view body, GdprKind kind) {
  WebhookParseResult error;
  auto root = ParseObject(body, error);
  if (!root) return error;
  GdprRequest request;
  request.kind = kind;
  request.shop_id = Uint(*root, "shop_id");
  request.shop_domain = Text(*root, "shop_domain");
  if (request.shop_domain.empty() && !request.shop_id) {
    return Error(ParseErrorCode::kMissingField, "GDPR request names no shop");
  }
  if (kind == GdprKind::kShopRedact) return Ok(std::move(request));
  const JsonValue* customer = root->Find("customer");
  if (customer == nullptr || !customer->is_object()) {
    return Error(ParseErrorCode::kMissingField, "GDPR request has no customer");
  }
  request.customer_id = Uint(*customer, "id");
  request.customer_email = Text(*customer, "email");
  request.customer_phone = Text(*customer, "phone");
  if (!request.customer_id && request.customer_email.empty() && request.customer_phone.empty()) {
    return Error(ParseErrorCode::kMissingField, "GDPR request does not identify the customer");
  }
  if (kind == GdprKind::kCustomerDataRequest) {
    request.order_ids = IdList(*root, "orders_requested");
    if (const JsonValue* dr = root->Find("data_request"); dr != nullptr && dr->is_object()) {
      request.data_request_id = Uint(*dr, "id");
    }
  } else {
    request.order_ids = IdList(*root, "orders_to_redact");
  }
  return Ok(std::move(request));
}

WebhookParseResult ParseWebhook(std::string_view topic, std::string_view body) {
  if (topic == "orders/create") return ParseOrder(body, OrderEvent::kCreated);
  if (topic == "orders/updated") return ParseOrder(body, OrderEvent::kUpdated);
  if (topic == "orders/cancelled") return ParseOrder(body, OrderEvent::kCancelled);
  if (topic == "products/create" || topic == "products/update") return ParseProduct(body);
  if (topic == "customers/create" || topic == "customers/update") return ParseCustomer(body);
  if (topic == "customers/data_request") return ParseGdpr(body, GdprKind::kCustomerDataRequest);
  if (topic == "customers/redact") return ParseGdpr(body, GdprKind::kCustomerRedact);
  if (topic == "shop/redact") return ParseGdpr(body, GdprKind::kShopRedact);
  return Error(ParseErrorCode::kUnsupportedTopic, "unsupported topic: " + std::string(topic));
}

}  // namespace vitrine::shopify
