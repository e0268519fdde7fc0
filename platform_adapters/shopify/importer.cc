#include "platform_adapters/shopify/importer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <utility>

#include "platform_adapters/shopify/convert.h"
#include "platform_adapters/shopify/dedup.h"
#include "platform_adapters/shopify/intake.h"
#include "platform_adapters/shopify/records.h"
#include "sync_server/common/json_text.h"

namespace vitrine::shopify {
namespace {

constexpr int64_t kRestLeakMs = 500;  // the REST bucket leaks 2 calls/s on standard plans

using server::JsonString;

std::string Str(const JsonValue* v) { return v ? v->AsString().value_or("") : std::string(); }

double Num(const JsonValue* v, double fallback) {
  if (v == nullptr) return fallback;
  const auto text = v->AsDecimalText();
  if (!text) return fallback;
  char* end = nullptr;
  const double d = std::strtod(text->c_str(), &end);
  return end == text->c_str() ? fallback : d;
}

// Path through nested objects: Get(v, {"a", "b"}).
const JsonValue* Get(const JsonValue* v, std::initializer_list<std::string_view> path) {
  for (const auto key : path) {
    if (v == nullptr) return nullptr;
    v = v->Find(key);
  }
  return v;
}

// Nodes of a GraphQL connection ({edges: [{node}]} or {nodes: [...]}).
std::vector<const JsonValue*> Nodes(const JsonValue* connection) {
  std::vector<const JsonValue*> out;
  if (connection == nullptr) return out;
  if (const JsonValue* edges = connection->Find("edges")) {
    for (const JsonValue& edge : edges->items()) {
      if (const JsonValue* node = edge.Find("node")) out.push_back(node);
    }
  } else if (const JsonValue* nodes = connection->Find("nodes")) {
    for (const JsonValue& node : nodes->items()) out.push_back(&node);
  }
  return out;
}

// `given` (children of a bulk line) when non-null, else the nodes of `connection`.
std::vector<const JsonValue*> NodesOr(const std::vector<JsonValue>* given,
                                      const JsonValue* connection) {
  if (given == nullptr) return Nodes(connection);
  std::vector<const JsonValue*> out;
  for (const JsonValue& v : *given) out.push_back(&v);
  return out;
}

// The cursor of the next page of `connection`, or "" on its last page.
std::string NextCursor(const JsonValue* connection) {
  const JsonValue* page = connection ? connection->Find("pageInfo") : nullptr;
  const JsonValue* more = page ? page->Find("hasNextPage") : nullptr;
  if (more == nullptr || !more->AsBool().value_or(false)) return {};
  return Str(page->Find("endCursor"));
}

// ["a","b"] -> "a, b" (REST's shape); a string as it is.
std::string Tags(const JsonValue* tags) {
  if (tags == nullptr || !tags->is_array()) return Str(tags);
  std::string out;
  for (const JsonValue& t : tags->items()) out += (out.empty() ? "" : ", ") + Str(&t);
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

ShopifyId IdFromGid(const std::string& gid) {
  ShopifyId id;
  id.gid = gid;
  id.numeric = NumericIdFromGid(gid);
  return id;
}

bool IsThrottled(const JsonValue& body) {
  const JsonValue* errors = body.Find("errors");
  if (errors == nullptr) return false;
  for (const JsonValue& e : errors->items()) {
    if (Str(Get(&e, {"extensions", "code"})) == "THROTTLED" ||
        Str(e.Find("message")) == "Throttled") {
      return true;
    }
  }
  return false;
}

// Field selections shared by the paged queries and the bulk operations (a bulk query takes the
// same fields; its nested connections take no `first` and become child lines).
constexpr const char* kProductFields =
    "id title handle vendor productType status tags updatedAt featuredImage { url }";
constexpr const char* kVariantFields = "id title price sku inventoryQuantity inventoryItem { id }";
constexpr const char* kCustomerFields =
    "id email phone firstName lastName state tags createdAt updatedAt "
    "emailMarketingConsent { marketingState }";
constexpr const char* kOrderFields =
    "id name email test createdAt updatedAt cancelledAt displayFinancialStatus currencyCode "
    "totalPriceSet { shopMoney { amount currencyCode } } customer { id }";
constexpr const char* kLineItemFields =
    "id title quantity sku product { id } variant { id } "
    "originalUnitPriceSet { shopMoney { amount } }";

// "edges { node { <fields> } }" of a connection.
std::string EdgesOf(const std::string& fields) { return "edges { node { " + fields + " } }"; }

// Shopify refuses a query whose requested cost is above 1,000 points, and a nested connection
// multiplies: first × (node cost). So pages are sized to stay under it (products: 25 × (1 +
// image 1 + collections 3 + variants 2 + 10 × 2) = 677 + 2; orders: 25 × (4 + line items
// 2 + 5 × 5) = 775 + 2), and a nested connection with more than its first page (a product with
// more than 10 variants, an order with more than 5 lines) is completed by node(id:) queries.
constexpr int kProductsPerPage = 25;
constexpr int kOrdersPerPage = 25;
constexpr int kVariantsPerProduct = 10;
constexpr int kLinesPerOrder = 5;

// A nested connection's first page, with its pageInfo so the rest can be fetched.
std::string NestedPage(const std::string& field, int first, const std::string& fields,
                       bool after = false) {
  return " " + field + "(first: " + std::to_string(first) + (after ? ", after: $after" : "") +
         ") { pageInfo { hasNextPage endCursor } " + EdgesOf(fields) + " }";
}

// A paged query over `resource` (sorted by updated_at, filtered by $query) selecting `node`.
std::string PagedQuery(const std::string& name, const std::string& resource,
                       const std::string& node) {
  return "query " + name + "($first: Int!, $after: String, $query: String) { " + resource +
         "(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) { "
         "pageInfo { hasNextPage endCursor } " +
         EdgesOf(node) + " } }";
}

// The bulk query over `resource` selecting `node`, filtered when `filter` is set.
std::string BulkQuery(const std::string& resource, const std::string& filter,
                      const std::string& node) {
  return "{ " + resource + (filter.empty() ? "" : "(query: " + JsonString(filter) + ")") + " { " +
         EdgesOf(node) + " } }";
}

}  // namespace

std::string NextLink(std::string_view link) {
  // <https://shop/admin/api/2024-04/orders.json?page_info=abc&limit=250>; rel="next", <...>;
  // rel="previous"
  size_t at = 0;
  while (at < link.size()) {
    const size_t open = link.find('<', at);
    if (open == std::string_view::npos) break;
    const size_t close = link.find('>', open);
    if (close == std::string_view::npos) break;
    size_t end = link.find(',', close);
    if (end == std::string_view::npos) end = link.size();
    const std::string_view params = link.substr(close + 1, end - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return std::string(link.substr(open + 1, close - open - 1));
    }
    at = end + 1;
  }
  return {};
}

std::optional<int64_t> ParseRetryAfterMs(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  const std::string text(value);
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(seconds >= 0) || seconds > 86400) return std::nullopt;
  return static_cast<int64_t>(std::ceil(seconds * 1000));
}

BulkParse ParseBulkJsonl(std::string_view jsonl) {
  BulkParse out;
  std::unordered_map<std::string, size_t> index;  // parent id -> position in out.objects
  std::vector<std::pair<std::string, JsonValue>> children;
  size_t at = 0;
  while (at < jsonl.size()) {
    size_t end = jsonl.find('\n', at);
    if (end == std::string_view::npos) end = jsonl.size();
    std::string_view line = jsonl.substr(at, end - at);
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto parsed = ParseJson(line);
    if (!parsed.ok() || !parsed.value->is_object()) {
      ++out.bad_lines;
      continue;
    }
    if (const JsonValue* parent = parsed.value->Find("__parentId")) {
      children.emplace_back(Str(parent), std::move(*parsed.value));
      continue;
    }
    const std::string id = Str(parsed.value->Find("id"));
    if (!id.empty()) index[id] = out.objects.size();
    out.objects.push_back({std::move(*parsed.value), {}});
  }
  // Children may come before or long after their parent (the order is not guaranteed).
  for (auto& [parent, child] : children) {
    auto it = index.find(parent);
    if (it == index.end()) {
      ++out.orphans;
      continue;
    }
    out.objects[it->second].children.push_back(std::move(child));
  }
  return out;
}

std::optional<CatalogItem> ProductFromGraphQL(const JsonValue& node,
                                              const std::vector<JsonValue>* variants) {
  const std::string gid = Str(node.Find("id"));
  if (gid.empty()) return std::nullopt;
  CatalogItem item;
  item.product_id = IdFromGid(gid);
  item.title = Str(node.Find("title"));
  item.handle = Str(node.Find("handle"));
  item.vendor = Str(node.Find("vendor"));
  item.product_type = Str(node.Find("productType"));
  item.status = Lower(Str(node.Find("status")));
  item.tags = Tags(node.Find("tags"));
  item.updated_at = Str(node.Find("updatedAt"));
  for (const JsonValue* v : NodesOr(variants, node.Find("variants"))) {
    CatalogVariant variant;
    variant.variant_id = IdFromGid(Str(v->Find("id")));
    variant.title = Str(v->Find("title"));
    const JsonValue* price = v->Find("price");
    // 2024-04: Money scalar ("19.99"); older shapes: {amount, currencyCode}.
    variant.price = price && price->is_object()
                        ? Str(price->Find("amount"))
                        : (price ? price->AsDecimalText().value_or("") : "");
    variant.sku = Str(v->Find("sku"));
    if (const JsonValue* q = v->Find("inventoryQuantity"))
      variant.inventory_quantity = q->AsInt64();
    const auto micros = DecimalToMicros(variant.price);
    if (micros && (!item.price_micros || *micros < *item.price_micros)) {
      item.price_micros = micros;
      item.price = variant.price;
    }
    if (variant.inventory_quantity)
      item.stock = item.stock.value_or(0) + *variant.inventory_quantity;
    item.variants.push_back(std::move(variant));
  }
  return item;
}

std::optional<CustomerRecord> CustomerFromGraphQL(const JsonValue& node) {
  const std::string gid = Str(node.Find("id"));
  if (gid.empty()) return std::nullopt;
  CustomerRecord c;
  c.customer_id = IdFromGid(gid);
  c.email = Str(node.Find("email"));
  c.phone = Str(node.Find("phone"));
  c.first_name = Str(node.Find("firstName"));
  c.last_name = Str(node.Find("lastName"));
  c.state = Lower(Str(node.Find("state")));
  c.marketing_state = Lower(Str(Get(&node, {"emailMarketingConsent", "marketingState"})));
  c.tags = Tags(node.Find("tags"));
  c.created_at = Str(node.Find("createdAt"));
  c.updated_at = Str(node.Find("updatedAt"));
  return c;
}

std::optional<OrderRecord> OrderFromGraphQL(const JsonValue& node,
                                            const std::vector<JsonValue>* lines) {
  const std::string gid = Str(node.Find("id"));
  if (gid.empty()) return std::nullopt;
  OrderRecord o;
  o.order_id = IdFromGid(gid);
  o.name = Str(node.Find("name"));
  const JsonValue* total = Get(&node, {"totalPriceSet", "shopMoney"});
  o.total_price = Str(total ? total->Find("amount") : nullptr);
  o.value_micros = DecimalToMicros(o.total_price);
  o.currency = total ? Str(total->Find("currencyCode")) : "";
  if (o.currency.empty()) o.currency = Str(node.Find("currencyCode"));
  o.email = Str(node.Find("email"));
  o.created_at = Str(node.Find("createdAt"));
  o.updated_at = Str(node.Find("updatedAt"));
  o.cancelled_at = Str(node.Find("cancelledAt"));
  o.financial_status = Lower(Str(node.Find("displayFinancialStatus")));
  if (const JsonValue* test = node.Find("test")) o.test = test->AsBool().value_or(false);
  if (const std::string customer = Str(Get(&node, {"customer", "id"})); !customer.empty()) {
    o.customer_id = IdFromGid(customer);
  }
  for (const JsonValue* l : NodesOr(lines, node.Find("lineItems"))) {
    OrderLine line;
    line.line_id = IdFromGid(Str(l->Find("id")));
    line.product_id = NumericIdFromGid(Str(Get(l, {"product", "id"})));
    line.variant_id = NumericIdFromGid(Str(Get(l, {"variant", "id"})));
    if (const JsonValue* q = l->Find("quantity")) line.quantity = q->AsInt64().value_or(0);
    line.price = Str(Get(l, {"originalUnitPriceSet", "shopMoney", "amount"}));
    line.price_micros = DecimalToMicros(line.price);
    line.sku = Str(l->Find("sku"));
    line.title = Str(l->Find("title"));
    o.lines.push_back(std::move(line));
  }
  return o;
}

ShopifyImporter::ShopifyImporter(ImportOptions options, ImportEnv env)
    : options_(std::move(options)), env_(std::move(env)) {
  if (!env_.now_ms) {
    env_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  if (!env_.sleep) {
    env_.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
}

void ShopifyImporter::Sleep(int64_t ms) {
  if (ms <= 0) return;
  stats_.slept_ms += ms;
  env_.sleep(ms);
}

void ShopifyImporter::Log(const std::string& message) {
  if (options_.log) {
    options_.log(message);
  } else {
    std::fprintf(stderr, "{\"msg\":\"shopify import\",\"detail\":%s}\n",
                 JsonString(message).c_str());
  }
}

void ShopifyImporter::WatchHeaders(const adapters::HttpResponse& response) {
  const std::string served = response.Header("x-shopify-api-version");
  if (!served.empty() && served != stats_.api_version_served) {
    if (served != options_.api_version) {
      // Shopify answers with the oldest supported version once the requested one is retired.
      Log("API version fall-forward: requested " + options_.api_version + ", served " + served);
    }
    stats_.api_version_served = served;
  }
  const std::string reason = response.Header("x-shopify-api-deprecated-reason");
  if (!reason.empty() && std::find(stats_.deprecations.begin(), stats_.deprecations.end(),
                                   reason) == stats_.deprecations.end()) {
    Log("deprecated API use: " + reason);
    stats_.deprecations.push_back(reason);
  }
}

StatusOr<adapters::HttpResponse> ShopifyImporter::Send(adapters::HttpRequest request,
                                                       bool graphql) {
  if (env_.cancelled && env_.cancelled()) {
    return Status(Status::Kind::kUnavailable, "shopify_import", "cancelled");
  }
  request.headers.emplace_back("X-Shopify-Access-Token", options_.token);
  request.headers.emplace_back("Accept", "application/json");
  if (!request.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  int consecutive_429 = 0;
  for (int attempt = 0;; ++attempt) {
    if (graphql && graphql_available_ >= 0 && graphql_available_ < graphql_last_cost_) {
      // The bucket cannot pay for another query like the last one: wait for it to refill.
      Sleep(static_cast<int64_t>(
          std::ceil((graphql_last_cost_ - graphql_available_) / graphql_restore_rate_ * 1000)));
      graphql_available_ = graphql_last_cost_;
    }
    ++stats_.requests;
    auto response = env_.http->Send(request);
    const bool give_up = attempt >= options_.max_retries;
    if (!response.ok()) {
      if (give_up) return response.status();
      ++stats_.retries;
      Sleep(std::min<int64_t>(int64_t{500} << std::min(attempt, 6), 30'000));
      continue;
    }
    WatchHeaders(*response);
    if (!graphql) {
      // "used/size": stay under the bucket instead of running into 429s.
      const std::string limit = response->Header("x-shopify-shop-api-call-limit");
      const size_t slash = limit.find('/');
      if (slash != std::string::npos) {
        const auto used = ParseInt64(limit.substr(0, slash));
        const auto size = ParseInt64(limit.substr(slash + 1));
        if (used && size && *used >= *size - 2) Sleep(kRestLeakMs);
      }
    }
    std::optional<JsonValue> body;
    if (graphql && (response->status == 200 || response->status == 429)) {
      auto parsed = ParseJson(response->body);
      if (parsed.ok()) body = std::move(parsed.value);
    }
    const JsonValue* throttle =
        body ? Get(&*body, {"extensions", "cost", "throttleStatus"}) : nullptr;
    if (throttle != nullptr) {
      graphql_available_ = Num(throttle->Find("currentlyAvailable"), graphql_available_);
      graphql_restore_rate_ = std::max(1.0, Num(throttle->Find("restoreRate"), 50));
    }
    if (body) {
      const double requested = Num(Get(&*body, {"extensions", "cost", "requestedQueryCost"}), 0);
      if (requested > 0) graphql_last_cost_ = requested;
    }
    const bool throttled = graphql && ((body && IsThrottled(*body)) || response->status == 429);
    if (throttled) {
      ++stats_.graphql_throttled;
      if (give_up)
        return Status(Status::Kind::kUnavailable, "shopify_throttled", "still throttled");
      int64_t wait_ms = 1000;
      if (throttle != nullptr && graphql_last_cost_ > graphql_available_) {
        wait_ms = static_cast<int64_t>(
            std::ceil((graphql_last_cost_ - graphql_available_) / graphql_restore_rate_ * 1000));
      } else if (auto retry = ParseRetryAfterMs(response->Header("retry-after"))) {
        wait_ms = *retry;
      }
      Sleep(wait_ms);
      graphql_available_ = -1;  // refilled by the wait; the next reply says how much
      continue;
    }
    if (response->status == 429) {
      ++stats_.http_429;
      if (give_up) return Status(Status::Kind::kUnavailable, "shopify_429", "still rate limited");
      const auto retry = ParseRetryAfterMs(response->Header("retry-after"));
      Sleep(retry ? *retry : options_.rest_retry_after_default_ms << std::min(consecutive_429, 5));
      ++consecutive_429;
      continue;
    }
    consecutive_429 = 0;
    if (response->status >= 500) {
      if (give_up) {
        return Status(Status::Kind::kUnavailable, "shopify_5xx",
                      "Shopify answered " + std::to_string(response->status));
      }
      ++stats_.retries;
      Sleep(std::min<int64_t>(int64_t{500} << std::min(attempt, 6), 30'000));
      continue;
    }
    return response;
  }
}

StatusOr<adapters::HttpResponse> ShopifyImporter::Rest(const std::string& method,
                                                       const std::string& path_and_query,
                                                       const std::string& body) {
  adapters::HttpRequest request;
  request.method = method;
  std::string base = options_.admin_base_url;
  if (const size_t at = base.find("{shop}"); at != std::string::npos) {
    base.replace(at, 6, options_.shop);
  }
  request.url = path_and_query.starts_with("http")
                    ? path_and_query
                    : base + "/admin/api/" + options_.api_version + path_and_query;
  request.body = body;
  auto response = Send(std::move(request), /*graphql=*/false);
  if (!response.ok()) return response;
  if (response->status / 100 != 2) {
    return Status(response->status == 401 || response->status == 403 ? Status::Kind::kUnauthorized
                                                                     : Status::Kind::kUnavailable,
                  "shopify_api",
                  method + " " + path_and_query.substr(0, path_and_query.find('?')) + " answered " +
                      std::to_string(response->status));
  }
  return response;
}

StatusOr<JsonValue> ShopifyImporter::GraphQL(const std::string& query,
                                             const std::string& variables_json) {
  adapters::HttpRequest request;
  request.method = "POST";
  std::string base = options_.admin_base_url;
  if (const size_t at = base.find("{shop}"); at != std::string::npos) {
    base.replace(at, 6, options_.shop);
  }
  request.url = base + "/admin/api/" + options_.api_version + "/graphql.json";
  request.body = "{\"query\":" + JsonString(query) + ",\"variables\":" + variables_json + "}";
  auto response = Send(std::move(request), /*graphql=*/true);
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return Status(Status::Kind::kUnavailable, "shopify_graphql",
                  "graphql answered " + std::to_string(response->status));
  }
  auto parsed = ParseJson(response->body);
  if (!parsed.ok()) return Status(Status::Kind::kUnavailable, "shopify_graphql", parsed.error);
  const JsonValue* data = parsed.value->Find("data");
  if (data == nullptr || data->is_null()) {
    const JsonValue* errors = parsed.value->Find("errors");
    const std::string message =
        errors && !errors->items().empty() ? Str(errors->items()[0].Find("message")) : "no data";
    return Status(Status::Kind::kInvalid, "shopify_graphql", message);
  }
  return *data;
}

std::string ShopifyImporter::WatermarkOf(const std::string& resource) {
  if (!options_.incremental || env_.store == nullptr) return {};
  auto value = env_.store->GetSetting("import:" + options_.shop + ":" + resource);
  return value.ok() && value->has_value() ? **value : std::string();
}

Status ShopifyImporter::Watermark(const std::string& resource, const std::string& updated_at) {
  if (env_.store == nullptr || updated_at.empty()) return Status::Ok();
  return env_.store->PutSetting("import:" + options_.shop + ":" + resource, updated_at);
}

StatusOr<bool> ShopifyImporter::Newer(const std::string& key, const std::string& updated_at) {
  const auto ms = ParseTimestampMs(updated_at);
  if (ms) {
    const auto mark = ParseTimestampMs(new_watermark_);
    if (!mark || *ms > *mark) new_watermark_ = updated_at;
  }
  if (env_.store == nullptr || !ms || key.empty()) return true;
  auto newer = env_.store->OfferVersion(key, *ms);
  if (!newer.ok()) return newer.status();
  if (!*newer) ++stats_.stale;
  return *newer;
}

Status ShopifyImporter::ImportShop() {
  if (!options_.currency.empty()) return Status::Ok();
  auto response = Rest("GET", "/shop.json");
  if (!response.ok()) return response.status();
  auto json = ParseJson(response->body);
  if (json.ok()) options_.currency = Str(Get(&*json.value, {"shop", "currency"}));
  return Status::Ok();
}

StatusOr<std::optional<v1::CatalogItem>> ShopifyImporter::ProductItem(
    const JsonValue& node, const std::vector<JsonValue>* variants, const std::string& collection) {
  using Result = std::optional<v1::CatalogItem>;
  auto product = ProductFromGraphQL(node, variants);
  if (!product) return Result();
  ++stats_.products;
  stats_.variants += static_cast<int64_t>(product->variants.size());
  auto newer = Newer(product->product_id.Key("Product"), product->updated_at);
  if (!newer.ok()) return newer.status();
  if (!*newer) return Result();
  CatalogContext context;
  context.shop_domain = options_.shop;
  context.currency = options_.currency;
  context.image_url = Str(Get(&node, {"featuredImage", "url"}));
  auto item = ProductToCatalogItem(*product, context);
  if (!item) return Result();
  if (item->category().empty()) item->set_category(collection);
  for (const JsonValue* v : NodesOr(variants, node.Find("variants"))) {
    const auto inventory_item = NumericIdFromGid(Str(Get(v, {"inventoryItem", "id"})));
    if (!inventory_item || env_.store == nullptr) continue;
    const std::string inventory = std::to_string(*inventory_item);
    Status s = env_.store->MapInventoryItem(inventory, item->product_id());
    if (s.ok()) s = env_.store->RecordShopKeys(options_.shop, {"i:" + inventory});
    if (!s.ok()) return s;
    ++stats_.inventory_items;
  }
  return Result(std::move(*item));
}

StatusOr<bool> ShopifyImporter::UseBulk() {
  if (options_.bulk) return true;
  if (options_.bulk_above_products <= 0) return false;
  const std::string since = WatermarkOf("products");
  auto data = GraphQL(
      "query Count($query: String) { productsCount(query: $query) { count } }",
      "{\"query\":" +
          (since.empty() ? std::string("null") : JsonString("updated_at:>='" + since + "'")) + "}");
  if (!data.ok()) return data.status();
  const JsonValue* count = Get(&*data, {"productsCount", "count"});
  const int64_t n = count ? count->AsInt64().value_or(0) : 0;
  if (n > options_.bulk_above_products) {
    Log("products: " + std::to_string(n) + " to import, above " +
        std::to_string(options_.bulk_above_products) + ": bulk operation");
    return true;
  }
  return false;
}

Status ShopifyImporter::ImportProducts() {
  if (use_bulk_) return ImportProductsBulk();
  static const std::string kQuery = PagedQuery(
      "Products", "products",
      std::string(kProductFields) + " collections(first: 1) { edges { node { title } } }" +
          NestedPage("variants", kVariantsPerProduct, kVariantFields));
  const std::string since = WatermarkOf("products");
  const std::string filter = since.empty() ? "null" : JsonString("updated_at:>='" + since + "'");
  new_watermark_ = since;
  std::string cursor;
  for (;;) {
    const std::string variables = "{\"first\":" + PageSize(kProductsPerPage) +
                                  ",\"after\":" + (cursor.empty() ? "null" : JsonString(cursor)) +
                                  ",\"query\":" + filter + "}";
    auto data = GraphQL(kQuery, variables);
    if (!data.ok()) return data.status();
    const JsonValue* products = data->Find("products");
    std::vector<v1::CatalogItem> batch;
    for (const JsonValue* node : Nodes(products)) {
      const auto collections = Nodes(node->Find("collections"));
      auto variants = AllOf(*node, "Product", "variants", kVariantFields);
      if (!variants.ok()) return variants.status();
      auto item = ProductItem(*node, variants->has_value() ? &**variants : nullptr,
                              collections.empty() ? "" : Str(collections[0]->Find("title")));
      if (!item.ok()) return item.status();
      if (item->has_value()) batch.push_back(std::move(**item));
    }
    if (!batch.empty()) {
      Status s = env_.sinks.upsert_catalog(std::move(batch));
      if (!s.ok()) return s;
    }
    if (options_.progress) options_.progress("products", stats_.products, stats_);
    cursor = NextCursor(products);
    if (cursor.empty()) break;
  }
  return Watermark("products", new_watermark_);
}

std::string ShopifyImporter::PageSize(int cap) const {
  return std::to_string(std::max(1, std::min(options_.graphql_page_size, cap)));
}

StatusOr<std::optional<std::vector<JsonValue>>> ShopifyImporter::AllOf(const JsonValue& node,
                                                                       const std::string& type,
                                                                       const std::string& field,
                                                                       const std::string& fields) {
  using Result = std::optional<std::vector<JsonValue>>;
  const JsonValue* connection = node.Find(field);
  std::string cursor = NextCursor(connection);
  if (cursor.empty()) return Result();  // the first page was all of it
  std::vector<JsonValue> all;
  for (const JsonValue* n : Nodes(connection)) all.push_back(*n);
  const std::string query = "query Rest($id: ID!, $after: String) { node(id: $id) { ... on " +
                            type + " {" + NestedPage(field, 100, fields, /*after=*/true) + " } } }";
  const std::string id = JsonString(Str(node.Find("id")));
  while (!cursor.empty()) {
    auto data = GraphQL(query, "{\"id\":" + id + ",\"after\":" + JsonString(cursor) + "}");
    if (!data.ok()) return data.status();
    const JsonValue* more = Get(&*data, {"node", field});
    if (more == nullptr) break;  // the node is gone: keep what the page had
    for (const JsonValue* n : Nodes(more)) all.push_back(*n);
    cursor = NextCursor(more);
  }
  return Result(std::move(all));
}

StatusOr<BulkParse> ShopifyImporter::RunBulk(const std::string& query) {
  static constexpr const char* kRun = R"(mutation Run($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { field message }
  }
})";
  auto started = GraphQL(kRun, "{\"query\":" + JsonString(query) + "}");
  if (!started.ok()) return started.status();
  const JsonValue* run = started->Find("bulkOperationRunQuery");
  if (const JsonValue* errors = run ? run->Find("userErrors") : nullptr;
      errors != nullptr && !errors->items().empty()) {
    // e.g. "A bulk query operation for this app and shop is already in progress".
    return Status(Status::Kind::kUnavailable, "shopify_bulk",
                  "bulkOperationRunQuery: " + Str(errors->items()[0].Find("message")));
  }
  const std::string id = Str(Get(run, {"bulkOperation", "id"}));
  if (id.empty()) {
    return Status(Status::Kind::kUnavailable, "shopify_bulk", "no bulk operation id in the reply");
  }
  Log("bulk operation " + id + " started");

  static constexpr const char* kPoll = R"(query Poll($id: ID!) {
  node(id: $id) { ... on BulkOperation { id status errorCode objectCount url partialDataUrl } }
})";
  std::string url;
  int64_t waited = 0;
  int64_t interval = std::max<int64_t>(1, options_.bulk_poll_first_ms);
  for (;;) {
    // Polls are cheap (cost 1) but a large export takes minutes: back off up to the maximum.
    Sleep(interval);
    waited += interval;
    interval = std::min(interval * 2, std::max(options_.bulk_poll_max_ms, interval));
    ++stats_.bulk_polls;
    auto polled = GraphQL(kPoll, "{\"id\":" + JsonString(id) + "}");
    if (!polled.ok()) return polled.status();
    const JsonValue* op = polled->Find("node");
    const std::string status = Str(op ? op->Find("status") : nullptr);
    if (status == "COMPLETED") {
      url = Str(op->Find("url"));  // null when the query matched nothing
      break;
    }
    if (status == "FAILED" || status == "CANCELED" || status == "EXPIRED") {
      return Status(
          Status::Kind::kUnavailable, "shopify_bulk",
          "bulk operation " + id + " " + status + " (" + Str(op->Find("errorCode")) + ")");
    }
    if (waited >= options_.bulk_timeout_ms) {
      return Status(Status::Kind::kUnavailable, "shopify_bulk",
                    "bulk operation " + id + " still " + status + " after " +
                        std::to_string(waited / 1000) + " s");
    }
  }
  ++stats_.bulk_operations;
  if (url.empty()) return BulkParse{};
  // A signed storage URL: no access token on it (it would leak to the storage host).
  adapters::HttpRequest download;
  download.method = "GET";
  download.url = url;
  for (int attempt = 0;; ++attempt) {
    if (env_.cancelled && env_.cancelled()) {
      return Status(Status::Kind::kUnavailable, "shopify_import", "cancelled");
    }
    ++stats_.requests;
    auto response = env_.http->Send(download);
    if (response.ok() && response->status == 200) {
      BulkParse parsed = ParseBulkJsonl(response->body);
      stats_.bulk_orphans += parsed.orphans;
      if (parsed.bad_lines > 0) {
        Log("bulk operation " + id + ": " + std::to_string(parsed.bad_lines) +
            " unreadable lines skipped");
      }
      return parsed;
    }
    const bool retryable = !response.ok() || response->status >= 500;
    if (!retryable || attempt >= options_.max_retries) {
      return Status(Status::Kind::kUnavailable, "shopify_bulk",
                    "bulk result download failed" +
                        (response.ok() ? ": HTTP " + std::to_string(response->status) : ""));
    }
    ++stats_.retries;
    Sleep(std::min<int64_t>(int64_t{500} << std::min(attempt, 6), 30'000));
  }
}

Status ShopifyImporter::ImportProductsBulk() {
  const std::string since = WatermarkOf("products");
  new_watermark_ = since;
  // Nested connections become child lines pointing at their product with __parentId.
  const std::string query =
      BulkQuery("products", since.empty() ? "" : "updated_at:>='" + since + "'",
                std::string(kProductFields) + " collections { " + EdgesOf("id title") + " }" +
                    " variants { " + EdgesOf(kVariantFields) + " }");
  auto parsed = RunBulk(query);
  if (!parsed.ok()) return parsed.status();
  std::vector<v1::CatalogItem> batch;
  for (const BulkObject& object : parsed->objects) {
    if (!Str(object.node.Find("id")).starts_with("gid://shopify/Product/")) continue;
    // Children of a product: its variants and its collections, told apart by their gid.
    std::vector<JsonValue> variants;
    std::string collection;
    for (const JsonValue& child : object.children) {
      const std::string gid = Str(child.Find("id"));
      if (gid.starts_with("gid://shopify/ProductVariant/")) {
        variants.push_back(child);
      } else if (gid.starts_with("gid://shopify/Collection/") && collection.empty()) {
        collection = Str(child.Find("title"));
      }
    }
    auto item = ProductItem(object.node, &variants, collection);
    if (!item.ok()) return item.status();
    if (item->has_value()) batch.push_back(std::move(**item));
    if (batch.size() >= 250) {
      Status s = env_.sinks.upsert_catalog(std::move(batch));
      if (!s.ok()) return s;
      batch.clear();
      if (options_.progress) options_.progress("products", stats_.products, stats_);
    }
  }
  if (!batch.empty()) {
    Status s = env_.sinks.upsert_catalog(std::move(batch));
    if (!s.ok()) return s;
  }
  if (options_.progress) options_.progress("products", stats_.products, stats_);
  return Watermark("products", new_watermark_);
}

Status ShopifyImporter::ImportCollections() {
  static constexpr const char* kQuery = R"(query Collections($first: Int!, $after: String) {
  collections(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title handle updatedAt } }
  }
})";
  std::string cursor;
  for (;;) {
    auto data = GraphQL(kQuery, "{\"first\":" + PageSize(250) + ",\"after\":" +
                                    (cursor.empty() ? "null" : JsonString(cursor)) + "}");
    if (!data.ok()) return data.status();
    const JsonValue* collections = data->Find("collections");
    stats_.collections += static_cast<int64_t>(Nodes(collections).size());
    if (options_.progress) options_.progress("collections", stats_.collections, stats_);
    cursor = NextCursor(collections);
    if (cursor.empty()) return Status::Ok();
  }
}

