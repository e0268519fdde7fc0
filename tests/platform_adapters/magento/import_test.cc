// The importer against a fake Magento on loopback (real HTTP through libcurl): pagination past
// the end, unstable order, 429/503 with and without Retry-After, 401 as bearer, incremental sync,
// OAuth 1.0a signing, and a 10,000-product / 50,000-order shop for throughput.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>

#include "platform_adapters/magento/importer.h"
#include "tests/platform_adapters/magento/fake_magento.h"

namespace vitrine::magento {
namespace {

using testing::FakeMagento;
using testing::FakeRow;
using testing::FixtureResponse;

// Keeps one record per id, the newest updated_at winning: what the server's stores do.
class CollectingSink : public ImportSink {
 public:
  Status OnCatalog(const std::vector<v1::CatalogItem>& items) override {
    ++catalog_calls;
    for (const auto& item : items) catalog[item.product_id()] = item;
    return Status::Ok();
  }
  Status OnCustomer(const Customer& customer) override {
    auto& slot = customers[customer.id];
    if (customer.updated_at_ms >= slot.updated_at_ms) slot = customer;
    return Status::Ok();
  }
  Status OnOrder(const Order& order) override {
    ++order_calls;
    auto& slot = orders[order.entity_id];
    if (order.updated_at_ms >= slot.updated_at_ms) slot = order;
    return Status::Ok();
  }
  Status OnRefund(const CreditMemo& refund) override {
    ++refund_calls;
    refunds[refund.entity_id] = refund;
    return Status::Ok();
  }
  void OnProgress(std::string_view stage, int64_t done, int64_t total) override {
    progress.push_back(std::string(stage) + " " + std::to_string(done) + "/" +
                       std::to_string(total));
  }
  int catalog_calls = 0;
  int order_calls = 0;
  int refund_calls = 0;
  std::map<std::string, v1::CatalogItem> catalog;
  std::map<int64_t, Customer> customers;
  std::map<int64_t, Order> orders;
  std::map<int64_t, CreditMemo> refunds;
  std::vector<std::string> progress;
};

struct Harness {
  FakeMagento fake;
  std::unique_ptr<adapters::HttpClient> transport = adapters::NewCurlHttpClient();
  std::vector<int64_t> sleeps;
  RestOptions Options() {
    RestOptions o;
    o.base_url = fake.url();
    o.bearer_token = "tok";
    o.sleep = [this](int64_t ms) { sleeps.push_back(ms); };
    return o;
  }
};

std::string OrderJson(int64_t id, const std::string& updated_at, const std::string& state = "new") {
  return "{\"entity_id\":" + std::to_string(id) + ",\"increment_id\":\"" +
         std::to_string(100000000 + id) + "\",\"state\":\"" + state +
         "\",\"status\":\"pending\",\"customer_id\":" + std::to_string(id % 97 + 1) +
         ",\"customer_is_guest\":0,\"order_currency_code\":\"USD\",\"grand_total\":12.5,"
         "\"created_at\":\"2024-01-01 00:00:00\",\"updated_at\":\"" +
         updated_at + "\",\"items\":[{\"item_id\":" + std::to_string(id * 10) +
         ",\"product_id\":" + std::to_string(id % 500 + 1) + ",\"sku\":\"SKU-" +
         std::to_string(id % 500 + 1) + "\",\"price\":12.5,\"qty_ordered\":1}]}";
}

FakeRow OrderRow(int64_t id, const std::string& updated_at, const std::string& state = "new") {
  return FakeRow{id, updated_at, OrderJson(id, updated_at, state)};
}

FakeRow ProductRow(int64_t id, const std::string& updated_at) {
  return FakeRow{id, updated_at,
                 "{\"id\":" + std::to_string(id) + ",\"sku\":\"SKU-" + std::to_string(id) +
                     "\",\"name\":\"Product " + std::to_string(id) +
                     "\",\"price\":19.99,\"status\":1,\"visibility\":4,\"type_id\":\"simple\","
                     "\"updated_at\":\"" +
                     updated_at +
                     "\",\"extension_attributes\":{\"stock_item\":{\"qty\":5,\"is_in_stock\":true},"
                     "\"category_links\":[{\"category_id\":\"4\"}]},\"custom_attributes\":[{"
                     "\"attribute_code\":\"url_key\",\"value\":\"p-" +
                     std::to_string(id) + "\"}]}"};
}

FakeRow CustomerRow(int64_t id, const std::string& updated_at) {
  return FakeRow{id, updated_at,
                 "{\"id\":" + std::to_string(id) + ",\"email\":\"c" + std::to_string(id) +
                     "@example.com\",\"firstname\":\"C\",\"lastname\":\"" + std::to_string(id) +
                     "\",\"created_at\":\"2023-01-01 00:00:00\",\"updated_at\":\"" + updated_at +
                     "\"}"};
}

void LoadFixtureShop(FakeMagento& fake) {
  auto categories = FixtureResponse("cif/sample-categories-list.json");
  auto configurable =
      FixtureResponse("docs/tutorials__configurable-product__create-configurable-product.0.json");
  auto simple =
      FixtureResponse("docs/tutorials__configurable-product__create-simple-products.0.json");
  auto customers = FixtureResponse("docs-search-responses/get-started__gs-web-api-request.1.json");
  auto cif_customer = FixtureResponse("cif/sample-customer.json");
  auto order = FixtureResponse("docs/tutorials__orders__order-create-order.1.json");
  ASSERT_TRUE(categories && configurable && simple && customers && cif_customer && order);
  std::vector<FakeRow> rows;
  for (const auto& c : categories->Find("items")->items())
    rows.push_back(testing::RowFrom(c, "id"));
  fake.SetRows("V1/categories/list", rows);
  fake.SetRows("V1/products",
               {testing::RowFrom(*configurable, "id"), testing::RowFrom(*simple, "id")});
  rows.clear();
  for (const auto& c : customers->Find("items")->items()) rows.push_back(testing::RowFrom(c, "id"));
  rows.push_back(testing::RowFrom(*cif_customer, "id"));
  fake.SetRows("V1/customers/search", rows);
  fake.SetRows("V1/orders", {testing::RowFrom(*order, "entity_id")});
}

TEST(MagentoImportTest, FixtureShopImportsThroughTheRestApi) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  Harness h;
  h.fake.SetToken("tok");
  LoadFixtureShop(h.fake);
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  ImportReport report;
  ASSERT_TRUE(Import(client, {}, sink, &report).ok());
  EXPECT_EQ(h.fake.last_authorization(), "Bearer tok");
  EXPECT_EQ(report.categories, 21);
  EXPECT_EQ(report.products, 2);
  // The simple product is "not visible individually" and no parent links it: only the
  // configurable is a catalog item.
  ASSERT_EQ(sink.catalog.size(), 1u);
  const v1::CatalogItem& tee = sink.catalog.at("2078");
  EXPECT_EQ(tee.title(), "Champ Tee");
  EXPECT_EQ(tee.category(), "Equipment/Water Sports");
  EXPECT_EQ(tee.currency(), "USD");
  ASSERT_EQ(sink.orders.size(), 1u);
  EXPECT_EQ(sink.orders.at(3).event.order().order_id(), "000000003");
  EXPECT_GE(sink.customers.size(), 2u);
  EXPECT_EQ(report.watermark_ms, ParseMagentoTime("2018-09-22 06:32:50"));
  // Every search was sorted by entity_id and no page was asked for past the end.
  for (const std::string& target : h.fake.targets()) {
    if (target.find("searchCriteria") == std::string::npos) continue;
    EXPECT_NE(target.find("sortOrders%5D%5B0%5D%5Bfield%5D=entity_id"), std::string::npos)
        << target;
  }
  EXPECT_EQ(h.fake.pages_past_end(), 0);
  EXPECT_FALSE(sink.progress.empty());
}

TEST(MagentoImportTest, StopsByTotalCountWhenMagentoRepeatsTheLastPage) {
  Harness h;
  std::vector<FakeRow> orders;
  for (int64_t id = 1; id <= 600; ++id) orders.push_back(OrderRow(id, "2024-02-01 00:00:00"));
  h.fake.SetRows("V1/orders", orders);
  RestClient client(h.Options(), h.transport.get());
  int pages = 0;
  std::set<std::string> seen;
  ASSERT_TRUE(client
                  .SearchAll(
                      "V1/orders", {}, "entity_id", "entity_id",
                      [&](const JsonValue& row) {
                        seen.insert(row.Find("entity_id")->AsDecimalText().value_or(""));
                      },
                      [&](const SearchProgress&) { ++pages; })
                  .ok());
  EXPECT_EQ(seen.size(), 600u);
  EXPECT_EQ(pages, 2);  // exactly 2 x 300: no third request that would repeat page 2
  EXPECT_EQ(h.fake.pages_past_end(), 0);

  // A page size that does not divide the total: the short last page ends it.
  RestOptions small = h.Options();
  small.page_size = 250;
  RestClient client250(small, h.transport.get());
  seen.clear();
  ASSERT_TRUE(client250
                  .SearchAll("V1/orders", {}, "entity_id", "entity_id",
                             [&](const JsonValue& row) {
                               seen.insert(row.Find("entity_id")->AsDecimalText().value_or(""));
                             })
                  .ok());
  EXPECT_EQ(seen.size(), 600u);
  EXPECT_EQ(h.fake.pages_past_end(), 0);
}

TEST(MagentoImportTest, RepeatedLastPageIsNotImportedTwiceEvenWhenTotalCountLies) {
  Harness h;
  std::vector<FakeRow> orders;
  for (int64_t id = 1; id <= 400; ++id) orders.push_back(OrderRow(id, "2024-02-01 00:00:00"));
  h.fake.SetRows("V1/orders", orders);
  // total_count can be stale (rows deleted between pages); simulate by a page-size-aligned walk
  // that would reach past the end: the client stops when a page adds nothing new.
  RestOptions o = h.Options();
  o.page_size = 100;
  RestClient client(o, h.transport.get());
  int rows = 0;
  ASSERT_TRUE(
      client.SearchAll("V1/orders", {}, "entity_id", "entity_id", [&](const JsonValue&) { ++rows; })
          .ok());
  EXPECT_EQ(rows, 400);
}

TEST(MagentoImportTest, UnsortedSearchesWouldLoseRowsSoTheClientAlwaysSorts) {
  Harness h;
  std::vector<FakeRow> orders;
  for (int64_t id = 1; id <= 900; ++id) orders.push_back(OrderRow(id, "2024-02-01 00:00:00"));
  h.fake.SetRows("V1/orders", orders);
  RestClient client(h.Options(), h.transport.get());
  // Without sortOrders (the fake shuffles like an unstable query plan) pages overlap.
  std::set<std::string> unsorted;
  ASSERT_TRUE(client
                  .SearchAll("V1/orders", {}, "", "entity_id",
                             [&](const JsonValue& row) {
                               unsorted.insert(row.Find("entity_id")->AsDecimalText().value_or(""));
                             })
                  .ok());
  EXPECT_LT(unsorted.size(), 900u);
  // The importer's way: sorted by entity_id, every row exactly once.
  CollectingSink sink;
  ImportOptions options;
  options.products = false;
  options.customers = false;
  ASSERT_TRUE(Import(client, options, sink, nullptr).ok());
  EXPECT_EQ(sink.orders.size(), 900u);
  EXPECT_EQ(sink.order_calls, 900);
}

TEST(MagentoImportTest, ThrottlingAndServerErrorsAreRetriedWithBackoff) {
  Harness h;
  h.fake.SetRows("V1/orders", {OrderRow(1, "2024-02-01 00:00:00")});
  h.fake.FailNext({{429, "2.0"}, {429, ""}, {503, ""}, {429, "0.5"}});
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  ImportOptions options;
  options.products = false;
  options.customers = false;
  ASSERT_TRUE(Import(client, options, sink, nullptr).ok());
  EXPECT_EQ(sink.orders.size(), 1u);
  // Retry-After when given (decimal seconds too), else exponential backoff from 1 s.
  EXPECT_EQ(h.sleeps, (std::vector<int64_t>{2000, 2000, 4000, 500}));
  EXPECT_EQ(client.stats().throttled, 3);
  EXPECT_EQ(client.stats().server_errors, 1);
  EXPECT_EQ(client.stats().retries, 4);
}

TEST(MagentoImportTest, GivesUpAfterMaxAttempts) {
  Harness h;
  h.fake.SetRows("V1/orders", {OrderRow(1, "2024-02-01 00:00:00")});
  h.fake.FailNext({{503, ""}, {503, ""}, {503, ""}});
  RestOptions o = h.Options();
  o.max_attempts = 3;
  RestClient client(o, h.transport.get());
  auto r = client.Get("V1/orders?x=1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().kind(), Status::Kind::kUnavailable);
  EXPECT_EQ(h.fake.requests(), 3);
}

TEST(MagentoImportTest, RefusedBearerTokenExplainsThe244Setting) {
  Harness h;
  h.fake.SetToken("the-right-one");
  h.fake.SetRows("V1/orders", {OrderRow(1, "2024-02-01 00:00:00")});
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  Status s = Import(client, {}, sink, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), Status::Kind::kUnauthorized);
  EXPECT_NE(s.message().find("2.4.4"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("isn't authorized"), std::string::npos) << s.message();
  EXPECT_EQ(h.fake.requests(), 1);  // a 401 is not retried
}

TEST(MagentoImportTest, OAuthSignedRequestsCarryAnHmacSha256Signature) {
  Harness h;
  h.fake.SetToken("unused-bearer");
  h.fake.SetRows("V1/orders", {OrderRow(1, "2024-02-01 00:00:00")});
  RestOptions o = h.Options();
  o.bearer_token.clear();
  o.oauth = {"ck", "cs", "at", "as"};
  o.nonce = [] { return std::string("n0nce"); };
  o.now_s = [] { return int64_t{1700000000}; };
  RestClient client(o, h.transport.get());
  ASSERT_TRUE(client.Get("V1/store/storeConfigs").ok());
  const std::string auth = h.fake.last_authorization();
  EXPECT_TRUE(auth.starts_with("OAuth ")) << auth;
  EXPECT_NE(auth.find("oauth_signature_method=\"HMAC-SHA256\""), std::string::npos);
  EXPECT_NE(auth.find("oauth_token=\"at\""), std::string::npos);
  EXPECT_EQ(auth, OAuth1Header("GET", client.Url("V1/store/storeConfigs"), {}, o.oauth, "n0nce",
                               1700000000));
}

TEST(MagentoImportTest, IncrementalSyncFiltersByUpdatedAtAndReportsTheWatermark) {
  Harness h;
  h.fake.SetRows("V1/orders",
                 {OrderRow(1, "2024-01-01 10:00:00"), OrderRow(2, "2024-03-01 10:00:00"),
                  OrderRow(3, "2024-03-05 12:30:00", "canceled")});
  h.fake.SetRows("V1/customers/search",
                 {CustomerRow(1, "2023-05-01 00:00:00"), CustomerRow(2, "2024-03-02 00:00:00")});
  h.fake.SetRows("V1/products",
                 {ProductRow(1, "2023-01-01 00:00:00"), ProductRow(2, "2024-04-01 00:00:00")});
  h.fake.SetRows("V1/categories/list", {});
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  ImportOptions options;
  options.updated_since_ms = ParseMagentoTime("2024-03-01 00:00:00");
  ImportReport report;
  ASSERT_TRUE(Import(client, options, sink, &report).ok());
  EXPECT_EQ(sink.orders.size(), 2u);
  EXPECT_EQ(sink.orders.at(3).event.type(), "order_cancelled");
  EXPECT_EQ(sink.customers.size(), 1u);
  EXPECT_EQ(sink.catalog.size(), 1u);
  EXPECT_EQ(sink.catalog.at("2").url(), "https://shop.example/p-2.html");
  EXPECT_EQ(report.watermark_ms, ParseMagentoTime("2024-04-01 00:00:00"));
  bool filtered = false;
  for (const auto& t : h.fake.targets()) {
    filtered |= t.find("%5Bvalue%5D=2024-03-01%2000%3A00%3A00") != std::string::npos;
  }
  EXPECT_TRUE(filtered);
}

TEST(MagentoImportTest, MsiSourceItemsOverrideLegacyStock) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  Harness h;
  auto sources =
      FixtureResponse("docs-search-responses/rest__inventory__manage-source-items.2.json");
  ASSERT_TRUE(sources);
  std::vector<FakeRow> rows;
  int64_t n = 0;
  for (const auto& s : sources->Find("items")->items()) {
    FakeRow row = testing::RowFrom(s, "");
    row.id = ++n;
    rows.push_back(row);
  }
  h.fake.SetRows("V1/inventory/source-items", rows);
  FakeRow product = ProductRow(7, "2024-01-01 00:00:00");
  const std::string from = "\"sku\":\"SKU-7\"";
  product.json.replace(product.json.find(from), from.size(), "\"sku\":\"new_product2\"");
  h.fake.SetRows("V1/products", {product});
  h.fake.SetRows("V1/categories/list", {});
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  ImportOptions options;
  options.msi_stock = true;
  options.customers = false;
  options.orders = false;
  ASSERT_TRUE(Import(client, options, sink, nullptr).ok());
  EXPECT_EQ(sink.catalog.at("7").stock(), 750);  // central 500 + east 250
}

FakeRow MemoRow(int64_t id, int64_t order_id, const std::string& updated_at, int qty,
                const std::string& grand_total, int state = 2) {
  // The row of OrderJson(order_id): item id order_id * 10, product order_id % 500 + 1.
  return FakeRow{
      id, updated_at,
      "{\"entity_id\":" + std::to_string(id) + ",\"order_id\":" + std::to_string(order_id) +
          ",\"increment_id\":\"9" + std::to_string(id) + "\",\"state\":" + std::to_string(state) +
          ",\"grand_total\":" + grand_total + ",\"order_currency_code\":\"USD\",\"created_at\":\"" +
          updated_at + "\",\"updated_at\":\"" + updated_at + "\",\"items\":[{\"entity_id\":" +
          std::to_string(id * 10) + ",\"order_item_id\":" + std::to_string(order_id * 10) +
          ",\"product_id\":" + std::to_string(order_id % 500 + 1) + ",\"sku\":\"SKU-" +
          std::to_string(order_id % 500 + 1) + "\",\"price\":12.5,\"qty\":" + std::to_string(qty) +
          "}]}"};
}

TEST(MagentoImportTest, CreditMemosBecomeRefundsOfTheirOrdersBuyerOncePerMemo) {
  Harness h;
  h.fake.SetRows("V1/orders",
                 {OrderRow(1, "2024-02-01 00:00:00"), OrderRow(2, "2024-02-01 00:00:00"),
                  OrderRow(3, "2024-02-01 00:00:00")});
  h.fake.SetRows("V1/creditmemos",
                 {MemoRow(10, 2, "2024-02-05 00:00:00", 1, "12.5"),
                  MemoRow(11, 3, "2024-02-06 00:00:00", 1, "12.5", /*state=*/3),  // canceled
                  MemoRow(12, 1, "2024-02-07 00:00:00", 0, "5")});                // adjustment only
  RestClient client(h.Options(), h.transport.get());
  ImportOptions options;
  options.products = false;
  options.customers = false;
  CollectingSink sink;
  ImportReport report;
  ASSERT_TRUE(Import(client, options, sink, &report).ok());
  EXPECT_EQ(report.orders, 3);
  EXPECT_EQ(report.refunds, 2);
  EXPECT_EQ(report.skipped, 1);  // the canceled memo
  ASSERT_EQ(sink.refunds.size(), 2u);
  const v1::Event& refund = sink.refunds.at(10).event;
  EXPECT_EQ(refund.type(), "order_refunded");
  EXPECT_EQ(refund.order().order_id(), "100000002");  // the order's increment id
  EXPECT_EQ(refund.user_id(), sink.orders.at(2).event.user_id());
  EXPECT_EQ(refund.anonymous_id(), sink.orders.at(2).event.anonymous_id());
  EXPECT_EQ(refund.order().value_micros(), 12500000);
  ASSERT_EQ(refund.products_size(), 1);
  EXPECT_EQ(refund.products(0).product_id(), "3");
  EXPECT_EQ(sink.refunds.at(12).event.properties().at("magento_refund"), "adjustment");
  EXPECT_EQ(sink.refunds.at(12).event.order().value_micros(), 5000000);
  EXPECT_EQ(report.watermark_ms, ParseMagentoTime("2024-02-07 00:00:00"));
  // Found through this run's orders: no extra order lookups.
  for (const std::string& t : h.fake.targets()) {
    EXPECT_EQ(t.find("condition_type%5D=in"), std::string::npos) << t;
  }

  // Imported again: the same events (the ingest service stores them once).
  CollectingSink again;
  ASSERT_TRUE(Import(client, options, again, nullptr).ok());
  EXPECT_EQ(again.refunds.at(10).event.event_id(), refund.event_id());
  EXPECT_NE(refund.event_id(), sink.orders.at(2).event.event_id());

  // Incremental: the memo is new, its order is not; the order is looked up by entity_id.
  h.fake.AddRow("V1/creditmemos", MemoRow(13, 1, "2024-03-02 00:00:00", 1, "12.5"));
  h.fake.AddRow("V1/creditmemos", MemoRow(14, 404, "2024-03-03 00:00:00", 1, "12.5"));
  options.updated_since_ms = ParseMagentoTime("2024-03-01 00:00:00");
  CollectingSink incremental;
  ImportReport inc_report;
  ASSERT_TRUE(Import(client, options, incremental, &inc_report).ok());
  EXPECT_EQ(inc_report.orders, 0);
  ASSERT_EQ(incremental.refunds.size(), 1u);
  EXPECT_EQ(incremental.refunds.at(13).event.order().order_id(), "100000001");
  EXPECT_EQ(incremental.refunds.at(13).event.user_id(), sink.orders.at(1).event.user_id());
  EXPECT_EQ(inc_report.skipped, 1);  // memo 14: its order no longer exists
  int lookups = 0;
  for (const std::string& t : h.fake.targets()) {
    if (t.find("condition_type%5D=in") != std::string::npos) {
      ++lookups;
      EXPECT_NE(t.find("%5Bvalue%5D=1%2C404"), std::string::npos) << t;
    }
  }
  EXPECT_EQ(lookups, 1);  // both orders in one search
}

constexpr const char* kTwoStoreViews =
    R"([{"id":1,"code":"default","website_id":1,"base_currency_code":"USD",)"
    R"("secure_base_link_url":"https://shop.example/",)"
    R"("secure_base_media_url":"https://shop.example/media/"},)"
    R"({"id":2,"code":"fr","website_id":2,"base_currency_code":"EUR",)"
    R"("secure_base_link_url":"https://shop.example/fr/",)"
    R"("secure_base_media_url":"https://shop.example/media/"}])";

TEST(MagentoImportTest, StoreCodePicksTheCatalogsViewAndOrdersKeepTheirOwnCurrency) {
  Harness h;
  h.fake.SetStoreConfigs(kTwoStoreViews);
  h.fake.SetRows("V1/categories/list", {});
  FakeRow tee = ProductRow(1, "2024-01-01 00:00:00");
  FakeRow tshirt = tee;
  tshirt.json.replace(tshirt.json.find("Product 1"), 9, "T-shirt");
  tshirt.json.replace(tshirt.json.find("19.99"), 5, "17.50");
  h.fake.SetRows("V1/products", {tee});
  h.fake.SetStoreRows("fr", "V1/products", {tshirt});
  // One order per view, neither with an order currency: the view's base currency applies.
  std::string fr_order = OrderJson(5, "2024-02-01 00:00:00");
  fr_order.replace(fr_order.find("\"order_currency_code\":\"USD\","), 28, "\"store_id\":2,");
  std::string us_order = OrderJson(6, "2024-02-01 00:00:00");
  us_order.replace(us_order.find("\"order_currency_code\":\"USD\","), 28, "\"store_id\":1,");
  h.fake.SetRows("V1/orders",
                 {{5, "2024-02-01 00:00:00", fr_order}, {6, "2024-02-01 00:00:00", us_order}});
  ImportOptions options;
  options.customers = false;

  RestOptions fr = h.Options();
  fr.store_code = "fr";
  RestClient fr_client(fr, h.transport.get());
  CollectingSink fr_sink;
  ASSERT_TRUE(Import(fr_client, options, fr_sink, nullptr).ok());
  ASSERT_EQ(fr_sink.catalog.size(), 1u);
  EXPECT_EQ(fr_sink.catalog.at("1").title(), "T-shirt");
  EXPECT_EQ(fr_sink.catalog.at("1").price_micros(), 17500000);
  EXPECT_EQ(fr_sink.catalog.at("1").currency(), "EUR");
  EXPECT_EQ(fr_sink.catalog.at("1").url(), "https://shop.example/fr/p-1.html");
  for (const std::string& t : h.fake.targets()) EXPECT_TRUE(t.starts_with("/rest/fr/V1/")) << t;
  // Orders of every view, each in its view's currency.
  ASSERT_EQ(fr_sink.orders.size(), 2u);
  EXPECT_EQ(fr_sink.orders.at(5).event.order().currency(), "EUR");
  EXPECT_EQ(fr_sink.orders.at(5).event.properties().at("magento_store_id"), "2");
  EXPECT_EQ(fr_sink.orders.at(6).event.order().currency(), "USD");
  EXPECT_EQ(fr_sink.orders.at(6).event.products(0).currency(), "USD");

  // The default view's catalog stays the default view's.
  RestClient us_client(h.Options(), h.transport.get());
  CollectingSink us_sink;
  ASSERT_TRUE(Import(us_client, options, us_sink, nullptr).ok());
  EXPECT_EQ(us_sink.catalog.at("1").title(), "Product 1");
  EXPECT_EQ(us_sink.catalog.at("1").currency(), "USD");
  EXPECT_EQ(us_sink.catalog.at("1").url(), "https://shop.example/p-1.html");

  // A store code the shop does not have is refused before anything is imported.
  RestOptions de = h.Options();
  de.store_code = "de";
  RestClient de_client(de, h.transport.get());
  CollectingSink de_sink;
  Status s = Import(de_client, options, de_sink, nullptr);
  EXPECT_EQ(s.kind(), Status::Kind::kNotFound);
  EXPECT_NE(s.message().find("default, fr"), std::string::npos) << s.message();
  EXPECT_TRUE(de_sink.catalog.empty());
  EXPECT_TRUE(de_sink.orders.empty());
}

// Issue 6, "must show" 4: a 10,000-product / 50,000-order shop, throttled by the fake every 25th
// request; reports requests/s and the 429s received.
TEST(MagentoImportTest, LargeShopThroughputUnderRateLimits) {
  Harness h;
  std::vector<FakeRow> products, orders;
  for (int64_t id = 1; id <= 10000; ++id) products.push_back(ProductRow(id, "2024-01-01 00:00:00"));
  // Out-of-order duplicates would be a fake's bug; Magento's are the repeated last page.
  for (int64_t id = 1; id <= 50000; ++id) orders.push_back(OrderRow(id, "2024-02-01 00:00:00"));
  h.fake.SetRows("V1/products", std::move(products));
  h.fake.SetRows("V1/orders", std::move(orders));
  h.fake.SetRows("V1/categories/list", {});
  h.fake.SetRows("V1/customers/search", {});
  h.fake.ThrottleEvery(25, "1.5");
  RestClient client(h.Options(), h.transport.get());
  CollectingSink sink;
  ImportReport report;
  ASSERT_TRUE(Import(client, {}, sink, &report).ok());
  EXPECT_EQ(sink.catalog.size(), 10000u);
  EXPECT_EQ(sink.orders.size(), 50000u);
  EXPECT_EQ(sink.order_calls, 50000);  // no order twice, none missing
  EXPECT_EQ(report.http.throttled, h.fake.served_429());
  EXPECT_GT(report.http.throttled, 0);
  // Every 429 was waited out for its Retry-After (1.5 s, on the injected sleeper).
  EXPECT_EQ(report.http.waited_ms, report.http.throttled * 1500);
  EXPECT_EQ(h.fake.pages_past_end(), 0);
  std::printf(
      "[ magento import ] 10000 products + 50000 orders: %lld requests, %lld x 429, "
      "%.2f s wall (%.1f requests/s, %.0f orders/s), %.1f s of Retry-After waits "
      "(injected sleeper)\n",
      static_cast<long long>(report.http.requests), static_cast<long long>(report.http.throttled),
      report.seconds, static_cast<double>(report.http.requests) / report.seconds,
      50000.0 / report.seconds, static_cast<double>(report.http.waited_ms) / 1000.0);
}

}  // namespace
}  // namespace vitrine::magento
