// App install over a real listener: GET /v1/shopify/install and /callback against a fake Shopify
// on loopback (token exchange, webhook registration, ScriptTag), with Shopify's documented OAuth
// query vector, signed single-use state, shop-domain validation and token encryption at rest.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include <mutex>
#include <vector>

#include "platform_adapters/shopify/hmac.h"
#include "tests/platform_adapters/shopify_app/harness.h"
#include "tests/support/loopback_http_server.h"

namespace vitrine::shopify::testing {
namespace {

using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

constexpr const char* kShop = "my-shop.myshopify.com";

std::string HexHmac(const std::string& secret, const std::string& message) {
  unsigned char digest[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

// Appends the hmac Shopify would add to `query` (keys already sorted or not: the message sorts).
std::string Signed(const std::string& query, const std::string& secret = kFixtureSecret) {
  return query + "&hmac=" + HexHmac(secret, OAuthQueryMessage(query));
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::string QueryParam(const std::string& url, const std::string& name) {
  const size_t q = url.find('?');
  if (q == std::string::npos) return {};
  const std::string query = url.substr(q + 1);
  size_t at = 0;
  while (at <= query.size()) {
    size_t end = query.find('&', at);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(at, end - at);
    if (pair.starts_with(name + "=")) return PercentDecode(pair.substr(name.size() + 1));
    at = end + 1;
  }
  return {};
}

// A fake Shopify admin: token exchange, webhook and ScriptTag creation. Records every request.
class FakeShopify {
 public:
  FakeShopify() : server_([this](const WireRequest& r) { return Serve(r); }) {}
  std::string url() const { return server_.url(); }
  std::vector<WireRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<WireRequest> To(const std::string& path) {
    std::vector<WireRequest> out;
    for (auto& r : requests()) {
      if (r.Path() == path) out.push_back(r);
    }
    return out;
  }
  void set_token_status(int status) { token_status_ = status; }
  void set_pixel_taken(bool taken) { pixel_taken_ = taken; }

 private:
  WireResponse Serve(const WireRequest& r) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(r);
    }
    WireResponse response;
    response.headers = {{"Content-Type", "application/json"}};
    if (r.Path() == "/admin/oauth/access_token") {
      response.status = token_status_;
      response.body = R"({"access_token":"shpat_f4k3t0k3n","scope":"read_products,read_orders"})";
    } else if (r.Path().ends_with("/webhooks.json")) {
      response.status = 201;
      response.body = R"({"webhook":{"id":4759306}})";
    } else if (r.Path().ends_with("/graphql.json")) {
      response.status = 200;
      if (r.body.find("webPixelCreate") != std::string::npos) {
        response.body =
            pixel_taken_
                ? R"({"data":{"webPixelCreate":{"userErrors":[{"code":"TAKEN","field":["webPixel"],)"
                  R"("message":"Web pixel is taken."}],"webPixel":null}}})"
                : R"({"data":{"webPixelCreate":{"userErrors":[],"webPixel":{"id":"gid://shopify/WebPixel/1"}}}})";
      } else if (r.body.find("query Pixel") != std::string::npos) {
        response.body = R"({"data":{"webPixel":{"id":"gid://shopify/WebPixel/77"}}})";
      } else if (r.body.find("webPixelUpdate") != std::string::npos) {
        response.body =
            R"({"data":{"webPixelUpdate":{"userErrors":[],"webPixel":{"id":"gid://shopify/WebPixel/77"}}}})";
      } else {
        response.body = R"({"errors":[{"message":"unexpected"}]})";
      }
    } else if (r.Path().ends_with("/script_tags.json")) {
      response.status = 201;
      response.body = R"({"script_tag":{"id":870402694}})";
    } else {
      response.status = 404;
    }
    return response;
  }

  std::mutex mu_;
  std::vector<WireRequest> requests_;
  std::atomic<int> token_status_{200};
  std::atomic<bool> pixel_taken_{false};
  LoopbackHttpServer server_;  // last: serves once the rest exists
};

ShopifyAppOptions OptionsFor(const FakeShopify& fake) {
  ShopifyAppOptions options = TestOptions();
  options.admin_base_url = fake.url();
  return options;
}

std::string Now() { return std::to_string(server::App::SystemClockMs() / 1000); }

TEST(ShopifyOAuthTest, DocumentedQueryVectorVerifiesThroughTheEndpoint) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto vectors = ReadJson(ShopifyFixtures() / "hmac" / "HMAC_TEST_VECTORS.json");
  ASSERT_TRUE(vectors.has_value());
  const JsonValue* v = vectors->Find("oauth_query_vector");
  ASSERT_NE(v, nullptr);
  const std::string query = *v->Find("query")->AsString();
  ASSERT_EQ(*v->Find("secret")->AsString(), kFixtureSecret);
  FakeShopify fake;
  // At the vector's own time: the HMAC and timestamp pass; the state is not one we issued.
  ShopifyServer then(OptionsFor(fake), nullptr, [] { return int64_t{1337178173} * 1000; });
  auto r = then.Get("/v1/shopify/callback?" + query);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("invalid_state"), std::string::npos) << r.body;
  // One byte of the code changed: the HMAC no longer matches.
  std::string tampered = query;
  tampered[tampered.find("code=") + 5] = 'f';
  r = then.Get("/v1/shopify/callback?" + tampered);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("invalid_hmac"), std::string::npos) << r.body;
  // Today the same query is years old.
  ShopifyServer now(OptionsFor(fake));
  r = now.Get("/v1/shopify/callback?" + query);
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body.find("stale_request"), std::string::npos) << r.body;
  EXPECT_TRUE(fake.requests().empty());
}

