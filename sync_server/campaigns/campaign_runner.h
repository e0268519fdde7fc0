// A campaign run: for each recipient of an audience, decide holdout (stratified by segment, the
// analytics holdout flag), skip the suppressed (unsubscribed), choose the recipient's product
// feed (recommendation model, in stock only), render and sign the message, deliver it over SMTP
// at the configured rate, and record the outcome per recipient.
//
// Held-out recipients get nothing but are recorded, so measurement compares like with like.
// The report is intention-to-treat: a recipient assigned to treatment stays "treated" even if
// the delivery failed.
//
// Thread safety: a CampaignRunner is used by one thread at a time. FeedSource implementations
// must be safe for concurrent calls (ModelFeedSource is: immutable).
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_RUNNER_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_RUNNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync_server/campaigns/email_template.h"
#include "sync_server/campaigns/mime.h"
#include "sync_server/campaigns/smtp_sender.h"
#include "sync_server/campaigns/tracking.h"
#include "sync_server/common/status.h"
#include "sync_server/training/trained_model.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server::campaigns {

struct Recipient {
  std::string recipient_id;  // the profile's user id (tracking tokens carry it)
  std::string email;
  std::string segment;               // the stratum for holdout and uplift
  TemplateVars vars;                 // first_name, ...
  std::vector<std::string> history;  // product ids, oldest first (the model's input)
  std::vector<std::string> exclude;  // already bought, in the cart, ...
};

class FeedSource {
 public:
  virtual ~FeedSource() = default;
  // At most `n` in-stock products for this recipient, best first.
  virtual std::vector<FeedItem> Feed(const Recipient& recipient, size_t n) const = 0;
};

// The trained model's personal ranking, filtered to products that are in the catalog with
// stock > 0, topped up from the model's global popularity (also in stock) when short.
class ModelFeedSource : public FeedSource {
 public:
  using Lookup = std::function<std::optional<vitrine::v1::CatalogItem>(const std::string&)>;
  ModelFeedSource(std::shared_ptr<const training::TrainedModel> model, Lookup catalog);
  std::vector<FeedItem> Feed(const Recipient& recipient, size_t n) const override;

 private:
  std::shared_ptr<const training::TrainedModel> model_;
  Lookup catalog_;
};

struct CampaignSpec {
  std::string id;    // stable, ASCII; part of every token
  std::string name;  // for people; never sent to ad platforms
  MailAddress from;
  std::string envelope_from;  // bounce address; defaults to from.email
  std::string subject_template;
  std::string preheader_template;
  std::string headline_template;
  std::string intro_template;
  std::string shop_name;
  std::string shop_url;
  std::string footer_text;
  size_t feed_size = 6;
  double holdout_fraction = 0.1;
  uint64_t holdout_seed = 1;
  std::string tracking_base_url;   // "https://shop.example/t"
  std::string message_id_domain;   // "shop.example"
  std::string unsubscribe_mailto;  // optional
  int64_t link_ttl_ms = 180LL * 86'400'000;
  size_t max_message_bytes = 102 * 1024;  // Gmail clips above 102 KB
};

enum class SendStatus {
  kSent,
  kHeldOut,
  kSuppressed,
  kNoFeed,
  kTooLarge,
  kBounced,
  kDeferred,
  kFailed
};
const char* SendStatusName(SendStatus status);

struct SendRecord {
  std::string campaign_id;
  std::string recipient_id;
  std::string email;
  std::string segment;
  bool held_out = false;
  SendStatus status = SendStatus::kFailed;
  long smtp_code = 0;
  std::string detail;
  std::string message_id;
  int64_t at_ms = 0;
  size_t bytes = 0;
  std::vector<std::string> feed;  // product ids in the message
};

struct CampaignReport {
  std::vector<SendRecord> sends;  // one per recipient, in audience order
  int64_t Count(SendStatus status) const;
};

// A composed message, before delivery.
struct ComposedMessage {
  std::string message_id;
  std::string mime;
  std::vector<std::string> feed;
};

class CampaignRunner {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  // Called after each recipient (the store persists sends as they happen). May be empty.
  using Observer = std::function<void(const SendRecord&)>;

  // Every pointer must outlive the runner; `limiter` may be null (no throttle).
  CampaignRunner(const TokenSigner* signer, MailSender* sender, const FeedSource* feeds,
                 SuppressionList* suppressions, RateLimiter* limiter, Clock clock);

  // kInvalid for a malformed spec (no id, tracking URL, from address or domain).
  StatusOr<CampaignReport> Run(const CampaignSpec& spec, const std::vector<Recipient>& audience,
                               const Observer& observer = nullptr);

  // Renders one recipient's message (exposed for previews and tests).
  StatusOr<ComposedMessage> Compose(const CampaignSpec& spec, const Recipient& recipient,
                                    const std::vector<FeedItem>& feed) const;

  // The holdout flags for an audience: stratified by segment, deterministic for the seed.
  static std::vector<bool> Holdout(const std::vector<Recipient>& audience, double fraction,
                                   uint64_t seed);

 private:
  const TokenSigner* const signer_;
  MailSender* const sender_;
  const FeedSource* const feeds_;
  SuppressionList* const suppressions_;
  RateLimiter* const limiter_;
  const Clock clock_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_RUNNER_H_
