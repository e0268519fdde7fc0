// Must-show 1: a campaign to a segment is delivered to a REAL local SMTP server (aiosmtpd on
// loopback); each message carries that recipient's own feed (from a trained model, in stock
// only), is valid MIME (checked by our parser and independently by Python's email package), has
// both unsubscribe headers, and is under 102 KB. A recipient the server refuses with 550 is
// recorded as a bounce while the others go through. The send rate is throttled (manual clock).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "sync_server/campaigns/campaign_runner.h"
#include "sync_server/campaigns/crypto.h"
#include "sync_server/campaigns/mime.h"
#include "tests/support/temp_dir.h"
#include "tests/sync_server/campaigns/smtp_sink.h"

namespace vitrine::server::campaigns {
namespace {

using testing::CheckMime;
using testing::PythonWithAiosmtpd;
using testing::ReadFile;
using testing::SmtpSink;
using ::vitrine::testing::TempDir;

constexpr int kRecipients = 20;
constexpr int64_t kStart = 1'767'000'000'000;

std::string Pid(int i) { return "p" + std::string(i < 10 ? "0" : "") + std::to_string(i); }

// 40 products: p00..p19 are what recipients viewed; p20..p38 are their neighbours; p39 is every
// product's best neighbour but out of stock, so it must never reach a feed.
struct Shop {
  std::map<std::string, vitrine::v1::CatalogItem> catalog;
  std::shared_ptr<const training::TrainedModel> model;
};

Shop MakeShop() {
  Shop shop;
  training::v1::ModelArtifact a;
  a.set_format(1);
  a.set_version("test-1");
  for (int i = 0; i < 40; ++i) {
    a.add_product_ids(Pid(i));
    vitrine::v1::CatalogItem item;
    item.set_product_id(Pid(i));
    item.set_title("Serum " + Pid(i));
    item.set_price_micros(10'000'000 + i * 1'000'000);
    item.set_currency("EUR");
    item.set_url("https://shop.example/p/" + Pid(i));
    item.set_image_url("https://cdn.shop.example/img/" + Pid(i) + ".jpg");
    item.set_category("Skin Care/Serums");
    item.set_stock(i == 39 ? 0 : 5);
    shop.catalog[Pid(i)] = item;
  }
  for (int i = 0; i < 20; ++i) {
    auto* n = a.add_neighbours();
    n->set_product_id(Pid(i));
    auto add = [&](const std::string& id, float score) {
      auto* s = n->add_items();
      s->set_product_id(id);
      s->set_score(score);
    };
    add(Pid(39), 1.0f);
    add(Pid(20 + i % 19), 0.9f);
    add(Pid(20 + (i + 1) % 19), 0.8f);
  }
  for (int i : {39, 0, 1, 2, 3}) {
    auto* s = a.add_popular();
    s->set_product_id(Pid(i));
    s->set_score(1.0f);
  }
  auto model = training::TrainedModel::FromArtifact(a);
  EXPECT_TRUE(model.ok());
  shop.model = std::shared_ptr<const training::TrainedModel>(std::move(*model));
  return shop;
}

std::vector<Recipient> Audience() {
  std::vector<Recipient> out;
  for (int i = 0; i < kRecipients; ++i) {
    Recipient r;
    r.recipient_id = "user-" + std::to_string(i);
    r.email = "customer" + std::to_string(i) + "@mail.test";
    r.segment = i < 10 ? "serum-lovers" : "new-customers";
    if (i % 3 != 0) r.vars["first_name"] = i % 2 ? "Анна" : "Mary";
    r.history = {Pid(i)};
    out.push_back(r);
  }
  return out;
}

CampaignSpec Spec() {
  CampaignSpec spec;
  spec.id = "spring-serums";
  spec.name = "Spring serums";
  spec.from = {"news@shop.example", "Шоп Example"};
  spec.subject_template = "{{first_name|Друг}}, новинки для вас";
  spec.preheader_template = "Picked for you, {{first_name|friend}}";
  spec.headline_template = "Hello {{first_name|there}}";
  spec.intro_template = "New serums chosen from what you looked at.";
  spec.shop_name = "Shop Example";
  spec.shop_url = "https://shop.example/";
  spec.footer_text = "Shop Example, 1 Main St, Springfield";
  spec.feed_size = 3;
  spec.holdout_fraction = 0.1;
  spec.holdout_seed = 7;
  spec.tracking_base_url = "https://t.shop.example/t";
  spec.message_id_domain = "shop.example";
  spec.unsubscribe_mailto = "mailto:unsubscribe@shop.example";
  return spec;
}

// "Name: value" headers of a message, unfolded, names lower-cased.
std::map<std::string, std::string> Headers(const std::string& msg) {
  std::map<std::string, std::string> out;
  const std::string head = msg.substr(0, msg.find("\r\n\r\n"));
  std::string last;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(pos, end - pos);
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      out[last] += line;
    } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
      last = line.substr(0, colon);
      std::transform(last.begin(), last.end(), last.begin(), ::tolower);
      out[last] = line.substr(colon + 2);
    }
    pos = end + 2;
  }
  return out;
}

