// Test helpers: locate and read the shared Shopify fixtures (never copied into the repo).
#ifndef VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_FIXTURES_H_
#define VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_FIXTURES_H_

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>

#include "platform_adapters/shopify/hmac.h"
#include "platform_adapters/shopify/json.h"

namespace vitrine::shopify::testing {

inline std::filesystem::path ShopifyFixtures() {
  return std::filesystem::path(VITRINE_SHARED_DIR) / "fixtures" / "shopify";
}

inline bool HaveFixtures() { return std::filesystem::is_directory(ShopifyFixtures()); }

#define VITRINE_REQUIRE_SHOPIFY_FIXTURES()                                     \
  do {                                                                         \
    if (!::vitrine::shopify::testing::HaveFixtures()) {                        \
      GTEST_SKIP() << "shared fixtures folder absent: "                        \
                   << ::vitrine::shopify::testing::ShopifyFixtures().string(); \
    }                                                                          \
  } while (false)

// Exact bytes of a file (binary: the HMAC is over raw bytes).
inline std::string ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::optional<JsonValue> ReadJson(const std::filesystem::path& path) {
  auto parsed = ParseJson(ReadBytes(path));
  if (!parsed.ok()) return std::nullopt;
  return std::move(parsed.value);
}

// A webhook fixture: `<dir>/<name>.body` + the `headers` object of `<name>.headers.json`.
struct WebhookFixture {
  std::string body;
  Headers headers;
};

inline std::optional<WebhookFixture> LoadWebhook(const std::string& topic,
                                                 const std::string& version = "2024-04") {
  const auto base = ShopifyFixtures() / "webhooks" / version / topic;
  WebhookFixture fixture;
  fixture.body = ReadBytes(base.string() + ".body");
  auto headers = ReadJson(base.string() + ".headers.json");
  if (fixture.body.empty() || !headers) return std::nullopt;
  const JsonValue* h = headers->Find("headers");
  if (h == nullptr) return std::nullopt;
  for (const auto& [name, value] : h->members()) {
    fixture.headers.emplace_back(name, value.AsString().value_or(""));
  }
  return fixture;
}

}  // namespace vitrine::shopify::testing

#endif  // VITRINE_TESTS_PLATFORM_ADAPTERS_SHOPIFY_FIXTURES_H_