Status ShopifyImporter::IngestBatch(v1::Batch batch) {
  if (batch.events_size() == 0) return Status::Ok();
  // Through IngestForShop when there is a store: shop/redact finds these profiles later.
  return env_.store ? IngestForShop(*env_.store, env_.sinks, options_.shop, std::move(batch))
                    : env_.sinks.ingest(std::move(batch));
}

Status ShopifyImporter::IngestCustomers(const std::vector<CustomerRecord>& customers) {
  v1::Batch batch;
  for (const CustomerRecord& customer : customers) {
    auto newer = Newer(customer.customer_id.Key("Customer"), customer.updated_at);
    if (!newer.ok()) return newer.status();
    if (!*newer) continue;
    if (auto event = CustomerToEvent(customer)) *batch.add_events() = std::move(*event);
  }
  return IngestBatch(std::move(batch));
}

Status ShopifyImporter::IngestOrders(std::vector<OrderRecord> orders) {
  v1::Batch batch;
  for (OrderRecord& order : orders) {
    (void)Newer("", order.updated_at);  // watermark only: orders are never superseded
    if (auto event = OrderToEvent(order)) *batch.add_events() = std::move(*event);
    if (!order.cancelled_at.empty()) {
      order.event = OrderEvent::kCancelled;
      if (auto event = OrderToEvent(order)) *batch.add_events() = std::move(*event);
    }
  }
  return IngestBatch(std::move(batch));
}

