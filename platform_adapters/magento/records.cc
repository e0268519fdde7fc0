#include "platform_adapters/magento/records.h"

#include <openssl/sha.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

#include "platform_adapters/shopify/dedup.h"
#include "platform_adapters/shopify/records.h"

namespace vitrine::magento {
namespace {

using shopify::DecimalToMicros;

std::optional<int64_t> Int(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  return v == nullptr ? std::nullopt : v->AsInt64();
}

// Magento writes quantities and amounts as JSON numbers or, in older versions and some
// extensions, as strings ("10.0000"): both go through the exact decimal parser.
std::optional<int64_t> Micros(const JsonValue& object, std::string_view key) {
  const std::string text = JsonText(object, key);
  if (text.empty()) return std::nullopt;
  return DecimalToMicros(text);
}

std::optional<int64_t> WholeUnits(const JsonValue& object, std::string_view key) {
  auto micros = Micros(object, key);
  if (!micros) return std::nullopt;
  return *micros / 1000000;
}

// custom_attributes: [{"attribute_code": "url_key", "value": "champ-tee"}, ...]
std::string CustomAttribute(const JsonValue& object, std::string_view code) {
  const JsonValue* attributes = object.Find("custom_attributes");
  if (attributes == nullptr) return {};
  for (const JsonValue& a : attributes->items()) {
    const JsonValue* name = a.Find("attribute_code");
    if (name == nullptr || name->AsString() != std::string(code)) continue;
    return JsonText(a, "value");
  }
  return {};
}

int32_t ClampToInt32(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
}

std::string Join(std::string_view base, std::string_view path) {
  std::string out(base);
  if (!out.empty() && out.back() == '/' && !path.empty() && path.front() == '/')
    path.remove_prefix(1);
  if (!out.empty() && out.back() != '/' && !path.empty() && path.front() != '/') out += '/';
  out += path;
  return out;
}

// The image shown in lists: the media entry typed "image" (or "small_image"), else the first
// enabled one, else the `image` custom attribute.
std::string ImageFile(const JsonValue& product) {
  const JsonValue* media = product.Find("media_gallery_entries");
  std::string first;
  if (media != nullptr) {
    for (const JsonValue& entry : media->items()) {
      if (const JsonValue* disabled = entry.Find("disabled");
          disabled && disabled->AsBool() == true)
        continue;
      const std::string file = JsonText(entry, "file");
      if (file.empty()) continue;
      if (first.empty()) first = file;
      if (const JsonValue* types = entry.Find("types")) {
        for (const JsonValue& t : types->items()) {
          if (t.AsString() == "image" || t.AsString() == "small_image") return file;
        }
      }
    }
  }
  if (!first.empty()) return first;
  std::string attr = CustomAttribute(product, "image");
  return attr == "no_selection" ? std::string() : attr;
}

void SetError(MapError* error, std::string message) {
  if (error != nullptr) error->message = std::move(message);
}

}  // namespace

std::string JsonText(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.Find(key);
  if (v == nullptr) return {};
  return v->AsDecimalText().value_or("");
}

std::optional<int64_t> ParseMagentoTime(std::string_view text) {
  // "YYYY-MM-DD HH:MM:SS[.fff]" in UTC. An explicit offset is not what Magento writes, so it is
  // refused rather than guessed at; the RFC 3339 parser does the rest.
  if (text.size() < 19 || (text[10] != ' ' && text[10] != 'T')) return std::nullopt;
  std::string rfc3339(text);
  rfc3339[10] = 'T';
  if (rfc3339.back() != 'Z') {
    if (rfc3339.find_first_of("+-", 19) != std::string::npos) return std::nullopt;
    rfc3339 += 'Z';
  }
  return shopify::ParseTimestampMs(rfc3339);
}

std::string FormatMagentoTime(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  // civil_from_days
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

std::string UserIdFor(int64_t customer_id) { return "magento:" + std::to_string(customer_id); }
std::string AnonymousIdForCustomer(int64_t customer_id) {
  return "magento:customer:" + std::to_string(customer_id);
}
std::string AnonymousIdForGuest(std::string_view email) {
  std::string lower(email);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(lower.data()), lower.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "magento:guest:";
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string StableEventId(std::string_view key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  std::string id(reinterpret_cast<const char*>(digest), 16);
  id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);  // version 4 layout
  id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

std::optional<Product> MapProduct(const JsonValue& object, const StoreContext& store,
                                  MapError* error) {
  Product p;
  auto id = Int(object, "id");
  if (!id) {
    SetError(error, "product without an integer id");
    return std::nullopt;
  }
  p.id = *id;
  p.sku = JsonText(object, "sku");
  p.type_id = JsonText(object, "type_id");
  p.status = static_cast<int>(Int(object, "status").value_or(1));
  p.visibility = static_cast<int>(Int(object, "visibility").value_or(4));
  p.updated_at = JsonText(object, "updated_at");
  p.updated_at_ms = ParseMagentoTime(p.updated_at).value_or(0);

  v1::CatalogItem& item = p.item;
  item.set_product_id(std::to_string(p.id));
  item.set_title(JsonText(object, "name"));
  item.set_price_micros(Micros(object, "price").value_or(0));
  item.set_currency(store.currency);
  if (const std::string file = ImageFile(object); !file.empty()) {
    item.set_image_url(Join(Join(store.media_url, "catalog/product"), file));
  }
  if (const std::string key = CustomAttribute(object, "url_key"); !key.empty()) {
    item.set_url(Join(store.base_url, key + store.product_url_suffix));
  }
  // Brand: a free-text attribute where the shop has one; select attributes hold option ids.
  if (std::string brand = CustomAttribute(object, "brand");
      !brand.empty() && !DecimalToMicros(brand).has_value()) {
    item.set_brand(brand);
  }

  // Stock: stock_item where the (legacy) CatalogInventory API sends it; no stock information at
  // all is treated as available (MSI source items, when imported, override this).
  bool stock_known = false;
  if (const JsonValue* ext = object.Find("extension_attributes")) {
    if (const JsonValue* stock = ext->Find("stock_item"); stock && stock->is_object()) {
      const JsonValue* in_stock = stock->Find("is_in_stock");
      const bool available = in_stock == nullptr || in_stock->AsBool() != false;
      const JsonValue* manage = stock->Find("manage_stock");
      if (manage != nullptr && manage->AsBool() == false) {
        p.qty = available ? INT32_MAX : 0;
      } else if (auto qty = WholeUnits(*stock, "qty")) {
        p.qty = available ? *qty : 0;
      } else {
        p.qty = available ? 1 : 0;
      }
      stock_known = true;
    }
    if (const JsonValue* links = ext->Find("configurable_product_links")) {
      for (const JsonValue& l : links->items()) {
        if (auto child = l.AsInt64()) p.child_ids.push_back(*child);
      }
    }
    // The deepest linked category names the item ("Gear/Bags" over "Gear").
    if (const JsonValue* categories = ext->Find("category_links")) {
      size_t best_depth = 0;
      for (const JsonValue& link : categories->items()) {
        auto cid = shopify::ParseInt64(JsonText(link, "category_id"));
        if (!cid) continue;
        auto it = store.category_paths.find(*cid);
        if (it == store.category_paths.end()) continue;
        const size_t depth =
            static_cast<size_t>(std::count(it->second.begin(), it->second.end(), '/')) + 1;
        if (depth > best_depth) {
          best_depth = depth;
          item.set_category(it->second);
        }
      }
    }
  }
  item.set_stock(stock_known ? ClampToInt32(*p.qty) : 1);
  if (p.status == 2) item.set_stock(0);  // disabled: never recommend it
  return p;
}

std::optional<Customer> MapCustomer(const JsonValue& object, MapError* error) {
  Customer c;
  auto id = Int(object, "id");
  if (!id) {
    SetError(error, "customer without an integer id");
    return std::nullopt;
  }
  c.id = *id;
  c.email = JsonText(object, "email");
  c.updated_at = JsonText(object, "updated_at");
  c.updated_at_ms = ParseMagentoTime(c.updated_at).value_or(0);
  const int64_t created_ms = ParseMagentoTime(JsonText(object, "created_at")).value_or(0);

  v1::Event& e = c.event;
  e.set_type("identify");
  // A changed customer (new updated_at) is a new identify; a re-import of the same row is not.
  e.set_event_id(StableEventId("magento/customer/" + std::to_string(c.id) + "/" + c.updated_at));
  e.set_occurred_at_ms(c.updated_at_ms > 0 ? c.updated_at_ms : std::max<int64_t>(created_ms, 1));
  e.set_user_id(UserIdFor(c.id));
  e.set_anonymous_id(AnonymousIdForCustomer(c.id));
  auto& traits = *e.mutable_traits();
  if (!c.email.empty()) traits["email"] = c.email;
  if (auto v = JsonText(object, "firstname"); !v.empty()) traits["first_name"] = v;
  if (auto v = JsonText(object, "lastname"); !v.empty()) traits["last_name"] = v;
  if (auto v = JsonText(object, "store_id"); !v.empty()) traits["magento_store_id"] = v;
  if (auto v = JsonText(object, "group_id"); !v.empty()) traits["magento_group_id"] = v;
  return c;
}

std::optional<Order> MapOrder(const JsonValue& object, const StoreContext& store, MapError* error) {
  Order o;
  auto id = Int(object, "entity_id");
  if (!id) {
    SetError(error, "order without an integer entity_id");
    return std::nullopt;
  }
  o.entity_id = *id;
  o.increment_id = JsonText(object, "increment_id");
  if (o.increment_id.empty()) o.increment_id = std::to_string(o.entity_id);
  o.state = JsonText(object, "state");
  o.status = JsonText(object, "status");
  o.updated_at = JsonText(object, "updated_at");
  o.updated_at_ms = ParseMagentoTime(o.updated_at).value_or(0);
  const int64_t created_ms = ParseMagentoTime(JsonText(object, "created_at")).value_or(0);
  const bool guest = Int(object, "customer_is_guest").value_or(0) != 0;
  if (auto cid = Int(object, "customer_id"); cid && !guest) o.customer_id = *cid;
  o.store_id = Int(object, "store_id");

  std::string currency = JsonText(object, "order_currency_code");
  if (currency.empty()) currency = store.currency;

  v1::Event& e = o.event;
  const bool cancelled = o.state == "canceled";
  e.set_type(cancelled ? "order_cancelled" : "order_completed");
  e.set_event_id(StableEventId("magento/order/" + std::to_string(o.entity_id) + "/" + e.type()));
  const int64_t when = cancelled && o.updated_at_ms > 0 ? o.updated_at_ms : created_ms;
  e.set_occurred_at_ms(when > 0 ? when : std::max<int64_t>(o.updated_at_ms, 1));
  if (o.customer_id) {
    e.set_user_id(UserIdFor(*o.customer_id));
    e.set_anonymous_id(AnonymousIdForCustomer(*o.customer_id));
  } else {
    const std::string email = JsonText(object, "customer_email");
    e.set_anonymous_id(email.empty() ? "magento:order:" + std::to_string(o.entity_id)
                                     : AnonymousIdForGuest(email));
  }
  v1::OrderInfo& info = *e.mutable_order();
  info.set_order_id(o.increment_id);
  info.set_value_micros(std::max<int64_t>(Micros(object, "grand_total").value_or(0), 0));
  info.set_currency(currency);
  info.set_tax_micros(Micros(object, "tax_amount").value_or(0));
  info.set_shipping_micros(Micros(object, "shipping_amount").value_or(0));
  info.set_coupon(JsonText(object, "coupon_code"));
  if (o.store_id) (*e.mutable_properties())["magento_store_id"] = std::to_string(*o.store_id);

  // Lines: a configurable or bundle row carries the parent product and the price; its child rows
  // (parent_item_id set) repeat the quantity with price 0. Keep the parents, take the variant id
  // from the child.
  const JsonValue* items = object.Find("items");
  std::unordered_map<int64_t, int64_t> child_product_of;  // parent item_id -> child product_id
  if (items != nullptr) {
    for (const JsonValue& it : items->items()) {
      auto parent = Int(it, "parent_item_id");
      auto product = Int(it, "product_id");
      if (parent && product) child_product_of.emplace(*parent, *product);
      if (auto item_id = Int(it, "item_id"); parent && item_id)
        o.parent_item_of[*item_id] = *parent;
    }
    int32_t position = 0;
    for (const JsonValue& it : items->items()) {
      if (Int(it, "parent_item_id")) continue;
      v1::ProductLine& line = *e.add_products();
      line.set_product_id(JsonText(it, "product_id"));
      line.set_sku(JsonText(it, "sku"));
      line.set_name(JsonText(it, "name"));
      line.set_currency(currency);
      line.set_price_micros(std::max<int64_t>(Micros(it, "price").value_or(0), 0));
      line.set_quantity(ClampToInt32(WholeUnits(it, "qty_ordered").value_or(1)));
      line.set_position(position++);
      if (auto item_id = Int(it, "item_id")) {
        if (auto child = child_product_of.find(*item_id); child != child_product_of.end()) {
          line.set_variant_id(std::to_string(child->second));
        }
      }
      if (line.product_id().empty()) line.set_product_id(line.sku());
    }
  }
  return o;
}

OrderRef RefOf(const Order& order) {
  OrderRef ref;
  ref.entity_id = order.entity_id;
  ref.increment_id = order.increment_id;
  ref.user_id = order.event.user_id();
  ref.anonymous_id = order.event.anonymous_id();
  ref.currency = order.event.order().currency();
  ref.parent_item_of = order.parent_item_of;
  return ref;
}

std::optional<int64_t> CreditMemoOrderId(const JsonValue& memo) { return Int(memo, "order_id"); }

std::optional<CreditMemo> MapCreditMemo(const JsonValue& object, const OrderRef& order,
                                        const StoreContext& store, MapError* error) {
  CreditMemo m;
  auto id = Int(object, "entity_id");
  if (!id) {
    SetError(error, "credit memo without an integer entity_id");
    return std::nullopt;
  }
  m.entity_id = *id;
  auto order_id = CreditMemoOrderId(object);
  if (!order_id || *order_id != order.entity_id) {
    SetError(error, "credit memo " + std::to_string(m.entity_id) + " is not for order " +
                        std::to_string(order.entity_id));
    return std::nullopt;
  }
  m.order_entity_id = *order_id;
  m.increment_id = JsonText(object, "increment_id");
  m.state = static_cast<int>(Int(object, "state").value_or(2));
  if (m.state == 3) {
    SetError(error, "credit memo " + std::to_string(m.entity_id) + " was canceled");
    return std::nullopt;
  }
  m.updated_at = JsonText(object, "updated_at");
  m.updated_at_ms = ParseMagentoTime(m.updated_at).value_or(0);
  const int64_t created_ms = ParseMagentoTime(JsonText(object, "created_at")).value_or(0);

  std::string currency = JsonText(object, "order_currency_code");
  if (currency.empty()) currency = order.currency;
  if (currency.empty()) currency = store.currency;

  v1::Event& e = m.event;
  e.set_type("order_refunded");
  e.set_event_id(
      StableEventId("magento/creditmemo/" + std::to_string(m.entity_id) + "/" + e.type()));
  e.set_occurred_at_ms(created_ms > 0 ? created_ms : std::max<int64_t>(m.updated_at_ms, 1));
  e.set_user_id(order.user_id);
  e.set_anonymous_id(order.anonymous_id.empty() ? "magento:order:" + std::to_string(order.entity_id)
                                                : order.anonymous_id);
  v1::OrderInfo& info = *e.mutable_order();
  info.set_order_id(order.increment_id.empty() ? std::to_string(order.entity_id)
                                               : order.increment_id);
  info.set_value_micros(std::max<int64_t>(Micros(object, "grand_total").value_or(0), 0));
  info.set_currency(currency);
  info.set_tax_micros(Micros(object, "tax_amount").value_or(0));
  info.set_shipping_micros(Micros(object, "shipping_amount").value_or(0));
  auto& props = *e.mutable_properties();
  props["magento_creditmemo_id"] = std::to_string(m.entity_id);
  if (!m.increment_id.empty()) props["magento_creditmemo"] = m.increment_id;
  if (auto adjustment = Micros(object, "adjustment"); adjustment && *adjustment != 0) {
    props["magento_adjustment"] = JsonText(object, "adjustment");
  }
  if (auto v = JsonText(object, "store_id"); !v.empty()) props["magento_store_id"] = v;

  // Rows: one per order item, children of configurable/bundle rows included (their price is on
  // the parent row). A child row names the variant of its parent's line. Where the order's rows
  // are not known (an order rendered without them), a configurable child is recognised the way
  // Magento writes it: price 0 and the parent row's sku (the parent row carries the chosen
  // child's sku) under another product id.
  const JsonValue* items = object.Find("items");
  std::unordered_map<int64_t, int64_t> variant_of;  // parent order item id -> child product id
  std::vector<const JsonValue*> rows;
  if (items != nullptr) {
    for (const JsonValue& it : items->items()) {
      auto order_item = Int(it, "order_item_id");
      std::optional<int64_t> parent;
      if (auto known =
              order_item ? order.parent_item_of.find(*order_item) : order.parent_item_of.end();
          known != order.parent_item_of.end()) {
        parent = known->second;
      } else if (Micros(it, "price").value_or(0) == 0) {
        const std::string sku = JsonText(it, "sku");
        const std::string product = JsonText(it, "product_id");
        for (const JsonValue& other : items->items()) {
          if (&other != &it && !sku.empty() && JsonText(other, "sku") == sku &&
              JsonText(other, "product_id") != product && Micros(other, "price").value_or(0) > 0) {
            parent = Int(other, "order_item_id");
            break;
          }
        }
      }
      if (parent) {
        if (auto product = Int(it, "product_id")) variant_of.emplace(*parent, *product);
        continue;
      }
      rows.push_back(&it);
    }
  }
  auto add_lines = [&](bool refunded_only) {
    int32_t position = 0;
    for (const JsonValue* it : rows) {
      const int64_t qty = Micros(*it, "qty").value_or(0);
      if (refunded_only && qty <= 0) continue;
      v1::ProductLine& line = *e.add_products();
      line.set_product_id(JsonText(*it, "product_id"));
      line.set_sku(JsonText(*it, "sku"));
      line.set_name(JsonText(*it, "name"));
      line.set_currency(currency);
      // Whole units; a fractional quantity (weight-sold goods) counts as one line unit.
      line.set_quantity(refunded_only ? ClampToInt32(std::max<int64_t>(qty / 1000000, 1)) : 0);
      line.set_price_micros(refunded_only ? std::max<int64_t>(Micros(*it, "price").value_or(0), 0)
                                          : 0);
      line.set_position(position++);
      if (auto order_item = Int(*it, "order_item_id")) {
        if (auto v = variant_of.find(*order_item); v != variant_of.end()) {
          line.set_variant_id(std::to_string(v->second));
        }
      }
      if (line.product_id().empty()) line.set_product_id(line.sku());
    }
  };
  add_lines(/*refunded_only=*/true);
  props["magento_refund"] = e.products_size() > 0 ? "items" : "adjustment";
  if (e.products_size() == 0) add_lines(/*refunded_only=*/false);
  return m;
}

const StoreContext* StoreDirectory::Find(int64_t id) const {
  auto it = by_id.find(id);
  return it == by_id.end() ? nullptr : &it->second;
}

const StoreContext* StoreDirectory::FindCode(std::string_view code) const {
  for (const auto& [id, store] : by_id) {
    if (store.code == code) return &store;
  }
  return nullptr;
}

std::string StoreDirectory::Codes() const {
  std::string out;
  for (const auto& [id, store] : by_id) {
    if (!out.empty()) out += ", ";
    out += store.code;
  }
  return out;
}

StoreDirectory ParseStoreConfigs(const JsonValue& configs) {
  StoreDirectory out;
  for (const JsonValue& c : configs.items()) {
    StoreContext store;
    store.id = Int(c, "id").value_or(-1);
    store.code = JsonText(c, "code");
    // The secure URLs are the canonical ones on any shop that has TLS.
    store.base_url = JsonText(c, "secure_base_link_url");
    if (store.base_url.empty()) store.base_url = JsonText(c, "base_link_url");
    store.media_url = JsonText(c, "secure_base_media_url");
    if (store.media_url.empty()) store.media_url = JsonText(c, "base_media_url");
    if (auto currency = JsonText(c, "base_currency_code"); !currency.empty()) {
      store.currency = currency;
    }
    if (store.id < 0) continue;
    out.by_id[store.id] = std::move(store);
  }
  return out;
}

std::optional<Category> MapCategory(const JsonValue& object) {
  auto id = Int(object, "id");
  if (!id) return std::nullopt;
  Category c;
  c.id = *id;
  c.parent_id = Int(object, "parent_id").value_or(0);
  c.name = JsonText(object, "name");
  c.path = JsonText(object, "path");
  c.level = static_cast<int>(Int(object, "level").value_or(0));
  return c;
}

std::map<int64_t, std::string> CategoryPaths(const std::vector<Category>& categories) {
  std::unordered_map<int64_t, const Category*> by_id;
  for (const Category& c : categories) by_id[c.id] = &c;
  std::map<int64_t, std::string> out;
  for (const Category& c : categories) {
    if (c.level < 2) continue;
    std::string path;
    std::string_view rest = c.path;
    while (!rest.empty()) {
      const size_t slash = rest.find('/');
      auto seg = shopify::ParseInt64(rest.substr(0, slash));
      rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
      if (!seg) continue;
      auto it = by_id.find(*seg);
      if (it == by_id.end() || it->second->level < 2) continue;
      if (!path.empty()) path += '/';
      path += it->second->name;
    }
    out[c.id] = path.empty() ? c.name : path;
  }
  return out;
}

std::vector<v1::CatalogItem> BuildCatalog(const std::vector<Product>& products) {
  std::unordered_map<int64_t, const Product*> by_id;
  for (const Product& p : products) by_id[p.id] = &p;
  std::unordered_set<int64_t> folded;  // children whose parent is in this import
  for (const Product& p : products) {
    for (int64_t child : p.child_ids) {
      if (by_id.count(child)) folded.insert(child);
    }
  }
  std::vector<const Product*> ordered;
  for (const Product& p : products) ordered.push_back(&p);
  std::sort(ordered.begin(), ordered.end(),
            [](const Product* a, const Product* b) { return a->id < b->id; });
  std::vector<v1::CatalogItem> out;
  for (const Product* p : ordered) {
    if (folded.count(p->id) || p->visibility == 1) continue;
    v1::CatalogItem item = p->item;
    if (!p->child_ids.empty()) {
      int64_t stock = 0;
      std::optional<int64_t> lowest;
      bool any_child = false;
      for (int64_t child_id : p->child_ids) {
        auto it = by_id.find(child_id);
        if (it == by_id.end()) continue;
        const Product& child = *it->second;
        any_child = true;
        if (child.status == 2) continue;
        stock += std::max<int32_t>(child.item.stock(), 0);
        if (!lowest || child.item.price_micros() < *lowest) lowest = child.item.price_micros();
      }
      if (any_child) {
        item.set_stock(p->status == 2 ? 0 : ClampToInt32(stock));
        if (item.price_micros() == 0 && lowest) item.set_price_micros(*lowest);
      }
    }
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace vitrine::magento