TEST(ShopifyOAuthTest, InstallRedirectsToTheAuthorizeUrlWithASignedState) {
  FakeShopify fake;
  ShopifyServer server(OptionsFor(fake));
  auto r = server.Get("/v1/shopify/install?" +
                      Signed("shop=" + std::string(kShop) + "&timestamp=" + Now()));
  ASSERT_EQ(r.status, 302) << r.body;
  const std::string location = r.Header("location");
  EXPECT_TRUE(location.starts_with(fake.url() + "/admin/oauth/authorize?")) << location;
  EXPECT_EQ(QueryParam(location, "client_id"), "test-client-id");
  EXPECT_EQ(QueryParam(location, "redirect_uri"), "https://vitrine.test/v1/shopify/callback");
  EXPECT_NE(QueryParam(location, "scope").find("read_orders"), std::string::npos);
  EXPECT_FALSE(QueryParam(location, "state").empty());
  // Two installs, two states.
  auto again = server.Get("/v1/shopify/install?" +
                          Signed("shop=" + std::string(kShop) + "&timestamp=" + Now()));
  EXPECT_NE(QueryParam(again.Header("location"), "state"), QueryParam(location, "state"));
}

TEST(ShopifyOAuthTest, InstallRefusesBadHmacsShopsAndTimestamps) {
  FakeShopify fake;
  ShopifyServer server(OptionsFor(fake));
  const std::string shop = "shop=" + std::string(kShop);
  EXPECT_EQ(server.Get("/v1/shopify/install?" + shop + "&timestamp=" + Now()).status, 401);
  EXPECT_EQ(
      server.Get("/v1/shopify/install?" + Signed(shop + "&timestamp=" + Now(), "other-secret"))
          .status,
      401);
  for (const char* bad : {"evil.com", "my-shop.myshopify.com.evil.com", "-x.myshopify.com",
                          "a/b.myshopify.com", "my_shop.myshopify.com"}) {
    EXPECT_EQ(server
                  .Get("/v1/shopify/install?" +
                       Signed("shop=" + adapters::UrlEncode(bad) + "&timestamp=" + Now()))
                  .status,
              400)
        << bad;
  }
  EXPECT_EQ(server.Get("/v1/shopify/install?" + Signed(shop + "&timestamp=1337178173")).status,
            401);
  EXPECT_EQ(server.Get("/v1/shopify/install?" + Signed(shop)).status, 401);
  EXPECT_EQ(server.Get("/v1/shopify/nothing-here").status, 404);
}

