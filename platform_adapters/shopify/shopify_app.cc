#include "platform_adapters/shopify/shopify_app.h"

#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <utility>

#include "platform_adapters/shopify/convert.h"
#include "platform_adapters/shopify/dedup.h"
#include "platform_adapters/shopify/hmac.h"
#include "platform_adapters/shopify/importer.h"
#include "platform_adapters/shopify/intake.h"
#include "platform_adapters/shopify/json.h"
#include "platform_adapters/shopify/records.h"
#include "sync_server/common/json_text.h"

namespace vitrine::shopify {

using server::HttpExchange;
using server::HttpReply;

namespace {

HttpReply ErrorReply(int status, std::string_view code, std::string_view message) {
  // The server's error shape ({"code","message"}); built here so this library does not link the
  // HTTP layer.
  return HttpReply::Json(status, "{\"code\":" + server::JsonString(code) +
                                     ",\"message\":" + server::JsonString(message) + "}");
}

HttpReply Redirect(const std::string& location) {
  HttpReply reply;
  reply.status = 302;
  reply.content_type = "text/plain";
  reply.headers.emplace_back("Location", location);
  return reply;
}

void Log(const std::string& message) {
  // One JSON object per line: the detail is escaped (paths and payload text may hold quotes).
  std::fprintf(stderr, "{\"msg\":\"shopify\",\"detail\":%s}\n",
               server::JsonString(message).c_str());
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : raw) {
    out.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 15]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

std::string Replace(std::string text, std::string_view what, std::string_view with) {
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at)) {
    text.replace(at, what.size(), with);
    at += with.size();
  }
  return text;
}

// Exact decimal text of an id field: from a gid member when there is one (documented payloads
// round ids above 2^53 in the number but not in the gid), else the number token.
std::string ExactId(const JsonValue& object, std::string_view field, std::string_view gid_field) {
  if (const JsonValue* gid = object.Find(gid_field); gid && gid->is_string()) {
    if (const auto n = NumericIdFromGid(*gid->AsString())) return std::to_string(*n);
  }
  if (const JsonValue* v = object.Find(field)) {
    if (const auto n = v->AsUint64()) return std::to_string(*n);
  }
  return {};
}

std::string OutcomeFor(const WebhookParseResult& parsed) {
  return parsed.error.code == ParseErrorCode::kUnsupportedTopic
             ? "ignored: " + parsed.error.message
             : "malformed: " + parsed.error.message;
}

}  // namespace

