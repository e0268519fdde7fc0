// GraphQL for customers and orders (cursor pagination, THROTTLED on 200 retried after the cost
// wait) and bulk operations for products (mutation, status polls with backoff on the injected
// sleeper, JSONL download without the access token, children not contiguous), against a fake
// Shopify on loopback. No real waiting: every sleep is recorded.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "platform_adapters/shopify/importer.h"
#include "tests/platform_adapters/shopify_app/harness.h"
#include "tests/support/loopback_http_server.h"

namespace vitrine::shopify::testing {
namespace {

using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

constexpr const char* kCost =
    R"(,"extensions":{"cost":{"requestedQueryCost":10,"actualQueryCost":10,)"
    R"("throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":990,"restoreRate":50.0}}})";

// Products of the bulk file: children before and long after their parent, a collection child,
// an orphan, and an id above 2^53.
constexpr const char* kBulkJsonl =
    R"({"id":"gid://shopify/ProductVariant/111","title":"S","price":"19.99","sku":"A-S","inventoryQuantity":2,"inventoryItem":{"id":"gid://shopify/InventoryItem/7001"},"__parentId":"gid://shopify/Product/9007199254740993"})"
    "\n"
    R"({"id":"gid://shopify/Product/9007199254740993","title":"Big","handle":"big","vendor":"Acme","productType":"","status":"ACTIVE","tags":["x"],"updatedAt":"2024-06-01T00:00:00Z","featuredImage":{"url":"https://cdn.example/big.jpg"}})"
    "\n"
    R"({"id":"gid://shopify/Product/2","title":"Two","handle":"two","vendor":"Acme","productType":"Mugs","status":"ACTIVE","tags":[],"updatedAt":"2024-06-02T00:00:00Z","featuredImage":null})"
    "\n"
    R"({"id":"gid://shopify/ProductVariant/21","title":"One size","price":"5.00","sku":"T","inventoryQuantity":4,"inventoryItem":{"id":"gid://shopify/InventoryItem/7002"},"__parentId":"gid://shopify/Product/2"})"
    "\n"
    R"({"id":"gid://shopify/Collection/55","title":"Shirts","__parentId":"gid://shopify/Product/9007199254740993"})"
    "\n"
    R"({"id":"gid://shopify/ProductVariant/112","title":"M","price":"17.50","sku":"A-M","inventoryQuantity":3,"inventoryItem":{"id":"gid://shopify/InventoryItem/7003"},"__parentId":"gid://shopify/Product/9007199254740993"})"
    "\n"
    R"({"id":"gid://shopify/ProductVariant/999","price":"1.00","__parentId":"gid://shopify/Product/404"})"
    "\n";

// Orders and customers of the bulk files: the first order's line item comes before it, the
// second order's after the customers' lines would have been.
constexpr const char* kBulkOrdersJsonl =
    R"({"id":"gid://shopify/LineItem/1","title":"Big","quantity":2,"sku":"A-S","product":{"id":"gid://shopify/Product/9007199254740993"},"variant":{"id":"gid://shopify/ProductVariant/111"},"originalUnitPriceSet":{"shopMoney":{"amount":"19.99"}},"__parentId":"gid://shopify/Order/820982911946154508"})"
    "\n"
    R"({"id":"gid://shopify/Order/820982911946154508","name":"#1","email":"","test":false,"createdAt":"2024-05-01T00:00:00Z","updatedAt":"2024-05-03T00:00:00Z","cancelledAt":null,"displayFinancialStatus":"PAID","currencyCode":"EUR","totalPriceSet":{"shopMoney":{"amount":"39.98","currencyCode":"EUR"}},"customer":{"id":"gid://shopify/Customer/9007199254740995"}})"
    "\n"
    R"({"id":"gid://shopify/Order/1001","name":"#2","email":"","test":false,"createdAt":"2024-05-02T00:00:00Z","updatedAt":"2024-05-02T00:00:00Z","cancelledAt":null,"displayFinancialStatus":"PAID","currencyCode":"EUR","totalPriceSet":{"shopMoney":{"amount":"5.00","currencyCode":"EUR"}},"customer":null})"
    "\n"
    R"({"id":"gid://shopify/LineItem/2","title":"Two","quantity":1,"sku":"T","product":{"id":"gid://shopify/Product/2"},"variant":{"id":"gid://shopify/ProductVariant/21"},"originalUnitPriceSet":{"shopMoney":{"amount":"5.00"}},"__parentId":"gid://shopify/Order/1001"})"
    "\n";
constexpr const char* kBulkCustomersJsonl =
    R"({"id":"gid://shopify/Customer/9007199254740995","email":"ann@example.com","phone":null,"firstName":"Ann","lastName":"Lee","state":"ENABLED","tags":[],"createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-05-01T00:00:00Z","emailMarketingConsent":{"marketingState":"NOT_SUBSCRIBED"}})"
    "\n"
    R"({"id":"gid://shopify/Customer/42","email":"bob@example.com","phone":null,"firstName":"Bob","lastName":"Ray","state":"ENABLED","tags":[],"createdAt":"2024-01-01T00:00:00Z","updatedAt":"2024-05-01T00:00:00Z","emailMarketingConsent":null})"
    "\n";

std::string CustomerNode(const std::string& id, const std::string& email,
                         const std::string& updated_at) {
  return R"({"node":{"id":"gid://shopify/Customer/)" + id + R"(","email":")" + email +
         R"(","phone":null,"firstName":"Ann","lastName":"Lee","state":"ENABLED","tags":["vip"],)"
         R"("createdAt":"2024-01-01T00:00:00Z","updatedAt":")" +
         updated_at + R"(","emailMarketingConsent":{"marketingState":"SUBSCRIBED"}}})";
}

