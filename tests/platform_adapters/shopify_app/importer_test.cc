// Import against a fake Shopify on loopback replaying the shared REST fixtures and GraphQL pages,
// with the faults the real API shows: THROTTLED on HTTP 200 and on 429, REST 429 with a decimal
// Retry-After and without one, the call-limit header near full, version fall-forward and
// deprecation headers, Link pagination, ids above 2^53; then incremental re-runs and the mix
// with webhooks (newest updated_at wins). Sleeps go to a recording sleeper: no real waiting.
#include "platform_adapters/shopify/importer.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <numeric>
#include <vector>

#include "tests/platform_adapters/shopify_app/harness.h"
#include "tests/support/loopback_http_server.h"

namespace vitrine::shopify::testing {
namespace {

using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

std::string FixtureResponse(const std::string& rel) {
  auto json = ReadBytes(ShopifyFixtures() / rel);
  // The "response" member verbatim: find it and cut the enclosing object's last brace.
  const size_t at = json.find("\"response\"");
  if (at == std::string::npos) return {};
  const size_t start = json.find_first_of("{[", at);
  const size_t end = json.find_last_of('}');
  return json.substr(start, end - start);
}

std::string ProductNode(const std::string& id, const std::string& title,
                        const std::string& updated_at, const std::string& price, int qty) {
  return R"({"node":{"id":"gid://shopify/Product/)" + id + R"(","title":")" + title +
         R"(","handle":"h-)" + id +
         R"(","vendor":"Acme","productType":"","status":"ACTIVE",)"
         R"("tags":["a","b"],"updatedAt":")" +
         updated_at + R"(","featuredImage":{"url":"https://cdn.example/)" + id +
         R"(.jpg"},)"
         R"("collections":{"edges":[{"node":{"title":"Shirts"}}]},)"
         R"("variants":{"edges":[{"node":{"id":"gid://shopify/ProductVariant/)" +
         id + R"(1","title":"S","price":")" + price + R"(","sku":"SKU-)" + id +
         R"(","inventoryQuantity":)" + std::to_string(qty) +
         R"(,"inventoryItem":{"id":"gid://shopify/InventoryItem/)" + id + R"(9"}}}]}}})";
}

std::string ProductsPage(const std::vector<std::string>& nodes, bool more, const std::string& end) {
  std::string edges;
  for (const auto& n : nodes) edges += (edges.empty() ? "" : ",") + n;
  return R"({"data":{"products":{"pageInfo":{"hasNextPage":)" +
         std::string(more ? "true" : "false") + R"(,"endCursor":")" + end + R"("},"edges":[)" +
         edges +
         R"(]}},"extensions":{"cost":{"requestedQueryCost":52,"actualQueryCost":12,)"
         R"("throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":988,"restoreRate":50.0}}}})";
}

// Scripted fake Shopify. Every request is recorded.
class FakeShopifyApi {
 public:
  FakeShopifyApi() : server_([this](const WireRequest& r) { return Serve(r); }) {}
  std::string url() const { return server_.url(); }
  std::vector<WireRequest> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::atomic<bool> faults{true};
  std::atomic<int> product_title_version{1};

