// Email tracking: HMAC-signed tokens for the open pixel, click redirects and the one-click
// unsubscribe URL; the classification of opens and clicks as human or machine; and the service
// the HTTP routes call (it knows no HTTP: the routes pass the token, User-Agent and client IP).
//
// Token = base64url(payload) "." base64url(HMAC-SHA256(key, "vt1." + payload)[0..16)).
// The payload binds the kind (open / click / unsubscribe), campaign id, recipient id, link index,
// the click target URL and an expiry; any change to any byte fails verification. The MAC is
// compared in constant time. A click redirects only to the URL inside a verified token, so the
// endpoint is no open redirect. Signing keys rotate: tokens verify against the primary key or
// any previous key, and are signed with the primary.
//
// RFC 8058: the List-Unsubscribe URL answers GET with a confirmation page and changes nothing
// (mail scanners fetch every link); only POST (body "List-Unsubscribe=One-Click", or the form of
// the confirmation page) unsubscribes.
//
// Machine opens: Apple Mail Privacy Protection prefetches images from Apple's 17.0.0.0/8 with a
// bare "Mozilla/5.0" user agent; Gmail fetches through GoogleImageProxy; security gateways
// (Barracuda, Mimecast, Proofpoint, Microsoft Safe Links, ...) fetch and click everything, often
// within seconds of delivery. Metrics count human events only.
//
// Thread safety: TokenSigner and OpenClassifier are immutable after construction and safe to use
// concurrently. TrackingService methods are safe to call concurrently if its sink and
// suppression list are (the in-memory implementations here are).
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_TRACKING_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_TRACKING_H_

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server::campaigns {

enum class TokenKind : uint8_t { kOpen = 1, kClick = 2, kUnsubscribe = 3 };

struct TrackingToken {
  TokenKind kind = TokenKind::kOpen;
  std::string campaign_id;
  std::string recipient_id;  // the profile's user id
  uint32_t link_index = 0;   // kClick: position of the link in the message
  std::string url;           // kClick: the redirect target (http or https only)
  int64_t expires_at_ms = 0;
};

class TokenSigner {
 public:
  // REQUIRES: primary_key has at least 32 bytes. `previous_keys` still verify (key rotation).
  explicit TokenSigner(std::string primary_key, std::vector<std::string> previous_keys = {});

  // kInvalid for a click token whose URL is not absolute http(s), or fields over 1 KiB / 4 KiB.
  StatusOr<std::string> Sign(const TrackingToken& token) const;
  // kInvalid "bad_token" for anything malformed, forged or tampered; kInvalid "expired_token"
  // when `now_ms` is past the expiry.
  StatusOr<TrackingToken> Verify(std::string_view token, int64_t now_ms) const;

  // Derives a tracking key from another secret (e.g. the admin key) so deployments need not
  // configure one more secret; domain-separated, so the token key reveals nothing of the source.
  static std::string DeriveKey(std::string_view secret);

 private:
  std::string Mac(std::string_view key, std::string_view payload) const;

  std::string primary_;
  std::vector<std::string> previous_;
};

enum class EngagementClass {
  kHuman,
  kPrivacyProxy,  // Apple MPP, Google image proxy: the open was not a person reading
  kScanner,       // security gateways, link checkers, HTTP libraries
  kTooFast,       // within `min_human_delay_ms` of delivery
};
const char* EngagementClassName(EngagementClass c);

struct EngagementContext {
  std::string user_agent;
  std::string ip;               // dotted IPv4 or IPv6 text; may be empty
  int64_t delivered_at_ms = 0;  // 0: unknown (no too-fast check)
  int64_t at_ms = 0;
};

struct ClassifierOptions {
  int64_t min_human_delay_ms = 3000;  // opens/clicks sooner after delivery are machines
  // Gmail's proxy fetches images when the message is opened, so its opens are arguably human;
  // the default follows the conservative reading (privacy proxy = not counted).
  bool gmail_proxy_is_human = false;
};

class OpenClassifier {
 public:
  explicit OpenClassifier(ClassifierOptions options = {}) : options_(options) {}
  EngagementClass Classify(const EngagementContext& context) const;

 private:
  ClassifierOptions options_;
};

// One recorded tracking event.
struct Engagement {
  enum class Kind { kOpen, kClick, kUnsubscribe };
  Kind kind = Kind::kOpen;
  std::string campaign_id;
  std::string recipient_id;
  uint32_t link_index = 0;
  std::string url;
  int64_t at_ms = 0;
  EngagementClass cls = EngagementClass::kHuman;
  bool human() const { return cls == EngagementClass::kHuman; }
};
const char* EngagementKindName(Engagement::Kind kind);

// Where engagements go: the campaign store, and the profile (email_opened / email_clicked
// events through ingest). Implementations must be thread-safe.
class EngagementSink {
 public:
  virtual ~EngagementSink() = default;
  virtual Status Record(const Engagement& engagement) = 0;
  // When the campaign reached the recipient (for the too-fast check); 0 when unknown.
  virtual int64_t DeliveredAt(const std::string& campaign_id, const std::string& recipient_id) {
    (void)campaign_id;
    (void)recipient_id;
    return 0;
  }
};

// Recipients who unsubscribed. Implementations must be thread-safe.
class SuppressionList {
 public:
  virtual ~SuppressionList() = default;
  virtual Status Suppress(const std::string& recipient_id, const std::string& campaign_id,
                          int64_t at_ms) = 0;
  virtual StatusOr<bool> IsSuppressed(const std::string& recipient_id) = 0;
};

class MemorySuppressionList : public SuppressionList {
 public:
  Status Suppress(const std::string& recipient_id, const std::string& campaign_id,
                  int64_t at_ms) override;
  StatusOr<bool> IsSuppressed(const std::string& recipient_id) override;

 private:
  std::mutex mu_;
  std::set<std::string> suppressed_;  // guarded by mu_
};

// Fans one engagement out to several sinks (e.g. the campaign store and the profile); the first
// error wins, every sink is still called.
class FanOutSink : public EngagementSink {
 public:
  explicit FanOutSink(std::vector<EngagementSink*> sinks) : sinks_(std::move(sinks)) {}
  Status Record(const Engagement& engagement) override;
  int64_t DeliveredAt(const std::string& campaign_id, const std::string& recipient_id) override;

 private:
  std::vector<EngagementSink*> sinks_;
};

struct TrackingUrls {
  std::string base_url;  // "https://shop.example/t" (no trailing slash)
  std::string OpenUrl(const std::string& token) const { return base_url + "/o/" + token; }
  std::string ClickUrl(const std::string& token) const { return base_url + "/c/" + token; }
  std::string UnsubscribeUrl(const std::string& token) const { return base_url + "/u/" + token; }
};

class TrackingService {
 public:
  using Clock = std::function<int64_t()>;
  // `signer`, `sink` and `suppressions` must outlive the service.
  TrackingService(const TokenSigner* signer, EngagementSink* sink, SuppressionList* suppressions,
                  OpenClassifier classifier, Clock clock);

  // The open pixel: verifies and records. The HTTP route answers PixelGif() whatever this
  // returns (a broken image helps nobody), but a forged token records nothing.
  StatusOr<Engagement> Open(std::string_view token, const std::string& user_agent,
                            const std::string& ip);
  // A click: verifies, records, and returns the URL to redirect to (only ever the signed one).
  StatusOr<std::string> Click(std::string_view token, const std::string& user_agent,
                              const std::string& ip);
  // GET on the unsubscribe URL: a confirmation page (HTML) with a POST form; changes nothing.
  StatusOr<std::string> UnsubscribePage(std::string_view token, std::string_view post_url);
  // POST on the unsubscribe URL (RFC 8058 one-click, or the page's form): suppresses the
  // recipient and records the engagement. Idempotent.
  Status Unsubscribe(std::string_view token);

  // A 1x1 transparent GIF (43 bytes).
  static const std::string& PixelGif();

 private:
  StatusOr<TrackingToken> VerifyKind(std::string_view token, TokenKind kind) const;

  const TokenSigner* const signer_;
  EngagementSink* const sink_;
  SuppressionList* const suppressions_;
  const OpenClassifier classifier_;
  const Clock clock_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_TRACKING_H_
