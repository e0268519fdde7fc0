// Who a recipient is, from the profiles: the email address and names a profile's identify traits
// carry, and the product history the feed model reads. Plus saved audiences (segment id -> user
// ids), which campaigns target by id.
//
// Where emails come from: the newest `identify` / `account_created` event of the profile whose
// user id is the recipient id that has an `email` trait (POST /v1/identify stores its traits on
// such an event). A campaign request may also carry an explicit email per recipient, which wins.
//
// Thread safety: StoreRecipientDirectory is safe for concurrent use if its Store is (the store's
// read methods are). AudienceStore serialises its connection with a mutex.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_RECIPIENT_DIRECTORY_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_RECIPIENT_DIRECTORY_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync_server/campaigns/email_template.h"
#include "sync_server/common/status.h"
#include "sync_server/storage/store.h"

struct sqlite3;

namespace vitrine::server::campaigns {

struct RecipientProfile {
  std::string user_id;
  std::string email;  // "" when the profile has none
  std::string phone;
  std::string first_name;
  std::string last_name;
  std::string country;
  std::string zip;
  std::vector<std::string> history;  // product ids viewed / carted / bought, oldest first
  std::vector<std::string> ordered;  // product ids bought (excluded from feeds)
  TemplateVars vars() const;         // first_name, last_name (set ones only)
};

class RecipientDirectory {
 public:
  virtual ~RecipientDirectory() = default;
  // nullopt when no profile has this user id.
  virtual StatusOr<std::optional<RecipientProfile>> Lookup(const std::string& user_id) = 0;
};

// Reads the server's Store: `store` must outlive the directory. Looks at the newest
// `max_events` events of the profile.
class StoreRecipientDirectory : public RecipientDirectory {
 public:
  explicit StoreRecipientDirectory(Store* store, size_t max_events = 500)
      : store_(store), max_events_(max_events) {}
  StatusOr<std::optional<RecipientProfile>> Lookup(const std::string& user_id) override;
  // The same from a profile's events, newest first (exposed for tests and the trigger worker).
  static RecipientProfile FromEvents(const std::string& user_id,
                                     const std::vector<vitrine::v1::Event>& newest_first);

 private:
  Store* const store_;
  const size_t max_events_;
};

// Saved audiences: table `campaign_audience_members(audience_id, user_id)` in the server's
// SQLite file (own connection). Segmentation results are saved here, one audience per segment,
// and a campaign names them in `audience.segments`; the audience id is the recipient's stratum
// for the holdout and the pooled uplift.
class AudienceStore {
 public:
  static StatusOr<std::unique_ptr<AudienceStore>> Open(const std::string& path);
  ~AudienceStore();
  AudienceStore(const AudienceStore&) = delete;
  AudienceStore& operator=(const AudienceStore&) = delete;

  // Replaces the audience's members (an empty list deletes it).
  Status Put(const std::string& audience_id, const std::vector<std::string>& user_ids);
  // kNotFound when the audience has no members.
  StatusOr<std::vector<std::string>> Members(const std::string& audience_id);

 private:
  explicit AudienceStore(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_RECIPIENT_DIRECTORY_H_