// The token inside "<https://t.shop.example/t/u/TOKEN>".
std::string UnsubscribeToken(const std::string& header) {
  const std::string prefix = "<https://t.shop.example/t/u/";
  const size_t b = header.find(prefix);
  if (b == std::string::npos) return "";
  const size_t e = header.find('>', b);
  return header.substr(b + prefix.size(), e - b - prefix.size());
}

TEST(CampaignDeliveryTest, SegmentToRealSmtpServer) {
  const std::string python = PythonWithAiosmtpd();
  if (python.empty()) GTEST_SKIP() << "python3 with aiosmtpd (Debian python3-aiosmtpd) not found";
  TempDir dir;
  const std::string inbox = dir.File("inbox");
  std::filesystem::create_directories(inbox);

  const std::vector<Recipient> audience = Audience();
  const CampaignSpec spec = Spec();
  const std::vector<bool> held =
      CampaignRunner::Holdout(audience, spec.holdout_fraction, spec.holdout_seed);
  ASSERT_EQ(std::count(held.begin(), held.end(), true), 2);  // 10% of each 10-person segment
  // The server refuses one treated recipient's mailbox.
  int refused = 0;
  while (held[static_cast<size_t>(refused)]) ++refused;
  const std::string refused_email = audience[static_cast<size_t>(refused)].email;

  SmtpSink sink(python, inbox, {"--reject", refused_email});
  ASSERT_NE(sink.port(), 0) << "SMTP sink did not start";

  const Shop shop = MakeShop();
  ModelFeedSource feeds(shop.model,
                        [&](const std::string& id) -> std::optional<vitrine::v1::CatalogItem> {
                          auto it = shop.catalog.find(id);
                          if (it == shop.catalog.end()) return std::nullopt;
                          return it->second;
                        });
  TokenSigner signer(std::string(32, 's'));
  SmtpOptions smtp;
  smtp.url = sink.url();
  CurlSmtpSender sender(smtp);
  MemorySuppressionList suppressions;
  int64_t now = kStart;
  RateLimiter limiter(
      5.0, 1.0, [&] { return now; }, [&](int64_t ms) { now += ms; });
  CampaignRunner runner(&signer, &sender, &feeds, &suppressions, &limiter, [&] { return now; });

  std::vector<SendRecord> observed;
  auto report = runner.Run(spec, audience, [&](const SendRecord& r) { observed.push_back(r); });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->sends.size(), static_cast<size_t>(kRecipients));
  EXPECT_EQ(observed.size(), report->sends.size());
  EXPECT_EQ(report->Count(SendStatus::kHeldOut), 2);
  EXPECT_EQ(report->Count(SendStatus::kBounced), 1);
  EXPECT_EQ(report->Count(SendStatus::kSent), kRecipients - 3);
  const SendRecord& bounce = report->sends[static_cast<size_t>(refused)];
  EXPECT_EQ(bounce.status, SendStatus::kBounced);
  EXPECT_EQ(bounce.smtp_code, 550);
  EXPECT_FALSE(bounce.detail.empty());
  // 18 messages went to the server at 5/s with a burst of 1: at least 17 waits of 200 ms.
  EXPECT_GE(now - kStart, 17 * 200);

  // What the server received, by recipient.
  std::map<std::string, std::string> received;  // email -> raw message
  for (const auto& entry : std::filesystem::directory_iterator(inbox)) {
    if (entry.path().extension() != ".eml") continue;
    std::string rcpt = ReadFile(std::filesystem::path(entry.path()).replace_extension(".rcpt"));
    rcpt.erase(rcpt.find_last_not_of("\n") + 1);
    ASSERT_EQ(rcpt.find('\n'), std::string::npos) << "one envelope recipient per message";
    received[rcpt] = ReadFile(entry.path().string());
  }
  ASSERT_EQ(received.size(), static_cast<size_t>(kRecipients - 3));
  EXPECT_EQ(received.count(refused_email), 0u);

  std::set<std::string> message_ids;
  std::set<std::vector<std::string>> distinct_feeds;
  for (size_t i = 0; i < audience.size(); ++i) {
    const Recipient& r = audience[i];
    const SendRecord& rec = report->sends[i];
    if (rec.status != SendStatus::kSent) {
      EXPECT_EQ(received.count(r.email), 0u) << r.email;
      continue;
    }
    SCOPED_TRACE(r.email);
    ASSERT_EQ(received.count(r.email), 1u);
    const std::string& msg = received[r.email];
    EXPECT_LT(msg.size(), 102u * 1024u);
    const auto h = Headers(msg);
    EXPECT_NE(h.at("to").find("<" + r.email + ">"), std::string::npos);
    EXPECT_TRUE(h.at("subject").starts_with("=?UTF-8?B?")) << h.at("subject");
    EXPECT_EQ(h.at("mime-version"), "1.0");
    EXPECT_TRUE(h.at("content-type").starts_with("multipart/alternative;"));
    EXPECT_EQ(h.at("list-unsubscribe-post"), "List-Unsubscribe=One-Click");
    EXPECT_NE(h.at("list-unsubscribe").find("<mailto:unsubscribe@shop.example>"),
              std::string::npos);
    EXPECT_EQ(h.at("message-id"), rec.message_id);
    EXPECT_TRUE(message_ids.insert(h.at("message-id")).second);
    // The unsubscribe token is this recipient's, signed by us.
    auto token = signer.Verify(UnsubscribeToken(h.at("list-unsubscribe")), now);
    ASSERT_TRUE(token.ok()) << h.at("list-unsubscribe");
    EXPECT_EQ(token->kind, TokenKind::kUnsubscribe);
    EXPECT_EQ(token->recipient_id, r.recipient_id);
    EXPECT_EQ(token->campaign_id, spec.id);

    // The recipient's own feed: its two in-stock neighbours, then the popular top-up; never the
    // out-of-stock p39, never the product it viewed.
    const int n = static_cast<int>(i);
    std::vector<std::string> want = {Pid(20 + n % 19), Pid(20 + (n + 1) % 19)};
    for (int p : {0, 1, 2}) {
      if (p != n && want.size() < 3) want.push_back(Pid(p));
    }
    EXPECT_EQ(rec.feed, want);
    distinct_feeds.insert(rec.feed);
    const std::string html_start = "Content-Type: text/html; charset=UTF-8";
    const size_t html_at = msg.find(html_start);
    ASSERT_NE(html_at, std::string::npos);
    const std::string html = DecodeQuotedPrintable(msg.substr(html_at));
    for (const std::string& id : want) {
      EXPECT_NE(html.find("data-product-id=\"" + id + "\""), std::string::npos) << id;
    }
    EXPECT_EQ(html.find("p39"), std::string::npos);
    EXPECT_NE(html.find("width=\"600\""), std::string::npos);
    // The open pixel precedes the first product.
    const size_t pixel = html.find("https://t.shop.example/t/o/");
    ASSERT_NE(pixel, std::string::npos);
    EXPECT_LT(pixel, html.find("data-product-id"));
    EXPECT_NE(html.find(r.vars.count("first_name") ? "Hello " + r.vars.at("first_name")
                                                   : std::string("Hello there")),
              std::string::npos);
  }
  EXPECT_GE(distinct_feeds.size(), 15u);  // feeds are per recipient, not one per campaign

  // An independent parser (Python's email package) agrees the messages are valid MIME.
  const auto checked = CheckMime(python, inbox);
  ASSERT_EQ(checked.size(), received.size());
  for (const auto& m : checked) {
    SCOPED_TRACE(m.at("file"));
    EXPECT_EQ(m.at("defects"), "");
    EXPECT_EQ(m.at("content_type"), "multipart/alternative");
    EXPECT_EQ(m.at("parts"), "text/plain,text/html");
    EXPECT_EQ(m.at("list_unsubscribe_post"), "List-Unsubscribe=One-Click");
    EXPECT_EQ(m.at("text_has_unsubscribe"), "True");
    EXPECT_LT(std::stoul(m.at("size")), 102u * 1024u);
    EXPECT_EQ(std::count(m.at("products").begin(), m.at("products").end(), ',') + 1, 3);
    // The decoded subject is personalised (Cyrillic survived RFC 2047).
    EXPECT_TRUE(m.at("subject") == "Mary, новинки для вас" ||
                m.at("subject") == "Анна, новинки для вас" ||
                m.at("subject") == "Друг, новинки для вас")
        << m.at("subject");
  }
}

