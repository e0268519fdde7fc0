#include "platform_adapters/shopify/hmac.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <string>

#include "tests/platform_adapters/shopify/fixtures.h"

namespace vitrine::shopify {
namespace {

using testing::HaveFixtures;
using testing::LoadWebhook;
using testing::ReadBytes;
using testing::ReadJson;
using testing::ShopifyFixtures;

TEST(ShopifyHmacTest, EveryVectorInTheSharedFileGivesItsVerdict) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  const auto dir = ShopifyFixtures() / "hmac";
  auto vectors = ReadJson(dir / "HMAC_TEST_VECTORS.json");
  ASSERT_TRUE(vectors.has_value());
  const JsonValue* list = vectors->Find("webhook_vectors");
  ASSERT_NE(list, nullptr);
  ASSERT_GE(list->items().size(), 7u);
  int positives = 0, negatives = 0;
  for (const JsonValue& v : list->items()) {
    const std::string id = v.Find("id")->AsString().value();
    const std::string secret = v.Find("secret")->AsString().value();
    std::string body = v.Find("body_utf8")->AsString().value();
    if (const JsonValue* file = v.Find("body_file"); file != nullptr) {
      // Prefer the exact byte file; it must agree with body_utf8.
      const std::string bytes = ReadBytes(dir / file->AsString().value());
      EXPECT_EQ(bytes, body) << id;
      body = bytes;
    }
    const std::string header = v.Find("expected_header")->AsString().value();
    const bool valid = v.Find("valid")->AsBool().value();
    (valid ? positives : negatives)++;
    const WebhookVerifier verifier(secret);
    const VerifyResult result = verifier.VerifyHeaderValue(header, body);
    EXPECT_EQ(result.ok(), valid) << id << ": " << result.reason;
    // Through the headers, in both spellings.
    EXPECT_EQ(verifier.Verify({{"X-Shopify-Hmac-Sha256", header}}, body).ok(), valid) << id;
    EXPECT_EQ(verifier.Verify({{"shopify-hmac-sha256", header}}, body).ok(), valid) << id;
  }
  EXPECT_GE(positives, 4);
  EXPECT_GE(negatives, 3);
}

TEST(ShopifyHmacTest, HexDigestIsMalformedNotAMatch) {
  const WebhookVerifier verifier("test_secret_key");
  const auto r = verifier.VerifyHeaderValue(
      "076ded5cdebcd60674a8858d46b82dcc113d5d20e8e72694bbac1f9a1bb76bb8", "{\"foo\": \"bar\"}");
  EXPECT_EQ(r.verdict, VerifyVerdict::kMalformedHeader);
  EXPECT_FALSE(r.reason.empty());
}

TEST(ShopifyHmacTest, SignMatchesShopifyLibraryVector) {
  EXPECT_EQ(SignWebhookBody("test_secret_key", "{\"foo\": \"bar\"}"),
            "B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=");
}

TEST(ShopifyHmacTest, EverySignedWebhookFixtureVerifiesAndForgeriesFail) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  const auto root = ShopifyFixtures() / "webhooks" / "2024-04";
  const WebhookVerifier verifier("hush");
  const WebhookVerifier wrong("not-hush");
  int checked = 0;
  for (const auto& topic_dir : std::filesystem::directory_iterator(root)) {
    if (!topic_dir.is_directory()) continue;
    for (const auto& file : std::filesystem::directory_iterator(topic_dir.path())) {
      if (file.path().extension() != ".body") continue;
      const std::string topic =
          topic_dir.path().filename().string() + "/" + file.path().stem().string();
      auto fixture = LoadWebhook(topic);
      ASSERT_TRUE(fixture.has_value()) << topic;
      const VerifyResult ok = verifier.Verify(fixture->headers, fixture->body);
      EXPECT_EQ(ok.verdict, VerifyVerdict::kValid) << topic << ": " << ok.reason;
      EXPECT_EQ(ReadEnvelope(fixture->headers).topic, topic);
      EXPECT_FALSE(wrong.Verify(fixture->headers, fixture->body).ok()) << topic;
      // One byte changed anywhere, or the body re-serialised with a space: rejected.
      std::string forged = fixture->body;
      forged[forged.size() / 2] ^= 0x01;
      EXPECT_EQ(verifier.Verify(fixture->headers, forged).verdict, VerifyVerdict::kMismatch)
          << topic;
      EXPECT_FALSE(verifier.Verify(fixture->headers, fixture->body + "\n").ok()) << topic;
      // Lower-cased header names (HTTP/2 proxies) and the new `shopify-` spelling verify too.
      Headers lowered;
      for (const auto& [k, v] : fixture->headers) {
        std::string name = k;
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name.rfind("x-shopify-", 0) == 0) name = name.substr(2);
        lowered.emplace_back(name, v);
      }
      EXPECT_TRUE(verifier.Verify(lowered, fixture->body).ok()) << topic;
      EXPECT_EQ(ReadEnvelope(lowered).webhook_id, ReadEnvelope(fixture->headers).webhook_id);
      ++checked;
    }
  }
  EXPECT_GE(checked, 25);
}

