// Feature modules mounted on the App (http/route_module.h) over a real listener: key scopes, the
// raw body and query exactly as sent, lower-cased headers, extra reply headers, the size limit,
// and the metrics label.
#include <gtest/gtest.h>

#include <mutex>

#include "sync_server/http/route_module.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::HttpCall;
using testing::kAdminKey;
using testing::kWriteKey;
using testing::TestServer;

// Records what it was given and answers with a reply that exercises every HttpReply field.
class EchoModule : public RouteModule {
 public:
  EchoModule(std::string prefix, RouteAuth auth) : prefix_(std::move(prefix)), auth_(auth) {}
  std::string_view prefix() const override { return prefix_; }
  RouteAuth auth() const override { return auth_; }
  std::string RouteLabel(const HttpExchange&) const override { return prefix_ + "{thing}"; }
  HttpReply Handle(const HttpExchange& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = request;
    ++calls_;
    if (request.query.count("fail")) return HttpReply::Error(422, "bad_thing", "it said fail");
    HttpReply reply;
    reply.status = 201;
    reply.content_type = "text/plain";
    reply.body = "got " + request.method + " " + request.path;
    reply.headers.emplace_back("Location", "/somewhere");
    return reply;
  }
  HttpExchange last() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_;
  }
  int calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::string prefix_;
  RouteAuth auth_;
  std::mutex mu_;
  HttpExchange last_;
  int calls_ = 0;
};

struct Modules {
  EchoModule* open = nullptr;
  EchoModule* admin = nullptr;
  EchoModule* write = nullptr;
};

TestServer StartWith(Modules& m, ServerConfig config = {}) {
  return TestServer(config, [&m](App& app) {
    auto open = std::make_unique<EchoModule>("/v1/hooks/", RouteAuth::kNone);
    auto admin = std::make_unique<EchoModule>("/v1/admin/things/", RouteAuth::kAdminKey);
    auto write = std::make_unique<EchoModule>("/v1/feed/", RouteAuth::kWriteKey);
    m = {open.get(), admin.get(), write.get()};
    app.Mount(std::move(open));
    app.Mount(std::move(admin));
    app.Mount(std::move(write));
  });
}

TEST(RouteModuleHttpTest, PublicModuleGetsRawBodyQueryAndHeaders) {
  Modules m;
  TestServer server = StartWith(m);
  // Bytes that a JSON re-encode would change: the module must see them exactly.
  const std::string body = std::string("{\"a\": 1,  \"b\":\"\\u00e9\"}\n\x01", 25);
  auto r =
      HttpCall(server.port(), "POST", "/v1/hooks/shop%20one?b=2&a=x%2By&a=z",
               {{"X-Shopify-Hmac-Sha256", "abc="}, {"Content-Type", "application/json"}}, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body, "got POST /v1/hooks/shop one");
  EXPECT_EQ(r.Header("location"), "/somewhere");
  const HttpExchange seen = m.open->last();
  EXPECT_EQ(seen.body, body);
  EXPECT_EQ(seen.raw_query, "b=2&a=x%2By&a=z");
  EXPECT_EQ(seen.query.at("b"), "2");
  EXPECT_EQ(seen.headers.at("x-shopify-hmac-sha256"), "abc=");
  EXPECT_EQ(seen.headers.count("X-Shopify-Hmac-Sha256"), 0u);
}

TEST(RouteModuleHttpTest, KeyScopesAreCheckedBeforeTheModuleRuns) {
  Modules m;
  TestServer server = StartWith(m);
  EXPECT_EQ(server.Get("/v1/admin/things/1", "").status, 401);
  EXPECT_EQ(server.Get("/v1/admin/things/1", kWriteKey).status, 403);
  EXPECT_EQ(server.Get("/v1/feed/x", "").status, 401);
  EXPECT_EQ(server.Get("/v1/feed/x", "wrong").status, 401);
  EXPECT_EQ(m.admin->calls() + m.write->calls(), 0);
  EXPECT_EQ(server.Get("/v1/admin/things/1", kAdminKey).status, 201);
  EXPECT_EQ(server.Get("/v1/feed/x", kWriteKey).status, 201);
  EXPECT_EQ(server.Get("/v1/feed/x", kAdminKey).status, 201);
  EXPECT_EQ(m.admin->calls(), 1);
  EXPECT_EQ(m.write->calls(), 2);
  // The built-in admin routes are untouched by a module under /v1/admin/.
  EXPECT_EQ(server.Get("/v1/admin/stats", kAdminKey).status, 200);
}

TEST(RouteModuleHttpTest, ErrorRepliesUseTheServersErrorShape) {
  Modules m;
  TestServer server = StartWith(m);
  auto r = server.Get("/v1/feed/x?fail=1", kWriteKey);
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("\"bad_thing\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("it said fail"), std::string::npos) << r.body;
}

TEST(RouteModuleHttpTest, OversizedBodyIsRefusedWithoutCallingTheModule) {
  Modules m;
  ServerConfig config;
  config.limits.max_body_bytes = 1024;
  TestServer server = StartWith(m, config);
  auto r = HttpCall(server.port(), "POST", "/v1/hooks/big", {{"Content-Type", "text/plain"}},
                    std::string(4096, 'x'));
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(m.open->calls(), 0);
}

TEST(RouteModuleHttpTest, MetricsUseTheModulesRouteLabel) {
  Modules m;
  TestServer server = StartWith(m);
  ASSERT_EQ(server.Get("/v1/feed/secret-token-123", kWriteKey).status, 201);
  const std::string metrics = server.Get("/metrics", "").body;
  EXPECT_NE(metrics.find("/v1/feed/{thing}"), std::string::npos);
  EXPECT_EQ(metrics.find("secret-token-123"), std::string::npos);
}

}  // namespace
}  // namespace vitrine::server
