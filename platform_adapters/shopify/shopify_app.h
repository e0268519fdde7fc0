// The Shopify app inside the sync server: a RouteModule under /v1/shopify/.
//
//   POST /v1/shopify/webhooks   every webhook topic, GDPR topics included. HMAC-SHA256 over the
//                               raw body (current secret, or the previous one during rotation);
//                               401 and nothing stored when it fails. Otherwise deduplicated by
//                               webhook id / event id and appended to the durable queue in one
//                               transaction, then 200: no processing on the request path.
//   GET  /v1/shopify/install    install query HMAC + shop domain + timestamp checked, then 302 to
//                               the shop's authorize URL with a signed, single-use state.
//   GET  /v1/shopify/callback   query HMAC + state checked, code exchanged for an offline token,
//                               token stored (AES-256-GCM when a key is set), webhooks registered,
//                               storefront loader installed (ScriptTag; the theme app extension in
//                               theme_extension/ is the Online Store 2.0 alternative).
//
// A worker thread applies queued deliveries in arrival order: orders -> order_completed /
// order_cancelled events, customers -> identify events, customers/redact -> deletion_requested
// (all through the ingest service), customers/data_request -> an export of what the server holds
// about that customer (ShopifyAdminRoutes serves it), shop/redact -> deletion_requested for every
// profile the shop gave us, then every row the app holds for the shop, products and inventory
// levels -> the catalog, carts -> product_added_to_cart events, app/uninstalled -> token revoked.
// Newest-wins by updated_at for products, customers and inventory levels (a late older delivery is
// dropped). A delivery that fails to apply stays queued and is retried; after max_attempts it is
// marked failed.
//
// Thread safety: Handle() runs concurrently on the server's threads; Drain() may be called from
// any thread (it serializes with the worker). Ownership: the sinks' targets must outlive the app
// (the App destroys route modules first).
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SHOPIFY_APP_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SHOPIFY_APP_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "platform_adapters/common/http_client.h"
#include "platform_adapters/shopify/app_store.h"
#include "platform_adapters/shopify/records.h"
#include "sync_server/http/route_module.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::shopify {

struct ShopifyAppOptions {
  std::string api_key;          // the app's client id
  std::string api_secret;       // client secret: webhook and OAuth HMACs, token exchange
  std::string previous_secret;  // accepted until previous_secret_until_ms (rotation window)
  int64_t previous_secret_until_ms = 0;
  std::string scopes = "read_products,read_customers,read_orders,read_inventory,write_script_tags";
  std::string app_url;  // public base URL of this server ("https://vitrine.example.com")
  // Admin API / OAuth base; "{shop}" is replaced by the shop domain. Tests point it at a fake.
  std::string admin_base_url = "https://{shop}";
  std::string api_version = "2024-04";
  std::string token_key;  // 32 raw bytes for AES-256-GCM at rest; empty: stored in clear
  std::string currency;   // the shop currency for catalog items; empty: left unset
  int64_t dedup_ttl_ms = int64_t{48} * 3600 * 1000;  // Shopify retries for 4 h
  int64_t oauth_max_age_ms = int64_t{3600} * 1000;   // install/callback timestamp freshness
  int64_t state_ttl_ms = int64_t{600} * 1000;        // the user has 10 min to approve
  // The storefront loader: the theme app extension (theme_extension/, app embed "vitrine-loader")
  // is the Online Store 2.0 way; after install the merchant is sent to the theme editor to turn
  // it on. A ScriptTag (src = app_url + "/loader.js") is the legacy way for vintage themes; it
  // cannot pass data-* settings, so the loader must then find its config in window.vitrineConfig.
  bool install_script_tag = false;
  std::string theme_extension_handle = "vitrine-loader";
  // The Web Pixel (web_pixel/): when a write key is set, the install activates it
  // (webPixelCreate, or webPixelUpdate when the shop has it already) with
  // {"serverUrl": app_url, "writeKey": pixel_write_key}. Needs the write_pixels and
  // read_customer_events scopes (FromEnv adds them).
  std::string pixel_write_key;
  bool start_worker = true;  // false: deliveries wait for Drain() (tests)
  int64_t worker_idle_ms = 1000;
  int max_attempts = 10;
  // Reconciliation poll: every interval the worker imports, incrementally, what changed in each
  // installed shop since the last run (catches webhooks Shopify gave up on). 0: off.
  int64_t reconcile_interval_ms = 0;
  bool import_rest = false;  // the reconciliation imports customers/orders through REST
  // customers/data_request exports are kept in the app's table (GET /v1/admin/shopify/exports);
  // when set they are also written here as shopify-data-request-<id>.json.
  std::string export_dir;
  std::vector<std::string> webhook_topics = {"orders/create",
                                             "orders/updated",
                                             "orders/cancelled",
                                             "products/create",
                                             "products/update",
                                             "products/delete",
                                             "inventory_levels/update",
                                             "customers/create",
                                             "customers/update",
                                             "carts/create",
                                             "carts/update",
                                             "app/uninstalled"};

  // From the environment: VITRINE_SHOPIFY_API_KEY, _API_SECRET, _PREVIOUS_SECRET,
  // _PREVIOUS_SECRET_UNTIL (Unix seconds), _APP_URL, _ADMIN_BASE_URL, _API_VERSION, _TOKEN_KEY
  // (64 hex digits or base64), _CURRENCY, _RECONCILE_S (seconds between reconciliation polls),
  // _EXPORT_DIR, _IMPORT_REST ("1": REST for customers and orders), _PIXEL_WRITE_KEY.
  // nullopt when no secret is set (the module stays off).
  static std::optional<ShopifyAppOptions> FromEnv();
};