// `more_lines`: the lineItems page says there is more (the importer must fetch the rest).
std::string OrderNode(const std::string& id, const std::string& customer,
                      const std::string& cancelled_at, bool more_lines = false) {
  return R"({"node":{"id":"gid://shopify/Order/)" + id + R"(","name":"#)" + id +
         R"(","email":"","test":false,"createdAt":"2024-05-01T00:00:00Z",)"
         R"("updatedAt":"2024-05-03T00:00:00Z","cancelledAt":)" +
         (cancelled_at.empty() ? "null" : "\"" + cancelled_at + "\"") +
         R"(,"displayFinancialStatus":"PAID","currencyCode":"EUR",)"
         R"("totalPriceSet":{"shopMoney":{"amount":"39.98","currencyCode":"EUR"}},"customer":)" +
         (customer.empty() ? "null" : R"({"id":"gid://shopify/Customer/)" + customer + "\"}") +
         R"(,"lineItems":{"pageInfo":{"hasNextPage":)" + (more_lines ? "true" : "false") +
         R"(,"endCursor":"li1"},"edges":[{"node":{"id":"gid://shopify/LineItem/1","title":"Big",)"
         R"("quantity":2,"sku":"A-S","product":{"id":"gid://shopify/Product/9007199254740993"},)"
         R"("variant":{"id":"gid://shopify/ProductVariant/111"},)"
         R"("originalUnitPriceSet":{"shopMoney":{"amount":"19.99"}}}}]}}})";
}

std::string Page(const std::string& field, const std::vector<std::string>& edges, bool more,
                 const std::string& cursor) {
  std::string list;
  for (const auto& e : edges) list += (list.empty() ? "" : ",") + e;
  return R"({"data":{")" + field + R"(":{"pageInfo":{"hasNextPage":)" + (more ? "true" : "false") +
         R"(,"endCursor":")" + cursor + R"("},"edges":[)" + list + "]}}" + kCost + "}";
}

class FakeGraphQLShop {
 public:
  FakeGraphQLShop() : server_([this](const WireRequest& r) { return Serve(r); }) {}
  std::string url() const { return server_.url(); }
  std::vector<WireRequest> Requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::atomic<int> products_count{5};
  std::atomic<bool> bulk_fails{false};
  std::atomic<bool> throttle_first_customers_page{true};

