// Import of a shop through the Admin API: the first sync after install, the `shopify import`
// command, and the reconciliation poll that catches what webhooks missed (run it with
// incremental=true: only what changed since the last run's newest updated_at).
//
//   products + variants (+ first collection, inventory items)   GraphQL, cursor pagination
//   collections                                                  GraphQL, cursor pagination
//   customers, orders                                            GraphQL, cursor pagination
//                                              (options.rest: REST, Link-header pagination,
//                                               orders with status=any)
//   shop currency                                                REST shop.json
//
// GraphQL is the current Admin API (the REST endpoints are legacy since 2024-04); REST stays as
// the fallback path. Both share the mappers in records.h and the same conversions. Very large
// catalogs go through a bulk operation (bulkOperationRunQuery, polled until it ends, its JSONL
// downloaded and parsed by ParseBulkJsonl).
//
// Rate limits, both kinds, with an injected clock and sleeper (tests never sleep):
//  - GraphQL: cost-based. Every reply's extensions.cost.throttleStatus is read; a THROTTLED reply
//    (HTTP 200 with errors[].extensions.code THROTTLED or message "Throttled", or HTTP 429) waits
//    (requestedQueryCost - currentlyAvailable) / restoreRate seconds and retries the same page;
//    before a query the importer waits when the bucket cannot pay the last query's cost.
//  - REST: leaky bucket. X-Shopify-Shop-Api-Call-Limit "used/size": past size-2 it waits one leak
//    (500 ms); a 429 waits Retry-After (decimal seconds; 2 s when missing, doubling on repeats).
//  - 5xx and transport errors: exponential backoff, then give up with the error.
// X-Shopify-API-Version differing from the requested version (fall-forward after a version is
// retired) and X-Shopify-API-Deprecated-Reason are logged once each and counted in the stats.
//
// Records are applied through ShopifySinks with the same idempotent conversions as webhooks and
// the same newest-wins versions (ShopifyAppStore), so an import and the webhook stream in any
// order leave one record per id at its newest updated_at.
//
// Thread safety: one Run at a time per importer; the sinks and store must outlive it.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_IMPORTER_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_IMPORTER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform_adapters/common/http_client.h"
#include "platform_adapters/shopify/app_store.h"
#include "platform_adapters/shopify/json.h"
#include "platform_adapters/shopify/records.h"
#include "platform_adapters/shopify/shopify_app.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::shopify {

// A bulk operation's JSONL: one object per line, children after (but not necessarily right
// after) their parent, pointing at it with __parentId. Returns parents in file order with their
// children attached in file order; children whose parent never appears are dropped and counted.
struct BulkObject {
  JsonValue node;
  std::vector<JsonValue> children;
};
struct BulkParse {
  std::vector<BulkObject> objects;
  int64_t orphans = 0;
  int64_t bad_lines = 0;
};
BulkParse ParseBulkJsonl(std::string_view jsonl);

struct ImportStats {
  int64_t products = 0;
  int64_t variants = 0;
  int64_t collections = 0;
  int64_t customers = 0;
  int64_t orders = 0;
  int64_t inventory_items = 0;
  int64_t stale = 0;                      // older than what a webhook already applied
  int64_t requests = 0;                   // HTTP requests sent
  int64_t graphql_throttled = 0;          // THROTTLED replies (any HTTP status)
  int64_t http_429 = 0;                   // REST 429 replies
  int64_t retries = 0;                    // 5xx / transport retries
  int64_t slept_ms = 0;                   // total waited for rate limits and backoff
  int64_t bulk_operations = 0;            // bulk operations run to completion
  int64_t bulk_polls = 0;                 // status polls while they ran
  int64_t bulk_orphans = 0;               // JSONL children whose parent never appeared
  std::string api_version_served;         // X-Shopify-API-Version of the last reply
  std::vector<std::string> deprecations;  // distinct X-Shopify-API-Deprecated-Reason values
};

struct ImportOptions {
  std::string shop;   // "example.myshopify.com"
  std::string token;  // offline access token (X-Shopify-Access-Token)
  std::string admin_base_url = "https://{shop}";
  std::string api_version = "2024-04";
  std::string currency;  // empty: read from shop.json
  // Upper bound of GraphQL page sizes; products and orders use smaller pages so a query stays
  // under Shopify's 1,000-point limit (importer.cc).
  int graphql_page_size = 250;
  int rest_page_size = 250;
  bool incremental = true;  // resume from the stored updated_at watermarks
  bool products = true, collections = true, customers = true, orders = true;
  int max_retries = 8;
  int64_t rest_retry_after_default_ms = 2000;  // a 429 without Retry-After
  // Bulk operations for large stores: products, customers and orders (GraphQL path) through
  // bulkOperationRunQuery, one JSONL file each instead of pages of 100. `bulk`: always;
  // `bulk_above_products` > 0: when productsCount (what changed since the watermark) is above
  // it. The status is polled every bulk_poll_first_ms, doubling up to bulk_poll_max_ms;
  // after bulk_timeout_ms of polling the import gives up (the operation keeps running at Shopify
  // and the next run starts another once it ended).
  bool bulk = false;
  // Customers and orders through the legacy REST endpoints (Link pagination, leaky bucket)
  // instead of GraphQL (cursor pagination, cost bucket).
  bool rest = false;
  int64_t bulk_above_products = 0;
  int64_t bulk_poll_first_ms = 1000;
  int64_t bulk_poll_max_ms = 30'000;
  int64_t bulk_timeout_ms = int64_t{4} * 3600 * 1000;
  // Progress after every page: (resource, records so far, stats).
  std::function<void(std::string_view, int64_t, const ImportStats&)> progress;
  std::function<void(const std::string&)> log;  // null: stderr
};