bool IsValidShopDomain(std::string_view shop) {
  constexpr std::string_view kSuffix = ".myshopify.com";
  if (!shop.ends_with(kSuffix) || shop.size() == kSuffix.size() || shop.size() > 255) return false;
  const std::string_view name = shop.substr(0, shop.size() - kSuffix.size());
  if (name.front() == '-') return false;
  for (const char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<ShopifyAppOptions> ShopifyAppOptions::FromEnv() {
  ShopifyAppOptions o;
  o.api_secret = Env("VITRINE_SHOPIFY_API_SECRET");
  if (o.api_secret.empty()) return std::nullopt;
  o.api_key = Env("VITRINE_SHOPIFY_API_KEY");
  o.previous_secret = Env("VITRINE_SHOPIFY_PREVIOUS_SECRET");
  if (const std::string until = Env("VITRINE_SHOPIFY_PREVIOUS_SECRET_UNTIL"); !until.empty()) {
    o.previous_secret_until_ms = std::atoll(until.c_str()) * 1000;
  }
  o.app_url = Env("VITRINE_SHOPIFY_APP_URL");
  if (const std::string base = Env("VITRINE_SHOPIFY_ADMIN_BASE_URL"); !base.empty()) {
    o.admin_base_url = base;
  }
  if (const std::string v = Env("VITRINE_SHOPIFY_API_VERSION"); !v.empty()) o.api_version = v;
  if (const std::string key = Env("VITRINE_SHOPIFY_TOKEN_KEY"); !key.empty()) {
    if (auto parsed = TokenCipher::ParseKey(key)) {
      o.token_key = *parsed;
    } else {
      Log("VITRINE_SHOPIFY_TOKEN_KEY is not 64 hex digits or base64 of 32 bytes; ignored");
    }
  }
  o.currency = Env("VITRINE_SHOPIFY_CURRENCY");
  if (const std::string r = Env("VITRINE_SHOPIFY_RECONCILE_S"); !r.empty()) {
    o.reconcile_interval_ms = std::atoll(r.c_str()) * 1000;
  }
  o.export_dir = Env("VITRINE_SHOPIFY_EXPORT_DIR");
  o.import_rest = Env("VITRINE_SHOPIFY_IMPORT_REST") == "1";
  o.pixel_write_key = Env("VITRINE_SHOPIFY_PIXEL_WRITE_KEY");
  if (!o.pixel_write_key.empty()) o.scopes += ",write_pixels,read_customer_events";
  return o;
}

StatusOr<std::unique_ptr<ShopifyApp>> ShopifyApp::Open(const std::string& db_path,
                                                       ShopifyAppOptions options,
                                                       ShopifySinks sinks, Clock clock,
                                                       std::shared_ptr<adapters::HttpClient> http) {
  auto store = ShopifyAppStore::Open(db_path, TokenCipher(options.token_key));
  if (!store.ok()) return store.status();
  if (!http) http = adapters::NewCurlHttpClient();
  if (!clock) {
    clock = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
  return std::unique_ptr<ShopifyApp>(new ShopifyApp(
      std::move(options), std::move(sinks), std::move(clock), std::move(http), std::move(*store)));
}

ShopifyApp::ShopifyApp(ShopifyAppOptions options, ShopifySinks sinks, Clock clock,
                       std::shared_ptr<adapters::HttpClient> http,
                       std::unique_ptr<ShopifyAppStore> store)
    : options_(std::move(options)),
      sinks_(std::move(sinks)),
      clock_(std::move(clock)),
      http_(std::move(http)),
      store_(std::move(store)) {
  // Deliveries left from a previous run (accepted, not yet applied) are applied first.
  if (options_.start_worker) worker_ = std::thread([this] { WorkerLoop(); });
}

ShopifyApp::~ShopifyApp() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

std::string ShopifyApp::RouteLabel(const HttpExchange& request) const {
  for (const char* route : {"webhooks", "install", "callback"}) {
    if (request.path == std::string(prefix()) + route) return request.path;
  }
  return std::string(prefix()) + "*";
}

HttpReply ShopifyApp::Handle(const HttpExchange& request) {
  const std::string rest = request.path.substr(std::min(request.path.size(), prefix().size()));
  if (rest == "webhooks") {
    if (request.method != "POST") return ErrorReply(405, "method_not_allowed", "POST only");
    return HandleWebhook(request);
  }
  if (rest == "install" || rest == "callback") {
    if (request.method != "GET") return ErrorReply(405, "method_not_allowed", "GET only");
    return rest == "install" ? HandleInstall(request) : HandleCallback(request);
  }
  return ErrorReply(404, "not_found", "no such Shopify route");
}

// ---- webhooks ----

HttpReply ShopifyApp::HandleWebhook(const HttpExchange& request) {
  const int64_t now = clock_();
  Headers headers(request.headers.begin(), request.headers.end());
  const bool rotation =
      !options_.previous_secret.empty() && now < options_.previous_secret_until_ms;
  const WebhookVerifier verifier(options_.api_secret, rotation ? options_.previous_secret : "");
  const VerifyResult verified = verifier.Verify(headers, request.body);
  if (!verified.ok()) return ErrorReply(401, "invalid_hmac", verified.reason);
  const WebhookEnvelope envelope = ReadEnvelope(headers);
  if (envelope.topic.empty()) return ErrorReply(400, "missing_topic", "no X-Shopify-Topic header");

  QueuedWebhook hook;
  hook.shop = envelope.shop_domain;
  hook.topic = envelope.topic;
  hook.api_version = envelope.api_version;
  hook.webhook_id = envelope.webhook_id;
  hook.event_id = envelope.event_id;
  hook.body = request.body;
  auto queued = store_->Enqueue(hook, now, options_.dedup_ttl_ms);
  // 503 makes Shopify retry the same delivery later: nothing is lost while storage is down.
  if (!queued.ok()) return ErrorReply(503, "unavailable", "webhook queue unavailable");
  if (*queued == EnqueueResult::kQueued) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      wake_ = true;
    }
    cv_.notify_one();
  }
  return HttpReply::Json(200, *queued == EnqueueResult::kQueued ? "{\"status\":\"queued\"}"
                                                                : "{\"status\":\"duplicate\"}");
}

void ShopifyApp::WorkerLoop() {
  int64_t next_reconcile = options_.reconcile_interval_ms > 0
                               ? clock_() + options_.reconcile_interval_ms
                               : std::numeric_limits<int64_t>::max();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    wake_ = false;
    lock.unlock();
    auto drained = Drain();
    if (!drained.ok()) Log("drain: " + drained.status().ToString());
    if (clock_() >= next_reconcile) {
      auto reconciled = Reconcile();
      if (!reconciled.ok()) Log("reconcile: " + reconciled.status().ToString());
      next_reconcile = clock_() + options_.reconcile_interval_ms;
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.worker_idle_ms),
                 [this] { return stopping_ || wake_; });
  }
}

StatusOr<size_t> ShopifyApp::Drain() {
  std::lock_guard<std::mutex> drain_lock(drain_mu_);
  size_t done = 0;
  for (;;) {
    auto pending = store_->Pending(100);
    if (!pending.ok()) return pending.status();
    size_t progressed = 0;
    for (const QueuedWebhook& hook : *pending) {
      auto outcome = Apply(hook);
      if (outcome.ok()) {
        Status s = store_->MarkDone(hook.id, clock_(), *outcome);
        if (!s.ok()) return s;
        ++done;
        ++progressed;
        continue;
      }
      if (hook.attempts + 1 >= options_.max_attempts) {
        Status s = store_->MarkDone(hook.id, clock_(), "failed: " + outcome.status().ToString());
        if (!s.ok()) return s;
        ++done;
        ++progressed;
        continue;
      }
      Status s = store_->MarkAttempt(hook.id, outcome.status().ToString());
      if (!s.ok()) return s;
      // Later deliveries for the same resource must not overtake this one: stop here and retry
      // on the next round.
      return done;
    }
    if (pending->size() < 100 || progressed == 0) return done;
  }
}

