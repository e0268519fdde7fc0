// Import of a generated shop (default 1,000 products / 5,000 orders; set
// VITRINE_SHOPIFY_BENCH_PRODUCTS / _ORDERS for the 10,000 / 50,000 run) from a fake Shopify that
// enforces both rate limits on a virtual clock: the REST leaky bucket (40 calls, 2/s leak, 429
// beyond it, Retry-After present or missing) and the GraphQL cost bucket (1,000 points, 50/s,
// THROTTLED on HTTP 200). The importer's sleeper advances the same virtual clock, so the test
// measures real import throughput and checks the rate limits without waiting.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>

#include "platform_adapters/shopify/importer.h"
#include "tests/platform_adapters/shopify_app/harness.h"
#include "tests/support/loopback_http_server.h"

namespace vitrine::shopify::testing {
namespace {

using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

constexpr uint64_t kProductBase = 10'000'000'000'000'000;  // > 2^53
constexpr uint64_t kOrderBase = 9'007'199'254'740'993;     // 2^53 + 1

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoll(v) : fallback;
}

// How customers and orders travel: REST pages, GraphQL pages, or bulk operations (everything).
enum class Path { kRest, kGraphQL, kBulk };

class GeneratedShop {
 public:
  GeneratedShop(int64_t products, int64_t orders)
      : products_(products),
        orders_(orders),
        server_([this](const WireRequest& r) { return Serve(r); }) {}

  std::string url() const { return server_.url(); }
  void Advance(int64_t ms) { now_ms_ += ms; }
  int64_t now_ms() const { return now_ms_; }
  int64_t rest_requests() const { return rest_requests_; }
  int64_t graphql_requests() const { return graphql_requests_; }
  int64_t sent_429() const { return sent_429_; }
  int64_t sent_throttled() const { return sent_throttled_; }