 private:
  WireResponse Json(int status, std::string body) {
    WireResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"},
                 {"X-Shopify-API-Version", "2024-07"}};  // 2024-04 retired: fall-forward
    return r;
  }
  WireResponse Serve(const WireRequest& req) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
    const std::string path = req.Path();
    const std::string query = req.target.find('?') == std::string::npos
                                  ? ""
                                  : req.target.substr(req.target.find('?') + 1);
    const int n =
        ++calls_[path + (req.body.find("query Products") != std::string::npos ? "#p" : "")];
    if (path == "/admin/api/2024-04/shop.json") {
      auto r = Json(200, FixtureResponse("rest-2024-04/shop.test_1.json"));
      r.headers.emplace_back("X-Shopify-Shop-Api-Call-Limit", faults ? "39/40" : "1/40");
      r.headers.emplace_back("X-Shopify-API-Deprecated-Reason",
                             "https://shopify.dev/changelog/rest-legacy");
      return r;
    }
    if (path == "/admin/api/2024-04/graphql.json") {
      if (req.body.find("query Collections") != std::string::npos) {
        return Json(200,
                    R"({"data":{"collections":{"pageInfo":{"hasNextPage":false,"endCursor":"x"},)"
                    R"("edges":[{"node":{"id":"gid://shopify/Collection/1","title":"Shirts"}},)"
                    R"({"node":{"id":"gid://shopify/Collection/2","title":"Mugs"}}]}}})");
      }
      const bool second_page = req.body.find("\"after\":\"c1\"") != std::string::npos;
      if (faults && n == 1) {
        return Json(200, FixtureResponse("graphql/throttled.gist-2023.json"));  // THROTTLED on 200
      }
      if (faults && second_page && !second_page_throttled_) {
        second_page_throttled_ = true;
        return Json(429, FixtureResponse("graphql/throttled.community-2019.json"));
      }
      const std::string v = std::to_string(product_title_version.load());
      if (!second_page) {
        return Json(
            200,
            ProductsPage(
                {ProductNode("632910392", "IPod Nano v" + v, "2024-04-01T10:00:00Z", "199.00", 10),
                 ProductNode("921728736", "IPod Touch v" + v, "2024-04-01T11:00:00Z", "299.00", 0)},
                true, "c1"));
      }
      // 2^53 + 1: exact only if it never went through a double.
      return Json(200, ProductsPage({ProductNode("9007199254740993", "Big Id v" + v,
                                                 "2024-04-02T10:00:00Z", "5.50", 3)},
                                    false, "c2"));
    }
    if (path == "/admin/api/2024-04/customers.json") {
      if (query.find("page_info=p2") == std::string::npos) {
        auto r = Json(200, FixtureResponse("rest-2024-04/customer.test_1.json"));
        r.headers.emplace_back("Link",
                               "<" + url() +
                                   "/admin/api/2024-04/customers.json?limit=250&page_info=p2>;"
                                   " rel=\"next\"");
        return r;
      }
      if (faults && !customers_429_) {
        customers_429_ = true;
        return Json(
            429, R"({"errors":"Exceeded 2 calls per second for api client."})");  // no Retry-After
      }
      return Json(200, FixtureResponse("rest-2024-04/customer.test_4.json"));
    }
    if (path == "/admin/api/2024-04/orders.json") {
      if (query.find("page_info=o2") == std::string::npos) {
        if (faults && !orders_429_) {
          orders_429_ = true;
          auto r = Json(429, R"({"errors":"Exceeded 2 calls per second for api client."})");
          r.headers.emplace_back("Retry-After", "2.0");
          return r;
        }
        auto r = Json(200, FixtureResponse("rest-2024-04/order.test_1.json"));
        r.headers.emplace_back(
            "Link",
            "<" + url() + "/admin/api/2024-04/orders.json?page_info=o2&limit=250>; rel=\"next\"");
        return r;
      }
      return Json(200, FixtureResponse("rest-2024-04/order.test_6.json"));
    }
    return Json(404, R"({"errors":"Not Found"})");
  }

  std::mutex mu_;
  std::vector<WireRequest> requests_;
  std::map<std::string, int> calls_;
  bool second_page_throttled_ = false;
  bool customers_429_ = false;
  bool orders_429_ = false;
  LoopbackHttpServer server_;  // last
};

class ShopifyImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveFixtures()) GTEST_SKIP() << "shared fixtures folder absent";
    http_ = adapters::NewCurlHttpClient();
  }
  StatusOr<ImportStats> Import(ShopifyServer& server, bool incremental = true) {
    ImportOptions options;
    options.shop = "jsmith.myshopify.com";
    options.token = "shpat_test";
    options.admin_base_url = fake_.url();
    options.incremental = incremental;
    options.rest = true;  // this fake serves customers and orders over REST (the fixtures)
    options.log = [this](const std::string& m) { logs_.push_back(m); };
    options.progress = [this](std::string_view resource, int64_t n, const ImportStats&) {
      progress_.emplace_back(std::string(resource), n);
    };
    ImportEnv env;
    env.http = http_.get();
    env.store = &server.shopify().store();
    env.sinks = AppSinks(server.app());
    env.now_ms = [] { return int64_t{1'767'000'000'000}; };
    env.sleep = [this](int64_t ms) { sleeps_.push_back(ms); };
    ShopifyImporter importer(options, env);
    return importer.Run();
  }
  FakeShopifyApi fake_;
  std::unique_ptr<adapters::HttpClient> http_;
  std::vector<int64_t> sleeps_;
  std::vector<std::string> logs_;
  std::vector<std::pair<std::string, int64_t>> progress_;
};