Status IngestForShop(ShopifyAppStore& store, const ShopifySinks& sinks, const std::string& shop,
                     v1::Batch batch) {
  // Recorded before ingesting: a crash in between leaves a key without a profile (harmless for
  // shop/redact), never a profile shop/redact cannot find.
  std::vector<std::string> keys;
  for (const v1::Event& event : batch.events()) {
    if (event.type() == "deletion_requested") continue;
    if (!event.user_id().empty()) keys.push_back("u:" + event.user_id());
    if (!event.anonymous_id().empty()) keys.push_back("a:" + event.anonymous_id());
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  if (!shop.empty()) {
    Status s = store.RecordShopKeys(shop, keys);
    if (!s.ok()) return s;
  }
  return sinks.ingest(std::move(batch));
}

Status ShopifyApp::IngestOne(const std::string& shop, v1::Event event) {
  v1::Batch batch;
  *batch.add_events() = std::move(event);
  return IngestForShop(*store_, sinks_, shop, std::move(batch));
}

StatusOr<std::string> ShopifyApp::Apply(const QueuedWebhook& hook) {
  const std::string& topic = hook.topic;
  if (topic == "app/uninstalled") {
    auto revoked = store_->RevokeShop(hook.shop, clock_());
    if (!revoked.ok()) return revoked.status();
    return std::string(*revoked ? "applied: token revoked" : "ignored: unknown shop");
  }
  if (topic == "products/create" || topic == "products/update") return ApplyProduct(hook);
  if (topic == "products/delete") return ApplyProductDelete(hook);
  if (topic.starts_with("inventory_levels/")) return ApplyInventoryLevel(hook);
  if (topic == "carts/create" || topic == "carts/update") return ApplyCart(hook);

  WebhookParseResult parsed = ParseWebhook(topic, hook.body);
  if (!parsed.ok()) return OutcomeFor(parsed);
  if (const auto* order = std::get_if<OrderRecord>(&*parsed.record)) {
    // No newest-wins gate for orders: a late orders/create must still record the purchase; the
    // event id (and order id) make every copy of it one stored event.
    auto event = OrderToEvent(*order);
    if (!event) return std::string("ignored: order without product lines");
    Status s = IngestOne(hook.shop, std::move(*event));
    if (!s.ok()) return s;
    return std::string("applied");
  }
  if (const auto* customer = std::get_if<CustomerRecord>(&*parsed.record)) {
    if (const auto version = VersionOf(*parsed.record)) {
      auto newer = store_->OfferVersion(version->first, version->second);
      if (!newer.ok()) return newer.status();
      if (!*newer) return std::string("stale");
    }
    auto event = CustomerToEvent(*customer);
    if (!event) return std::string("ignored: customer without id or timestamp");
    Status s = IngestOne(hook.shop, std::move(*event));
    if (!s.ok()) return s;
    return std::string("applied");
  }
  if (const auto* gdpr = std::get_if<GdprRequest>(&*parsed.record)) {
    switch (gdpr->kind) {
      case GdprKind::kCustomerRedact: {
        auto event = RedactToEvent(*gdpr, clock_());
        if (!event) return std::string("ignored: redact without customer id");
        Status s = IngestOne(hook.shop, std::move(*event));
        if (!s.ok()) return s;
        return std::string("applied: customer deleted");
      }
      case GdprKind::kCustomerDataRequest:
        return ApplyDataRequest(hook, *gdpr);
      case GdprKind::kShopRedact:
        return ApplyShopRedact(hook, *gdpr);
    }
  }
  return std::string("ignored: topic not applied");
}

StatusOr<std::string> ShopifyApp::ApplyProduct(const QueuedWebhook& hook) {
  auto json = ParseJson(hook.body);
  if (!json.ok()) return "malformed: " + json.error;
  WebhookParseResult parsed = MapProduct(*json.value);
  if (!parsed.ok()) return OutcomeFor(parsed);
  const auto& product = std::get<CatalogItem>(*parsed.record);
  if (const auto version = VersionOf(*parsed.record)) {
    auto newer = store_->OfferVersion(version->first, version->second);
    if (!newer.ok()) return newer.status();
    if (!*newer) return std::string("stale");
  }
  CatalogContext context;
  context.shop_domain = hook.shop;
  context.currency = options_.currency;
  if (const JsonValue* image = json.value->Find("image"); image && image->is_object()) {
    if (const JsonValue* src = image->Find("src")) context.image_url = src->AsString().value_or("");
  }
  if (context.image_url.empty()) {
    if (const JsonValue* images = json.value->Find("images"); images && !images->items().empty()) {
      if (const JsonValue* src = images->items().front().Find("src")) {
        context.image_url = src->AsString().value_or("");
      }
    }
  }
  auto item = ProductToCatalogItem(product, context);
  if (!item) return std::string("ignored: product without id");
  // Inventory levels arrive by inventory item: remember which product each item belongs to.
  if (const JsonValue* variants = json.value->Find("variants")) {
    for (const JsonValue& v : variants->items()) {
      const std::string inventory_item = ExactId(v, "inventory_item_id", "");
      if (inventory_item.empty()) continue;
      Status s = store_->MapInventoryItem(inventory_item, item->product_id());
      if (s.ok()) s = store_->RecordShopKeys(hook.shop, {"i:" + inventory_item});
      if (!s.ok()) return s;
    }
  }
  // Keep the stock learned from inventory levels when the payload carries no quantities.
  if (!product.stock && item->stock() > 0) {
    if (auto existing = sinks_.get_catalog(item->product_id())) item->set_stock(existing->stock());
  }
  Status s = sinks_.upsert_catalog({*item});
  if (!s.ok()) return s;
  return std::string("applied");
}

StatusOr<std::string> ShopifyApp::ApplyProductDelete(const QueuedWebhook& hook) {
  auto json = ParseJson(hook.body);
  if (!json.ok()) return "malformed: " + json.error;
  const std::string id = ExactId(*json.value, "id", "admin_graphql_api_id");
  if (id.empty()) return std::string("malformed: products/delete without id");
  auto existing = sinks_.get_catalog(id);
  if (!existing) return std::string("ignored: unknown product");
  // The catalog has no delete: out of stock keeps it out of every recommendation.
  existing->set_stock(0);
  Status s = sinks_.upsert_catalog({*existing});
  if (!s.ok()) return s;
  return std::string("applied: product removed");
}

StatusOr<std::string> ShopifyApp::ApplyInventoryLevel(const QueuedWebhook& hook) {
  auto json = ParseJson(hook.body);
  if (!json.ok()) return "malformed: " + json.error;
  const JsonValue& level = *json.value;
  // The gid "gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>" is exact where
  // the numbers may have been rounded.
  std::string item = ExactId(level, "inventory_item_id", "");
  std::string location = ExactId(level, "location_id", "");
  if (const JsonValue* gid = level.Find("admin_graphql_api_id"); gid && gid->is_string()) {
    const std::string text = *gid->AsString();
    constexpr std::string_view kParam = "inventory_item_id=";
    if (const size_t at = text.find(kParam); at != std::string::npos) {
      if (const auto n = ParseUint64(text.substr(at + kParam.size()))) item = std::to_string(*n);
    }
  }
  if (item.empty() || location.empty()) return std::string("malformed: inventory level ids");
  if (const JsonValue* updated = level.Find("updated_at")) {
    if (const auto ms = ParseTimestampMs(updated->AsString().value_or(""))) {
      auto newer = store_->OfferVersion("inventory:" + item + ":" + location, *ms);
      if (!newer.ok()) return newer.status();
      if (!*newer) return std::string("stale");
    }
  }
  int64_t available = 0;  // null: untracked at this location, or disconnected
  if (hook.topic != "inventory_levels/disconnect") {
    if (const JsonValue* a = level.Find("available")) available = a->AsInt64().value_or(0);
  }
  auto total = store_->SetInventoryLevel(item, location, available);
  if (!total.ok()) return total.status();
  if (!total->has_value()) return std::string("recorded: inventory item not mapped yet");
  auto existing = sinks_.get_catalog((*total)->product_id);
  if (!existing) return std::string("recorded: product not in the catalog yet");
  existing->set_stock(static_cast<int32_t>(
      std::clamp<int64_t>((*total)->available, -1'000'000'000, 1'000'000'000)));
  Status s = sinks_.upsert_catalog({*existing});
  if (!s.ok()) return s;
  return std::string("applied");
}

StatusOr<std::string> ShopifyApp::ApplyCart(const QueuedWebhook& hook) {
  auto json = ParseJson(hook.body);
  if (!json.ok()) return "malformed: " + json.error;
  const JsonValue* token = json.value->Find("token");
  if (token == nullptr) token = json.value->Find("id");
  const std::string cart = token ? token->AsString().value_or("") : "";
  if (cart.empty()) return std::string("malformed: cart without token");
  const JsonValue* updated = json.value->Find("updated_at");
  const auto at_ms = updated ? ParseTimestampMs(updated->AsString().value_or("")) : std::nullopt;
  v1::Batch batch;
  if (const JsonValue* lines = json.value->Find("line_items")) {
    for (const JsonValue& line : lines->items()) {
      const std::string product = ExactId(line, "product_id", "");
      if (product.empty()) continue;
      const std::string variant = ExactId(line, "variant_id", "");
      const int64_t quantity =
          line.Find("quantity") ? line.Find("quantity")->AsInt64().value_or(1) : 1;
      v1::Event event;
      // Same cart, line and quantity: same event (a cart update that leaves the line alone adds
      // nothing).
      event.set_event_id(DerivedEventId("shopify|cart|" + cart + "|" + product + "|" + variant +
                                        "|" + std::to_string(quantity)));
      event.set_type("product_added_to_cart");
      event.set_occurred_at_ms(at_ms.value_or(hook.received_ms));
      event.set_anonymous_id("shopify-cart:" + cart);
      auto* p = event.add_products();
      p->set_product_id(product);
      p->set_variant_id(variant);
      if (const JsonValue* sku = line.Find("sku")) p->set_sku(sku->AsString().value_or(""));
      if (p->variant_id().empty() && p->sku().empty()) p->set_sku(product);
      const JsonValue* price = line.Find("price");
      p->set_price_micros(
          DecimalToMicros(price ? price->AsDecimalText().value_or("0") : "0").value_or(0));
      p->set_currency(options_.currency.empty() ? "USD" : options_.currency);
      p->set_quantity(static_cast<int32_t>(quantity > 0 && quantity < 1'000'000 ? quantity : 1));
      if (const JsonValue* title = line.Find("title")) p->set_name(title->AsString().value_or(""));
      *batch.add_events() = std::move(event);
    }
  }
  if (batch.events_size() == 0) return std::string("ignored: empty cart");
  Status s = IngestForShop(*store_, sinks_, hook.shop, std::move(batch));
  if (!s.ok()) return s;
  return std::string("applied");
}

StatusOr<int64_t> ShopifyApp::Reconcile() {
  auto shops = store_->ListInstalledShops();
  if (!shops.ok()) return shops.status();
  int64_t ok = 0;
  for (const ShopRow& shop : *shops) {
    ImportOptions options;
    options.shop = shop.shop;
    options.token = shop.access_token;
    options.admin_base_url = options_.admin_base_url;
    options.api_version = options_.api_version;
    options.currency = options_.currency;
    options.collections = false;  // nothing in the catalog depends on them
    options.rest = options_.import_rest;
    options.log = [](const std::string& message) { Log("reconcile: " + message); };
    ImportEnv env;
    env.http = http_.get();
    env.store = store_.get();
    env.sinks = sinks_;
    env.now_ms = clock_;
    // Rate-limit waits end early when the app stops; the import then stops at the next page.
    env.sleep = [this](int64_t ms) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
    };
    env.cancelled = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return stopping_;
    };
    auto stats = ShopifyImporter(std::move(options), std::move(env)).Run();
    if (stats.ok()) {
      ++ok;
    } else {
      Log("reconcile " + shop.shop + ": " + stats.status().ToString());
    }
  }
  return ok;
}

