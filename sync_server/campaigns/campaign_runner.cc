#include "sync_server/campaigns/campaign_runner.h"

#include <algorithm>
#include <map>
#include <set>

#include "sync_server/analytics/segmentation.h"

namespace vitrine::server::campaigns {

const char* SendStatusName(SendStatus status) {
  switch (status) {
    case SendStatus::kSent:
      return "sent";
    case SendStatus::kHeldOut:
      return "held_out";
    case SendStatus::kSuppressed:
      return "suppressed";
    case SendStatus::kNoFeed:
      return "no_feed";
    case SendStatus::kTooLarge:
      return "too_large";
    case SendStatus::kBounced:
      return "bounced";
    case SendStatus::kDeferred:
      return "deferred";
    case SendStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

int64_t CampaignReport::Count(SendStatus status) const {
  return std::count_if(sends.begin(), sends.end(),
                       [&](const SendRecord& s) { return s.status == status; });
}

ModelFeedSource::ModelFeedSource(std::shared_ptr<const training::TrainedModel> model,
                                 Lookup catalog)
    : model_(std::move(model)), catalog_(std::move(catalog)) {}

std::vector<FeedItem> ModelFeedSource::Feed(const Recipient& r, size_t n) const {
  std::vector<FeedItem> out;
  if (!model_ || n == 0) return out;
  std::set<std::string> taken(r.exclude.begin(), r.exclude.end());
  auto take = [&](const std::string& id) {
    if (out.size() >= n || taken.count(id)) return;
    auto item = catalog_(id);
    if (!item || item->stock() <= 0) return;  // in stock only
    taken.insert(id);
    FeedItem f;
    f.product_id = item->product_id();
    f.title = item->title();
    f.price_micros = item->price_micros();
    f.currency = item->currency();
    f.image_url = item->image_url();
    f.url = item->url();
    f.category = item->category();
    out.push_back(std::move(f));
  };
  // Ask for more than n: some of the ranking may be out of stock.
  for (const auto& scored : model_->Personal(r.history, r.exclude, n * 4 + 8)) {
    take(scored.product_id());
  }
  for (const auto& scored : model_->artifact().popular()) {
    if (out.size() >= n) break;
    take(scored.product_id());
  }
  return out;
}

CampaignRunner::CampaignRunner(const TokenSigner* signer, MailSender* sender,
                               const FeedSource* feeds, SuppressionList* suppressions,
                               RateLimiter* limiter, Clock clock)
    : signer_(signer),
      sender_(sender),
      feeds_(feeds),
      suppressions_(suppressions),
      limiter_(limiter),
      clock_(std::move(clock)) {}

std::vector<bool> CampaignRunner::Holdout(const std::vector<Recipient>& audience, double fraction,
                                          uint64_t seed) {
  // Reuse the segmentation's stratified holdout: map segment labels onto dense indexes.
  std::map<std::string, int> index;
  for (const Recipient& r : audience) index.emplace(r.segment, 0);
  int next = 0;
  for (auto& [label, i] : index) i = next++;
  analytics::Segmentation seg;
  seg.segments = next;
  seg.sizes.assign(static_cast<size_t>(next), 0);
  seg.assignment.reserve(audience.size());
  for (const Recipient& r : audience) {
    const int s = index[r.segment];
    seg.assignment.push_back(s);
    ++seg.sizes[static_cast<size_t>(s)];
  }
  return analytics::AssignHoldout(seg, fraction, seed);
}

StatusOr<ComposedMessage> CampaignRunner::Compose(const CampaignSpec& spec, const Recipient& r,
                                                  const std::vector<FeedItem>& feed) const {
  const int64_t now = clock_();
  const int64_t expires = now + spec.link_ttl_ms;
  TrackingUrls urls{spec.tracking_base_url};
  auto sign = [&](TokenKind kind, uint32_t link, const std::string& url) {
    TrackingToken t;
    t.kind = kind;
    t.campaign_id = spec.id;
    t.recipient_id = r.recipient_id;
    t.link_index = link;
    t.url = url;
    t.expires_at_ms = kind == TokenKind::kUnsubscribe ? 0 : expires;  // unsubscribe never expires
    return signer_->Sign(t);
  };
  auto open = sign(TokenKind::kOpen, 0, "");
  auto unsub = sign(TokenKind::kUnsubscribe, 0, "");
  auto home = sign(TokenKind::kClick, 0, spec.shop_url);
  if (!open.ok()) return open.status();
  if (!unsub.ok()) return unsub.status();
  if (!home.ok()) return home.status();

  TemplateInput in;
  in.subject_template = spec.subject_template;
  in.preheader_template = spec.preheader_template;
  in.headline_template = spec.headline_template;
  in.intro_template = spec.intro_template;
  in.vars = r.vars;
  in.shop_name = spec.shop_name;
  in.shop_click_url = urls.ClickUrl(*home);
  in.feed = feed;
  for (size_t i = 0; i < feed.size(); ++i) {
    auto click = sign(TokenKind::kClick, static_cast<uint32_t>(i + 1), feed[i].url);
    if (!click.ok()) return click.status();
    in.feed_click_urls.push_back(urls.ClickUrl(*click));
  }
  in.open_pixel_url = urls.OpenUrl(*open);
  in.unsubscribe_url = urls.UnsubscribeUrl(*unsub);
  in.footer_text = spec.footer_text;
  const RenderedEmail email = RenderEmail(in);

  MimeMessage m;
  m.from = spec.from;
  m.to = {r.email, r.vars.count("first_name") ? r.vars.at("first_name") : ""};
  m.subject = email.subject;
  m.text_body = email.text;
  m.html_body = email.html;
  m.date_ms = now;
  m.message_id = MakeMessageId(spec.message_id_domain);
  m.list_unsubscribe_url = urls.UnsubscribeUrl(*unsub);
  m.list_unsubscribe_mailto = spec.unsubscribe_mailto;
  m.extra_headers = {{"X-Vitrine-Campaign", spec.id},
                     // Gmail's feedback loop groups complaints by this (campaign:sender).
                     {"Feedback-ID", spec.id + ":vitrine"}};
  auto mime = BuildMime(m);
  if (!mime.ok()) return mime.status();
  ComposedMessage out;
  out.message_id = m.message_id;
  out.mime = std::move(*mime);
  for (const FeedItem& f : feed) out.feed.push_back(f.product_id);
  return out;
}

StatusOr<CampaignReport> CampaignRunner::Run(const CampaignSpec& spec,
                                             const std::vector<Recipient>& audience,
                                             const Observer& observer) {
  if (spec.id.empty() || spec.tracking_base_url.empty() || spec.from.email.empty() ||
      spec.message_id_domain.empty()) {
    return Status(Status::Kind::kInvalid, "invalid_campaign",
                  "a campaign needs an id, a from address, a tracking URL and a domain");
  }
  const std::vector<bool> held = Holdout(audience, spec.holdout_fraction, spec.holdout_seed);
  CampaignReport report;
  report.sends.reserve(audience.size());
  for (size_t i = 0; i < audience.size(); ++i) {
    const Recipient& r = audience[i];
    SendRecord rec;
    rec.campaign_id = spec.id;
    rec.recipient_id = r.recipient_id;
    rec.email = r.email;
    rec.segment = r.segment;
    rec.held_out = held[i];
    rec.at_ms = clock_();
    auto finish = [&] {
      if (observer) observer(rec);
      report.sends.push_back(std::move(rec));
    };
    if (rec.held_out) {
      rec.status = SendStatus::kHeldOut;
      finish();
      continue;
    }
    auto suppressed =
        suppressions_ ? suppressions_->IsSuppressed(r.recipient_id) : StatusOr<bool>(false);
    if (!suppressed.ok()) return suppressed.status();  // never mail someone we cannot check
    if (*suppressed) {
      rec.status = SendStatus::kSuppressed;
      finish();
      continue;
    }
    const std::vector<FeedItem> feed = feeds_->Feed(r, spec.feed_size);
    if (feed.empty()) {
      rec.status = SendStatus::kNoFeed;
      finish();
      continue;
    }
    auto msg = Compose(spec, r, feed);
    if (!msg.ok()) {
      rec.status = SendStatus::kFailed;
      rec.detail = msg.status().ToString();
      finish();
      continue;
    }
    rec.message_id = msg->message_id;
    rec.bytes = msg->mime.size();
    rec.feed = msg->feed;
    if (rec.bytes >= spec.max_message_bytes) {
      rec.status = SendStatus::kTooLarge;
      finish();
      continue;
    }
    if (limiter_) limiter_->Acquire();
    const SendResult sent = sender_->Send(
        {spec.envelope_from.empty() ? spec.from.email : spec.envelope_from, r.email, msg->mime});
    rec.at_ms = clock_();
    rec.smtp_code = sent.smtp_code;
    rec.detail = sent.detail;
    switch (sent.outcome) {
      case SendResult::Outcome::kSent:
        rec.status = SendStatus::kSent;
        break;
      case SendResult::Outcome::kRejected:
        rec.status = SendStatus::kBounced;
        break;
      case SendResult::Outcome::kDeferred:
        rec.status = SendStatus::kDeferred;
        break;
      case SendResult::Outcome::kFailed:
        rec.status = SendStatus::kFailed;
        break;
    }
    finish();
  }
  return report;
}

}  // namespace vitrine::server::campaigns