TEST(CampaignDeliveryTest, SuppressedRecipientsAreSkipped) {
  const Shop shop = MakeShop();
  ModelFeedSource feeds(shop.model,
                        [&](const std::string& id) -> std::optional<vitrine::v1::CatalogItem> {
                          return shop.catalog.at(id);
                        });
  class NullSender : public MailSender {
   public:
    SendResult Send(const OutgoingMail& mail) override {
      recipients.push_back(mail.recipient);
      return {SendResult::Outcome::kSent, 250, ""};
    }
    std::vector<std::string> recipients;
  } sender;
  TokenSigner signer(std::string(32, 's'));
  MemorySuppressionList suppressions;
  ASSERT_TRUE(suppressions.Suppress("user-5", "older-campaign", kStart).ok());
  CampaignSpec spec = Spec();
  spec.holdout_fraction = 0;
  CampaignRunner runner(&signer, &sender, &feeds, &suppressions, nullptr, [] { return kStart; });
  auto report = runner.Run(spec, Audience());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->Count(SendStatus::kSuppressed), 1);
  EXPECT_EQ(report->sends[5].status, SendStatus::kSuppressed);
  EXPECT_EQ(std::count(sender.recipients.begin(), sender.recipients.end(), "customer5@mail.test"),
            0);
  EXPECT_EQ(sender.recipients.size(), static_cast<size_t>(kRecipients - 1));
}

}  // namespace
}  // namespace vitrine::server::campaigns