// ---- GDPR ----

StatusOr<std::string> ShopifyApp::ApplyDataRequest(const QueuedWebhook& hook,
                                                   const GdprRequest& request) {
  if (!request.customer_id) return std::string("malformed: data request without customer id");
  if (!sinks_.export_profiles) return std::string("recorded: data request (no export here)");
  const std::string customer = std::to_string(*request.customer_id);
  // The customer's profile (user id, or the anonymous id our identify events link to it), and
  // guest orders the request names (their events carry "shopify-order:<id>").
  std::vector<std::pair<std::string, std::string>> lookups = {
      {customer, "shopify-customer:" + customer}};
  for (const uint64_t order : request.order_ids) {
    lookups.emplace_back("", "shopify-order:" + std::to_string(order));
  }
  auto profiles = sinks_.export_profiles(lookups);
  if (!profiles.ok()) return profiles.status();

  // The signed body's shop when it is a real domain (Shopify's samples carry a placeholder).
  const std::string shop = IsValidShopDomain(request.shop_domain) ? request.shop_domain : hook.shop;
  const std::string request_id =
      request.data_request_id ? std::to_string(*request.data_request_id) : "";
  const int64_t now = clock_();
  std::string orders = "[";
  for (size_t i = 0; i < request.order_ids.size(); ++i) {
    orders += (i ? ",\"" : "\"") + std::to_string(request.order_ids[i]) + "\"";
  }
  orders += "]";
  ShopifyAppStore::DataExport data_export;
  data_export.id = hook.id;
  data_export.shop = shop;
  data_export.customer_id = customer;
  data_export.data_request_id = request_id;
  data_export.created_ms = now;
  data_export.body =
      "{\"kind\":\"shopify_customers_data_request\",\"shop\":" + server::JsonString(shop) +
      ",\"shop_id\":" +
      server::JsonString(request.shop_id ? std::to_string(*request.shop_id) : "") +
      ",\"data_request_id\":" + server::JsonString(request_id) +
      ",\"customer\":{\"id\":" + server::JsonString(customer) +
      ",\"email\":" + server::JsonString(request.customer_email) +
      ",\"phone\":" + server::JsonString(request.customer_phone) +
      "},\"orders_requested\":" + orders +
      ",\"received_at_ms\":" + std::to_string(hook.received_ms) +
      ",\"exported_at_ms\":" + std::to_string(now) + ",\"profiles\":" + *profiles + "}";
  Status s = store_->PutDataExport(data_export);
  if (!s.ok()) return s;
  std::string where = "GET /v1/admin/shopify/exports/" + std::to_string(hook.id);
  if (!options_.export_dir.empty()) {
    const std::string path =
        options_.export_dir + "/shopify-data-request-" + std::to_string(hook.id) + ".json";
    // Written whole then renamed: the operator never picks up half a file.
    const std::string partial = path + ".partial";
    std::FILE* f = std::fopen(partial.c_str(), "wb");
    bool written = f != nullptr && std::fwrite(data_export.body.data(), 1, data_export.body.size(),
                                               f) == data_export.body.size();
    if (f != nullptr && std::fclose(f) != 0) written = false;  // the data may not be on disk
    if (!written || std::rename(partial.c_str(), path.c_str()) != 0) {
      return Status(Status::Kind::kUnavailable, "shopify_export", "cannot write " + path);
    }
    where += " and " + path;
  }
  Log("customers/data_request " + request_id + " from " + shop + " for customer " + customer +
      ": export " + std::to_string(hook.id) + " ready (" + where +
      "); deliver it to the merchant, then DELETE it");
  return "applied: export " + std::to_string(hook.id);
}

