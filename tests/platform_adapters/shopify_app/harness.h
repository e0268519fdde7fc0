// Test harness for the Shopify app on a real sync server (loopback listener, SQLite in a temp
// dir): posting signed webhook deliveries, draining the queue, and reopening the server on the
// same database.
#ifndef VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_APP_HARNESS_H_
#define VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_APP_HARNESS_H_

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "platform_adapters/shopify/server_glue.h"
#include "tests/platform_adapters/shopify/fixtures.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::shopify::testing {

using server::testing::HttpCall;
using server::testing::HttpResponse;

inline constexpr const char* kFixtureSecret = "hush";  // the webhook fixtures' signing secret

inline ShopifyAppOptions TestOptions() {
  ShopifyAppOptions options;
  options.api_key = "test-client-id";
  options.api_secret = kFixtureSecret;
  options.app_url = "https://vitrine.test";
  options.currency = "USD";
  options.start_worker = false;  // tests drain explicitly: deterministic
  return options;
}

inline std::map<std::string, std::string> ToMap(const Headers& headers) {
  return std::map<std::string, std::string>(headers.begin(), headers.end());
}

// A delivery: fixture body and headers, optionally re-signed or with other ids.
struct Delivery {
  std::string body;
  std::map<std::string, std::string> headers;

  static Delivery Fixture(const std::string& topic) {
    auto fixture = LoadWebhook(topic);
    EXPECT_TRUE(fixture.has_value()) << topic;
    Delivery d;
    if (fixture) {
      d.body = fixture->body;
      d.headers = ToMap(fixture->headers);
    }
    return d;
  }
  // A custom body for `topic`, signed with `secret`, with fresh ids.
  static Delivery Make(const std::string& topic, std::string body, const std::string& id,
                       const std::string& secret = kFixtureSecret) {
    Delivery d;
    d.body = std::move(body);
    d.headers = {{"Content-Type", "application/json"},
                 {"X-Shopify-Topic", topic},
                 {"X-Shopify-Shop-Domain", "example.myshopify.com"},
                 {"X-Shopify-API-Version", "2024-04"},
                 {"X-Shopify-Webhook-Id", "wh-" + id},
                 {"X-Shopify-Event-Id", "ev-" + id}};
    d.Sign(secret);
    return d;
  }
  Delivery& Sign(const std::string& secret) {
    d_set("X-Shopify-Hmac-Sha256", SignWebhookBody(secret, body));
    return *this;
  }
  Delivery& Set(const std::string& name, const std::string& value) {
    d_set(name, value);
    return *this;
  }

 private:
  void d_set(const std::string& name, const std::string& value) { headers[name] = value; }
};

inline HttpResponse Post(uint16_t port, const Delivery& d) {
  return HttpCall(port, "POST", "/v1/shopify/webhooks", d.headers, d.body);
}

// A sync server with the Shopify app mounted.
class ShopifyServer {
 public:
  // `clock` null: the App's clock.
  explicit ShopifyServer(ShopifyAppOptions options = TestOptions(),
                         std::shared_ptr<adapters::HttpClient> http = nullptr,
                         ShopifyApp::Clock clock = nullptr)
      : server_({}, [&](server::App& app) {
          auto module = ShopifyApp::Open(app.config().db, options, AppSinks(app),
                                         clock ? clock : app.clock(), http);
          if (!module.ok()) throw std::runtime_error(module.status().ToString());
          shopify_ = module->get();
          app.Mount(std::move(*module));
          app.Mount(std::make_unique<ShopifyAdminRoutes>(&shopify_->store()));
        }) {}

  uint16_t port() const { return server_.port(); }
  server::App& app() { return server_.app(); }
  ShopifyApp& shopify() { return *shopify_; }
  HttpResponse Post(const Delivery& d) { return testing::Post(port(), d); }
  size_t Drain() {
    auto n = shopify_->Drain();
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }
  int64_t Pending() { return *shopify_->store().PendingCount(); }
  server::StoreStats Stats() { return *app().admin().Stats(); }
  HttpResponse Get(const std::string& target) { return HttpCall(port(), "GET", target, {}); }

 private:
  ShopifyApp* shopify_ = nullptr;
  server::testing::TestServer server_;
};

}  // namespace vitrine::shopify::testing

#endif  // VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_APP_HARNESS_H_
