// The demo storefront's catalog feed (sync_server/storefront): GET /v1/storefront/catalog over a
// real listener, with the write key, filters, paging and error values.
#include <gtest/gtest.h>

#include <string>

#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::kWriteKey;
using testing::TestServer;

// Three products in two departments; the second title needs JSON escaping.
void LoadCatalog(TestServer& server) {
  const std::string json = R"({"items":[
    {"product_id":"p1","title":"Rose Serum","price_micros":"24500000","currency":"EUR",
     "category":"Skin Care/Face/Serums","brand":"Aurel","stock":5},
    {"product_id":"p2","title":"Night \"Cream\"","price_micros":"31000000","currency":"EUR",
     "category":"Skin Care/Face/Moisturizers","brand":"Aurel","stock":0},
    {"product_id":"p3","title":"Mint Shampoo","price_micros":"9990000","currency":"EUR",
     "category":"Hair Care/Shampoo","brand":"Nordly","stock":12}]})";
  ASSERT_EQ(server.PostJson("/v1/admin/catalog", json).status, 200);
}

TEST(StorefrontCatalogTest, ListsTheWholeCatalogWithCategoryCounts) {
  TestServer server;
  LoadCatalog(server);
  auto r = server.Get("/v1/storefront/catalog", kWriteKey);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Header("content-type").find("application/json"), std::string::npos);
  EXPECT_NE(r.body.find(R"({"path":"Hair Care/Shampoo","count":1})"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"path":"Skin Care/Face/Serums","count":1})"), std::string::npos);
  EXPECT_NE(r.body.find(R"("title":"Night \"Cream\"")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("price":24.50,"currency":"EUR")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("stock":0})"), std::string::npos);
  EXPECT_NE(r.body.find(R"("total":3})"), std::string::npos);
  // Sorted by category then title: Hair Care before Skin Care.
  EXPECT_LT(r.body.find("\"p3\""), r.body.find("\"p1\""));
}

TEST(StorefrontCatalogTest, FiltersByCategoryPrefixIdsAndQuery) {
  TestServer server;
  LoadCatalog(server);
  auto face = server.Get("/v1/storefront/catalog?category=Skin%20Care/Face", kWriteKey);
  ASSERT_EQ(face.status, 200);
  EXPECT_NE(face.body.find("\"p1\""), std::string::npos);
  EXPECT_NE(face.body.find("\"p2\""), std::string::npos);
  EXPECT_EQ(face.body.find("\"product_id\":\"p3\""), std::string::npos);
  // A prefix only at a "/" boundary.
  auto partial = server.Get("/v1/storefront/catalog?category=Skin%20Care/Fa", kWriteKey);
  EXPECT_NE(partial.body.find(R"("items":[],"total":0)"), std::string::npos) << partial.body;
  auto ids = server.Get("/v1/storefront/catalog?ids=p3,p2,nope", kWriteKey);
  EXPECT_NE(ids.body.find(R"("total":2})"), std::string::npos) << ids.body;
  auto no_ids = server.Get("/v1/storefront/catalog?ids=", kWriteKey);
  EXPECT_NE(no_ids.body.find(R"("items":[],"total":0)"), std::string::npos) << no_ids.body;
  auto q = server.Get("/v1/storefront/catalog?q=nordly", kWriteKey);
  EXPECT_NE(q.body.find("\"product_id\":\"p3\""), std::string::npos);
  EXPECT_NE(q.body.find(R"("total":1})"), std::string::npos);
  auto page = server.Get("/v1/storefront/catalog?limit=1&offset=1", kWriteKey);
  EXPECT_NE(page.body.find("\"product_id\":\"p2\""), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("\"product_id\":\"p1\""), std::string::npos);
  EXPECT_NE(page.body.find(R"("total":3})"), std::string::npos);
}

TEST(StorefrontCatalogTest, NeedsTheWriteKeyAndAnswersErrorsAsValues) {
  TestServer server;
  LoadCatalog(server);
  EXPECT_EQ(server.Get("/v1/storefront/catalog", "").status, 401);
  EXPECT_EQ(server.Get("/v1/storefront/catalog", "wrong").status, 401);
  auto bad = server.Get("/v1/storefront/catalog?limit=-1", kWriteKey);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("invalid_query"), std::string::npos) << bad.body;
  EXPECT_EQ(server.Get("/v1/storefront/other", kWriteKey).status, 404);
  auto post = testing::HttpCall(server.port(), "POST", "/v1/storefront/catalog",
                                {{"Authorization", std::string("Bearer ") + kWriteKey}}, "{}");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET");
}

}  // namespace
}  // namespace vitrine::server
