// Magento REST objects (Adobe's documented payloads) mapped onto the server's types.
#include "platform_adapters/magento/records.h"

#include <gtest/gtest.h>

#include "platform_adapters/magento/rest_client.h"
#include "tests/platform_adapters/magento/fake_magento.h"

namespace vitrine::magento {
namespace {

using testing::FixtureResponse;

JsonValue Parse(std::string_view text) {
  auto parsed = shopify::ParseJson(text);
  EXPECT_TRUE(parsed.ok()) << parsed.error;
  return parsed.ok() ? *parsed.value : JsonValue();
}

StoreContext Store() {
  StoreContext store;
  store.base_url = "https://shop.example/";
  store.media_url = "https://shop.example/media/";
  store.currency = "USD";
  return store;
}

TEST(MagentoTimeTest, UtcWithoutZoneRoundTrips) {
  EXPECT_EQ(ParseMagentoTime("2017-08-21 22:22:19"), int64_t{1503354139} * 1000);
  EXPECT_EQ(ParseMagentoTime("2017-08-21T22:22:19Z"), int64_t{1503354139} * 1000);
  EXPECT_EQ(ParseMagentoTime("2017-08-21 22:22:19.250"), int64_t{1503354139} * 1000 + 250);
  EXPECT_EQ(FormatMagentoTime(int64_t{1503354139} * 1000), "2017-08-21 22:22:19");
  EXPECT_EQ(FormatMagentoTime(0), "1970-01-01 00:00:00");
  EXPECT_FALSE(ParseMagentoTime("2017-08-21 22:22:19+02:00"));  // not what Magento writes
  EXPECT_FALSE(ParseMagentoTime("2017-13-21 22:22:19"));
  EXPECT_FALSE(ParseMagentoTime("yesterday"));
}

TEST(MagentoRecordsTest, DocumentedOrderBecomesOneOrderCompletedEvent) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  auto order_json = FixtureResponse("docs/tutorials__orders__order-create-order.1.json");
  ASSERT_TRUE(order_json);
  auto order = MapOrder(*order_json, Store());
  ASSERT_TRUE(order);
  EXPECT_EQ(order->entity_id, 3);
  EXPECT_EQ(order->increment_id, "000000003");
  EXPECT_EQ(order->state, "new");
  EXPECT_EQ(order->status, "pending");
  EXPECT_EQ(order->customer_id, 3);
  EXPECT_EQ(order->updated_at_ms, ParseMagentoTime("2017-08-21 22:22:20"));
  const v1::Event& e = order->event;
  EXPECT_EQ(e.type(), "order_completed");
  EXPECT_EQ(e.event_id().size(), 16u);
  EXPECT_EQ(e.occurred_at_ms(), int64_t{1503354139} * 1000);
  EXPECT_EQ(e.user_id(), "magento:3");
  EXPECT_EQ(e.anonymous_id(), "magento:customer:3");
  EXPECT_EQ(e.order().order_id(), "000000003");
  EXPECT_EQ(e.order().value_micros(), 165000000);
  EXPECT_EQ(e.order().shipping_micros(), 5000000);
  EXPECT_EQ(e.order().currency(), "USD");
  ASSERT_GE(e.products_size(), 1);
  EXPECT_EQ(e.products(0).product_id(), "1553");
  EXPECT_EQ(e.products(0).sku(), "WS12-M-Orange");
  EXPECT_EQ(e.products(0).price_micros(), 22000000);
  EXPECT_EQ(e.products(0).quantity(), 1);
  // The same order mapped twice is the same event (import + notification dedup).
  EXPECT_EQ(MapOrder(*order_json, Store())->event.event_id(), e.event_id());
}

TEST(MagentoRecordsTest, ConfigurableOrderRowsKeepTheParentWithTheChildAsVariant) {
  auto json = Parse(R"({"entity_id": 9, "increment_id": "000000009", "state": "canceled",
    "customer_is_guest": 1, "customer_email": "Guest@Example.com", "order_currency_code": "EUR",
    "grand_total": 1917.6, "created_at": "2020-07-23 16:59:20", "updated_at": "2020-07-24 08:00:00",
    "items": [
      {"item_id": 20, "product_id": 67, "sku": "MH01-S-Gray", "name": "Chaz Hoodie",
       "price": 52, "qty_ordered": 2, "product_type": "configurable"},
      {"item_id": 21, "parent_item_id": 20, "product_id": 56, "sku": "MH01-S-Gray",
       "price": 0, "qty_ordered": 2, "product_type": "simple"}]})");
  auto order = MapOrder(json, Store());
  ASSERT_TRUE(order);
  EXPECT_FALSE(order->customer_id);
  const v1::Event& e = order->event;
  EXPECT_EQ(e.type(), "order_cancelled");
  EXPECT_EQ(e.occurred_at_ms(), ParseMagentoTime("2020-07-24 08:00:00"));
  EXPECT_TRUE(e.user_id().empty());
  EXPECT_EQ(e.anonymous_id(), AnonymousIdForGuest("guest@example.com"));
  EXPECT_EQ(e.order().value_micros(), 1917600000);
  EXPECT_EQ(e.order().currency(), "EUR");
  ASSERT_EQ(e.products_size(), 1);
  EXPECT_EQ(e.products(0).product_id(), "67");
  EXPECT_EQ(e.products(0).variant_id(), "56");
  EXPECT_EQ(e.products(0).quantity(), 2);
  EXPECT_EQ(e.products(0).price_micros(), 52000000);
}