 private:
  static int64_t After(const std::string& text, const std::string& key, int64_t fallback) {
    const size_t at = text.find(key);
    return at == std::string::npos ? fallback : std::atoll(text.c_str() + at + key.size());
  }
  std::string ProductNode(int64_t i, bool with_variants) const {
    const std::string id = std::to_string(kProductBase + static_cast<uint64_t>(i));
    return R"({"id":"gid://shopify/Product/)" + id + R"(","title":"Product )" + std::to_string(i) +
           R"(","handle":"p-)" + std::to_string(i) + R"(","vendor":"Acme","productType":"Type )" +
           std::to_string(i % 17) +
           R"(","status":"ACTIVE","tags":[],"updatedAt":"2024-04-01T00:00:00Z")" +
           (with_variants ? R"(,"variants":{"edges":[{"node":)" + Variant(i) + "}]}" : "") + "}";
  }
  static std::string Variant(int64_t i) {
    const std::string id = std::to_string(kProductBase + static_cast<uint64_t>(i));
    return R"({"id":"gid://shopify/ProductVariant/)" + id + R"(","price":"12.50","sku":"S)" +
           std::to_string(i) +
           R"(","inventoryQuantity":5,"inventoryItem":{"id":"gid://shopify/InventoryItem/)" + id +
           R"("}})";
  }
  static std::string VariantOf(int64_t i) {
    std::string v = Variant(i);
    v.pop_back();
    return v + R"(,"__parentId":"gid://shopify/Product/)" +
           std::to_string(kProductBase + static_cast<uint64_t>(i)) + "\"}";
  }
  std::string LineItem(int64_t i) const {
    const std::string product =
        std::to_string(kProductBase + static_cast<uint64_t>((i * 7919) % products_));
    return R"({"id":"gid://shopify/LineItem/)" + std::to_string(i) +
           R"(","title":"P","quantity":2,"sku":"S","product":{"id":"gid://shopify/Product/)" +
           product + R"("},"variant":{"id":"gid://shopify/ProductVariant/)" + product +
           R"("},"originalUnitPriceSet":{"shopMoney":{"amount":"12.50"}}})";
  }
  std::string LineItemOf(int64_t i) const {
    std::string l = LineItem(i);
    l.pop_back();
    return l + R"(,"__parentId":"gid://shopify/Order/)" +
           std::to_string(kOrderBase + static_cast<uint64_t>(i)) + "\"}";
  }
  std::string GraphQLOrder(int64_t i, bool with_lines) const {
    const std::string id = std::to_string(kOrderBase + static_cast<uint64_t>(i));
    return R"({"id":"gid://shopify/Order/)" + id + R"(","name":"#)" + std::to_string(i) +
           R"(","createdAt":"2024-03-01T10:00:00Z","updatedAt":"2024-03-02T10:00:00Z",)"
           R"("cancelledAt":null,"totalPriceSet":{"shopMoney":{"amount":"25.00",)"
           R"("currencyCode":"EUR"}},"customer":{"id":"gid://shopify/Customer/)" +
           std::to_string(1000 + i % 997) + "\"}" +
           (with_lines ? R"(,"lineItems":{"edges":[{"node":)" + LineItem(i) + "}]}" : "") + "}";
  }
  WireResponse Json(int status, std::string body) {
    WireResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}, {"X-Shopify-API-Version", "2024-04"}};
    return r;
  }
  // REST leaky bucket: 40 calls, leaking 2 per second of virtual time.
  std::optional<WireResponse> RestBucket() {
    const double leaked = static_cast<double>(now_ms_ - bucket_at_) / 500.0;
    bucket_ = std::max(0.0, bucket_ - leaked);
    bucket_at_ = now_ms_;
    if (bucket_ + 1 > 40) {
      ++sent_429_;
      auto r = Json(429, R"({"errors":"Exceeded 2 calls per second for api client."})");
      if (sent_429_ % 2 == 1) r.headers.emplace_back("Retry-After", "1.0");  // else missing
      return r;
    }
    bucket_ += 1;
    return std::nullopt;
  }
  WireResponse Serve(const WireRequest& req) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string path = req.Path();
    if (path.ends_with("/graphql.json")) {
      ++graphql_requests_;
      const double restored = static_cast<double>(now_ms_ - points_at_) * 50 / 1000.0;
      points_ = std::min(1000.0, points_ + restored);
      points_at_ = now_ms_;
      const double requested = 252;
      // Shopify reports the bucket after charging this query's actual cost.
      const bool throttled = points_ < requested;
      if (!throttled) points_ -= 202;
      const std::string throttle = [&](double available) {
        char buf[256];
        std::snprintf(buf, sizeof buf,
                      R"("extensions":{"cost":{"requestedQueryCost":%.0f,"actualQueryCost":%s,)"
                      R"("throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":%.0f,)"
                      R"("restoreRate":50.0}}})",
                      requested, "202", available);
        return std::string(buf);
      }(points_);
      if (throttled) {
        ++sent_throttled_;
        return Json(200,
                    R"({"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}],)" +
                        throttle + "}");
      }
      if (req.body.find("query Collections") != std::string::npos) {
        return Json(200,
                    R"({"data":{"collections":{"pageInfo":{"hasNextPage":false},"edges":[]}},)" +
                        throttle + "}");
      }
      if (req.body.find("mutation Run") != std::string::npos) {
        bulk_kind_ = req.body.find("{ orders") != std::string::npos      ? "orders"
                     : req.body.find("{ customers") != std::string::npos ? "customers"
                                                                         : "products";
        return Json(200, R"({"data":{"bulkOperationRunQuery":{"bulkOperation":)"
                         R"({"id":"gid://shopify/BulkOperation/1","status":"CREATED"},)"
                         R"("userErrors":[]}},)" +
                             throttle + "}");
      }
      if (req.body.find("query Poll") != std::string::npos) {
        return Json(200, R"({"data":{"node":{"id":"gid://shopify/BulkOperation/1",)"
                         R"("status":"COMPLETED","url":")" +
                             url() + "/bulk/" + bulk_kind_ + R"("}},)" + throttle + "}");
      }
      const int64_t first = After(req.body, "\"first\":", 100);
      const bool orders = req.body.find("query Orders") != std::string::npos;
      if (req.body.find("query Customers") != std::string::npos) {
        return Json(200, R"({"data":{"customers":{"pageInfo":{"hasNextPage":false},"edges":[]}},)" +
                             throttle + "}");
      }
      const int64_t page = After(req.body, orders ? "\"after\":\"o" : "\"after\":\"p", 0);
      const int64_t total = orders ? orders_ : products_;
      std::string edges;
      const int64_t begin = page * first;
      const int64_t end = std::min(total, begin + first);
      for (int64_t i = begin; i < end; ++i) {
        if (!edges.empty()) edges += ",";
        edges += R"({"node":)" + (orders ? GraphQLOrder(i, true) : ProductNode(i, true)) + "}";
      }
      const bool more = end < total;
      return Json(200, std::string(R"({"data":{")") + (orders ? "orders" : "products") +
                           R"(":{"pageInfo":{"hasNextPage":)" + (more ? "true" : "false") +
                           R"(,"endCursor":")" + (orders ? "o" : "p") + std::to_string(page + 1) +
                           R"("},"edges":[)" + edges + "]}}," + throttle + "}");
    }
    if (path.starts_with("/bulk/")) {
      // The bulk result: parents, then all children at the end (not next to their parent).
      std::string parents;
      std::string children;
      const bool orders = path == "/bulk/orders";
      const int64_t total = path == "/bulk/customers" ? 0 : orders ? orders_ : products_;
      for (int64_t i = 0; i < total; ++i) {
        parents += (orders ? GraphQLOrder(i, false) : ProductNode(i, false)) + "\n";
        children += (orders ? LineItemOf(i) : VariantOf(i)) + "\n";
      }
      WireResponse r;
      r.status = 200;
      r.body = parents + children;
      return r;
    }
    ++rest_requests_;
    if (auto limited = RestBucket()) return *limited;
    WireResponse r;
    if (path.ends_with("/shop.json")) {
      r = Json(200, R"({"shop":{"currency":"EUR"}})");
    } else if (path.ends_with("/customers.json")) {
      r = Json(200, R"({"customers":[]})");
    } else if (path.ends_with("/orders.json")) {
      const int64_t limit = After(req.target, "limit=", 50);
      const int64_t page = After(req.target, "page_info=o", 0);
      const int64_t begin = page * limit;
      const int64_t end = std::min(orders_, begin + limit);
      std::string body = R"({"orders":[)";
      for (int64_t i = begin; i < end; ++i) {
        const std::string id = std::to_string(kOrderBase + static_cast<uint64_t>(i));
        const std::string product =
            std::to_string(kProductBase + static_cast<uint64_t>((i * 7919) % products_));
        if (i > begin) body += ",";
        body += R"({"id":)" + id + R"(,"admin_graphql_api_id":"gid://shopify/Order/)" + id +
                R"(","name":"#)" + std::to_string(i) +
                R"(","created_at":"2024-03-01T10:00:00Z","updated_at":"2024-03-02T10:00:00Z",)"
                R"("currency":"EUR","total_price":"25.00","customer":{"id":)" +
                std::to_string(1000 + i % 997) + R"(},"line_items":[{"id":)" + id +
                R"(,"product_id":)" + product + R"(,"variant_id":)" + product +
                R"(,"quantity":2,"price":"12.50","sku":"S","title":"P"}]})";
      }
      body += "]}";
      r = Json(200, std::move(body));
      if (end < orders_) {
        r.headers.emplace_back(
            "Link", "<" + url() + "/admin/api/2024-04/orders.json?limit=" + std::to_string(limit) +
                        "&page_info=o" + std::to_string(page + 1) + ">; rel=\"next\"");
      }
    } else {
      r = Json(404, "{}");
    }
    r.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit",
                           std::to_string(static_cast<int>(std::ceil(bucket_))) + "/40");
    return r;
  }

  const int64_t products_;
  const int64_t orders_;
  std::mutex mu_;
  std::atomic<int64_t> now_ms_{0};
  double bucket_ = 0;
  int64_t bucket_at_ = 0;
  double points_ = 1000;
  int64_t points_at_ = 0;
  std::string bulk_kind_ = "products";
  std::atomic<int64_t> rest_requests_{0}, graphql_requests_{0}, sent_429_{0}, sent_throttled_{0};
  LoopbackHttpServer server_;  // last
};

