#include "sync_server/campaigns/tracking.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/campaigns/email_template.h"  // HtmlEscape

namespace vitrine::server::campaigns {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 16;  // HMAC-SHA256 truncated to 128 bits (RFC 2104 section 5)

Status BadToken(const std::string& why) { return Status(Status::Kind::kInvalid, "bad_token", why); }

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// A bounds-checked reader of the payload.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint8_t& v) {
    if (pos_ + 1 > data_.size()) return false;
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool U32(uint32_t& v) {
    if (pos_ + 4 > data_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool U64(uint64_t& v) {
    if (pos_ + 8 > data_.size()) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool String(std::string& s) {
    uint32_t n = 0;
    if (!U32(n) || n > data_.size() - pos_) return false;
    s.assign(data_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

bool IsHttpUrl(const std::string& url) {
  std::string lower = url.substr(0, 8);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const size_t host_at = lower.starts_with("https://") ? 8 : lower.starts_with("http://") ? 7 : 0;
  if (host_at == 0 || url.size() <= host_at) return false;
  // No control characters or spaces: the URL goes verbatim into a Location header.
  return std::none_of(url.begin(), url.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7F; });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Apple's 17.0.0.0/8, as dotted IPv4 or IPv4-mapped IPv6.
bool InApplePrivacyRange(std::string_view ip) {
  if (ip.starts_with("::ffff:")) ip.remove_prefix(7);
  return ip.starts_with("17.") && ip.find(':') == std::string_view::npos;
}

}  // namespace

TokenSigner::TokenSigner(std::string primary_key, std::vector<std::string> previous_keys)
    : primary_(std::move(primary_key)), previous_(std::move(previous_keys)) {}

std::string TokenSigner::DeriveKey(std::string_view secret) {
  return HmacSha256("vitrine email tracking key v1", secret);
}

std::string TokenSigner::Mac(std::string_view key, std::string_view payload) const {
  std::string data = "vt1.";
  data.append(payload);
  return HmacSha256(key, data).substr(0, kMacBytes);
}

StatusOr<std::string> TokenSigner::Sign(const TrackingToken& token) const {
  if (token.campaign_id.size() > 1024 || token.recipient_id.size() > 1024 ||
      token.url.size() > 4096) {
    return Status(Status::Kind::kInvalid, "token_too_large", "token fields too long");
  }
  if (token.kind == TokenKind::kClick && !IsHttpUrl(token.url)) {
    return Status(Status::Kind::kInvalid, "bad_click_url",
                  "click targets must be absolute http(s) URLs");
  }
  std::string payload;
  payload.push_back(kVersion);
  payload.push_back(static_cast<char>(token.kind));
  PutU64(payload, static_cast<uint64_t>(token.expires_at_ms));
  PutU32(payload, token.link_index);
  PutString(payload, token.campaign_id);
  PutString(payload, token.recipient_id);
  PutString(payload, token.kind == TokenKind::kClick ? token.url : std::string());
  return Base64Url(payload) + "." + Base64Url(Mac(primary_, payload));
}

StatusOr<TrackingToken> TokenSigner::Verify(std::string_view token, int64_t now_ms) const {
  if (token.size() > 8192) return BadToken("token too long");
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return BadToken("no signature");
  auto payload = DecodeBase64Url(token.substr(0, dot));
  auto mac = DecodeBase64Url(token.substr(dot + 1));
  if (!payload || !mac) return BadToken("not base64url");
  // Check every key without stopping early, so timing does not tell which key matched.
  bool ok = ConstantTimeEquals(Mac(primary_, *payload), *mac);
  for (const std::string& key : previous_) ok |= ConstantTimeEquals(Mac(key, *payload), *mac);
  if (!ok) return BadToken("signature mismatch");

  Reader r(*payload);
  uint8_t version = 0, kind = 0;
  uint64_t expires = 0;
  TrackingToken out;
  if (!r.U8(version) || version != kVersion || !r.U8(kind) || kind < 1 || kind > 3 ||
      !r.U64(expires) || !r.U32(out.link_index) || !r.String(out.campaign_id) ||
      !r.String(out.recipient_id) || !r.String(out.url) || !r.AtEnd()) {
    return BadToken("malformed payload");
  }
  out.kind = static_cast<TokenKind>(kind);
  out.expires_at_ms = static_cast<int64_t>(expires);
  if (out.expires_at_ms != 0 && now_ms > out.expires_at_ms) {
    return Status(Status::Kind::kInvalid, "expired_token", "the link has expired");
  }
  if (out.kind == TokenKind::kClick && !IsHttpUrl(out.url)) return BadToken("bad click url");
  return out;
}

const char* EngagementClassName(EngagementClass c) {
  switch (c) {
    case EngagementClass::kHuman:
      return "human";
    case EngagementClass::kPrivacyProxy:
      return "privacy_proxy";
    case EngagementClass::kScanner:
      return "scanner";
    case EngagementClass::kTooFast:
      return "too_fast";
  }
  return "unknown";
}

const char* EngagementKindName(Engagement::Kind kind) {
  switch (kind) {
    case Engagement::Kind::kOpen:
      return "open";
    case Engagement::Kind::kClick:
      return "click";
    case Engagement::Kind::kUnsubscribe:
      return "unsubscribe";
  }
  return "unknown";
}

EngagementClass OpenClassifier::Classify(const EngagementContext& context) const {
  std::string ua = Lower(context.user_agent);
  while (!ua.empty() && ua.back() == ' ') ua.pop_back();
  if (ua.empty()) return EngagementClass::kScanner;
  static constexpr std::array<std::string_view, 28> kScanners = {
      "barracuda",   "mimecast",       "proofpoint",      "ppops-",
      "symantec",    "messagelabs",    "forcepoint",      "ironport",
      "trend micro", "trendmicro",     "sophos",          "fortinet",
      "zscaler",     "safelinks",      "python-requests", "python-urllib",
      "curl/",       "wget",           "go-http-client",  "java/",
      "okhttp",      "headlesschrome", "phantomjs",       "bot",
      "spider",      "crawler",        "scanner",         "linkcheck"};
  for (std::string_view s : kScanners) {
    if (ua.find(s) != std::string::npos) return EngagementClass::kScanner;
  }
  // Apple MPP: a bare "Mozilla/5.0" (nothing after it), or Apple's address block.
  if (ua == "mozilla/5.0" || InApplePrivacyRange(context.ip)) {
    return EngagementClass::kPrivacyProxy;
  }
  if ((ua.find("googleimageproxy") != std::string::npos ||
       ua.find("yahoomailproxy") != std::string::npos) &&
      !options_.gmail_proxy_is_human) {
    return EngagementClass::kPrivacyProxy;
  }
  if (context.delivered_at_ms > 0 &&
      context.at_ms - context.delivered_at_ms < options_.min_human_delay_ms) {
    return EngagementClass::kTooFast;
  }
  return EngagementClass::kHuman;
}

Status MemorySuppressionList::Suppress(const std::string& recipient_id, const std::string&,
                                       int64_t) {
  std::lock_guard lock(mu_);
  suppressed_.insert(recipient_id);
  return Status::Ok();
}

StatusOr<bool> MemorySuppressionList::IsSuppressed(const std::string& recipient_id) {
  std::lock_guard lock(mu_);
  return suppressed_.count(recipient_id) > 0;
}

Status FanOutSink::Record(const Engagement& engagement) {
  Status first;
  for (EngagementSink* sink : sinks_) {
    Status s = sink->Record(engagement);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

int64_t FanOutSink::DeliveredAt(const std::string& campaign_id, const std::string& recipient_id) {
  for (EngagementSink* sink : sinks_) {
    const int64_t at = sink->DeliveredAt(campaign_id, recipient_id);
    if (at > 0) return at;
  }
  return 0;
}

TrackingService::TrackingService(const TokenSigner* signer, EngagementSink* sink,
                                 SuppressionList* suppressions, OpenClassifier classifier,
                                 Clock clock)
    : signer_(signer),
      sink_(sink),
      suppressions_(suppressions),
      classifier_(classifier),
      clock_(std::move(clock)) {}

StatusOr<TrackingToken> TrackingService::VerifyKind(std::string_view token, TokenKind kind) const {
  auto t = signer_->Verify(token, clock_());
  if (!t.ok()) return t.status();
  // A valid open token must not work as a click or unsubscribe token.
  if (t->kind != kind) return BadToken("wrong token kind");
  return t;
}

StatusOr<Engagement> TrackingService::Open(std::string_view token, const std::string& user_agent,
                                           const std::string& ip) {
  auto t = VerifyKind(token, TokenKind::kOpen);
  if (!t.ok()) return t.status();
  Engagement e;
  e.kind = Engagement::Kind::kOpen;
  e.campaign_id = t->campaign_id;
  e.recipient_id = t->recipient_id;
  e.at_ms = clock_();
  e.cls = classifier_.Classify(
      {user_agent, ip, sink_->DeliveredAt(e.campaign_id, e.recipient_id), e.at_ms});
  if (Status s = sink_->Record(e); !s.ok()) return s;
  return e;
}

StatusOr<std::string> TrackingService::Click(std::string_view token, const std::string& user_agent,
                                             const std::string& ip) {
  auto t = VerifyKind(token, TokenKind::kClick);
  if (!t.ok()) return t.status();
  Engagement e;
  e.kind = Engagement::Kind::kClick;
  e.campaign_id = t->campaign_id;
  e.recipient_id = t->recipient_id;
  e.link_index = t->link_index;
  e.url = t->url;
  e.at_ms = clock_();
  e.cls = classifier_.Classify(
      {user_agent, ip, sink_->DeliveredAt(e.campaign_id, e.recipient_id), e.at_ms});
  // A failure to record must not strand the shopper: the redirect still happens.
  (void)sink_->Record(e);
  return t->url;
}

StatusOr<std::string> TrackingService::UnsubscribePage(std::string_view token,
                                                       std::string_view post_url) {
  auto t = VerifyKind(token, TokenKind::kUnsubscribe);
  if (!t.ok()) return t.status();
  std::string page =
      "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width\"><title>Unsubscribe</title></head><body style=\"font-family:"
      "Arial,sans-serif;max-width:480px;margin:40px auto\"><h1 style=\"font-size:20px\">"
      "Unsubscribe from these emails?</h1><p>Nothing has changed yet: confirm below.</p>"
      "<form method=\"post\" action=\"";
  page += HtmlEscape(post_url);
  page +=
      "\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">"
      "<button type=\"submit\" style=\"padding:10px 20px\">Unsubscribe</button></form>"
      "</body></html>";
  return page;
}

Status TrackingService::Unsubscribe(std::string_view token) {
  auto t = VerifyKind(token, TokenKind::kUnsubscribe);
  if (!t.ok()) return t.status();
  const int64_t now = clock_();
  if (Status s = suppressions_->Suppress(t->recipient_id, t->campaign_id, now); !s.ok()) return s;
  Engagement e;
  e.kind = Engagement::Kind::kUnsubscribe;
  e.campaign_id = t->campaign_id;
  e.recipient_id = t->recipient_id;
  e.at_ms = now;
  return sink_->Record(e);
}

const std::string& TrackingService::PixelGif() {
  static const std::string kGif = [] {
    static constexpr unsigned char kBytes[] = {
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B};
    return std::string(reinterpret_cast<const char*>(kBytes), sizeof kBytes);
  }();
  return kGif;
}

}  // namespace vitrine::server::campaigns
