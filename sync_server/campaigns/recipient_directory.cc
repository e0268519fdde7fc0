#include "sync_server/campaigns/recipient_directory.h"

#include <algorithm>
#include <set>

#include "sync_server/common/sqlite_util.h"

namespace vitrine::server::campaigns {

TemplateVars RecipientProfile::vars() const {
  TemplateVars out;
  if (!first_name.empty()) out["first_name"] = first_name;
  if (!last_name.empty()) out["last_name"] = last_name;
  return out;
}

RecipientProfile StoreRecipientDirectory::FromEvents(
    const std::string& user_id, const std::vector<vitrine::v1::Event>& newest_first) {
  RecipientProfile p;
  p.user_id = user_id;
  // Traits: the newest value of each wins (events are newest first, so set once).
  auto take = [](const google::protobuf::Map<std::string, std::string>& traits,
                 std::initializer_list<const char*> keys, std::string& out) {
    if (!out.empty()) return;
    for (const char* k : keys) {
      auto it = traits.find(k);
      if (it != traits.end() && !it->second.empty()) {
        out = it->second;
        return;
      }
    }
  };
  std::vector<std::string> history;  // newest first while collecting
  std::set<std::string> ordered;
  for (const auto& e : newest_first) {
    const std::string& t = e.type();
    if (t == "identify" || t == "account_created") {
      take(e.traits(), {"email"}, p.email);
      take(e.traits(), {"phone"}, p.phone);
      take(e.traits(), {"first_name", "firstName"}, p.first_name);
      take(e.traits(), {"last_name", "lastName"}, p.last_name);
      take(e.traits(), {"country"}, p.country);
      take(e.traits(), {"zip", "postal_code"}, p.zip);
    } else if (t == "product_viewed" || t == "product_added_to_cart" || t == "order_completed") {
      for (const auto& line : e.products()) {
        history.push_back(line.product_id());
        if (t == "order_completed" && ordered.insert(line.product_id()).second) {
          p.ordered.push_back(line.product_id());
        }
      }
    }
  }
  std::reverse(history.begin(), history.end());
  p.history = std::move(history);
  return p;
}

StatusOr<std::optional<RecipientProfile>> StoreRecipientDirectory::Lookup(
    const std::string& user_id) {
  auto profile = store_->FindProfileByUser(user_id);
  if (!profile.ok()) return profile.status();
  if (!profile->has_value()) return std::optional<RecipientProfile>();
  auto events = store_->ListProfileEvents(**profile, max_events_);
  if (!events.ok()) return events.status();
  return std::optional<RecipientProfile>(FromEvents(user_id, *events));
}

StatusOr<std::unique_ptr<AudienceStore>> AudienceStore::Open(const std::string& path) {
  auto db = sqlite::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<AudienceStore> store(new AudienceStore(*db));
  Status s = sqlite::Exec(*db,
                          "CREATE TABLE IF NOT EXISTS campaign_audience_members ("
                          "  audience_id TEXT NOT NULL, user_id TEXT NOT NULL,"
                          "  PRIMARY KEY (audience_id, user_id)) WITHOUT ROWID;");
  if (!s.ok()) return s;
  return store;
}

AudienceStore::~AudienceStore() { sqlite3_close(db_); }

Status AudienceStore::Put(const std::string& audience_id,
                          const std::vector<std::string>& user_ids) {
  std::lock_guard lock(mu_);
  Status s = sqlite::Exec(db_, "BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  auto fail = [&](Status e) {
    (void)sqlite::Exec(db_, "ROLLBACK");
    return e;
  };
  {
    sqlite::Stmt del(db_, "DELETE FROM campaign_audience_members WHERE audience_id = ?1");
    if (!del.ok()) return fail(sqlite::DbError(db_, "prepare delete"));
    del.Text(1, audience_id);
    if (del.Step() != SQLITE_DONE) return fail(sqlite::DbError(db_, "delete audience"));
  }
  for (const auto& user : user_ids) {
    sqlite::Stmt ins(db_,
                     "INSERT OR IGNORE INTO campaign_audience_members (audience_id, user_id) "
                     "VALUES (?1, ?2)");
    if (!ins.ok()) return fail(sqlite::DbError(db_, "prepare insert"));
    ins.Text(1, audience_id).Text(2, user);
    if (ins.Step() != SQLITE_DONE) return fail(sqlite::DbError(db_, "insert member"));
  }
  return sqlite::Exec(db_, "COMMIT");
}

StatusOr<std::vector<std::string>> AudienceStore::Members(const std::string& audience_id) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_,
                  "SELECT user_id FROM campaign_audience_members WHERE audience_id = ?1 "
                  "ORDER BY user_id");
  if (!st.ok()) return sqlite::DbError(db_, "prepare members");
  st.Text(1, audience_id);
  std::vector<std::string> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.ColText(0));
  if (rc != SQLITE_DONE) return sqlite::DbError(db_, "read members");
  if (out.empty()) {
    return Status(Status::Kind::kNotFound, "no_such_audience",
                  "no saved audience (segment) '" + audience_id + "'");
  }
  return out;
}

}  // namespace vitrine::server::campaigns