class ShopifyInstallFlowTest : public ::testing::Test {
 protected:
  // install -> the state Shopify would hand back to the callback.
  std::string StartInstall(ShopifyServer& server) {
    auto r = server.Get("/v1/shopify/install?" +
                        Signed("shop=" + std::string(kShop) + "&timestamp=" + Now()));
    EXPECT_EQ(r.status, 302) << r.body;
    return QueryParam(r.Header("location"), "state");
  }
  server::testing::HttpResponse Callback(ShopifyServer& server, const std::string& state,
                                         const std::string& shop = kShop) {
    return server.Get("/v1/shopify/callback?" +
                      Signed("code=0907a61c0c8d55e99db179b68161bc00&shop=" + shop +
                             "&state=" + adapters::UrlEncode(state) + "&timestamp=" + Now()));
  }
  FakeShopify fake_;
};

TEST_F(ShopifyInstallFlowTest, CallbackExchangesTheCodeStoresTheTokenAndRegistersWebhooks) {
  ShopifyAppOptions options = OptionsFor(fake_);
  options.token_key = std::string(32, 'k');
  options.install_script_tag = true;
  ShopifyServer server(options);
  const std::string state = StartInstall(server);
  auto r = Callback(server, state);
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(r.Header("location"), fake_.url() + "/admin/apps/test-client-id");

  const auto exchange = fake_.To("/admin/oauth/access_token");
  ASSERT_EQ(exchange.size(), 1u);
  EXPECT_EQ(exchange[0].method, "POST");
  auto body = ParseJson(exchange[0].body);
  ASSERT_TRUE(body.ok()) << exchange[0].body;
  EXPECT_EQ(body.value->Find("client_id")->AsString(), "test-client-id");
  EXPECT_EQ(body.value->Find("client_secret")->AsString(), kFixtureSecret);
  EXPECT_EQ(body.value->Find("code")->AsString(), "0907a61c0c8d55e99db179b68161bc00");

  const auto hooks = fake_.To("/admin/api/2024-04/webhooks.json");
  ASSERT_EQ(hooks.size(), options.webhook_topics.size());
  for (const auto& hook : hooks) {
    EXPECT_EQ(hook.Header("X-Shopify-Access-Token"), "shpat_f4k3t0k3n");
    EXPECT_NE(hook.body.find("\"address\":\"https://vitrine.test/v1/shopify/webhooks\""),
              std::string::npos)
        << hook.body;
  }
  EXPECT_NE(hooks.back().body.find("app/uninstalled"), std::string::npos);
  const auto tags = fake_.To("/admin/api/2024-04/script_tags.json");
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_NE(tags[0].body.find("https://vitrine.test/loader.js"), std::string::npos);

  auto shop = server.shopify().store().GetShop(kShop);
  ASSERT_TRUE(shop.ok() && shop->has_value());
  EXPECT_EQ((*shop)->access_token, "shpat_f4k3t0k3n");
  EXPECT_EQ((*shop)->scopes, "read_products,read_orders");
  // Encrypted at rest: the database file never holds the token in clear.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(server.app().config().db.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT token FROM shopify_shops", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  const std::string stored(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  EXPECT_TRUE(stored.starts_with("v1:")) << stored;
  EXPECT_EQ(stored.find("shpat_"), std::string::npos);

  // The state is single use: a replayed callback is refused and exchanges nothing.
  EXPECT_EQ(Callback(server, state).status, 401);
  EXPECT_EQ(fake_.To("/admin/oauth/access_token").size(), 1u);
}