struct ImportEnv {
  adapters::HttpClient* http = nullptr;
  ShopifyAppStore* store = nullptr;  // watermarks, newest-wins versions, inventory mapping
  ShopifySinks sinks;
  std::function<int64_t()> now_ms;        // null: system clock
  std::function<void(int64_t ms)> sleep;  // null: std::this_thread::sleep_for
  std::function<bool()> cancelled;        // checked before each request; null: never
};

class ShopifyImporter {
 public:
  ShopifyImporter(ImportOptions options, ImportEnv env);
  [[nodiscard]] StatusOr<ImportStats> Run();

  // One Admin API call with the rate-limit handling above (public for the install flow and tests).
  [[nodiscard]] StatusOr<adapters::HttpResponse> Rest(const std::string& method,
                                                      const std::string& path_and_query,
                                                      const std::string& body = {});
  // POST graphql.json; returns the `data` object.
  [[nodiscard]] StatusOr<JsonValue> GraphQL(const std::string& query,
                                            const std::string& variables_json);
  const ImportStats& stats() const { return stats_; }

 private:
  StatusOr<adapters::HttpResponse> Send(adapters::HttpRequest request, bool graphql);
  void Sleep(int64_t ms);
  void Log(const std::string& message);
  void WatchHeaders(const adapters::HttpResponse& response);
  Status ImportShop();
  Status ImportProducts();
  Status ImportProductsBulk();
  StatusOr<bool> UseBulk();  // options.bulk, or productsCount above bulk_above_products
  Status ImportGraphQLBulk(const std::string& resource);  // customers or orders
  // Runs `query` as a bulk operation, waits for it and returns its parsed JSONL (empty when the
  // operation found nothing).
  StatusOr<BulkParse> RunBulk(const std::string& query);
  // One GraphQL Product node -> catalog item (newest-wins checked, inventory items mapped);
  // nullopt when it maps to nothing or is stale. `variants`/`collection`: from the bulk file.
  StatusOr<std::optional<v1::CatalogItem>> ProductItem(const JsonValue& node,
                                                       const std::vector<JsonValue>* variants,
                                                       const std::string& collection);
  Status ImportCollections();
  Status ImportRest(const std::string& resource);     // "customers" or "orders"
  Status ImportGraphQL(const std::string& resource);  // the same through GraphQL
  // The records of one page (either API) -> events, newest-wins, ingested for the shop.
  Status IngestCustomers(const std::vector<CustomerRecord>& customers);
  Status IngestOrders(std::vector<OrderRecord> orders);
  Status IngestBatch(v1::Batch batch);
  // All nodes of `node`'s nested connection `field` when its first page was not all of it (then
  // node(id:) queries fetch the rest, 100 at a time); nullopt when it was.
  StatusOr<std::optional<std::vector<JsonValue>>> AllOf(const JsonValue& node,
                                                        const std::string& type,
                                                        const std::string& field,
                                                        const std::string& fields);
  std::string PageSize(int cap) const;  // graphql_page_size, at most `cap`
  StatusOr<bool> Newer(const std::string& key, const std::string& updated_at);
  Status Watermark(const std::string& resource, const std::string& updated_at);
  std::string WatermarkOf(const std::string& resource);

  ImportOptions options_;
  ImportEnv env_;
  ImportStats stats_;
  double graphql_available_ = -1;  // last throttleStatus.currentlyAvailable (-1: unknown)
  double graphql_restore_rate_ = 50;
  double graphql_last_cost_ = 0;
  std::string new_watermark_;
  bool use_bulk_ = false;  // decided once per Run
};

// The `rel="next"` URL of a Link header, or "" when there is none.
std::string NextLink(std::string_view link_header);
// Retry-After as Shopify sends it ("2.0", "1", " 0.5 "); nullopt when absent or malformed.
std::optional<int64_t> ParseRetryAfterMs(std::string_view value);

// A GraphQL Product node (with variants as `variants.edges[].node` or, from bulk, as children)
// mapped onto the catalog record; `variants` overrides the node's own connection when non-null.
std::optional<CatalogItem> ProductFromGraphQL(const JsonValue& node,
                                              const std::vector<JsonValue>* variants);
// GraphQL Customer / Order nodes mapped onto the same records as the REST and webhook payloads
// (enums lower-cased like REST: "SUBSCRIBED" -> "subscribed"; money from shopMoney, the shop's
// currency, like REST's total_price). nullopt without an id. `lines` overrides the order's own
// lineItems connection when non-null (bulk children).
std::optional<CustomerRecord> CustomerFromGraphQL(const JsonValue& node);
std::optional<OrderRecord> OrderFromGraphQL(const JsonValue& node,
                                            const std::vector<JsonValue>* lines);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_IMPORTER_H_