TEST_F(ShopifyImporterTest, FullImportThroughThrottlingAndRateLimits) {
  ShopifyServer server;
  auto stats = Import(server);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->products, 3);
  EXPECT_EQ(stats->variants, 3);
  EXPECT_EQ(stats->inventory_items, 3);
  EXPECT_EQ(stats->collections, 2);
  EXPECT_EQ(stats->customers, 3);  // 2 on page 1, 1 (older copy) on page 2
  EXPECT_EQ(stats->stale, 1);      // that older copy
  EXPECT_EQ(stats->orders, 2);
  EXPECT_EQ(stats->graphql_throttled, 2);
  EXPECT_EQ(stats->http_429, 2);
  EXPECT_EQ(stats->api_version_served, "2024-07");
  ASSERT_EQ(stats->deprecations.size(), 1u);

  // Waits: the nearly full REST bucket (500 ms), THROTTLED (70-66)/50 s = 80 ms, the 429'd
  // THROTTLED (202-118)/50 s = 1680 ms, 429 without Retry-After (2 s default), Retry-After 2.0.
  for (const int64_t expected : {500, 80, 1680, 2000}) {
    EXPECT_NE(std::find(sleeps_.begin(), sleeps_.end(), expected), sleeps_.end()) << expected;
  }
  EXPECT_EQ(std::count(sleeps_.begin(), sleeps_.end(), 2000), 2);
  EXPECT_EQ(stats->slept_ms, std::accumulate(sleeps_.begin(), sleeps_.end(), int64_t{0}));

  // What landed: catalog (ids exact above 2^53), profiles, orders once each.
  const auto big = server.app().catalog().Get("9007199254740993");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->price_micros(), 5'500'000);
  EXPECT_EQ(big->currency(), "USD");  // from shop.json
  EXPECT_EQ(big->category(), "Shirts");
  EXPECT_EQ(big->image_url(), "https://cdn.example/9007199254740993.jpg");
  EXPECT_EQ(server.app().catalog().Get("921728736")->stock(), 0);
  EXPECT_EQ(server.Stats().orders, 2);
  EXPECT_TRUE(server.app().admin().FindProfile("1073339482", "").ok());
  auto customer = server.app().admin().FindProfile("207119551", "");
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(customer->order_count, 1);  // order 450789469 belongs to customer 207119551

  // Requests as Shopify wants them: orders with status=any; page_info only with limit.
  bool saw_status_any = false;
  for (const auto& r : fake_.Requests()) {
    EXPECT_EQ(r.Header("X-Shopify-Access-Token"), "shpat_test");
    if (r.Path().ends_with("/orders.json") && r.target.find("page_info") == std::string::npos) {
      saw_status_any |= r.target.find("status=any") != std::string::npos;
    }
    if (r.target.find("page_info=") != std::string::npos) {
      EXPECT_EQ(r.target.find("status="), std::string::npos) << r.target;
      EXPECT_EQ(r.target.find("updated_at_min"), std::string::npos) << r.target;
    }
  }
  EXPECT_TRUE(saw_status_any);
  EXPECT_FALSE(progress_.empty());
  EXPECT_EQ(progress_.back(), (std::pair<std::string, int64_t>("orders", 2)));
  bool logged_fall_forward = false;
  for (const auto& m : logs_) logged_fall_forward |= m.find("fall-forward") != std::string::npos;
  EXPECT_TRUE(logged_fall_forward);
}

