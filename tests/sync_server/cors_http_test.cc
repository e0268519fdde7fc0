// Cross-origin access (sync_server/http/cors.h): the policy's parsing and matching, and the
// headers a real listener sends for preflights, device API calls and static files.
#include <gtest/gtest.h>

#include <fstream>

#include "sync_server/config.h"
#include "sync_server/http/cors.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::HttpCall;
using testing::kAdminKey;
using testing::kWriteKey;
using testing::MakeEvent;
using testing::TempDir;
using testing::TestServer;

TEST(CorsPolicyTest, ParsesAnyListAndSameOriginOnly) {
  auto any = CorsPolicy::Parse("*");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->any_origin());
  EXPECT_TRUE(any->Allows("https://anything.example", "sync.example"));
  EXPECT_EQ(any->AllowOriginValue("https://anything.example"), "*");
  EXPECT_FALSE(any->Allows("", "sync.example")) << "no Origin: not a cross-origin read";

  auto list = CorsPolicy::Parse(" https://Shop.Example:443 , http://localhost:3000,");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->Allows("https://shop.example", "sync.example")) << "default port dropped";
  EXPECT_TRUE(list->Allows("http://localhost:3000", "sync.example"));
  EXPECT_FALSE(list->Allows("http://shop.example", "sync.example")) << "scheme matters";
  EXPECT_FALSE(list->Allows("https://shop.example.evil", "sync.example"));
  EXPECT_FALSE(list->Allows("http://localhost:3001", "sync.example"));
  EXPECT_EQ(list->AllowOriginValue("https://shop.example"), "https://shop.example");

  auto same = CorsPolicy::Parse("");
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->Allows("http://127.0.0.1:8787", "127.0.0.1:8787")) << "its own pages";
  EXPECT_FALSE(same->Allows("http://127.0.0.1:9999", "127.0.0.1:8787"));
}

TEST(CorsPolicyTest, RejectsWhatIsNotAnOrigin) {
  for (const char* bad : {"shop.example", "https://shop.example/", "https://shop.example/path",
                          "ftp://shop.example", "https://", "*,https://shop.example"}) {
    auto p = CorsPolicy::Parse(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_NE(p.status().message().find("allowed-origins"), std::string::npos) << bad;
  }
  // The same check when the server is configured.
  auto config = ParseConfig({"--allowed-origins", "https://shop.example/"});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("no path"), std::string::npos);
}

TEST(CorsPolicyTest, OnlyTheDeviceApiAndStaticFilesFaceBrowsers) {
  for (const char* path : {"/v1/batch", "/v1/snapshot", "/v1/identify", "/v1/storefront/catalog",
                           "/", "/loader.js", "/pkg/vitrine.wasm"}) {
    EXPECT_TRUE(IsBrowserFacingRoute(path)) << path;
  }
  for (const char* path : {"/v1/admin/catalog", "/v1/admin/analytics/segments",
                           "/v1/shopify/webhooks", "/metrics", "/healthz", "/t/o/token"}) {
    EXPECT_FALSE(IsBrowserFacingRoute(path)) << path;
  }
}

v1::Batch OneEventBatch(uint64_t n) {
  v1::Batch batch;
  *batch.add_events() = MakeEvent(n, "page_viewed", "shopper-cors", 1'767'000'000'000);
  return batch;
}

// POST /v1/batch with one event, as a page on `origin` would send it.
testing::HttpResponse PostFromOrigin(uint16_t port, const std::string& origin, uint64_t n) {
  return HttpCall(port, "POST", "/v1/batch",
                  {{"Authorization", std::string("Bearer ") + kWriteKey},
                   {"Content-Type", "application/x-protobuf"},
                   {"Origin", origin}},
                  OneEventBatch(n).SerializeAsString());
}

testing::HttpResponse Preflight(uint16_t port, const std::string& path, const std::string& origin) {
  return HttpCall(port, "OPTIONS", path,
                  {{"Origin", origin},
                   {"Access-Control-Request-Method", "POST"},
                   {"Access-Control-Request-Headers", "authorization,content-type"}});
}