 private:
  static WireResponse Json(std::string body) {
    WireResponse r;
    r.status = 200;
    r.body = std::move(body);
    r.headers = {{"Content-Type", "application/json"}};
    return r;
  }
  WireResponse Serve(const WireRequest& req) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(req);
    const std::string path = req.Path();
    if (path.ends_with("/shop.json")) return Json(R"({"shop":{"currency":"EUR"}})");
    if (path.starts_with("/bulk/")) {
      WireResponse r;
      r.status = 200;
      r.body = path == "/bulk/orders.jsonl"      ? kBulkOrdersJsonl
               : path == "/bulk/customers.jsonl" ? kBulkCustomersJsonl
                                                 : kBulkJsonl;
      r.headers = {{"Content-Type", "application/jsonl"}};
      return r;
    }
    if (!path.ends_with("/graphql.json")) return Json(R"({"errors":"Not Found"})");
    const std::string& body = req.body;
    if (body.find("query Count") != std::string::npos) {
      return Json(R"({"data":{"productsCount":{"count":)" + std::to_string(products_count.load()) +
                  "}}" + kCost + "}");
    }
    if (body.find("query Products") != std::string::npos) {
      return Json(Page("products", {}, false, "p"));
    }
    if (body.find("mutation Run") != std::string::npos) {
      // A new operation: which export it is decides the file it ends with.
      polls_ = 0;
      bulk_file_ = body.find("{ orders") != std::string::npos      ? "orders"
                   : body.find("{ customers") != std::string::npos ? "customers"
                                                                   : "result";
      return Json(
          R"({"data":{"bulkOperationRunQuery":{"bulkOperation":{"id":"gid://shopify/BulkOperation/147595010","status":"CREATED"},"userErrors":[]}})" +
          std::string(kCost) + "}");
    }
    if (body.find("query Poll") != std::string::npos) {
      ++polls_;
      std::string status = polls_ < 3 ? "RUNNING" : (bulk_fails ? "FAILED" : "COMPLETED");
      const std::string url_field =
          status == "COMPLETED" ? "\"" + url() + "/bulk/" + bulk_file_ + ".jsonl\"" : "null";
      return Json(R"({"data":{"node":{"id":"gid://shopify/BulkOperation/147595010","status":")" +
                  status + R"(","errorCode":)" +
                  (status == "FAILED" ? std::string("\"INTERNAL_SERVER_ERROR\"") : "null") +
                  R"(,"objectCount":"7","url":)" + url_field + R"(,"partialDataUrl":null}})" +
                  kCost + "}");
    }
    if (body.find("query Customers") != std::string::npos) {
      const bool second = body.find("\"after\":\"c1\"") != std::string::npos;
      if (!second && throttle_first_customers_page && !throttled_) {
        throttled_ = true;
        // Shopify's own THROTTLED-on-200 reply.
        const std::string fixture =
            ReadBytes(ShopifyFixtures() / "graphql" / "throttled.gist-2023.json");
        const size_t at = fixture.find("\"response\"");
        const size_t start = fixture.find('{', at);
        return Json(fixture.substr(start, fixture.find_last_of('}') - start));
      }
      if (!second) {
        return Json(
            Page("customers",
                 {CustomerNode("9007199254740995", "ann@example.com", "2024-05-01T00:00:00Z"),
                  CustomerNode("42", "bob@example.com", "2024-05-01T00:00:00Z")},
                 true, "c1"));
      }
      return Json(Page("customers", {CustomerNode("43", "cy@example.com", "2024-05-02T00:00:00Z")},
                       false, "c2"));
    }
    if (body.find("query Orders") != std::string::npos) {
      const bool second = body.find("\"after\":\"o1\"") != std::string::npos;
      if (!second) {
        return Json(Page(
            "orders",
            {OrderNode("820982911946154508", "9007199254740995", ""), OrderNode("1001", "", "")},
            true, "o1"));
      }
      return Json(
          Page("orders", {OrderNode("1002", "42", "2024-05-02T00:00:00Z", true)}, false, "o2"));
    }
    if (body.find("query Rest") != std::string::npos) {
      // The rest of order 1002's line items, after the first page's cursor.
      EXPECT_NE(body.find("gid://shopify/Order/1002"), std::string::npos) << body;
      EXPECT_NE(body.find("\"after\":\"li1\""), std::string::npos) << body;
      return Json(
          R"({"data":{"node":{"lineItems":{"pageInfo":{"hasNextPage":false,"endCursor":"li2"},)"
          R"("edges":[{"node":{"id":"gid://shopify/LineItem/2","title":"Two","quantity":1,)"
          R"("sku":"T","product":{"id":"gid://shopify/Product/2"},)"
          R"("variant":{"id":"gid://shopify/ProductVariant/21"},)"
          R"("originalUnitPriceSet":{"shopMoney":{"amount":"5.00"}}}}]}}})" +
          std::string(kCost) + "}");
    }
    return Json(R"({"errors":[{"message":"unexpected query"}]})");
  }

  std::mutex mu_;
  std::vector<WireRequest> requests_;
  int polls_ = 0;
  std::string bulk_file_ = "result";
  bool throttled_ = false;
  LoopbackHttpServer server_;  // last
};

class ShopifyGraphQLImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveFixtures()) GTEST_SKIP() << "shared fixtures folder absent";
    http_ = adapters::NewCurlHttpClient();
  }
  ImportOptions Options() {
    ImportOptions options;
    options.shop = "big.myshopify.com";
    options.token = "shpat_big";
    options.admin_base_url = fake_.url();
    options.collections = false;
    options.log = [this](const std::string& m) { logs_.push_back(m); };
    return options;
  }
  StatusOr<ImportStats> Import(ShopifyServer& server, ImportOptions options) {
    ImportEnv env;
    env.http = http_.get();
    env.store = &server.shopify().store();
    env.sinks = AppSinks(server.app());
    env.now_ms = [] { return int64_t{1'767'000'000'000}; };
    env.sleep = [this](int64_t ms) { sleeps_.push_back(ms); };
    return ShopifyImporter(std::move(options), std::move(env)).Run();
  }
  size_t CountRequests(const std::string& needle) {
    size_t n = 0;
    for (const auto& r : fake_.Requests()) n += r.body.find(needle) != std::string::npos;
    return n;
  }

  FakeGraphQLShop fake_;
  std::unique_ptr<adapters::HttpClient> http_;
  std::vector<int64_t> sleeps_;
  std::vector<std::string> logs_;
};

TEST_F(ShopifyGraphQLImportTest, BulkOperationImportsProductsFromTheJsonl) {
  ShopifyServer server;
  ImportOptions options = Options();
  options.bulk = true;
  options.customers = options.orders = false;
  auto stats = Import(server, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->bulk_operations, 1);
  EXPECT_EQ(stats->bulk_polls, 3);
  EXPECT_EQ(stats->bulk_orphans, 1);
  EXPECT_EQ(stats->products, 2);
  EXPECT_EQ(stats->variants, 3);
  EXPECT_EQ(stats->inventory_items, 3);
  // Polls back off on the injected sleeper: 1 s, 2 s, 4 s.
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{1000, 2000, 4000}));
  EXPECT_EQ(CountRequests("query Products"), 0u);  // no paging

  // Children found wherever they were: lowest variant price, summed stock, the collection.
  const auto big = server.app().catalog().Get("9007199254740993");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->price_micros(), 17'500'000);
  EXPECT_EQ(big->stock(), 5);
  EXPECT_EQ(big->category(), "Shirts");
  EXPECT_EQ(big->currency(), "EUR");
  EXPECT_EQ(big->url(), "https://big.myshopify.com/products/big");
  const auto two = server.app().catalog().Get("2");
  ASSERT_TRUE(two.has_value());
  EXPECT_EQ(two->category(), "Mugs");
  EXPECT_EQ(two->stock(), 4);
  EXPECT_FALSE(server.app().catalog().Get("404").has_value());

  // The mutation carries the bulk query; the signed download URL never gets the token.
  bool saw_mutation = false;
  for (const auto& r : fake_.Requests()) {
    if (r.Path() == "/bulk/result.jsonl") {
      EXPECT_EQ(r.Header("X-Shopify-Access-Token"), "") << "token sent to the storage URL";
    } else {
      EXPECT_EQ(r.Header("X-Shopify-Access-Token"), "shpat_big");
    }
    saw_mutation |= r.body.find("bulkOperationRunQuery") != std::string::npos &&
                    r.body.find("products") != std::string::npos;
  }
  EXPECT_TRUE(saw_mutation);

  // Newest-wins with the same table as webhooks: the next full run's copies are stale.
  sleeps_.clear();
  options.incremental = false;
  auto again = Import(server, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->stale, 2);
}