StatusOr<std::string> ShopifyApp::ApplyShopRedact(const QueuedWebhook& hook,
                                                  const GdprRequest& request) {
  // The shop comes from the signed body: the X-Shopify-Shop-Domain header is not covered by the
  // HMAC, so a replayed body with another shop's header must not erase that other shop.
  const std::string& shop = request.shop_domain;
  if (!IsValidShopDomain(shop)) return std::string("malformed: shop/redact without shop_domain");
  auto keys = store_->ShopKeys(shop);
  if (!keys.ok()) return keys.status();
  // One deletion per key through the ingest service (the customers/redact path): it deletes the
  // profile with its events and orders and tombstones the ids. Ids already gone are no-ops, so a
  // retry after a failure halfway repeats harmlessly.
  int64_t deletions = 0;
  v1::Batch batch;
  const auto flush = [&]() -> Status {
    if (batch.events_size() == 0) return Status::Ok();
    deletions += batch.events_size();
    Status s = sinks_.ingest(std::move(batch));
    batch = v1::Batch();
    return s;
  };
  const int64_t now = clock_();
  for (const std::string& key : *keys) {
    v1::Event event;
    if (key.starts_with("u:")) {
      event.set_user_id(key.substr(2));
      event.set_anonymous_id("shopify-customer:" + key.substr(2));
    } else if (key.starts_with("a:")) {
      event.set_anonymous_id(key.substr(2));
    } else {
      continue;
    }
    event.set_event_id(DerivedEventId("shopify|shop_redact|" + shop + "|" + key));
    event.set_type("deletion_requested");
    event.set_occurred_at_ms(now);
    (*event.mutable_properties())["source"] = "shopify shop/redact";
    *batch.add_events() = std::move(event);
    if (batch.events_size() >= 500) {
      Status s = flush();
      if (!s.ok()) return s;
    }
  }
  if (Status s = flush(); !s.ok()) return s;
  auto rows = store_->ForgetShop(shop, hook.id);
  if (!rows.ok()) return rows.status();
  Log("shop/redact for " + shop + ": " + std::to_string(deletions) + " profile deletions sent, " +
      std::to_string(*rows) + " app rows deleted");
  return "applied: shop redacted (" + std::to_string(deletions) + " deletions, " +
         std::to_string(*rows) + " rows)";
}

