// MIME building, quoted-printable, RFC 2047 subjects, the template's size budget and layout, the
// send throttle, and SMTP over STARTTLS against the real aiosmtpd server.
#include "sync_server/campaigns/mime.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/campaigns/email_template.h"
#include "sync_server/campaigns/smtp_sender.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"
#include "tests/sync_server/campaigns/smtp_sink.h"

namespace vitrine::server::campaigns {
namespace {

MimeMessage Message() {
  MimeMessage m;
  m.from = {"news@shop.example", "Shop"};
  m.to = {"ann@mail.test", "Анна"};
  m.subject = "Привет, Анна! Новые сыворотки и кремы для вас — только на этой неделе";
  m.text_body = "Hello\nworld";
  m.html_body = "<p>Hi</p>";
  m.date_ms = 1'768'471'200'000;  // Thu, 15 Jan 2026 10:00:00 UTC
  m.message_id = "<abc@shop.example>";
  m.list_unsubscribe_url = "https://t.shop.example/t/u/TOKEN";
  return m;
}

TEST(MimeTest, QuotedPrintableRoundTripsAndKeepsLinesShort) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "Ünïcödé = ok, trailing space \n.leading dot\r\n";
  text += std::string(300, 'x');
  const std::string qp = EncodeQuotedPrintable(text);
  size_t start = 0;
  while (start < qp.size()) {
    size_t end = qp.find("\r\n", start);
    if (end == std::string::npos) end = qp.size();
    EXPECT_LE(end - start, 76u);
    EXPECT_NE(qp[start], '.');    // no bare leading dots
    EXPECT_NE(qp[end - 1], ' ');  // no trailing whitespace
    start = end + 2;
  }
  for (char c : qp) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
  std::string normalized;  // the encoder writes CRLF for every line break
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n')
      normalized += "\r\n";
    else
      normalized += text[i];
  }
  EXPECT_EQ(DecodeQuotedPrintable(qp), normalized);
}

TEST(MimeTest, EncodedWordSubjects) {
  EXPECT_EQ(EncodeHeaderText("Plain subject"), "Plain subject");
  const std::string subject = Message().subject;
  const std::string encoded = EncodeHeaderText(subject);
  std::string decoded;
  size_t pos = 0;
  while ((pos = encoded.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const size_t end = encoded.find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end + 2 - pos, 75u);  // RFC 2047 word limit
    std::string b64 = encoded.substr(pos + 10, end - pos - 10);
    for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    auto bytes = DecodeBase64Url(b64);
    ASSERT_TRUE(bytes);
    decoded += *bytes;  // each word holds whole code points: valid UTF-8 on its own
    pos = end + 2;
  }
  EXPECT_EQ(decoded, subject);
}

TEST(MimeTest, HeadersAndStructure) {
  auto mime = BuildMime(Message());
  ASSERT_TRUE(mime.ok());
  const std::string& m = *mime;
  EXPECT_NE(m.find("\r\nDate: Thu, 15 Jan 2026 10:00:00 +0000\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\nMessage-ID: <abc@shop.example>\r\n"), std::string::npos);
  EXPECT_NE(m.find("\r\nList-Unsubscribe: <https://t.shop.example/t/u/TOKEN>\r\n"),
            std::string::npos);
  EXPECT_NE(m.find("\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"), std::string::npos);
  EXPECT_NE(m.find("To: =?UTF-8?B?"), std::string::npos);
  EXPECT_NE(m.find("Content-Type: multipart/alternative;"), std::string::npos);
  EXPECT_EQ(m.find("\n\n"), std::string::npos);  // CRLF only
  for (size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n') {
      EXPECT_EQ(m[i - 1], '\r');
    }
  }
}

TEST(MimeTest, RefusesHeaderInjection) {
  MimeMessage m = Message();
  m.subject = "Hi\r\nBcc: victim@example.com";
  EXPECT_FALSE(BuildMime(m).ok());
  m = Message();
  m.list_unsubscribe_url.clear();
  EXPECT_FALSE(BuildMime(m).ok());
}

TEST(TemplateTest, PersonalisationAndEscaping) {
  EXPECT_EQ(Personalize("Hi {{first_name|there}}!", {{"first_name", "Иван"}}), "Hi Иван!");
  EXPECT_EQ(Personalize("Hi {{ first_name | there }}!", {}), "Hi  there !");
  EXPECT_EQ(Personalize("Hi {{first_name}}!", {}), "Hi !");
  TemplateInput in;
  in.headline_template = "Hello {{first_name}}";
  in.vars = {{"first_name", "<script>"}};
  EXPECT_EQ(RenderEmail(in).html.find("<script>"), std::string::npos);
  EXPECT_EQ(FormatPrice(12'345'000, "EUR"), "12.35 EUR");
}