TEST_F(ShopifyInstallFlowTest, InstallActivatesTheWebPixelWithThisServerAndKey) {
  ShopifyAppOptions options = OptionsFor(fake_);
  options.pixel_write_key = "wk_pixel";
  ShopifyServer server(options);
  ASSERT_EQ(Callback(server, StartInstall(server)).status, 302);
  auto calls = fake_.To("/admin/api/2024-04/graphql.json");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].Header("X-Shopify-Access-Token"), "shpat_f4k3t0k3n");
  auto body = ParseJson(calls[0].body);
  ASSERT_TRUE(body.ok()) << calls[0].body;
  EXPECT_NE(body.value->Find("query")->AsString()->find("webPixelCreate"), std::string::npos);
  // The settings are a JSON string holding this server's URL and the pixel's key.
  auto settings = ParseJson(*body.value->Find("variables")->Find("settings")->AsString());
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(settings.value->Find("serverUrl")->AsString(), "https://vitrine.test");
  EXPECT_EQ(settings.value->Find("writeKey")->AsString(), "wk_pixel");

  // Reinstall: the shop has the pixel already; it is updated with the same settings.
  fake_.set_pixel_taken(true);
  ASSERT_EQ(Callback(server, StartInstall(server)).status, 302);
  calls = fake_.To("/admin/api/2024-04/graphql.json");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_NE(calls[2].body.find("query Pixel"), std::string::npos);
  EXPECT_NE(calls[3].body.find("webPixelUpdate"), std::string::npos);
  EXPECT_NE(calls[3].body.find("gid://shopify/WebPixel/77"), std::string::npos);
  EXPECT_NE(calls[3].body.find("wk_pixel"), std::string::npos);
}

TEST_F(ShopifyInstallFlowTest, WithoutAPixelKeyNoPixelIsCreated) {
  ShopifyServer server(OptionsFor(fake_));
  ASSERT_EQ(Callback(server, StartInstall(server)).status, 302);
  EXPECT_TRUE(fake_.To("/admin/api/2024-04/graphql.json").empty());
}

TEST_F(ShopifyInstallFlowTest, ThemeExtensionIsTheDefaultStorefrontSnippet) {
  ShopifyServer server(OptionsFor(fake_));
  auto r = Callback(server, StartInstall(server));
  ASSERT_EQ(r.status, 302) << r.body;
  EXPECT_EQ(r.Header("location"),
            fake_.url() +
                "/admin/themes/current/editor?context=apps&activateAppId=test-client-id/"
                "vitrine-loader");
  EXPECT_TRUE(fake_.To("/admin/api/2024-04/script_tags.json").empty());
}

TEST_F(ShopifyInstallFlowTest, StateIsBoundToTheShopAndForgeriesAreRefused) {
  ShopifyServer server(OptionsFor(fake_));
  const std::string state = StartInstall(server);
  // Issued for my-shop, presented for another shop.
  EXPECT_EQ(Callback(server, state, "other-shop.myshopify.com").status, 401);
  // A made-up state with a valid-looking shape.
  EXPECT_EQ(Callback(server, "0123456789abcdef0123456789abcdef.AAAA").status, 401);
  EXPECT_TRUE(fake_.To("/admin/oauth/access_token").empty());
  // Shopify refusing the code: 502, no token stored.
  fake_.set_token_status(400);
  EXPECT_EQ(Callback(server, StartInstall(server)).status, 502);
  EXPECT_FALSE(server.shopify().store().GetShop(kShop)->has_value());
}

TEST(ShopifyTokenCipherTest, SealsOpensAndDetectsTampering) {
  TokenCipher cipher(std::string(32, 'k'));
  auto sealed = cipher.Seal("shpat_secret");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(*cipher.Open(*sealed), "shpat_secret");
  EXPECT_NE(*cipher.Seal("shpat_secret"), *sealed);  // fresh nonce each time
  std::string tampered = *sealed;
  // A character inside the ciphertext (the last ones may only carry base64 padding bits).
  tampered[20] = tampered[20] == 'A' ? 'Q' : 'A';
  EXPECT_FALSE(cipher.Open(tampered).ok());
  EXPECT_FALSE(TokenCipher(std::string(32, 'x')).Open(*sealed).ok());
  EXPECT_FALSE(TokenCipher("").Open(*sealed).ok());
  EXPECT_EQ(*TokenCipher("").Open(*TokenCipher("").Seal("t")), "t");
  EXPECT_EQ(TokenCipher::ParseKey(std::string(64, 'a'))->size(), 32u);
  EXPECT_FALSE(TokenCipher::ParseKey("short").has_value());
}

}  // namespace
}  // namespace vitrine::shopify::testing