HttpReply ShopifyAdminRoutes::Handle(const HttpExchange& request) {
  const std::string rest = request.path.substr(std::min(request.path.size(), prefix().size()));
  if (rest == "exports") {
    if (request.method != "GET") return ErrorReply(405, "method_not_allowed", "GET only");
    auto list = store_->ListDataExports();
    if (!list.ok()) return ErrorReply(503, "unavailable", list.status().message());
    std::string body = "[";
    for (const auto& e : *list) {
      if (body.size() > 1) body += ",";
      body += "{\"id\":" + std::to_string(e.id) + ",\"shop\":" + server::JsonString(e.shop) +
              ",\"customer_id\":" + server::JsonString(e.customer_id) +
              ",\"data_request_id\":" + server::JsonString(e.data_request_id) +
              ",\"created_at_ms\":" + std::to_string(e.created_ms) +
              ",\"bytes\":" + std::to_string(e.bytes) + "}";
    }
    return HttpReply::Json(200, body + "]");
  }
  constexpr std::string_view kOne = "exports/";
  if (!rest.starts_with(kOne)) return ErrorReply(404, "not_found", "no such Shopify admin route");
  const auto id = ParseInt64(std::string_view(rest).substr(kOne.size()));
  if (!id) return ErrorReply(404, "not_found", "no such export");
  if (request.method == "DELETE") {
    auto deleted = store_->DeleteDataExport(*id);
    if (!deleted.ok()) return ErrorReply(503, "unavailable", deleted.status().message());
    if (!*deleted) return ErrorReply(404, "not_found", "no such export");
    return HttpReply::Json(200, "{\"deleted\":true}");
  }
  if (request.method != "GET") return ErrorReply(405, "method_not_allowed", "GET or DELETE");
  auto found = store_->GetDataExport(*id);
  if (!found.ok()) return ErrorReply(503, "unavailable", found.status().message());
  if (!found->has_value()) return ErrorReply(404, "not_found", "no such export");
  HttpReply reply = HttpReply::Json(200, std::move((*found)->body));
  reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"shopify-data-request-" +
                                                        std::to_string(*id) + ".json\"");
  return reply;
}