TEST(CorsHttpTest, AnyOriginByDefaultForTheDeviceApi) {
  TestServer server;
  const auto pre = Preflight(server.port(), "/v1/batch", "https://shop.example");
  EXPECT_EQ(pre.status, 204) << pre.body;
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "*");
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Content-Encoding"), std::string::npos);
  EXPECT_NE(pre.Header("access-control-allow-methods").find("POST"), std::string::npos);
  EXPECT_EQ(pre.Header("access-control-max-age"), "7200");

  const auto post = PostFromOrigin(server.port(), "https://shop.example", 1);
  EXPECT_EQ(post.status, 200) << post.body;
  EXPECT_EQ(post.Header("access-control-allow-origin"), "*");
  EXPECT_NE(post.Header("access-control-expose-headers").find("ETag"), std::string::npos);

  const auto snap = server.Get("/v1/snapshot?anonymous_id=shopper-cors", kWriteKey,
                               {{"Origin", "https://shop.example"}});
  EXPECT_EQ(snap.status, 200) << snap.body;
  EXPECT_EQ(snap.Header("access-control-allow-origin"), "*");

  // Without an Origin (the native SDK, server to server) nothing changes.
  const auto native = server.PostBatch(OneEventBatch(2));
  EXPECT_EQ(native.status, 200);
  EXPECT_EQ(native.Header("access-control-allow-origin"), "");
}

TEST(CorsHttpTest, AdminRoutesNeverGetCrossOriginAccess) {
  TestServer server;
  const auto pre = Preflight(server.port(), "/v1/admin/catalog", "https://shop.example");
  EXPECT_EQ(pre.status, 403);
  EXPECT_NE(pre.body.find("origin_not_allowed"), std::string::npos) << pre.body;
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "");
  const auto admin = server.Get("/v1/admin/catalog", kAdminKey, {{"Origin", "https://x.example"}});
  EXPECT_EQ(admin.Header("access-control-allow-origin"), "");
}

TEST(CorsHttpTest, AListedOriginIsEchoedAndOthersAreRefusedBeforeAnythingIsStored) {
  ServerConfig config;
  config.allowed_origins = "https://shop.example";
  TestServer server(config);

  const auto ok = Preflight(server.port(), "/v1/batch", "https://shop.example");
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(ok.Header("access-control-allow-origin"), "https://shop.example");
  EXPECT_EQ(ok.Header("vary"), "Origin");

  const auto refused = Preflight(server.port(), "/v1/batch", "https://evil.example");
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("https://evil.example"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.Header("access-control-allow-origin"), "");

  // A simple request (no preflight) from a page on another origin is refused outright.
  const auto forged = PostFromOrigin(server.port(), "https://evil.example", 3);
  EXPECT_EQ(forged.status, 403) << forged.body;
  // ... and stored nothing: the same event id from the allowed origin is new, not a duplicate.
  const auto allowed = PostFromOrigin(server.port(), "https://shop.example", 3);
  ASSERT_EQ(allowed.status, 200) << allowed.body;
  v1::BatchAck ack;
  ASSERT_TRUE(ack.ParseFromString(allowed.body));
  EXPECT_EQ(ack.duplicates(), 0u);
  EXPECT_EQ(ack.acked_event_ids_size(), 1);

  // Pages this server serves itself (same origin) are always allowed.
  const auto same = Preflight(server.port(), "/v1/batch", "http://127.0.0.1");
  EXPECT_EQ(same.status, 204);
}

TEST(CorsHttpTest, StaticFilesCarryTheHeaderSoTheLoaderCanFetchTheWasm) {
  TempDir files;
  std::ofstream(files.File("loader.js")) << "/* loader */";
  ServerConfig config;
  config.static_dir = files.path();
  TestServer server(config);
  const auto js = server.Get("/loader.js", "", {{"Origin", "https://shop.example"}});
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "/* loader */");
  EXPECT_EQ(js.Header("access-control-allow-origin"), "*");
}

}  // namespace
}  // namespace vitrine::server