TEST(MagentoRecordsTest, DocumentedProductWithStockCategoryAndUrl) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  auto product_json =
      FixtureResponse("docs/tutorials__configurable-product__create-simple-products.0.json");
  auto categories_json = FixtureResponse("cif/sample-categories-list.json");
  ASSERT_TRUE(product_json && categories_json);
  std::vector<Category> categories;
  for (const JsonValue& row : categories_json->Find("items")->items()) {
    if (auto c = MapCategory(row)) categories.push_back(*c);
  }
  StoreContext store = Store();
  store.category_paths = CategoryPaths(categories);
  EXPECT_EQ(store.category_paths.at(11), "Equipment/Water Sports");
  EXPECT_EQ(store.category_paths.at(16), "Men/Pants");
  EXPECT_EQ(store.category_paths.at(3), "Equipment");

  auto product = MapProduct(*product_json, store);
  ASSERT_TRUE(product);
  EXPECT_EQ(product->id, 2079);
  EXPECT_EQ(product->sku, "MS-Champ-S");
  EXPECT_EQ(product->visibility, 1);
  EXPECT_EQ(product->qty, 10);
  EXPECT_EQ(product->item.product_id(), "2079");
  EXPECT_EQ(product->item.title(), "Champ Tee Small");
  EXPECT_EQ(product->item.price_micros(), 25000000);
  EXPECT_EQ(product->item.stock(), 10);
  EXPECT_EQ(product->item.category(), "Equipment/Water Sports");
  EXPECT_EQ(product->item.currency(), "USD");
}

TEST(MagentoRecordsTest, MediaAndUrlKeyBecomeAbsoluteUrls) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  auto media = FixtureResponse("docs/tutorials__image__list.0.json");
  ASSERT_TRUE(media);
  std::string json = R"({"id": 1, "sku": "MJ03", "name": "Jacket", "price": "99.9",
    "custom_attributes": [{"attribute_code": "url_key", "value": "mj03-jacket"}],
    "media_gallery_entries": )" +
                     testing::ToJson(*media) + "}";
  auto product = MapProduct(Parse(json), Store());
  ASSERT_TRUE(product);
  EXPECT_EQ(product->item.image_url(),
            "https://shop.example/media/catalog/product/m/j/mj03-black_main_1.jpg");
  EXPECT_EQ(product->item.url(), "https://shop.example/mj03-jacket.html");
  EXPECT_EQ(product->item.price_micros(), 99900000);
  EXPECT_EQ(product->item.stock(), 1);  // no stock information: available
}