TEST_F(ShopifyGraphQLImportTest, BulkCoversCustomersAndOrdersWithScatteredLineItems) {
  ShopifyServer server;
  ImportOptions options = Options();
  options.bulk = true;
  auto stats = Import(server, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->bulk_operations, 3);  // products, customers, orders one after the other
  EXPECT_EQ(stats->customers, 2);
  EXPECT_EQ(stats->orders, 2);
  EXPECT_EQ(CountRequests("query Customers"), 0u);
  EXPECT_EQ(CountRequests("query Orders"), 0u);
  EXPECT_EQ(server.Stats().orders, 2);
  auto ann = server.app().admin().FindProfile("9007199254740995", "");
  ASSERT_TRUE(ann.ok()) << ann.status().ToString();
  EXPECT_EQ(ann->order_count, 1);
  auto events = server.app().admin().ListEvents(ann->profile_id, 10);
  ASSERT_TRUE(events.ok());
  bool order_seen = false;
  for (const auto& e : *events) {
    if (e.type() != "order_completed") continue;
    order_seen = true;
    ASSERT_EQ(e.products_size(), 1);  // the line item that came before its order
    EXPECT_EQ(e.products(0).product_id(), "9007199254740993");
    EXPECT_EQ(e.order().value_micros(), 39'980'000);
  }
  EXPECT_TRUE(order_seen);
  auto guest = server.app().admin().FindProfile("", "shopify-order:1001");
  ASSERT_TRUE(guest.ok());
  EXPECT_EQ(guest->order_count, 1);
  EXPECT_TRUE(server.app().admin().FindProfile("42", "").ok());
  // Watermarks stored per resource: the next run's bulk queries are filtered.
  EXPECT_EQ(server.shopify().store().GetSetting("import:big.myshopify.com:orders")->value_or(""),
            "2024-05-03T00:00:00Z");
  ASSERT_TRUE(Import(server, options).ok());
  EXPECT_EQ(CountRequests(R"(orders(query: \"updated_at:>='2024-05-03T00:00:00Z'\"))"), 1u);
  EXPECT_EQ(server.Stats().orders, 2);
}

TEST_F(ShopifyGraphQLImportTest, BulkIsChosenAboveTheProductCount) {
  ShopifyServer server;
  ImportOptions options = Options();
  options.customers = options.orders = false;
  options.bulk_above_products = 10;  // the fake shop has 5
  ASSERT_TRUE(Import(server, options).ok());
  EXPECT_EQ(CountRequests("query Products"), 1u);
  EXPECT_EQ(CountRequests("bulkOperationRunQuery"), 0u);

  fake_.products_count = 5000;
  auto stats = Import(server, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->bulk_operations, 1);
  EXPECT_EQ(CountRequests("query Products"), 1u);  // not again
  EXPECT_TRUE(server.app().catalog().Get("2").has_value());
}

TEST_F(ShopifyGraphQLImportTest, FailedBulkOperationFailsTheImport) {
  fake_.bulk_fails = true;
  ShopifyServer server;
  ImportOptions options = Options();
  options.bulk = true;
  options.customers = options.orders = false;
  auto stats = Import(server, options);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("FAILED"), std::string::npos)
      << stats.status().ToString();
  EXPECT_FALSE(server.app().catalog().Get("2").has_value());
  // No watermark: the next run starts over.
  EXPECT_FALSE(
      server.shopify().store().GetSetting("import:big.myshopify.com:products")->has_value());
}

TEST_F(ShopifyGraphQLImportTest, BulkPollingGivesUpAfterTheTimeout) {
  ShopifyServer server;
  ImportOptions options = Options();
  options.bulk = true;
  options.customers = options.orders = false;
  options.bulk_timeout_ms = 2500;  // the fake completes on the third poll, after 7 s
  auto stats = Import(server, options);
  ASSERT_FALSE(stats.ok());
  EXPECT_NE(stats.status().message().find("RUNNING"), std::string::npos)
      << stats.status().ToString();
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{1000, 2000}));
}