TEST_F(ShopifyImporterTest, ReRunIsIncrementalAndIdempotent) {
  ShopifyServer server;
  ASSERT_TRUE(Import(server).ok());
  const auto first = server.Stats();
  fake_.faults = false;
  auto again = Import(server);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  // The same records again change nothing: one record per id.
  const auto second = server.Stats();
  EXPECT_EQ(second.orders, first.orders);
  EXPECT_EQ(second.events, first.events);
  EXPECT_EQ(server.app().catalog().size(), 3u);
  // The second run asked only for what changed since the first run's newest updated_at.
  bool products_filtered = false, orders_filtered = false;
  const auto requests = fake_.Requests();
  for (size_t i = requests.size() / 2; i < requests.size(); ++i) {
    const auto& r = requests[i];
    products_filtered |= r.body.find("updated_at:>='2024-04-02T10:00:00Z'") != std::string::npos;
    orders_filtered |=
        r.Path().ends_with("/orders.json") &&
        r.target.find("updated_at_min=2024-04-02T09%3A04%3A18-05%3A00") != std::string::npos;
  }
  EXPECT_TRUE(products_filtered);
  EXPECT_TRUE(orders_filtered);
}

TEST_F(ShopifyImporterTest, WebhookNewerThanTheImportWins) {
  ShopifyServer server;
  // products/update for 632910392, newer than the import's copy (2024-04-01T10:00:00Z).
  const std::string webhook =
      R"({"id":632910392,"admin_graphql_api_id":"gid://shopify/Product/632910392",)"
      R"("title":"IPod Nano [webhook]","handle":"ipod-nano","status":"active",)"
      R"("updated_at":"2024-05-01T00:00:00Z","variants":[{"id":1,"price":"199.00","sku":"X"}]})";
  ASSERT_EQ(server.Post(Delivery::Make("products/update", webhook, "w1")).status, 200);
  EXPECT_EQ(server.Drain(), 1u);
  auto stats = Import(server, /*incremental=*/false);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_GE(stats->stale, 2);  // the product and the older customer copy
  EXPECT_EQ(server.app().catalog().Get("632910392")->title(), "IPod Nano [webhook]");
  // An order seen by webhook and by import is one order.
  ASSERT_EQ(server.Stats().orders, 2);
}

// The reconciliation poll: every installed shop (stored token) is imported incrementally by the
// app itself; uninstalled shops are skipped.
TEST_F(ShopifyImporterTest, ReconciliationImportsEveryInstalledShop) {
  fake_.faults = false;  // the app's sleeper waits for real
  ShopifyAppOptions options = TestOptions();
  options.admin_base_url = fake_.url();
  options.import_rest = true;
  ShopifyServer server(options);
  auto& store = server.shopify().store();
  ASSERT_TRUE(store.PutShop("jsmith.myshopify.com", "shpat_stored", "read_orders", 1).ok());
  ASSERT_TRUE(store.PutShop("gone.myshopify.com", "shpat_gone", "read_orders", 1).ok());
  ASSERT_TRUE(*store.RevokeShop("gone.myshopify.com", 2));
  auto reconciled = server.shopify().Reconcile();
  ASSERT_TRUE(reconciled.ok()) << reconciled.status().ToString();
  EXPECT_EQ(*reconciled, 1);
  EXPECT_EQ(server.app().catalog().size(), 3u);
  EXPECT_EQ(server.Stats().orders, 2);
  const size_t first_round = fake_.Requests().size();
  for (const auto& r : fake_.Requests()) {
    EXPECT_EQ(r.Header("X-Shopify-Access-Token"), "shpat_stored") << r.target;
  }
  // The next round asks only for what changed since.
  ASSERT_TRUE(server.shopify().Reconcile().ok());
  const auto requests = fake_.Requests();
  bool incremental = false;
  for (size_t i = first_round; i < requests.size(); ++i) {
    incremental |= requests[i].Path().ends_with("/orders.json") &&
                   requests[i].target.find("updated_at_min=") != std::string::npos;
  }
  EXPECT_TRUE(incremental);
}