// Where applied deliveries go (the server's ingest and catalog services).
struct ShopifySinks {
  std::function<server::Status(v1::Batch)> ingest;
  std::function<server::Status(std::vector<v1::CatalogItem>)> upsert_catalog;
  std::function<std::optional<v1::CatalogItem>(const std::string&)> get_catalog;
  // customers/data_request: what the server holds about the people found by these
  // (user id, anonymous id) lookups (user id first, else anonymous id), as a JSON array of
  // distinct profiles, each {"profile":{...},"events":[...]} with events newest first (orders are
  // the order_completed events). Null: data requests are only recorded.
  std::function<StatusOr<std::string>(const std::vector<std::pair<std::string, std::string>>&)>
      export_profiles;
};

// Ingests `batch` for `shop`, first recording its user and anonymous ids as the shop's keys
// (ShopifyAppStore::RecordShopKeys) so shop/redact can find every profile the shop gave us.
Status IngestForShop(ShopifyAppStore& store, const ShopifySinks& sinks, const std::string& shop,
                     v1::Batch batch);

class ShopifyApp final : public server::RouteModule {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms

  // Opens the app's tables in `db_path` (the server's SQLite file) and starts the worker unless
  // options.start_worker is false. `http` null: libcurl.
  static StatusOr<std::unique_ptr<ShopifyApp>> Open(const std::string& db_path,
                                                    ShopifyAppOptions options, ShopifySinks sinks,
                                                    Clock clock,
                                                    std::shared_ptr<adapters::HttpClient> http);
  ~ShopifyApp() override;

  std::string_view prefix() const override { return "/v1/shopify/"; }
  server::RouteAuth auth() const override { return server::RouteAuth::kNone; }
  std::string RouteLabel(const server::HttpExchange& request) const override;
  server::HttpReply Handle(const server::HttpExchange& request) override;

  // Applies every pending delivery now; returns how many were marked done.
  StatusOr<size_t> Drain();
  ShopifyAppStore& store() { return *store_; }
  const ShopifyAppOptions& options() const { return options_; }

  // One reconciliation round over every installed shop (the worker calls it every
  // reconcile_interval_ms). Returns how many shops were imported without error.
  StatusOr<int64_t> Reconcile();

  // Applies one delivery (used by the worker and the reconciliation import). Returns the outcome
  // to record ("applied", "stale", "ignored: ...") or an error to retry.
  StatusOr<std::string> Apply(const QueuedWebhook& hook);

 private:
  ShopifyApp(ShopifyAppOptions options, ShopifySinks sinks, Clock clock,
             std::shared_ptr<adapters::HttpClient> http, std::unique_ptr<ShopifyAppStore> store);

  server::HttpReply HandleWebhook(const server::HttpExchange& request);
  server::HttpReply HandleInstall(const server::HttpExchange& request);
  server::HttpReply HandleCallback(const server::HttpExchange& request);
  // Verifies the OAuth query with the current (or, in its window, the previous) secret, checks
  // the shop domain and timestamp freshness. nullopt when fine, else the reply to send.
  std::optional<server::HttpReply> CheckOAuthQuery(const server::HttpExchange& request);
  std::string AdminBase(const std::string& shop) const;
  std::string SignState(const std::string& nonce, const std::string& shop) const;
  Status AfterInstall(const std::string& shop, const std::string& token);
  Status ActivateWebPixel(const std::string& shop, const std::string& token);

  StatusOr<std::string> ApplyProduct(const QueuedWebhook& hook);
  StatusOr<std::string> ApplyProductDelete(const QueuedWebhook& hook);
  StatusOr<std::string> ApplyInventoryLevel(const QueuedWebhook& hook);
  StatusOr<std::string> ApplyCart(const QueuedWebhook& hook);
  StatusOr<std::string> ApplyDataRequest(const QueuedWebhook& hook, const GdprRequest& request);
  StatusOr<std::string> ApplyShopRedact(const QueuedWebhook& hook, const GdprRequest& request);
  Status IngestOne(const std::string& shop, v1::Event event);

  void WorkerLoop();

  const ShopifyAppOptions options_;
  const ShopifySinks sinks_;
  const Clock clock_;
  const std::shared_ptr<adapters::HttpClient> http_;
  const std::unique_ptr<ShopifyAppStore> store_;

  std::mutex drain_mu_;  // one Drain at a time (worker or caller)

  std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;      // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread worker_;
};

// Admin routes for the operator (admin key): the customers/data_request exports, which the
// operator hands to the merchant (Shopify leaves delivery to the app).
//   GET    /v1/admin/shopify/exports       [{"id","shop","customer_id","data_request_id",
//                                           "created_at_ms","bytes"}], oldest first
//   GET    /v1/admin/shopify/exports/{id}  the JSON document (as an attachment)
//   DELETE /v1/admin/shopify/exports/{id}  once delivered (it holds personal data)
// Thread safety: as the store. Ownership: `store` (the ShopifyApp's) must outlive the module.
class ShopifyAdminRoutes final : public server::RouteModule {
 public:
  explicit ShopifyAdminRoutes(ShopifyAppStore* store) : store_(store) {}
  std::string_view prefix() const override { return "/v1/admin/shopify/"; }
  server::RouteAuth auth() const override { return server::RouteAuth::kAdminKey; }
  std::string RouteLabel(const server::HttpExchange& request) const override;
  server::HttpReply Handle(const server::HttpExchange& request) override;

 private:
  ShopifyAppStore* const store_;
};

// true for "<name>.myshopify.com" with a name of letters, digits and hyphens (Shopify's rule for
// the `shop` parameter; anything else could redirect the token exchange elsewhere).
bool IsValidShopDomain(std::string_view shop);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SHOPIFY_APP_H_
