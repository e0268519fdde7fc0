#include "sync_server/campaigns/campaign_store.h"

#include <sqlite3.h>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/common/sqlite_util.h"

namespace vitrine::server::campaigns {
namespace {

using sqlite::DbError;
using sqlite::Stmt;

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += '\n';
    out += id;
  }
  return out;
}

std::vector<std::string> SplitIds(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (!s.empty() && pos <= s.size()) {
    const size_t nl = s.find('\n', pos);
    out.push_back(s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<CampaignStore>> CampaignStore::Open(const std::string& path) {
  // WAL, and waits for the main store's locks (it writes the same file).
  auto db = sqlite::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<CampaignStore> store(new CampaignStore(*db));
  Status s = store->Exec(
      "CREATE TABLE IF NOT EXISTS campaign_sends ("
      "  campaign_id TEXT NOT NULL, recipient_id TEXT NOT NULL, email TEXT NOT NULL,"
      "  segment TEXT NOT NULL, held_out INTEGER NOT NULL, status TEXT NOT NULL,"
      "  smtp_code INTEGER NOT NULL, detail TEXT NOT NULL, message_id TEXT NOT NULL,"
      "  at_ms INTEGER NOT NULL, bytes INTEGER NOT NULL, feed TEXT NOT NULL,"
      "  PRIMARY KEY (campaign_id, recipient_id));"
      "CREATE TABLE IF NOT EXISTS campaign_engagements ("
      "  id INTEGER PRIMARY KEY, campaign_id TEXT NOT NULL, recipient_id TEXT NOT NULL,"
      "  kind TEXT NOT NULL, link_index INTEGER NOT NULL, url TEXT NOT NULL,"
      "  at_ms INTEGER NOT NULL, class TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS campaign_engagements_by_campaign"
      "  ON campaign_engagements (campaign_id, recipient_id);"
      "CREATE TABLE IF NOT EXISTS campaign_suppressions ("
      "  recipient_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, at_ms INTEGER NOT NULL);");
  if (!s.ok()) return s;
  return store;
}

CampaignStore::~CampaignStore() { sqlite3_close(db_); }

Status CampaignStore::Exec(const char* sql) { return sqlite::Exec(db_, sql); }

Status CampaignStore::RecordSend(const SendRecord& r) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT OR REPLACE INTO campaign_sends (campaign_id, recipient_id, email, segment, "
          "held_out, status, smtp_code, detail, message_id, at_ms, bytes, feed) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  if (!st.ok()) return DbError(db_, "prepare send");
  st.Text(1, r.campaign_id).Text(2, r.recipient_id).Text(3, r.email).Text(4, r.segment);
  st.Int(5, r.held_out).Text(6, SendStatusName(r.status)).Int(7, r.smtp_code).Text(8, r.detail);
  st.Text(9, r.message_id).Int(10, r.at_ms).Int(11, static_cast<int64_t>(r.bytes));
  st.Text(12, JoinIds(r.feed));
  if (st.Step() != SQLITE_DONE) return DbError(db_, "insert send");
  return Status::Ok();
}

StatusOr<std::vector<SendRecord>> CampaignStore::ListSends(const std::string& campaign_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT recipient_id, email, segment, held_out, status, smtp_code, detail, message_id, "
          "at_ms, bytes, feed FROM campaign_sends WHERE campaign_id = ?1 ORDER BY rowid");
  if (!st.ok()) return DbError(db_, "prepare list sends");
  st.Text(1, campaign_id);
  std::vector<SendRecord> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    SendRecord r;
    r.campaign_id = campaign_id;
    r.recipient_id = st.ColText(0);
    r.email = st.ColText(1);
    r.segment = st.ColText(2);
    r.held_out = st.ColInt(3) != 0;
    const std::string status = st.ColText(4);
    r.status = SendStatus::kFailed;
    for (SendStatus s : {SendStatus::kSent, SendStatus::kHeldOut, SendStatus::kSuppressed,
                         SendStatus::kNoFeed, SendStatus::kTooLarge, SendStatus::kBounced,
                         SendStatus::kDeferred, SendStatus::kFailed}) {
      if (status == SendStatusName(s)) r.status = s;
    }
    r.smtp_code = static_cast<long>(st.ColInt(5));
    r.detail = st.ColText(6);
    r.message_id = st.ColText(7);
    r.at_ms = st.ColInt(8);
    r.bytes = static_cast<size_t>(st.ColInt(9));
    r.feed = SplitIds(st.ColText(10));
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "list sends");
  return out;
}

Status CampaignStore::Record(const Engagement& e) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO campaign_engagements (campaign_id, recipient_id, kind, link_index, url, "
          "at_ms, class) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!st.ok()) return DbError(db_, "prepare engagement");
  st.Text(1, e.campaign_id).Text(2, e.recipient_id).Text(3, EngagementKindName(e.kind));
  st.Int(4, e.link_index).Text(5, e.url).Int(6, e.at_ms).Text(7, EngagementClassName(e.cls));
  if (st.Step() != SQLITE_DONE) return DbError(db_, "insert engagement");
  return Status::Ok();
}

StatusOr<std::vector<Engagement>> CampaignStore::ListEngagements(const std::string& campaign_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT recipient_id, kind, link_index, url, at_ms, class FROM campaign_engagements "
          "WHERE campaign_id = ?1 ORDER BY id");
  if (!st.ok()) return DbError(db_, "prepare list engagements");
  st.Text(1, campaign_id);
  std::vector<Engagement> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    Engagement e;
    e.campaign_id = campaign_id;
    e.recipient_id = st.ColText(0);
    const std::string kind = st.ColText(1);
    for (auto k :
         {Engagement::Kind::kOpen, Engagement::Kind::kClick, Engagement::Kind::kUnsubscribe}) {
      if (kind == EngagementKindName(k)) e.kind = k;
    }
    e.link_index = static_cast<uint32_t>(st.ColInt(2));
    e.url = st.ColText(3);
    e.at_ms = st.ColInt(4);
    const std::string cls = st.ColText(5);
    for (auto c : {EngagementClass::kHuman, EngagementClass::kPrivacyProxy,
                   EngagementClass::kScanner, EngagementClass::kTooFast}) {
      if (cls == EngagementClassName(c)) e.cls = c;
    }
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "list engagements");
  return out;
}

