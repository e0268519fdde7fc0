// Must-show 2 through the real endpoints (in-process server, real listener, real SQLite):
// opens and clicks update the recipient's profile (email_opened / email_clicked events) and the
// campaign tables; forged or tampered tokens are rejected (no event, no redirect); a GET on the
// unsubscribe URL does not unsubscribe, the one-click POST does; machine opens are recorded as
// such and do not reach the profile.
#include <gtest/gtest.h>

#include "sync_server/campaigns/campaign_report.h"
#include "sync_server/campaigns/campaign_store.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server::campaigns {
namespace {

using server::testing::TestServer;

constexpr const char* kHumanUa =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko)";

class TrackingHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The campaign reached user-7 an hour ago (so its opens are not "too fast").
    SendRecord sent;
    sent.campaign_id = "spring";
    sent.recipient_id = "user-7";
    sent.email = "u7@mail.test";
    sent.segment = "s";
    sent.status = SendStatus::kSent;
    sent.at_ms = App::SystemClockMs() - 3'600'000;
    ASSERT_TRUE(server_.app().campaign_store().RecordSend(sent).ok());
  }

  std::string Token(TokenKind kind, std::string url = "") {
    TrackingToken t;
    t.kind = kind;
    t.campaign_id = "spring";
    t.recipient_id = "user-7";
    t.link_index = kind == TokenKind::kClick ? 2 : 0;
    t.url = std::move(url);
    t.expires_at_ms = App::SystemClockMs() + 86'400'000;
    auto signed_token = server_.app().tracking_signer().Sign(t);
    EXPECT_TRUE(signed_token.ok());
    return *signed_token;
  }

  server::testing::HttpResponse Get(const std::string& target, const char* ua = kHumanUa) {
    return server::testing::HttpCall(server_.port(), "GET", target, {{"User-Agent", ua}});
  }
  server::testing::HttpResponse Post(const std::string& target, const std::string& body) {
    return server::testing::HttpCall(
        server_.port(), "POST", target,
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"User-Agent", kHumanUa}}, body);
  }

  // The profile's events as the admin API shows them ("" when there is no profile).
  std::string ProfileEvents() {
    auto profile = server_.Get("/v1/admin/profiles?user_id=user-7");
    if (profile.status != 200) return "";
    const size_t at = profile.body.find("\"profile_id\":\"");
    const std::string id = profile.body.substr(at + 14, profile.body.find('"', at + 14) - at - 14);
    return server_.Get("/v1/admin/events?profile_id=" + id + "&limit=100").body;
  }

  size_t Engagements() {
    auto list = server_.app().campaign_store().ListEngagements("spring");
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->size() : 0;
  }

  TestServer server_;
};

TEST_F(TrackingHttpTest, OpenPixelUpdatesTheProfile) {
  auto r = Get("/t/o/" + Token(TokenKind::kOpen));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "image/gif");
  EXPECT_EQ(r.body, TrackingService::PixelGif());
  const std::string events = ProfileEvents();
  EXPECT_NE(events.find("email_opened"), std::string::npos) << events;
  EXPECT_NE(events.find("spring"), std::string::npos);
  auto list = server_.app().campaign_store().ListEngagements("spring");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->at(0).kind, Engagement::Kind::kOpen);
  EXPECT_TRUE(list->at(0).human());
}

TEST_F(TrackingHttpTest, MachineOpensAreRecordedButNotOnTheProfile) {
  EXPECT_EQ(Get("/t/o/" + Token(TokenKind::kOpen), "Mozilla/5.0").status, 200);  // Apple MPP
  EXPECT_EQ(Get("/t/o/" + Token(TokenKind::kOpen), "Barracuda Sentinel").status, 200);
  auto list = server_.app().campaign_store().ListEngagements("spring");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->at(0).cls, EngagementClass::kPrivacyProxy);
  EXPECT_EQ(list->at(1).cls, EngagementClass::kScanner);
  EXPECT_EQ(ProfileEvents().find("email_opened"), std::string::npos);
}

TEST_F(TrackingHttpTest, ClickRedirectsOnlyToTheSignedUrl) {
  const std::string url = "https://shop.example/p/42?utm_source=email";
  auto r = Get("/t/c/" + Token(TokenKind::kClick, url));
  EXPECT_EQ(r.status, 302);
  EXPECT_EQ(r.Header("location"), url);
  EXPECT_NE(ProfileEvents().find("email_clicked"), std::string::npos);
  EXPECT_EQ(Engagements(), 1u);
}

TEST_F(TrackingHttpTest, ForgedAndTamperedTokensAreRejected) {
  const std::string good = Token(TokenKind::kClick, "https://shop.example/p/1");
  std::string tampered = good;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  TokenSigner attacker(std::string(32, 'x'));
  TrackingToken evil;
  evil.kind = TokenKind::kClick;
  evil.campaign_id = "spring";
  evil.recipient_id = "user-7";
  evil.url = "https://evil.example/phish";
  const std::string forged = *attacker.Sign(evil);
  for (const std::string& bad :
       {tampered, forged, std::string("garbage"), Token(TokenKind::kOpen) /* wrong kind */}) {
    auto r = Get("/t/c/" + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.Header("location"), "");
  }
  // A forged open still gets the pixel (nothing to learn) but records nothing.
  auto pixel = Get("/t/o/" + forged);
  EXPECT_EQ(pixel.status, 200);
  EXPECT_EQ(Engagements(), 0u);
  EXPECT_EQ(ProfileEvents().find("email_"), std::string::npos);
  // Forged unsubscribes change nothing.
  EXPECT_EQ(Post("/t/u/" + forged, "List-Unsubscribe=One-Click").status, 400);
  EXPECT_FALSE(*server_.app().campaign_store().IsSuppressed("user-7"));
}