std::string ShopifyAdminRoutes::RouteLabel(const HttpExchange& request) const {
  const std::string exports = std::string(prefix()) + "exports";
  if (request.path == exports) return exports;
  if (request.path.starts_with(exports + "/")) return exports + "/{id}";
  return std::string(prefix()) + "*";
}

// ---- OAuth install ----

std::string ShopifyApp::AdminBase(const std::string& shop) const {
  return Replace(options_.admin_base_url, "{shop}", shop);
}

std::string ShopifyApp::SignState(const std::string& nonce, const std::string& shop) const {
  return nonce + "." + SignWebhookBody(options_.api_secret, "state|" + nonce + "|" + shop);
}

std::optional<HttpReply> ShopifyApp::CheckOAuthQuery(const HttpExchange& request) {
  const int64_t now = clock_();
  VerifyResult verified = VerifyOAuthQuery(request.raw_query, options_.api_secret);
  if (!verified.ok() && !options_.previous_secret.empty() &&
      now < options_.previous_secret_until_ms) {
    verified = VerifyOAuthQuery(request.raw_query, options_.previous_secret);
  }
  if (!verified.ok()) return ErrorReply(401, "invalid_hmac", verified.reason);
  const auto shop = request.query.find("shop");
  if (shop == request.query.end() || !IsValidShopDomain(shop->second)) {
    return ErrorReply(400, "invalid_shop", "shop must be <name>.myshopify.com");
  }
  const auto ts = request.query.find("timestamp");
  const auto seconds = ts == request.query.end() ? std::nullopt : ParseInt64(ts->second);
  if (!seconds || *seconds > (now + options_.oauth_max_age_ms) / 1000 ||
      *seconds < (now - options_.oauth_max_age_ms) / 1000) {
    return ErrorReply(401, "stale_request", "timestamp missing or outside the allowed window");
  }
  return std::nullopt;
}

HttpReply ShopifyApp::HandleInstall(const HttpExchange& request) {
  if (auto error = CheckOAuthQuery(request)) return *error;
  const std::string& shop = request.query.at("shop");
  const std::string nonce = RandomHex(16);
  if (nonce.empty()) return ErrorReply(500, "internal", "no randomness");
  Status s = store_->PutOAuthState(nonce, shop, clock_() + options_.state_ttl_ms);
  if (!s.ok()) return ErrorReply(503, "unavailable", "cannot store the OAuth state");
  const std::string redirect_uri = options_.app_url + std::string(prefix()) + "callback";
  return Redirect(AdminBase(shop) +
                  "/admin/oauth/authorize?client_id=" + adapters::UrlEncode(options_.api_key) +
                  "&scope=" + adapters::UrlEncode(options_.scopes) +
                  "&redirect_uri=" + adapters::UrlEncode(redirect_uri) +
                  "&state=" + adapters::UrlEncode(SignState(nonce, shop)));
}

HttpReply ShopifyApp::HandleCallback(const HttpExchange& request) {
  if (auto error = CheckOAuthQuery(request)) return *error;
  const std::string& shop = request.query.at("shop");
  const auto state = request.query.find("state");
  const auto code = request.query.find("code");
  if (state == request.query.end() || code == request.query.end() || code->second.empty()) {
    return ErrorReply(400, "invalid_request", "state and code are required");
  }
  const size_t dot = state->second.find('.');
  const std::string nonce = state->second.substr(0, dot);
  if (dot == std::string::npos || SignState(nonce, shop) != state->second) {
    return ErrorReply(401, "invalid_state", "state was not issued by this server for this shop");
  }
  auto consumed = store_->ConsumeOAuthState(nonce, shop, clock_());
  if (!consumed.ok()) return ErrorReply(503, "unavailable", "cannot read the OAuth state");
  if (!*consumed) return ErrorReply(401, "invalid_state", "state expired or already used");

  adapters::HttpRequest exchange;
  exchange.method = "POST";
  exchange.url = AdminBase(shop) + "/admin/oauth/access_token";
  exchange.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  const auto quote = [](const std::string& text) { return server::JsonString(text); };
  exchange.body = "{\"client_id\":" + quote(options_.api_key) +
                  ",\"client_secret\":" + quote(options_.api_secret) +
                  ",\"code\":" + quote(code->second) + "}";
  auto response = http_->Send(exchange);
  if (!response.ok()) return ErrorReply(502, "shopify_unreachable", "token exchange failed");
  if (response->status != 200) {
    return ErrorReply(502, "token_exchange_failed",
                      "Shopify answered " + std::to_string(response->status));
  }
  auto json = ParseJson(response->body);
  const JsonValue* token = json.ok() ? json.value->Find("access_token") : nullptr;
  if (token == nullptr || token->AsString().value_or("").empty()) {
    return ErrorReply(502, "token_exchange_failed", "no access_token in the reply");
  }
  const JsonValue* scope = json.value->Find("scope");
  Status s = store_->PutShop(shop, *token->AsString(), scope ? scope->AsString().value_or("") : "",
                             clock_());
  if (!s.ok()) return ErrorReply(503, "unavailable", "cannot store the token");
  s = AfterInstall(shop, *token->AsString());
  // The token is stored: a failed registration is logged and retried by reinstalling or by the
  // import command, the merchant still lands in the app.
  if (!s.ok()) Log("after install of " + shop + ": " + s.ToString());
  if (options_.install_script_tag) {
    return Redirect(AdminBase(shop) + "/admin/apps/" + adapters::UrlEncode(options_.api_key));
  }
  // Deep link that opens the theme editor with the app embed ready to be switched on.
  return Redirect(AdminBase(shop) + "/admin/themes/current/editor?context=apps&activateAppId=" +
                  adapters::UrlEncode(options_.api_key) + "/" + options_.theme_extension_handle);
}