TEST(MagentoRecordsTest, DocumentedCustomersBecomeIdentifyEvents) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  auto search = FixtureResponse("docs-search-responses/get-started__gs-web-api-request.1.json");
  ASSERT_TRUE(search);
  const JsonValue& row = search->Find("items")->items().at(0);
  auto customer = magento::MapCustomer(row);
  ASSERT_TRUE(customer);
  EXPECT_EQ(customer->id, 1);
  EXPECT_EQ(customer->email, "roni_cost@example.com");
  EXPECT_EQ(customer->event.type(), "identify");
  EXPECT_EQ(customer->event.user_id(), "magento:1");
  EXPECT_EQ(customer->event.traits().at("email"), "roni_cost@example.com");
  EXPECT_EQ(customer->event.traits().at("first_name"), "Veronica");
  EXPECT_EQ(customer->event.occurred_at_ms(), ParseMagentoTime("2018-09-22 06:32:50"));
  auto cif = FixtureResponse("cif/sample-customer.json");
  ASSERT_TRUE(cif);
  EXPECT_TRUE(magento::MapCustomer(*cif));
  EXPECT_FALSE(magento::MapCustomer(Parse(R"({"email": "no-id@example.com"})")));
}

TEST(MagentoRecordsTest, ConfigurableChildrenFoldIntoTheirParent) {
  const StoreContext store = Store();
  auto parent = MapProduct(Parse(R"({"id": 10, "sku": "TEE", "name": "Tee", "price": 0,
      "type_id": "configurable", "visibility": 4,
      "extension_attributes": {"configurable_product_links": [11, 12, 13],
        "stock_item": {"qty": 0, "is_in_stock": true}}})"),
                           store);
  auto small = MapProduct(Parse(R"({"id": 11, "sku": "TEE-S", "price": 25, "visibility": 1,
      "extension_attributes": {"stock_item": {"qty": 10, "is_in_stock": true}}})"),
                          store);
  auto medium = MapProduct(Parse(R"({"id": 12, "sku": "TEE-M", "price": 23, "visibility": 1,
      "extension_attributes": {"stock_item": {"qty": "4.0000", "is_in_stock": true}}})"),
                           store);
  auto large = MapProduct(Parse(R"({"id": 13, "sku": "TEE-L", "price": 20, "visibility": 1,
      "status": 2, "extension_attributes": {"stock_item": {"qty": 50, "is_in_stock": true}}})"),
                          store);
  auto orphan = MapProduct(Parse(R"({"id": 14, "sku": "X", "price": 1, "visibility": 1})"), store);
  auto mug = MapProduct(Parse(R"({"id": 5, "sku": "MUG", "price": 7.5,
      "extension_attributes": {"stock_item": {"qty": 3, "is_in_stock": false}}})"),
                        store);
  ASSERT_TRUE(parent && small && medium && large && orphan && mug);
  auto catalog = BuildCatalog({*parent, *small, *medium, *large, *orphan, *mug});
  ASSERT_EQ(catalog.size(), 2u);
  EXPECT_EQ(catalog[0].product_id(), "5");
  EXPECT_EQ(catalog[0].stock(), 0);  // is_in_stock false wins over qty
  EXPECT_EQ(catalog[1].product_id(), "10");
  EXPECT_EQ(catalog[1].stock(), 14);               // enabled children only
  EXPECT_EQ(catalog[1].price_micros(), 23000000);  // lowest enabled child
}

