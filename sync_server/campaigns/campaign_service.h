// The campaigns service behind the admin API and the trigger worker: create a campaign (send now
// or at `send_at_ms`), list campaigns, report one, and send single triggered messages through the
// same SMTP path. Knows no HTTP: requests arrive as JSON text or structs, errors are Status
// values (kInvalid for a bad request, kNotFound, kUnavailable when SMTP is not configured).
//
// Life of a campaign (table `campaigns`): scheduled -> sending -> sent | failed | interrupted.
// Create stores the request and wakes the worker; RunDue(now) claims every scheduled campaign
// whose send_at_ms <= now (a conditional UPDATE, so two callers never both send one), resolves
// its audience at that moment (saved audiences, explicit recipients, emails from the profiles),
// and runs CampaignRunner over a fresh SMTP connection; every send record goes to the
// CampaignStore as it happens. A campaign cut short by Stop() ends "interrupted": the recipients
// not reached are recorded as deferred with detail "server stopping".
//
// Audience resolution: each `segments` id is a saved audience (AudienceStore) whose id becomes
// the members' stratum; `user_ids` and `recipients` name profiles by user id (stratum "direct"
// unless given); `emails` and recipients with only an email are sent to as they are, with the
// lower-cased address as recipient id (orders join only where the shop uses emails as user ids).
// A recipient's email is the request's, else the profile's identify traits; users with neither
// are not sent to and are counted as `no_email`. A recipient named twice is sent to once.
//
// Thread safety: every method may be called from any thread. RunDue serialises campaign runs.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_SERVICE_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_SERVICE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sync_server/campaigns/campaign_report.h"
#include "sync_server/campaigns/campaign_runner.h"
#include "sync_server/campaigns/campaign_store.h"
#include "sync_server/campaigns/recipient_directory.h"
#include "sync_server/campaigns/smtp_sender.h"
#include "sync_server/campaigns/tracking.h"
#include "sync_server/common/json_text.h"
#include "sync_server/common/status.h"

struct sqlite3;

namespace vitrine::server::campaigns {

// Deployment-wide mail settings (from the server config).
struct MailSettings {
  SmtpOptions smtp;                 // smtp.url empty: sending is not configured
  MailAddress from;                 // required to send
  std::string envelope_from;        // bounce address; "" = from.email
  double messages_per_second = 10;  // <= 0: unlimited
  std::string tracking_base_url;    // "https://shop.example/t"
  std::string message_id_domain;    // "" = the from address's domain
  std::string shop_name = "Our shop";
  std::string shop_url;  // "" = the origin of tracking_base_url
  std::string footer_text;
  std::string unsubscribe_mailto;  // optional "mailto:..."
  bool configured() const { return !smtp.url.empty() && !from.email.empty(); }
};

struct AudienceMember {
  std::string user_id;  // "" with an email only
  std::string email;    // "" = from the profile
  std::string segment;  // "" = "direct"
  TemplateVars vars;    // merged over the profile's first_name / last_name
};

struct CampaignRequest {
  std::string id;  // [A-Za-z0-9._-]{1,64}: it is in every tracking token
  std::string name;
  std::string subject;
  std::string preheader;
  std::string headline;
  std::string intro;
  size_t feed_size = 6;
  double holdout_fraction = 0.1;
  uint64_t holdout_seed = 1;
  int64_t send_at_ms = 0;  // 0 or in the past: now
  std::vector<std::string> segments;
  std::vector<AudienceMember> recipients;
};

// Parses the admin API's JSON (see docs/openapi.yaml, CampaignRequest). Unknown fields, wrong
// types, a missing id/subject/audience and out-of-range numbers are kInvalid with a message
// naming the field; text that is not JSON is kInvalid "malformed_json".
StatusOr<CampaignRequest> ParseCampaignRequest(std::string_view json);
// {"user_ids": [...]} for a saved audience.
StatusOr<std::vector<std::string>> ParseAudienceMembers(std::string_view json);

struct CampaignInfo {
  std::string id;
  std::string name;
  std::string status;  // scheduled, sending, sent, failed, interrupted
  int64_t created_ms = 0;
  int64_t send_at_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int64_t audience = 0;  // recipients resolved (held out included)
  int64_t sent = 0;
  int64_t no_email = 0;
  std::string detail;  // why it failed
};
std::string CampaignInfoJson(const CampaignInfo& info);

class CampaignService {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  struct Deps {
    CampaignStore* store = nullptr;  // sends, engagements, suppressions
    const TokenSigner* signer = nullptr;
    RecipientDirectory* directory = nullptr;
    AudienceStore* audiences = nullptr;
    // The feed: the model serving now (may return null: no feed, nothing sent) and the catalog.
    std::function<std::shared_ptr<const training::TrainedModel>()> model;
    ModelFeedSource::Lookup catalog;
    OrderLookup orders;  // for reports
    // One sender per campaign run; default: CurlSmtpSender(settings.smtp).
    std::function<std::unique_ptr<MailSender>()> make_sender;
    Clock clock;  // send_at, created/started/finished and send record times
    // The throttle's time; defaults: steady clock and a real sleep.
    RateLimiter::Clock limiter_clock;
    RateLimiter::Sleep limiter_sleep;
  };