Status ShopifyApp::AfterInstall(const std::string& shop, const std::string& token) {
  const std::string api = AdminBase(shop) + "/admin/api/" + options_.api_version;
  auto post = [&](const std::string& path, const std::string& body) -> Status {
    adapters::HttpRequest r;
    r.method = "POST";
    r.url = api + path;
    r.headers = {{"Content-Type", "application/json"}, {"X-Shopify-Access-Token", token}};
    r.body = body;
    auto response = http_->Send(r);
    if (!response.ok()) return response.status();
    // 422 "address for this topic has already been taken": registered by an earlier install.
    if (response->status / 100 != 2 && response->status != 422) {
      return Status(Status::Kind::kUnavailable, "shopify_api",
                    "POST " + path + " answered " + std::to_string(response->status));
    }
    return Status::Ok();
  };
  const std::string address = options_.app_url + std::string(prefix()) + "webhooks";
  for (const std::string& topic : options_.webhook_topics) {
    Status s = post("/webhooks.json", "{\"webhook\":{\"topic\":\"" + topic + "\",\"address\":\"" +
                                          address + "\",\"format\":\"json\"}}");
    if (!s.ok()) return s;
  }
  if (!options_.pixel_write_key.empty()) {
    Status s = ActivateWebPixel(shop, token);
    if (!s.ok()) return s;
  }
  if (options_.install_script_tag) {
    return post("/script_tags.json", "{\"script_tag\":{\"event\":\"onload\",\"src\":\"" +
                                         options_.app_url + "/loader.js\"}}");
  }
  return Status::Ok();
}

Status ShopifyApp::ActivateWebPixel(const std::string& shop, const std::string& token) {
  ImportOptions options;
  options.shop = shop;
  options.token = token;
  options.admin_base_url = options_.admin_base_url;
  options.api_version = options_.api_version;
  options.log = [](const std::string& message) { Log("web pixel: " + message); };
  ImportEnv env;
  env.http = http_.get();
  env.sinks = sinks_;
  env.now_ms = clock_;
  // Graphql() brings the cost throttling and retries; the settings are a JSON string.
  ShopifyImporter admin(std::move(options), std::move(env));
  const std::string settings =
      server::JsonString("{\"serverUrl\":" + server::JsonString(options_.app_url) +
                         ",\"writeKey\":" + server::JsonString(options_.pixel_write_key) + "}");
  auto created = admin.GraphQL(
      "mutation Create($settings: JSON!) { webPixelCreate(webPixel: {settings: $settings}) { "
      "userErrors { code field message } webPixel { id } } }",
      "{\"settings\":" + settings + "}");
  if (!created.ok()) return created.status();
  const JsonValue* errors = created->Find("webPixelCreate");
  errors = errors ? errors->Find("userErrors") : nullptr;
  if (errors == nullptr || errors->items().empty()) return Status::Ok();
  const JsonValue* code = errors->items()[0].Find("code");
  if (code == nullptr || code->AsString().value_or("") != "TAKEN") {
    const JsonValue* message = errors->items()[0].Find("message");
    return Status(Status::Kind::kUnavailable, "shopify_pixel",
                  "webPixelCreate: " + (message ? message->AsString().value_or("") : ""));
  }
  // Installed before (a reinstall): point the existing pixel at this server and key.
  auto existing = admin.GraphQL("query Pixel { webPixel { id } }", "{}");
  if (!existing.ok()) return existing.status();
  const JsonValue* pixel = existing->Find("webPixel");
  const JsonValue* id = pixel ? pixel->Find("id") : nullptr;
  if (id == nullptr || id->AsString().value_or("").empty()) {
    return Status(Status::Kind::kUnavailable, "shopify_pixel", "webPixel has no id");
  }
  auto updated = admin.GraphQL(
      "mutation Update($id: ID!, $settings: JSON!) { webPixelUpdate(id: $id, webPixel: "
      "{settings: $settings}) { userErrors { code field message } webPixel { id } } }",
      "{\"id\":" + server::JsonString(*id->AsString()) + ",\"settings\":" + settings + "}");
  if (!updated.ok()) return updated.status();
  const JsonValue* update = updated->Find("webPixelUpdate");
  const JsonValue* update_errors = update ? update->Find("userErrors") : nullptr;
  if (update_errors != nullptr && !update_errors->items().empty()) {
    return Status(Status::Kind::kUnavailable, "shopify_pixel", "webPixelUpdate refused");
  }
  return Status::Ok();
}

}  // namespace vitrine::shopify