// No credit memo in Adobe's documentation examples; the documented invoice of order 3 has the
// credit memo's shape (the schema's creditmemo and invoice objects share these fields: entity_id,
// order_id, state 2, grand_total, shipping_amount, items with order_item_id/product_id/sku/price/
// qty), so read as a credit memo it is a full refund of order 3.
TEST(MagentoRecordsTest, CreditMemoBecomesOneOrderRefundedForTheOrdersBuyer) {
  VITRINE_REQUIRE_MAGENTO_FIXTURES();
  auto order_json = FixtureResponse("docs/tutorials__orders__order-create-order.1.json");
  auto memo_json = FixtureResponse("docs/tutorials__orders__order-create-invoice.1.json");
  ASSERT_TRUE(order_json && memo_json);
  auto order = MapOrder(*order_json, Store());
  ASSERT_TRUE(order);
  auto memo = MapCreditMemo(*memo_json, RefOf(*order), Store());
  ASSERT_TRUE(memo);
  EXPECT_EQ(memo->entity_id, 3);
  EXPECT_EQ(memo->order_entity_id, 3);
  const v1::Event& e = memo->event;
  EXPECT_EQ(e.type(), "order_refunded");
  EXPECT_EQ(e.event_id().size(), 16u);
  EXPECT_NE(e.event_id(), order->event.event_id());
  EXPECT_EQ(e.occurred_at_ms(), ParseMagentoTime("2017-08-21 22:36:02"));
  EXPECT_EQ(e.user_id(), "magento:3");
  EXPECT_EQ(e.anonymous_id(), "magento:customer:3");
  EXPECT_EQ(e.order().order_id(), "000000003");  // the order's number, not the memo's
  EXPECT_EQ(e.order().value_micros(), 165000000);
  EXPECT_EQ(e.order().shipping_micros(), 5000000);
  EXPECT_EQ(e.order().currency(), "USD");
  EXPECT_EQ(e.properties().at("magento_refund"), "items");
  EXPECT_EQ(e.properties().at("magento_creditmemo_id"), "3");
  // Nine rows: the hoodie's configurable child (price 0, the parent row's sku) folds into the
  // parent's line as its variant.
  ASSERT_EQ(e.products_size(), 8);
  EXPECT_EQ(e.products(0).product_id(), "1553");
  EXPECT_EQ(e.products(0).price_micros(), 22000000);
  EXPECT_EQ(e.products(0).quantity(), 1);
  const v1::ProductLine& hoodie = e.products(7);
  EXPECT_EQ(hoodie.product_id(), "67");
  EXPECT_EQ(hoodie.variant_id(), "56");
  EXPECT_EQ(hoodie.price_micros(), 52000000);
  // The docs elide the order's other rows, so the bundle's children (rows 6-9 of the "Sprite
  // Yoga Companion Kit", row 5) stand as lines of their own above. With the order's rows known
  // (what /V1/orders returns: parent_item_id on each child) the lines are the four the order
  // was priced by, and they add up to the refund.
  OrderRef full = RefOf(*order);
  full.parent_item_of = {{6, 5}, {7, 5}, {8, 5}, {9, 5}, {11, 10}};
  auto with_rows = MapCreditMemo(*memo_json, full, Store());
  ASSERT_TRUE(with_rows);
  ASSERT_EQ(with_rows->event.products_size(), 4);
  int64_t lines = 0;
  for (const auto& line : with_rows->event.products()) {
    lines += line.price_micros() * line.quantity();
  }
  EXPECT_EQ(lines + e.order().shipping_micros(), e.order().value_micros());
  EXPECT_EQ(with_rows->event.products(3).variant_id(), "56");
  // Idempotent by credit memo id: mapped again, the same event.
  EXPECT_EQ(MapCreditMemo(*memo_json, RefOf(*order), Store())->event.event_id(), e.event_id());
  // Not this order's memo; a canceled memo refunded nothing.
  OrderRef other = RefOf(*order);
  other.entity_id = 4;
  MapError error;
  EXPECT_FALSE(MapCreditMemo(*memo_json, other, Store(), &error));
  EXPECT_NE(error.message.find("not for order 4"), std::string::npos) << error.message;
  std::string canceled = testing::ToJson(*memo_json);
  canceled.replace(canceled.find("\"state\":2"), 9, "\"state\":3");
  EXPECT_FALSE(MapCreditMemo(Parse(canceled), RefOf(*order), Store()));
}