class ShopifyImportThroughputTest : public ::testing::TestWithParam<Path> {};

TEST_P(ShopifyImportThroughputTest, GeneratedShopWithinTheRateLimits) {
  const Path mode = GetParam();
  const int64_t products = EnvInt("VITRINE_SHOPIFY_BENCH_PRODUCTS", 1000);
  const int64_t orders = EnvInt("VITRINE_SHOPIFY_BENCH_ORDERS", 5000);
  GeneratedShop shop(products, orders);
  ShopifyServer server;
  auto http = adapters::NewCurlHttpClient();
  ImportOptions options;
  options.shop = "generated.myshopify.com";
  options.token = "t";
  options.admin_base_url = shop.url();
  options.rest = mode == Path::kRest;  // REST exercises both rate-limit schemes
  options.bulk = mode == Path::kBulk;
  options.log = [](const std::string&) {};
  ImportEnv env;
  env.http = http.get();
  env.store = &server.shopify().store();
  env.sinks = AppSinks(server.app());
  env.now_ms = [&shop] { return shop.now_ms(); };
  env.sleep = [&shop](int64_t ms) { shop.Advance(ms); };
  const auto started = std::chrono::steady_clock::now();
  ShopifyImporter importer(options, env);
  auto stats = importer.Run();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();

  EXPECT_EQ(stats->products, products);
  EXPECT_EQ(stats->orders, orders);
  EXPECT_EQ(static_cast<int64_t>(server.app().catalog().size()), products);
  EXPECT_EQ(server.Stats().orders, orders);  // no gaps, none twice
  EXPECT_TRUE(server.app().catalog().Get(std::to_string(kProductBase + 1)).has_value());
  // Both sides agree on every limit hit, and the importer never ran ahead of the buckets: in
  // virtual time REST stays within burst + 2/s.
  EXPECT_EQ(stats->http_429, shop.sent_429());
  EXPECT_EQ(stats->graphql_throttled, shop.sent_throttled());
  const double virtual_s = static_cast<double>(shop.now_ms()) / 1000.0;
  EXPECT_LE(static_cast<double>(shop.rest_requests() - shop.sent_429()), 40 + 2 * virtual_s + 1);
  const double records = static_cast<double>(products + orders);
  std::printf(
      "shopify import (%s): %lld products + %lld orders in %.2f s wall (%.0f records/s); "
      "%lld requests (%lld REST, %lld GraphQL) = %.1f requests/s wall; "
      "rate limits: %lld REST 429s, %lld GraphQL THROTTLED, %.1f s waited (virtual %.1f s, "
      "%.2f REST requests per virtual second)\n",
      mode == Path::kRest      ? "customers/orders REST"
      : mode == Path::kGraphQL ? "GraphQL"
                               : "bulk operations",
      static_cast<long long>(products), static_cast<long long>(orders), seconds, records / seconds,
      static_cast<long long>(stats->requests), static_cast<long long>(shop.rest_requests()),
      static_cast<long long>(shop.graphql_requests()),
      static_cast<double>(stats->requests) / seconds, static_cast<long long>(stats->http_429),
      static_cast<long long>(stats->graphql_throttled),
      static_cast<double>(stats->slept_ms) / 1000.0, virtual_s,
      virtual_s > 0 ? static_cast<double>(shop.rest_requests()) / virtual_s : 0.0);
  ::testing::Test::RecordProperty("records_per_second", static_cast<int>(records / seconds));
  ::testing::Test::RecordProperty("http_429", static_cast<int>(stats->http_429));
  EXPECT_EQ(stats->bulk_operations, mode == Path::kBulk ? 3 : 0);
}

std::string PathName(const ::testing::TestParamInfo<Path>& param) {
  return param.param == Path::kRest ? "Rest" : param.param == Path::kGraphQL ? "GraphQL" : "Bulk";
}

INSTANTIATE_TEST_SUITE_P(Paths, ShopifyImportThroughputTest,
                         ::testing::Values(Path::kRest, Path::kGraphQL, Path::kBulk), PathName);

}  // namespace
}  // namespace vitrine::shopify::testing
