// Signed tracking tokens, open classification and the tracking service (no HTTP here; the
// endpoints are exercised in tracking_http_test.cc).
#include "sync_server/campaigns/tracking.h"

#include <gtest/gtest.h>

#include <mutex>

#include "sync_server/campaigns/crypto.h"

namespace vitrine::server::campaigns {
namespace {

const std::string kKey(32, 'k');
constexpr int64_t kNow = 1'767'000'000'000;

TrackingToken Click(std::string url = "https://shop.example/p/42?utm_source=email") {
  TrackingToken t;
  t.kind = TokenKind::kClick;
  t.campaign_id = "spring";
  t.recipient_id = "user-7";
  t.link_index = 3;
  t.url = std::move(url);
  t.expires_at_ms = kNow + 86'400'000;
  return t;
}

TEST(TokenSignerTest, RoundTrip) {
  TokenSigner signer(kKey);
  auto token = signer.Sign(Click());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(
      token->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
      std::string::npos);  // URL-safe as is
  auto back = signer.Verify(*token, kNow);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, TokenKind::kClick);
  EXPECT_EQ(back->campaign_id, "spring");
  EXPECT_EQ(back->recipient_id, "user-7");
  EXPECT_EQ(back->link_index, 3u);
  EXPECT_EQ(back->url, "https://shop.example/p/42?utm_source=email");
}

TEST(TokenSignerTest, EveryTamperedByteIsRejected) {
  TokenSigner signer(kKey);
  const std::string token = *signer.Sign(Click());
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    std::string bad = token;
    bad[i] = alphabet[(alphabet.find(bad[i]) + 1) % alphabet.size()];
    auto r = signer.Verify(bad, kNow);
    ASSERT_FALSE(r.ok()) << "position " << i;
    EXPECT_EQ(r.status().code(), "bad_token");
  }
}

TEST(TokenSignerTest, ForgedTokensAreRejected) {
  TokenSigner signer(kKey);
  TokenSigner attacker(std::string(32, 'x'));
  // Another key, a swapped payload (a redirect to the attacker's site), a truncated MAC, junk.
  EXPECT_FALSE(signer.Verify(*attacker.Sign(Click()), kNow).ok());
  const std::string good = *signer.Sign(Click());
  const std::string evil = *signer.Sign(Click("https://evil.example/phish"));
  const std::string spliced = evil.substr(0, evil.find('.')) + good.substr(good.find('.'));
  EXPECT_FALSE(signer.Verify(spliced, kNow).ok());
  EXPECT_FALSE(signer.Verify(good.substr(0, good.size() - 2), kNow).ok());
  EXPECT_FALSE(signer.Verify(good.substr(0, good.find('.')), kNow).ok());
  EXPECT_FALSE(signer.Verify("", kNow).ok());
  EXPECT_FALSE(signer.Verify("...", kNow).ok());
  // A payload signed with a correct MAC over different bytes cannot be re-encoded either.
  EXPECT_FALSE(signer.Verify(good + "A", kNow).ok());
}

TEST(TokenSignerTest, ExpiryAndRotation) {
  TokenSigner old_signer(std::string(32, 'o'));
  TokenSigner rotated(kKey, {std::string(32, 'o')});
  const std::string old_token = *old_signer.Sign(Click());
  EXPECT_TRUE(rotated.Verify(old_token, kNow).ok());  // previous key still verifies
  auto expired = rotated.Verify(old_token, kNow + 2 * 86'400'000);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.status().code(), "expired_token");
}

TEST(TokenSignerTest, RefusesToSignNonHttpTargets) {
  TokenSigner signer(kKey);
  for (const char* url : {"javascript:alert(1)", "//evil.example", "ftp://x", "https://a b",
                          "https://x\r\nSet-Cookie: a=b", "https://"}) {
    EXPECT_FALSE(signer.Sign(Click(url)).ok()) << url;
  }
  EXPECT_TRUE(signer.Sign(Click("HTTP://shop.example/")).ok());
}

