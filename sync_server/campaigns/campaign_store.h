// Persistence for campaigns: per-recipient send records, tracking engagements and the
// unsubscribe (suppression) list, in three tables of the server's SQLite file (its own
// connection; WAL lets it sit beside the main store). Also the sink that turns human engagements
// into profile events (email_opened / email_clicked) through ingest.
//
// Thread safety: every method may be called from any thread (one mutex-guarded connection).
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_STORE_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_STORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync_server/campaigns/campaign_runner.h"
#include "sync_server/campaigns/tracking.h"
#include "sync_server/common/status.h"
#include "vitrine/v1/event.pb.h"

struct sqlite3;

namespace vitrine::server::campaigns {

class CampaignStore : public EngagementSink, public SuppressionList {
 public:
  // Opens (creating the tables if needed) the database at `path`.
  static StatusOr<std::unique_ptr<CampaignStore>> Open(const std::string& path);
  ~CampaignStore() override;
  CampaignStore(const CampaignStore&) = delete;
  CampaignStore& operator=(const CampaignStore&) = delete;

  // Upserts by (campaign_id, recipient_id).
  Status RecordSend(const SendRecord& send);
  StatusOr<std::vector<SendRecord>> ListSends(const std::string& campaign_id);
  StatusOr<std::vector<Engagement>> ListEngagements(const std::string& campaign_id);

  // EngagementSink
  Status Record(const Engagement& engagement) override;
  int64_t DeliveredAt(const std::string& campaign_id, const std::string& recipient_id) override;
  // SuppressionList
  Status Suppress(const std::string& recipient_id, const std::string& campaign_id,
                  int64_t at_ms) override;
  StatusOr<bool> IsSuppressed(const std::string& recipient_id) override;

 private:
  explicit CampaignStore(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);

  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

// Human opens and clicks become events on the recipient's profile (user id = recipient id), so
// segments and models see email engagement. Machine events (privacy proxies, scanners) and
// unsubscribes are not profile events. The event carries anonymous_id "email:<recipient id>"
// (ingest requires one); event ids are derived from the engagement, so a retried record of
// the same engagement is deduplicated.
class ProfileEngagementSink : public EngagementSink {
 public:
  using Ingest = std::function<Status(const vitrine::v1::Event&)>;
  explicit ProfileEngagementSink(Ingest ingest) : ingest_(std::move(ingest)) {}
  Status Record(const Engagement& engagement) override;
  static std::optional<vitrine::v1::Event> ToEvent(const Engagement& engagement);

 private:
  Ingest ingest_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_STORE_H_