int64_t CampaignStore::DeliveredAt(const std::string& campaign_id,
                                   const std::string& recipient_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "SELECT at_ms FROM campaign_sends WHERE campaign_id = ?1 AND recipient_id = ?2 AND "
          "status = 'sent'");
  if (!st.ok()) return 0;
  st.Text(1, campaign_id).Text(2, recipient_id);
  return st.Step() == SQLITE_ROW ? st.ColInt(0) : 0;
}

Status CampaignStore::Suppress(const std::string& recipient_id, const std::string& campaign_id,
                               int64_t at_ms) {
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT OR IGNORE INTO campaign_suppressions (recipient_id, campaign_id, at_ms) "
          "VALUES (?1, ?2, ?3)");
  if (!st.ok()) return DbError(db_, "prepare suppress");
  st.Text(1, recipient_id).Text(2, campaign_id).Int(3, at_ms);
  if (st.Step() != SQLITE_DONE) return DbError(db_, "suppress");
  return Status::Ok();
}

StatusOr<bool> CampaignStore::IsSuppressed(const std::string& recipient_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, "SELECT 1 FROM campaign_suppressions WHERE recipient_id = ?1");
  if (!st.ok()) return DbError(db_, "prepare is suppressed");
  st.Text(1, recipient_id);
  const int rc = st.Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return DbError(db_, "is suppressed");
}

std::optional<vitrine::v1::Event> ProfileEngagementSink::ToEvent(const Engagement& e) {
  if (!e.human() || e.kind == Engagement::Kind::kUnsubscribe) return std::nullopt;
  vitrine::v1::Event ev;
  ev.set_type(e.kind == Engagement::Kind::kOpen ? "email_opened" : "email_clicked");
  const std::string key = std::string(EngagementKindName(e.kind)) + "\n" + e.campaign_id + "\n" +
                          e.recipient_id + "\n" + std::to_string(e.link_index) + "\n" +
                          std::to_string(e.at_ms);
  ev.set_event_id(Sha256(key).substr(0, 16));
  ev.set_occurred_at_ms(e.at_ms);
  ev.set_user_id(e.recipient_id);
  ev.set_anonymous_id("email:" + e.recipient_id);
  ev.set_session_id("email:" + e.campaign_id);
  (*ev.mutable_properties())["campaign_id"] = e.campaign_id;
  if (e.kind == Engagement::Kind::kClick) {
    (*ev.mutable_properties())["link_index"] = std::to_string(e.link_index);
    (*ev.mutable_properties())["url"] = e.url;
  }
  return ev;
}

Status ProfileEngagementSink::Record(const Engagement& e) {
  auto ev = ToEvent(e);
  if (!ev) return Status::Ok();
  return ingest_(*ev);
}

}  // namespace vitrine::server::campaigns
