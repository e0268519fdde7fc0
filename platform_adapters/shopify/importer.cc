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
  if (const JsonValue* tags = node.Find("tags")) {
    if (tags->is_array()) {
      for (const JsonValue& t : tags->items()) {
        if (!item.tags.empty()) item.tags += ", ";
        item.tags += Str(&t);
      }
    } else {
      item.tags = Str(tags);
    }
  }
  item.updated_at = Str(node.Find("updatedAt"));
  std::vector<const JsonValue*> variant_nodes;
  if (variants != nullptr) {
    for (const JsonValue& v : *variants) variant_nodes.push_back(&v);
  } else {
    variant_nodes = Nodes(node.Find("variants"));
  }
  for (const JsonValue* v : variant_nodes) {
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

Status ShopifyImporter::ImportProducts() {
  static constexpr const char* kQuery =
      R"(query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id title handle vendor productType status tags updatedAt
      featuredImage { url }
      collections(first: 1) { edges { node { title } } }
      variants(first: 100) { edges { node { id title price sku inventoryQuantity inventoryItem { id } } } }
    } }
  }
})";
  const std::string since = WatermarkOf("products");
  const std::string filter = since.empty() ? "null" : JsonString("updated_at:>='" + since + "'");
  new_watermark_ = since;
  std::string cursor;
  for (;;) {
    const std::string variables = "{\"first\":" + std::to_string(options_.graphql_page_size) +
                                  ",\"after\":" + (cursor.empty() ? "null" : JsonString(cursor)) +
                                  ",\"query\":" + filter + "}";
    auto data = GraphQL(kQuery, variables);
    if (!data.ok()) return data.status();
    const JsonValue* products = data->Find("products");
    std::vector<v1::CatalogItem> batch;
    for (const JsonValue* node : Nodes(products)) {
      auto product = ProductFromGraphQL(*node, nullptr);
      if (!product) continue;
      ++stats_.products;
      stats_.variants += static_cast<int64_t>(product->variants.size());
      auto newer = Newer(product->product_id.Key("Product"), product->updated_at);
      if (!newer.ok()) return newer.status();
      if (!*newer) continue;
      CatalogContext context;
      context.shop_domain = options_.shop;
      context.currency = options_.currency;
      context.image_url = Str(Get(node, {"featuredImage", "url"}));
      auto item = ProductToCatalogItem(*product, context);
      if (!item) continue;
      if (item->category().empty()) {
        const auto collections = Nodes(node->Find("collections"));
        if (!collections.empty()) item->set_category(Str(collections[0]->Find("title")));
      }
      for (const JsonValue* v : Nodes(node->Find("variants"))) {
        const auto inventory_item = NumericIdFromGid(Str(Get(v, {"inventoryItem", "id"})));
        if (!inventory_item || env_.store == nullptr) continue;
        const std::string inventory = std::to_string(*inventory_item);
        Status s = env_.store->MapInventoryItem(inventory, item->product_id());
        if (s.ok()) s = env_.store->RecordShopKeys(options_.shop, {"i:" + inventory});
        if (!s.ok()) return s;
        ++stats_.inventory_items;
      }
      batch.push_back(std::move(*item));
    }
    if (!batch.empty()) {
      Status s = env_.sinks.upsert_catalog(std::move(batch));
      if (!s.ok()) return s;
    }
    if (options_.progress) options_.progress("products", stats_.products, stats_);
    const JsonValue* page = Get(products, {"pageInfo"});
    const bool more =
        page && page->Find("hasNextPage") && page->Find("hasNextPage")->AsBool().value_or(false);
    if (!more) break;
    cursor = Str(page->Find("endCursor"));
    if (cursor.empty()) break;
  }
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
    auto data =
        GraphQL(kQuery, "{\"first\":" + std::to_string(options_.graphql_page_size) +
                            ",\"after\":" + (cursor.empty() ? "null" : JsonString(cursor)) + "}");
    if (!data.ok()) return data.status();
    const JsonValue* collections = data->Find("collections");
    stats_.collections += static_cast<int64_t>(Nodes(collections).size());
    if (options_.progress) options_.progress("collections", stats_.collections, stats_);
    const JsonValue* page = Get(collections, {"pageInfo"});
    if (!page || !page->Find("hasNextPage") ||
        !page->Find("hasNextPage")->AsBool().value_or(false)) {
      return Status::Ok();
    }
    cursor = Str(page->Find("endCursor"));
    if (cursor.empty()) return Status::Ok();
  }
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
    v1::Batch batch;
    for (const JsonValue& object : list ? list->items() : std::vector<JsonValue>{}) {
      ++count;
      if (resource == "customers") {
        WebhookParseResult mapped = MapCustomer(object);
        if (!mapped.ok()) continue;
        const auto& customer = std::get<CustomerRecord>(*mapped.record);
        auto newer = Newer(customer.customer_id.Key("Customer"), customer.updated_at);
        if (!newer.ok()) return newer.status();
        if (!*newer) continue;
        if (auto event = CustomerToEvent(customer)) *batch.add_events() = std::move(*event);
      } else {
        WebhookParseResult mapped = MapOrder(object, OrderEvent::kCreated);
        if (!mapped.ok()) continue;
        auto order = std::get<OrderRecord>(*mapped.record);
        (void)Newer("", order.updated_at);  // watermark only: orders are never superseded
        if (auto event = OrderToEvent(order)) *batch.add_events() = std::move(*event);
        if (!order.cancelled_at.empty()) {
          order.event = OrderEvent::kCancelled;
          if (auto event = OrderToEvent(order)) *batch.add_events() = std::move(*event);
        }
      }
    }
    if (batch.events_size() > 0) {
      // Through IngestForShop when there is a store: shop/redact finds these profiles later.
      Status s = env_.store
                     ? IngestForShop(*env_.store, env_.sinks, options_.shop, std::move(batch))
                     : env_.sinks.ingest(std::move(batch));
      if (!s.ok()) return s;
    }
    if (options_.progress) options_.progress(resource, count, stats_);
    next = NextLink(response->Header("link"));
  }
  return Watermark(resource, new_watermark_);
}

StatusOr<ImportStats> ShopifyImporter::Run() {
  if (env_.http == nullptr || !env_.sinks.ingest || !env_.sinks.upsert_catalog) {
    return Status(Status::Kind::kInvalid, "shopify_import", "importer needs http and sinks");
  }
  Status s = ImportShop();
  if (s.ok() && options_.products) s = ImportProducts();
  if (s.ok() && options_.collections) s = ImportCollections();
  if (s.ok() && options_.customers) s = ImportRest("customers");
  if (s.ok() && options_.orders) s = ImportRest("orders");
  if (!s.ok()) return s;
  return stats_;
}

}  // namespace vitrine::shopify