Status ShopifyImporter::ImportRest(const std::string& resource) {
  const std::string since = WatermarkOf(resource);
  new_watermark_ = since;
  // Orders default to status=open: ask for all of them.
  std::string next = "/" + resource + ".json?limit=" + std::to_string(options_.rest_page_size) +
                     (resource == "orders" ? "&status=any" : "") +
                     (since.empty() ? "" : "&updated_at_min=" + adapters::UrlEncode(since));
  int64_t& count = resource == "orders" ? stats_.orders : stats_.customers;
  while (!next.empty()) {
    auto response = Rest("GET", next);
    if (!response.ok()) return response.status();
    auto json = ParseJson(response->body);
    if (!json.ok()) return Status(Status::Kind::kUnavailable, "shopify_api", json.error);
    const JsonValue* list = json.value->Find(resource);
    std::vector<CustomerRecord> customers;
    std::vector<OrderRecord> orders;
    for (const JsonValue& object : list ? list->items() : std::vector<JsonValue>{}) {
      ++count;
      WebhookParseResult mapped =
          resource == "customers" ? MapCustomer(object) : MapOrder(object, OrderEvent::kCreated);
      if (!mapped.ok()) continue;
      if (auto* c = std::get_if<CustomerRecord>(&*mapped.record)) customers.push_back(*c);
      if (auto* o = std::get_if<OrderRecord>(&*mapped.record)) orders.push_back(std::move(*o));
    }
    Status s =
        resource == "customers" ? IngestCustomers(customers) : IngestOrders(std::move(orders));
    if (!s.ok()) return s;
    if (options_.progress) options_.progress(resource, count, stats_);
    next = NextLink(response->Header("link"));
  }
  return Watermark(resource, new_watermark_);
}