TEST_F(ShopifyGraphQLImportTest, CustomersAndOrdersThroughGraphQLWithCursorsAndThrottling) {
  ShopifyServer server;
  // A webhook already delivered customer 43 at a newer updated_at than the import will see.
  ASSERT_EQ(server
                .Post(Delivery::Make("customers/update",
                                     R"({"id":43,"email":"cy.new@example.com",)"
                                     R"("updated_at":"2024-06-01T00:00:00Z"})",
                                     "cy"))
                .status,
            200);
  EXPECT_EQ(server.Drain(), 1u);
  ImportOptions options = Options();
  options.products = false;
  auto stats = Import(server, options);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->customers, 3);
  EXPECT_EQ(stats->orders, 3);
  EXPECT_EQ(stats->stale, 1);  // customer 43's older copy
  EXPECT_EQ(stats->graphql_throttled, 1);
  EXPECT_EQ(stats->http_429, 0);
  ASSERT_FALSE(sleeps_.empty());  // the THROTTLED wait, from the reply's cost numbers
  EXPECT_GT(sleeps_.front(), 0);
  // No REST call for customers or orders.
  for (const auto& r : fake_.Requests()) {
    EXPECT_FALSE(r.Path().ends_with("/customers.json") || r.Path().ends_with("/orders.json"))
        << r.target;
  }
  EXPECT_EQ(CountRequests("\"after\":\"c1\""), 1u);
  EXPECT_EQ(CountRequests("\"after\":\"o1\""), 1u);

  // Ids above 2^53 exact; the customer's traits; the order in the shop currency.
  auto ann = server.app().admin().FindProfile("9007199254740995", "");
  ASSERT_TRUE(ann.ok()) << ann.status().ToString();
  EXPECT_EQ(ann->order_count, 1);
  auto events = server.app().admin().ListEvents(ann->profile_id, 10);
  ASSERT_TRUE(events.ok());
  bool identify = false;
  for (const auto& e : *events) {
    if (e.type() == "identify") {
      identify = true;
      EXPECT_EQ(e.traits().at("email"), "ann@example.com");
      EXPECT_EQ(e.traits().at("email_marketing"), "subscribed");
    }
    if (e.type() == "order_completed") {
      EXPECT_EQ(e.order().order_id(), "820982911946154508");
      EXPECT_EQ(e.order().value_micros(), 39'980'000);
      EXPECT_EQ(e.order().currency(), "EUR");
      ASSERT_EQ(e.products_size(), 1);
      EXPECT_EQ(e.products(0).product_id(), "9007199254740993");
      EXPECT_EQ(e.products(0).quantity(), 2);
    }
  }
  EXPECT_TRUE(identify);
  EXPECT_TRUE(server.app().admin().FindProfile("", "shopify-order:1001").ok());  // guest
  EXPECT_EQ(server.Stats().orders, 3);
  // The cancelled order also made its order_cancelled event.
  auto bob = server.app().admin().FindProfile("42", "");
  ASSERT_TRUE(bob.ok());
  auto bob_events = server.app().admin().ListEvents(bob->profile_id, 10);
  ASSERT_TRUE(bob_events.ok());
  EXPECT_TRUE(std::any_of(bob_events->begin(), bob_events->end(),
                          [](const v1::Event& e) { return e.type() == "order_cancelled"; }));
  // Its line items past the first page were fetched (node(id:), after the page's cursor).
  EXPECT_EQ(CountRequests("query Rest"), 1u);
  for (const auto& e : *bob_events) {
    if (e.type() == "order_completed") {
      EXPECT_EQ(e.products_size(), 2) << e.DebugString();
    }
  }
  // Pages sized under Shopify's 1,000-point query limit.
  for (const auto& r : fake_.Requests()) {
    if (r.body.find("query Orders") != std::string::npos) {
      EXPECT_NE(r.body.find("\"first\":25"), std::string::npos);
      EXPECT_NE(r.body.find("lineItems(first: 5)"), std::string::npos);
    }
  }
  // The webhook's newer customer 43 stays.
  auto cy = server.app().admin().FindProfile("43", "");
  ASSERT_TRUE(cy.ok());
  auto cy_events = server.app().admin().ListEvents(cy->profile_id, 10);
  ASSERT_TRUE(cy_events.ok());
  ASSERT_EQ(cy_events->size(), 1u);
  EXPECT_EQ(cy_events->front().traits().at("email"), "cy.new@example.com");

  // The next run is incremental: GraphQL's query filter from the stored watermark.
  fake_.throttle_first_customers_page = false;
  ASSERT_TRUE(Import(server, options).ok());
  // Both pages of each (the fake does not filter) carry the filter.
  EXPECT_EQ(CountRequests("updated_at:>='2024-05-03T00:00:00Z'"), 2u);  // orders
  EXPECT_EQ(CountRequests("updated_at:>='2024-05-02T00:00:00Z'"), 2u);  // customers
  EXPECT_EQ(server.Stats().orders, 3);                                  // nothing twice
}

}  // namespace
}  // namespace vitrine::shopify::testing
