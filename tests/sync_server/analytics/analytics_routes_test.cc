// The admin API (RouteModule under /v1/admin/analytics/) on a real App, and the segment ids and
// attributes that reach the device snapshot.
#include "sync_server/analytics/analytics_routes.h"

#include <gtest/gtest.h>

#include "sync_server/server.h"
#include "tests/support/temp_dir.h"

namespace vitrine::server::analytics {
namespace {

AnalyticsRoutes* FindRoutes(App& app) {
  for (const auto& m : app.route_modules()) {
    if (auto* r = dynamic_cast<AnalyticsRoutes*>(m.get())) return r;
  }
  return nullptr;
}

HttpReply Call(AnalyticsRoutes& routes, const std::string& method, const std::string& path,
               std::map<std::string, std::string> query = {}, std::string body = "") {
  HttpExchange e;
  e.method = method;
  e.path = path;
  e.query = std::move(query);
  e.body = std::move(body);
  return routes.Handle(e);
}

constexpr const char* kCsv =
    "customer_id,email,order_id,order_date,product_id,quantity,unit_price,currency\n"
    "c-1,,A-1,2024-03-05,sku-1,1,10.00,EUR\n"
    "c-1,,A-2,2024-04-05,sku-2,1,20.00,EUR\n"
    "c-2,,B-1,2024-03-07,sku-1,2,10.00,EUR\n"
    "c-3,,C-1,2024-03-09,sku-3,1,99.00,EUR\n"
    "c-3,,C-2,2024-05-09,sku-3,1,99.00,USD\n"   // mixed currency: rejected, line 6
    "c-4,,D-1,not-a-date,sku-3,1,99.00,EUR\n";  // bad date: rejected, line 7

TEST(AnalyticsRoutesTest, ImportComputeListExportAndSnapshot) {
  testing::TempDir dir;
  ServerConfig config;
  config.db = dir.File("vitrine.db");
  const int64_t now = 1'720'000'000'000;
  auto app = App::Open(config, [now] { return now; });
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  AnalyticsRoutes* routes = FindRoutes(**app);
  ASSERT_NE(routes, nullptr) << "server.cc mounts the analytics routes";
  EXPECT_EQ(routes->auth(), RouteAuth::kAdminKey);

  // Before any compute.
  EXPECT_EQ(Call(*routes, "GET", "/v1/admin/analytics/models").status, 404);

  auto imported =
      Call(*routes, "POST", "/v1/admin/analytics/import", {{"format", "generic"}}, kCsv);
  ASSERT_EQ(imported.status, 200) << imported.body;
  EXPECT_NE(imported.body.find("\"errors\":2"), std::string::npos) << imported.body;
  EXPECT_NE(imported.body.find("\"line\":6"), std::string::npos) << imported.body;
  EXPECT_NE(imported.body.find("\"line\":7"), std::string::npos) << imported.body;
  EXPECT_NE(imported.body.find("\"orders_stored\":4"), std::string::npos) << imported.body;

  // A header problem imports nothing.
  auto bad = Call(*routes, "POST", "/v1/admin/analytics/import", {},
                  "customer_id,email,order_id,order_date,product_id,quantity,price,currency\n"
                  "c-9,,Z-1,2024-03-05,sku-1,1,10.00,EUR\n");
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto stats = (*app)->store().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->orders, 4);

  // The CSV carries no categories: the compute takes them from the catalog.
  std::vector<v1::CatalogItem> catalog(3);
  for (int i = 0; i < 3; ++i) {
    catalog[static_cast<size_t>(i)].set_product_id("sku-" + std::to_string(i + 1));
    catalog[static_cast<size_t>(i)].set_category("Skin Care");
  }
  ASSERT_TRUE((*app)->store().UpsertCatalog(catalog).ok());

  EXPECT_EQ(Call(*routes, "POST", "/v1/admin/analytics/compute", {{"min_size", "x"}}).status, 400);
  auto computed = Call(*routes, "POST", "/v1/admin/analytics/compute",
                       {{"min_size", "1"}, {"max_size", "2"}, {"segments", "2"}, {"holdout", "0"}});
  ASSERT_EQ(computed.status, 200) << computed.body;
  EXPECT_NE(computed.body.find("\"buyers\":3"), std::string::npos) << computed.body;
  EXPECT_NE(computed.body.find("\"segments\":2"), std::string::npos) << computed.body;

  auto segments = Call(*routes, "GET", "/v1/admin/analytics/segments");
  ASSERT_EQ(segments.status, 200);
  EXPECT_NE(segments.body.find("\"id\":\"seg-001\""), std::string::npos) << segments.body;
  EXPECT_NE(segments.body.find("\"id\":\"seg-002\""), std::string::npos) << segments.body;

  auto members = Call(*routes, "GET", "/v1/admin/analytics/segments/seg-001/members");
  ASSERT_EQ(members.status, 200) << members.body;
  EXPECT_NE(members.body.find("\"profile_ids\":["), std::string::npos);
  EXPECT_EQ(Call(*routes, "GET", "/v1/admin/analytics/segments/seg-404/members").status, 404);

  auto exported = Call(*routes, "GET", "/v1/admin/analytics/export");
  ASSERT_EQ(exported.status, 200);
  EXPECT_EQ(exported.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(std::count(exported.body.begin(), exported.body.end(), '\n'), 4);  // header + 3

  EXPECT_EQ(Call(*routes, "GET", "/v1/admin/analytics/models").status, 200);
  EXPECT_EQ(Call(*routes, "DELETE", "/v1/admin/analytics/segments").status, 405);

  // The device snapshot of c-1 carries its segment and attributes.
  auto profile = (*app)->store().FindProfileByUser("c-1");
  ASSERT_TRUE(profile.ok() && profile->has_value());
  auto one = Call(*routes, "GET", "/v1/admin/analytics/profiles/" + std::to_string(**profile));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_NE(one.body.find("\"order_count\":2"), std::string::npos) << one.body;
  // Its propensity for the one category ordered before the last 13 weeks: a probability.
  const size_t field = one.body.find("\"category_propensity\":{\"Skin Care\":0.");
  EXPECT_NE(field, std::string::npos) << one.body;
  auto snapshot = (*app)->snapshots().Build("", "c-1");
  ASSERT_TRUE(snapshot.ok()) << snapshot.status().ToString();
  ASSERT_EQ(snapshot->snapshot.segment_ids_size(), 1);
  EXPECT_TRUE(snapshot->snapshot.segment_ids(0).starts_with("seg-"));
  EXPECT_EQ(snapshot->snapshot.profile_attributes().at("orders"), "2");
  // An unknown visitor gets no analytics.
  auto anonymous = (*app)->snapshots().Build("someone-new", "");
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->snapshot.segment_ids_size(), 0);
}

}  // namespace
}  // namespace vitrine::server::analytics