Status ShopifyImporter::ImportGraphQL(const std::string& resource) {
  // Orders: every status (unlike REST, GraphQL does not default to open ones).
  static const std::string kCustomers = PagedQuery("Customers", "customers", kCustomerFields);
  static const std::string kOrders = PagedQuery(
      "Orders", "orders",
      std::string(kOrderFields) + NestedPage("lineItems", kLinesPerOrder, kLineItemFields));
  if (use_bulk_) return ImportGraphQLBulk(resource);
  const bool is_orders = resource == "orders";
  const std::string since = WatermarkOf(resource);
  new_watermark_ = since;
  const std::string filter = since.empty() ? "null" : JsonString("updated_at:>='" + since + "'");
  int64_t& count = is_orders ? stats_.orders : stats_.customers;
  std::string cursor;
  for (;;) {
    auto data = GraphQL(is_orders ? kOrders : kCustomers,
                        "{\"first\":" + PageSize(is_orders ? kOrdersPerPage : 250) +
                            ",\"after\":" + (cursor.empty() ? "null" : JsonString(cursor)) +
                            ",\"query\":" + filter + "}");
    if (!data.ok()) return data.status();
    const JsonValue* connection = data->Find(resource);
    std::vector<CustomerRecord> customers;
    std::vector<OrderRecord> orders;
    for (const JsonValue* node : Nodes(connection)) {
      ++count;
      if (is_orders) {
        auto lines = AllOf(*node, "Order", "lineItems", kLineItemFields);
        if (!lines.ok()) return lines.status();
        if (auto o = OrderFromGraphQL(*node, lines->has_value() ? &**lines : nullptr)) {
          orders.push_back(std::move(*o));
        }
      } else if (auto c = CustomerFromGraphQL(*node)) {
        customers.push_back(std::move(*c));
      }
    }
    Status s = is_orders ? IngestOrders(std::move(orders)) : IngestCustomers(customers);
    if (!s.ok()) return s;
    if (options_.progress) options_.progress(resource, count, stats_);
    cursor = NextCursor(connection);
    if (cursor.empty()) break;
  }
  return Watermark(resource, new_watermark_);
}