TEST(OpenClassifierTest, HumansAndMachines) {
  OpenClassifier c;
  const int64_t delivered = kNow;
  auto cls = [&](std::string ua, std::string ip, int64_t after_ms) {
    return c.Classify({std::move(ua), std::move(ip), delivered, delivered + after_ms});
  };
  const std::string iphone =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
      "Gecko) Mobile/15E148";
  EXPECT_EQ(cls(iphone, "203.0.113.9", 3'600'000), EngagementClass::kHuman);
  // Apple Mail Privacy Protection: bare UA, or Apple's 17/8 block.
  EXPECT_EQ(cls("Mozilla/5.0", "198.51.100.1", 3'600'000), EngagementClass::kPrivacyProxy);
  EXPECT_EQ(cls(iphone, "17.58.101.4", 3'600'000), EngagementClass::kPrivacyProxy);
  EXPECT_EQ(cls(iphone, "::ffff:17.58.101.4", 3'600'000), EngagementClass::kPrivacyProxy);
  EXPECT_EQ(cls("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
                "GoogleImageProxy)",
                "66.249.84.1", 3'600'000),
            EngagementClass::kPrivacyProxy);
  // Scanners and libraries.
  EXPECT_EQ(cls("Barracuda Sentinel (EE)", "", 3'600'000), EngagementClass::kScanner);
  EXPECT_EQ(cls("python-requests/2.31", "", 3'600'000), EngagementClass::kScanner);
  EXPECT_EQ(cls("", "203.0.113.9", 3'600'000), EngagementClass::kScanner);
  // A real browser, but within seconds of delivery.
  EXPECT_EQ(cls(iphone, "203.0.113.9", 800), EngagementClass::kTooFast);
  // 170.x is not Apple's 17/8.
  EXPECT_EQ(cls(iphone, "170.1.2.3", 3'600'000), EngagementClass::kHuman);
  OpenClassifier gmail_human({.min_human_delay_ms = 3000, .gmail_proxy_is_human = true});
  EXPECT_EQ(gmail_human.Classify({"Mozilla/5.0 (via ggpht.com GoogleImageProxy)", "", delivered,
                                  delivered + 3'600'000}),
            EngagementClass::kHuman);
}

class RecordingSink : public EngagementSink {
 public:
  Status Record(const Engagement& e) override {
    std::lock_guard lock(mu);
    events.push_back(e);
    return Status::Ok();
  }
  int64_t DeliveredAt(const std::string&, const std::string&) override { return delivered; }
  std::mutex mu;
  std::vector<Engagement> events;
  int64_t delivered = 0;
};

TEST(TrackingServiceTest, OpenClickUnsubscribe) {
  TokenSigner signer(kKey);
  RecordingSink sink;
  sink.delivered = kNow - 3'600'000;
  MemorySuppressionList suppressions;
  int64_t now = kNow;
  TrackingService svc(&signer, &sink, &suppressions, OpenClassifier(), [&] { return now; });
  const std::string ua = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15";

  TrackingToken open;
  open.kind = TokenKind::kOpen;
  open.campaign_id = "spring";
  open.recipient_id = "user-7";
  auto opened = svc.Open(*signer.Sign(open), ua, "203.0.113.9");
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(opened->human());

  auto url = svc.Click(*signer.Sign(Click()), ua, "203.0.113.9");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(*url, "https://shop.example/p/42?utm_source=email");
  // An open token is not a click token (and carries no URL).
  EXPECT_FALSE(svc.Click(*signer.Sign(open), ua, "").ok());

  TrackingToken unsub = open;
  unsub.kind = TokenKind::kUnsubscribe;
  const std::string unsub_token = *signer.Sign(unsub);
  auto page = svc.UnsubscribePage(unsub_token, "https://t.example/u/" + unsub_token);
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page->find("method=\"post\""), std::string::npos);
  EXPECT_FALSE(*suppressions.IsSuppressed("user-7"));  // GET changed nothing
  ASSERT_TRUE(svc.Unsubscribe(unsub_token).ok());
  EXPECT_TRUE(*suppressions.IsSuppressed("user-7"));
  EXPECT_FALSE(svc.Unsubscribe(*signer.Sign(open)).ok());  // wrong kind

  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[0].kind, Engagement::Kind::kOpen);
  EXPECT_EQ(sink.events[1].kind, Engagement::Kind::kClick);
  EXPECT_EQ(sink.events[1].link_index, 3u);
  EXPECT_EQ(sink.events[2].kind, Engagement::Kind::kUnsubscribe);
  EXPECT_EQ(TrackingService::PixelGif().size(), 43u);
}

TEST(CryptoTest, Base64AndHmacVectors) {
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64Url("\xfb\xff"), "-_8");
  EXPECT_EQ(DecodeBase64Url("-_8").value_or(""), "\xfb\xff");
  EXPECT_FALSE(DecodeBase64Url("-_9"));  // non-zero trailing bits: not canonical
  // RFC 4231 test case 2.
  EXPECT_EQ(HexLower(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace vitrine::server::campaigns