TEST(MagentoRecordsTest, PartialAndAdjustmentOnlyRefunds) {
  // The configurable order of the test above: rows 20 (parent) and 21 (child).
  auto order = MapOrder(Parse(R"({"entity_id": 9, "increment_id": "000000009", "state": "complete",
    "customer_is_guest": 1, "customer_email": "Guest@Example.com", "order_currency_code": "EUR",
    "store_id": 2, "grand_total": 156, "created_at": "2020-07-23 16:59:20",
    "updated_at": "2020-07-24 08:00:00",
    "items": [
      {"item_id": 20, "product_id": 67, "sku": "MH01-S-Gray", "price": 52, "qty_ordered": 2},
      {"item_id": 21, "parent_item_id": 20, "product_id": 56, "sku": "MH01-S-Gray", "price": 0,
       "qty_ordered": 2},
      {"item_id": 22, "product_id": 5, "sku": "MUG", "price": 52, "qty_ordered": 1}]})"),
                        Store());
  ASSERT_TRUE(order);
  EXPECT_EQ(order->store_id, 2);
  EXPECT_EQ(order->parent_item_of.at(21), 20);
  // One hoodie of two back; the mug kept. Magento lists every order row, qty 0 where nothing
  // was refunded. The child row is known from the order (no sku heuristic needed).
  auto partial = MapCreditMemo(Parse(R"({"entity_id": 40, "order_id": 9, "state": 2,
    "increment_id": "000000040", "grand_total": "52.0000", "adjustment": 0,
    "created_at": "2020-08-01 10:00:00", "updated_at": "2020-08-01 10:00:01",
    "items": [
      {"entity_id": 1, "order_item_id": 20, "product_id": 67, "sku": "MH01-S-Gray", "price": 52,
       "qty": 1},
      {"entity_id": 2, "order_item_id": 21, "product_id": 56, "sku": "MH01-S-Gray", "price": 0,
       "qty": 1},
      {"entity_id": 3, "order_item_id": 22, "product_id": 5, "sku": "MUG", "price": 52,
       "qty": 0}]})"),
                               RefOf(*order), Store());
  ASSERT_TRUE(partial);
  const v1::Event& e = partial->event;
  EXPECT_TRUE(e.user_id().empty());
  EXPECT_EQ(e.anonymous_id(), AnonymousIdForGuest("guest@example.com"));
  EXPECT_EQ(e.order().order_id(), "000000009");
  EXPECT_EQ(e.order().currency(), "EUR");  // the order's currency; the memo row has none
  EXPECT_EQ(e.order().value_micros(), 52000000);
  ASSERT_EQ(e.products_size(), 1);
  EXPECT_EQ(e.products(0).product_id(), "67");
  EXPECT_EQ(e.products(0).variant_id(), "56");
  EXPECT_EQ(e.products(0).quantity(), 1);
  EXPECT_EQ(e.products(0).currency(), "EUR");

  // A goodwill refund: adjustment only, no item back.
  auto adjustment = MapCreditMemo(Parse(R"({"entity_id": 41, "order_id": 9, "grand_total": 10,
    "adjustment": 10, "adjustment_positive": 10, "created_at": "2020-08-02 10:00:00",
    "items": [
      {"entity_id": 4, "order_item_id": 20, "product_id": 67, "sku": "MH01-S-Gray", "price": 52,
       "qty": 0},
      {"entity_id": 5, "order_item_id": 22, "product_id": 5, "sku": "MUG", "price": 52,
       "qty": 0}]})"),
                                  RefOf(*order), Store());
  ASSERT_TRUE(adjustment);
  const v1::Event& a = adjustment->event;
  EXPECT_EQ(a.order().value_micros(), 10000000);
  EXPECT_EQ(a.properties().at("magento_refund"), "adjustment");
  EXPECT_EQ(a.properties().at("magento_adjustment"), "10");
  ASSERT_EQ(a.products_size(), 2);  // what the order had, at price 0: no unit came back
  EXPECT_EQ(a.products(0).price_micros(), 0);
  EXPECT_EQ(a.products(1).price_micros(), 0);
  EXPECT_NE(a.event_id(), e.event_id());
}