TEST_F(TrackingHttpTest, GetDoesNotUnsubscribeOneClickPostDoes) {
  const std::string path = "/t/u/" + Token(TokenKind::kUnsubscribe);
  // Link scanners and prefetchers GET: a confirmation page, nothing changes.
  for (int i = 0; i < 3; ++i) {
    auto page = Get(path, "Mimecast Safe Links");
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("<form method=\"post\""), std::string::npos);
  }
  EXPECT_FALSE(*server_.app().campaign_store().IsSuppressed("user-7"));
  // RFC 8058 one-click: POST with List-Unsubscribe=One-Click.
  auto r = Post(path, "List-Unsubscribe=One-Click");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(*server_.app().campaign_store().IsSuppressed("user-7"));
  EXPECT_EQ(Post(path, "List-Unsubscribe=One-Click").status, 200);  // idempotent
  auto list = server_.app().campaign_store().ListEngagements("spring");
  ASSERT_TRUE(list.ok());
  ASSERT_FALSE(list->empty());
  EXPECT_EQ(list->back().kind, Engagement::Kind::kUnsubscribe);
  // Other methods are refused.
  EXPECT_EQ(server::testing::HttpCall(server_.port(), "DELETE", path).status, 405);
}

TEST_F(TrackingHttpTest, ReportJoinsSendsEngagementsAndProfileOrders) {
  // user-7 (sent, set up above) opens and then orders through the normal ingest path.
  ASSERT_EQ(Get("/t/o/" + Token(TokenKind::kOpen)).status, 200);
  v1::Batch batch;
  v1::Event order =
      server::testing::OrderEvent(1, "anon-7", "order-1", "p1", App::SystemClockMs() - 60'000);
  order.set_user_id("user-7");
  *batch.add_events() = order;
  ASSERT_EQ(server_.PostBatch(batch).status, 200);
  SendRecord held;
  held.campaign_id = "spring";
  held.recipient_id = "user-8";
  held.segment = "s";
  held.held_out = true;
  held.status = SendStatus::kHeldOut;
  held.at_ms = App::SystemClockMs() - 3'600'000;
  ASSERT_TRUE(server_.app().campaign_store().RecordSend(held).ok());

  const OrderLookup orders = OrdersFromStore(&server_.app().store());
  auto text = RenderCampaignReport(server_.app().campaign_store(), "spring", orders);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_NE(text->find("open rate 100.0%"), std::string::npos) << *text;
  EXPECT_NE(text->find("opener conversion 100.0%"), std::string::npos) << *text;
  CampaignReportOptions json;
  json.json = true;
  auto report = RenderCampaignReport(server_.app().campaign_store(), "spring", orders, json);
  ASSERT_TRUE(report.ok());
  EXPECT_NE(report->find("\"revenue_per_treated\":12.34"), std::string::npos) << *report;
  EXPECT_NE(report->find("\"revenue_per_holdout\":0"), std::string::npos) << *report;
  EXPECT_FALSE(RenderCampaignReport(server_.app().campaign_store(), "nope", orders).ok());
}

TEST(CampaignStoreTest, SendsRoundTripAndSuppressionsPersist) {
  ::vitrine::testing::TempDir dir;
  const std::string db = dir.File("c.db");
  {
    auto store = CampaignStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    SendRecord r;
    r.campaign_id = "c1";
    r.recipient_id = "u1";
    r.email = "u1@mail.test";
    r.segment = "a";
    r.status = SendStatus::kBounced;
    r.smtp_code = 550;
    r.detail = "mailbox unavailable";
    r.feed = {"p1", "p2"};
    r.at_ms = 1000;
    ASSERT_TRUE((*store)->RecordSend(r).ok());
    ASSERT_TRUE((*store)->Suppress("u9", "c1", 5).ok());
  }
  auto store = CampaignStore::Open(db);
  ASSERT_TRUE(store.ok());
  auto sends = (*store)->ListSends("c1");
  ASSERT_TRUE(sends.ok());
  ASSERT_EQ(sends->size(), 1u);
  EXPECT_EQ(sends->at(0).status, SendStatus::kBounced);
  EXPECT_EQ(sends->at(0).smtp_code, 550);
  EXPECT_EQ(sends->at(0).feed, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ((*store)->DeliveredAt("c1", "u1"), 0);  // bounced: never delivered
  EXPECT_TRUE(*(*store)->IsSuppressed("u9"));
  EXPECT_FALSE(*(*store)->IsSuppressed("u1"));
}

}  // namespace
}  // namespace vitrine::server::campaigns