  // Opens (creating) the `campaigns` table in the SQLite file at `db_path`. Every Deps pointer
  // must outlive the service.
  static StatusOr<std::unique_ptr<CampaignService>> Open(const std::string& db_path,
                                                         MailSettings settings, Deps deps);
  ~CampaignService();  // Stop()
  CampaignService(const CampaignService&) = delete;
  CampaignService& operator=(const CampaignService&) = delete;

  const MailSettings& settings() const { return settings_; }

  // kUnavailable "smtp_not_configured" without SMTP settings; kInvalid "campaign_exists".
  StatusOr<CampaignInfo> Create(const CampaignRequest& request);
  StatusOr<CampaignInfo> Get(const std::string& id);
  StatusOr<std::vector<CampaignInfo>> List();
  // The funnel and pooled uplift (campaign_report.h); kNotFound for an unknown campaign. A
  // campaign with no sends yet reports "null" (JSON) / a line saying so (text).
  StatusOr<std::string> Report(const std::string& id, bool json);
  Status SaveAudience(const std::string& audience_id, const std::vector<std::string>& user_ids);

  // Runs every campaign due at `now_ms`; returns how many ran.
  StatusOr<int> RunDue(int64_t now_ms);

  // One message through the same SMTP path (triggers): `campaign_id` is the send record's
  // campaign, the feed is `feed` (already chosen), no holdout. Returns the send record.
  StatusOr<SendRecord> SendOne(const CampaignSpec& spec, const Recipient& recipient,
                               const std::vector<FeedItem>& feed);
  // The spec shared by campaigns and triggers: settings + these texts.
  CampaignSpec BaseSpec(const std::string& id) const;
  // A recipient from a user id, with the email from the profile (nullopt: unknown user or no
  // email).
  StatusOr<std::optional<Recipient>> RecipientFor(const std::string& user_id,
                                                  const std::string& segment);

  // The background worker: wakes on Create and every `poll_ms` (real time) to RunDue(clock()).
  void Start(int64_t poll_ms = 1000);
  // Stops the worker; a running campaign stops after its current message. Idempotent.
  void Stop();

 private:
  CampaignService(sqlite3* db, MailSettings settings, Deps deps);
  Status RunOne(const std::string& id, const std::string& request_json);
  Status SetFinished(const std::string& id, const std::string& status, int64_t audience,
                     int64_t sent, int64_t no_email, const std::string& detail);
  std::unique_ptr<MailSender> NewSender();

  MailSettings settings_;
  Deps deps_;

  std::mutex db_mu_;
  sqlite3* db_;  // guarded by db_mu_

  std::mutex run_mu_;                       // one campaign run at a time
  std::mutex send_mu_;                      // SendOne's sender and limiter
  std::unique_ptr<MailSender> one_sender_;  // guarded by send_mu_

  std::mutex worker_mu_;
  std::condition_variable worker_cv_;
  bool wake_ = false;  // guarded by worker_mu_
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_SERVICE_H_