TEST(MagentoRecordsTest, StoreConfigsGiveEachViewItsCurrencyAndUrls) {
  auto stores = ParseStoreConfigs(Parse(R"([
    {"id": 1, "code": "default", "base_currency_code": "USD",
     "base_link_url": "http://shop.example/", "secure_base_link_url": "https://shop.example/",
     "secure_base_media_url": "https://shop.example/media/"},
    {"id": 2, "code": "fr", "base_currency_code": "EUR",
     "base_link_url": "http://shop.example/fr/"}])"));
  ASSERT_EQ(stores.by_id.size(), 2u);
  EXPECT_EQ(stores.Find(1)->base_url, "https://shop.example/");
  EXPECT_EQ(stores.Find(2)->currency, "EUR");
  EXPECT_EQ(stores.Find(2)->base_url, "http://shop.example/fr/");
  EXPECT_EQ(stores.FindCode("fr")->id, 2);
  EXPECT_EQ(stores.FindCode("de"), nullptr);
  EXPECT_EQ(stores.Find(3), nullptr);
  EXPECT_EQ(stores.Codes(), "default, fr");
}

TEST(MagentoRecordsTest, StableEventIdsAreV4ShapedAndDistinct) {
  const std::string a = StableEventId("magento/order/3/order_completed");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, StableEventId("magento/order/3/order_completed"));
  EXPECT_NE(a, StableEventId("magento/order/4/order_completed"));
  EXPECT_EQ(static_cast<unsigned char>(a[6]) >> 4, 4);
  EXPECT_EQ(static_cast<unsigned char>(a[8]) >> 6, 2);
}

// Twitter's published OAuth 1.0a example (HMAC-SHA1): an independent vector for the signing code
// that Magento's integrations use with HMAC-SHA256.
TEST(MagentoOAuthTest, PublishedSignatureVector) {
  OAuth1Credentials c;
  c.consumer_key = "xvz1evFS4wEEPTGEFPHBog";
  c.consumer_secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
  c.access_token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
  c.access_token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
  const std::string header =
      OAuth1Header("POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
                   {{"status", "Hello Ladies + Gentlemen, a signed OAuth request!"}}, c,
                   "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958, "HMAC-SHA1");
  EXPECT_NE(header.find("oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\""), std::string::npos)
      << header;
  EXPECT_TRUE(header.starts_with("OAuth "));
}

TEST(MagentoRestTest, RetryAfterAcceptsDecimalSeconds) {
  EXPECT_EQ(ParseRetryAfterMs("2"), 2000);
  EXPECT_EQ(ParseRetryAfterMs("2.0"), 2000);
  EXPECT_EQ(ParseRetryAfterMs(" 0.25 "), 250);
  EXPECT_FALSE(ParseRetryAfterMs(""));
  EXPECT_FALSE(ParseRetryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT"));
}

TEST(MagentoRestTest, SearchQueryEncodesBracketsAndSortsByEntityId) {
  const std::string q =
      SearchQuery({{"updated_at", "2024-01-02 03:04:05", "gteq"}}, "entity_id", 300, 2);
  EXPECT_NE(q.find("searchCriteria%5Bfilter_groups%5D%5B0%5D%5Bfilters%5D%5B0%5D%5Bfield%5D="
                   "updated_at"),
            std::string::npos)
      << q;
  EXPECT_NE(q.find("%5Bvalue%5D=2024-01-02%2003%3A04%3A05"), std::string::npos) << q;
  EXPECT_NE(q.find("searchCriteria%5BsortOrders%5D%5B0%5D%5Bfield%5D=entity_id"),
            std::string::npos);
  EXPECT_NE(q.find("searchCriteria%5BcurrentPage%5D=2"), std::string::npos);
}

}  // namespace
}  // namespace vitrine::magento