Status ShopifyImporter::ImportGraphQLBulk(const std::string& resource) {
  const bool is_orders = resource == "orders";
  const std::string since = WatermarkOf(resource);
  new_watermark_ = since;
  auto parsed = RunBulk(BulkQuery(
      resource, since.empty() ? "" : "updated_at:>='" + since + "'",
      is_orders ? std::string(kOrderFields) + " lineItems { " + EdgesOf(kLineItemFields) + " }"
                : std::string(kCustomerFields)));
  if (!parsed.ok()) return parsed.status();
  int64_t& count = is_orders ? stats_.orders : stats_.customers;
  std::vector<CustomerRecord> customers;
  std::vector<OrderRecord> orders;
  const auto flush = [&]() -> Status {
    Status s = is_orders ? IngestOrders(std::move(orders)) : IngestCustomers(customers);
    customers.clear();
    orders.clear();
    if (options_.progress) options_.progress(resource, count, stats_);
    return s;
  };
  const std::string kind = is_orders ? "gid://shopify/Order/" : "gid://shopify/Customer/";
  for (const BulkObject& object : parsed->objects) {
    if (!Str(object.node.Find("id")).starts_with(kind)) continue;
    ++count;
    if (is_orders) {
      // The order's line items are its children (wherever they were in the file).
      if (auto o = OrderFromGraphQL(object.node, &object.children)) orders.push_back(std::move(*o));
    } else if (auto c = CustomerFromGraphQL(object.node)) {
      customers.push_back(std::move(*c));
    }
    if (orders.size() + customers.size() >= 250) {
      Status s = flush();
      if (!s.ok()) return s;
    }
  }
  if (Status s = flush(); !s.ok()) return s;
  return Watermark(resource, new_watermark_);
}

StatusOr<ImportStats> ShopifyImporter::Run() {
  if (env_.http == nullptr || !env_.sinks.ingest || !env_.sinks.upsert_catalog) {
    return Status(Status::Kind::kInvalid, "shopify_import", "importer needs http and sinks");
  }
  Status s = ImportShop();
  if (s.ok()) {
    // One decision for the whole run: a shop too large to page its products pages its orders
    // no better.
    auto bulk = UseBulk();
    if (bulk.ok()) use_bulk_ = *bulk;
    s = bulk.status();
  }
  if (s.ok() && options_.products) s = ImportProducts();
  if (s.ok() && options_.collections) s = ImportCollections();
  if (s.ok() && options_.customers) {
    s = options_.rest ? ImportRest("customers") : ImportGraphQL("customers");
  }
  if (s.ok() && options_.orders) s = options_.rest ? ImportRest("orders") : ImportGraphQL("orders");
  if (!s.ok()) return s;
  return stats_;
}

}  // namespace vitrine::shopify