TEST(ShopifyHmacTest, RotationAcceptsPreviousSecretAndSaysSo) {
  const std::string body = "{\"id\":1}";
  const std::string old_sig = SignWebhookBody("old", body);
  const std::string new_sig = SignWebhookBody("new", body);
  const WebhookVerifier rotating("new", "old");
  EXPECT_EQ(rotating.VerifyHeaderValue(new_sig, body).verdict, VerifyVerdict::kValid);
  EXPECT_EQ(rotating.VerifyHeaderValue(old_sig, body).verdict, VerifyVerdict::kValidPreviousSecret);
  EXPECT_EQ(rotating.VerifyHeaderValue(SignWebhookBody("older", body), body).verdict,
            VerifyVerdict::kMismatch);
  // After the window the caller drops the old secret.
  EXPECT_FALSE(WebhookVerifier("new").VerifyHeaderValue(old_sig, body).ok());
}

TEST(ShopifyHmacTest, MissingHeaderNoSecretAndGarbageAreValuesNotCrashes) {
  const WebhookVerifier verifier("s");
  EXPECT_EQ(verifier.Verify({{"Content-Type", "application/json"}}, "{}").verdict,
            VerifyVerdict::kMissingHeader);
  EXPECT_EQ(verifier.VerifyHeaderValue("", "{}").verdict, VerifyVerdict::kMalformedHeader);
  EXPECT_EQ(verifier.VerifyHeaderValue("!!!!", "{}").verdict, VerifyVerdict::kMalformedHeader);
  // 44 chars with a non-zero padding bit is non-canonical base64.
  EXPECT_EQ(
      verifier.VerifyHeaderValue("B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7h=", "{}").verdict,
      VerifyVerdict::kMalformedHeader);
  EXPECT_EQ(WebhookVerifier("").VerifyHeaderValue(SignWebhookBody("", "{}"), "{}").verdict,
            VerifyVerdict::kNoSecret);
  // A look-alike header is not the HMAC header.
  EXPECT_EQ(
      verifier.Verify({{"X-Shopify-Hmac-Sha256-Extra", SignWebhookBody("s", "{}")}}, "{}").verdict,
      VerifyVerdict::kMissingHeader);
}

TEST(ShopifyOAuthTest, DocumentedQueryVectorVerifies) {
  VITRINE_REQUIRE_SHOPIFY_FIXTURES();
  auto vectors = ReadJson(ShopifyFixtures() / "hmac" / "HMAC_TEST_VECTORS.json");
  ASSERT_TRUE(vectors.has_value());
  const JsonValue* v = vectors->Find("oauth_query_vector");
  ASSERT_NE(v, nullptr);
  const std::string query = v->Find("query")->AsString().value();
  const std::string secret = v->Find("secret")->AsString().value();
  EXPECT_EQ(OAuthQueryMessage(query), v->Find("message")->AsString().value());
  const VerifyResult ok = VerifyOAuthQuery(query, secret);
  EXPECT_EQ(ok.verdict, VerifyVerdict::kValid) << ok.reason;
  EXPECT_FALSE(VerifyOAuthQuery(query, "wrong").ok());
}

TEST(ShopifyOAuthTest, OrderTamperingCaseAndMissingHmac) {
  const std::string q =
      "code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2"
      "cbca10d7c328fc4bf&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp="
      "1337178173";
  EXPECT_TRUE(VerifyOAuthQuery(q, "hush").ok());
  // Parameter order does not matter (sorted), upper-case hex is the same digest.
  const std::string reordered =
      "timestamp=1337178173&shop=some-shop.myshopify.com&state=0.6784241404160823&hmac="
      "700E2DADB827FCC8609E9D5CE208B2E9CDAAB9DF07390D2CBCA10D7C328FC4BF&code="
      "0907a61c0c8d55e99db179b68161bc00";
  EXPECT_TRUE(VerifyOAuthQuery(reordered, "hush").ok());
  std::string tampered = q;
  tampered.replace(tampered.find("some-shop"), 9, "evil-shop");
  EXPECT_EQ(VerifyOAuthQuery(tampered, "hush").verdict, VerifyVerdict::kMismatch);
  EXPECT_EQ(VerifyOAuthQuery("shop=a&timestamp=1", "hush").verdict, VerifyVerdict::kMissingHeader);
  EXPECT_EQ(VerifyOAuthQuery("shop=a&hmac=xyz", "hush").verdict, VerifyVerdict::kMalformedHeader);
  EXPECT_EQ(VerifyOAuthQuery(q + "&hmac=00", "hush").verdict, VerifyVerdict::kMalformedHeader);
}

}  // namespace
}  // namespace vitrine::shopify