TEST(TemplateTest, TwentyProductsStayUnderGmailsClippingLimit) {
  TemplateInput in;
  in.subject_template = "Your picks";
  in.preheader_template = "New in";
  in.headline_template = "Hello";
  in.intro_template = std::string(400, 'i');
  in.shop_name = "Shop";
  in.open_pixel_url = "https://t.shop.example/t/o/" + std::string(160, 'T');
  in.unsubscribe_url = "https://t.shop.example/t/u/" + std::string(160, 'U');
  for (int i = 0; i < 20; ++i) {
    FeedItem f;
    f.product_id = "p" + std::to_string(i);
    f.title = "Сыворотка с витамином C и гиалуроновой кислотой, 30 мл, номер " + std::to_string(i);
    f.price_micros = 19'990'000;
    f.currency = "EUR";
    f.image_url = "https://cdn.shop.example/img/" + std::string(60, 'a') + ".jpg";
    in.feed.push_back(f);
    in.feed_click_urls.push_back("https://t.shop.example/t/c/" + std::string(200, 'C'));
  }
  const RenderedEmail email = RenderEmail(in);
  MimeMessage m = Message();
  m.html_body = email.html;
  m.text_body = email.text;
  auto mime = BuildMime(m);
  ASSERT_TRUE(mime.ok());
  EXPECT_LT(mime->size(), 102u * 1024u) << mime->size();
  EXPECT_LT(email.html.find("/t/o/"), email.html.find("data-product-id"));  // pixel on top
  EXPECT_NE(email.html.find("width=\"600\""), std::string::npos);
  EXPECT_EQ(email.html.find("<style"), std::string::npos);  // inline CSS only
}

TEST(RateLimiterTest, ThrottlesToTheConfiguredRate) {
  int64_t now = 0;
  int64_t slept = 0;
  RateLimiter limiter(
      10.0, 2.0, [&] { return now; },
      [&](int64_t ms) {
        now += ms;
        slept += ms;
      });
  for (int i = 0; i < 22; ++i) limiter.Acquire();
  // A burst of 2, then 20 more at 10/s: 2 s of waiting.
  EXPECT_GE(now, 2000);
  EXPECT_LE(now, 2100);
  EXPECT_EQ(slept, now);
}

TEST(SmtpSenderTest, StartTlsRequiredAndVerified) {
  const std::string python = testing::PythonWithAiosmtpd();
  if (python.empty()) GTEST_SKIP() << "python3 with aiosmtpd not found";
  if (!::vitrine::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not found";
  ::vitrine::testing::TempDir dir;
  ASSERT_EQ(::vitrine::testing::MakeTestCertificates(dir.path()), "");
  const std::string inbox = dir.File("inbox");
  std::filesystem::create_directories(inbox);
  const std::string data = *BuildMime(Message());
  {
    testing::SmtpSink tls_sink(python, inbox,
                               {"--tls-cert", dir.File("server.pem"), "--tls-key",
                                dir.File("server.key"), "--require-starttls"});
    ASSERT_NE(tls_sink.port(), 0);
    SmtpOptions options;
    options.url = tls_sink.url();
    options.require_starttls = true;
    options.ca_file = dir.File("ca.pem");
    CurlSmtpSender sender(options);
    const SendResult ok = sender.Send({"news@shop.example", "ann@mail.test", data});
    EXPECT_EQ(ok.outcome, SendResult::Outcome::kSent) << ok.detail;
    // An untrusted CA: the TLS handshake fails, nothing is sent.
    options.ca_file = dir.File("other_ca.pem");
    CurlSmtpSender untrusted(options);
    EXPECT_EQ(untrusted.Send({"news@shop.example", "bob@mail.test", data}).outcome,
              SendResult::Outcome::kFailed);
  }
  {
    // A server without STARTTLS: require_starttls refuses to send in clear text.
    testing::SmtpSink plain_sink(python, inbox, {});
    ASSERT_NE(plain_sink.port(), 0);
    SmtpOptions options;
    options.url = plain_sink.url();
    options.require_starttls = true;
    CurlSmtpSender sender(options);
    EXPECT_EQ(sender.Send({"news@shop.example", "cy@mail.test", data}).outcome,
              SendResult::Outcome::kFailed);
  }
  size_t delivered = 0;
  for (const auto& e : std::filesystem::directory_iterator(inbox)) {
    delivered += e.path().extension() == ".eml";
  }
  EXPECT_EQ(delivered, 1u);  // only the verified STARTTLS one
}

}  // namespace
}  // namespace vitrine::server::campaigns