TEST(ShopifyBulkTest, ChildrenAreAttachedWhereverTheyAppear) {
  const std::string jsonl =
      R"({"id":"gid://shopify/ProductVariant/11","price":"9.00","sku":"A","inventoryQuantity":2,"__parentId":"gid://shopify/Product/1"})"
      "\n"
      R"({"id":"gid://shopify/Product/1","title":"One","status":"ACTIVE","updatedAt":"2024-01-01T00:00:00Z"})"
      "\n"
      R"({"id":"gid://shopify/Product/2","title":"Two","status":"DRAFT"})"
      "\n"
      R"({"id":"gid://shopify/ProductVariant/21","price":"3.00","sku":"C","__parentId":"gid://shopify/Product/2"})"
      "\r\n"
      R"({"id":"gid://shopify/ProductVariant/12","price":"7.50","sku":"B","inventoryQuantity":5,"__parentId":"gid://shopify/Product/1"})"
      "\n"
      R"({"id":"gid://shopify/ProductVariant/99","__parentId":"gid://shopify/Product/404"})"
      "\n"
      "not json\n\n";
  const BulkParse parsed = ParseBulkJsonl(jsonl);
  ASSERT_EQ(parsed.objects.size(), 2u);
  EXPECT_EQ(parsed.orphans, 1);
  EXPECT_EQ(parsed.bad_lines, 1);
  ASSERT_EQ(parsed.objects[0].children.size(), 2u);
  ASSERT_EQ(parsed.objects[1].children.size(), 1u);
  auto one = ProductFromGraphQL(parsed.objects[0].node, &parsed.objects[0].children);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->product_id.numeric, 1u);
  EXPECT_EQ(one->price, "7.50");  // the lowest variant price
  EXPECT_EQ(one->stock, 7);
  EXPECT_EQ(one->status, "active");
  auto two = ProductFromGraphQL(parsed.objects[1].node, &parsed.objects[1].children);
  ASSERT_TRUE(two.has_value());
  EXPECT_FALSE(two->stock.has_value());
  EXPECT_EQ(two->status, "draft");
}

TEST(ShopifyRateLimitParsingTest, RetryAfterAndLinkHeaders) {
  EXPECT_EQ(ParseRetryAfterMs("2.0"), 2000);
  EXPECT_EQ(ParseRetryAfterMs(" 0.5 "), 500);
  EXPECT_EQ(ParseRetryAfterMs("1"), 1000);
  EXPECT_FALSE(ParseRetryAfterMs("").has_value());
  EXPECT_FALSE(ParseRetryAfterMs("soon").has_value());
  EXPECT_FALSE(ParseRetryAfterMs("-1").has_value());
  EXPECT_EQ(
      NextLink("<https://s/admin/api/2024-04/orders.json?page_info=a&limit=2>; rel=\"previous\", "
               "<https://s/admin/api/2024-04/orders.json?page_info=b&limit=2>; rel=\"next\""),
      "https://s/admin/api/2024-04/orders.json?page_info=b&limit=2");
  EXPECT_EQ(NextLink("<https://s/x?page_info=a>; rel=\"previous\""), "");
  EXPECT_EQ(NextLink(""), "");
}

// `vitrine-server shopify import` end to end: the real binary against the fake shop.
TEST_F(ShopifyImporterTest, CliImportsWithProgressAndASummary) {
  const std::string bin = VITRINE_SERVER_BIN;
  if (bin.empty()) GTEST_SKIP() << "vitrine-server not built";
  fake_.faults = false;  // the binary sleeps for real: no rate-limit faults here
  ::vitrine::testing::TempDir dir;
  const std::string command = bin + " shopify import --shop jsmith.myshopify.com --token t0k" +
                              " --admin-base-url " + fake_.url() + " --rest --db " +
                              dir.File("cli.db") + " 2>" + dir.File("progress.txt");
  std::FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int rc = ::pclose(pipe);
  const std::string progress = ReadBytes(dir.File("progress.txt"));
  ASSERT_EQ(rc, 0) << out << progress;
  auto summary = ParseJson(out);
  ASSERT_TRUE(summary.ok()) << out;
  EXPECT_EQ(summary.value->Find("products")->AsInt64(), 3);
  EXPECT_EQ(summary.value->Find("orders")->AsInt64(), 2);
  EXPECT_EQ(summary.value->Find("api_version_served")->AsString(), "2024-07");
  EXPECT_NE(progress.find("shopify import: products"), std::string::npos) << progress;
  EXPECT_NE(progress.find("shopify import: orders"), std::string::npos) << progress;
  // Bad usage is exit code 2.
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " shopify import --shop evil.com 2>/dev/null").c_str())),
            2);
  EXPECT_EQ(
      WEXITSTATUS(std::system(
          (bin + " shopify import --shop a.myshopify.com --bulk-above many 2>/dev/null").c_str())),
      2);
}

}  // namespace
}  // namespace vitrine::shopify::testing
