#include "sync_server/campaigns/campaign_service.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "sync_server/common/sqlite_util.h"

namespace vitrine::server::campaigns {
namespace {

using google::protobuf::Value;

Status Invalid(const std::string& code, const std::string& message) {
  return Status(Status::Kind::kInvalid, code, message);
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool PlausibleEmail(const std::string& e) {
  const auto at = e.find('@');
  return at != std::string::npos && at > 0 && at + 1 < e.size() &&
         e.find_first_of(" \t\r\n<>,;\"") == std::string::npos && e.size() <= 254;
}

StatusOr<Value> ParseJson(std::string_view json) {
  Value root;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(json), &root);
  if (!st.ok()) {
    return Invalid("malformed_json", "body is not valid JSON: " + std::string(st.message()));
  }
  return root;
}

// Typed access to an object's fields with errors naming the field.
class Fields {
 public:
  Fields(const google::protobuf::Struct& s, std::string path) : s_(s), path_(std::move(path)) {}

  Status CheckKnown(std::initializer_list<const char*> known) const {
    for (const auto& [k, v] : s_.fields()) {
      if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) {
        return Invalid("invalid_campaign", "unknown field '" + Name(k) + "'");
      }
    }
    return Status::Ok();
  }
  const Value* Get(const char* key) const {
    auto it = s_.fields().find(key);
    if (it == s_.fields().end() || it->second.kind_case() == Value::kNullValue) return nullptr;
    return &it->second;
  }
  Status Text(const char* key, std::string& out) const {
    const Value* v = Get(key);
    if (!v) return Status::Ok();
    if (v->kind_case() != Value::kStringValue) return Type(key, "a string");
    out = v->string_value();
    return Status::Ok();
  }
  Status Number(const char* key, double& out) const {
    const Value* v = Get(key);
    if (!v) return Status::Ok();
    if (v->kind_case() != Value::kNumberValue || !std::isfinite(v->number_value())) {
      return Type(key, "a number");
    }
    out = v->number_value();
    return Status::Ok();
  }
  Status Integer(const char* key, double lo, double hi, int64_t& out) const {
    double d = static_cast<double>(out);
    if (Status s = Number(key, d); !s.ok()) return s;
    if (d != std::floor(d) || d < lo || d > hi) {
      return Invalid("invalid_campaign", "'" + Name(key) + "' must be an integer in [" +
                                             std::to_string(static_cast<int64_t>(lo)) + ", " +
                                             std::to_string(static_cast<int64_t>(hi)) + "]");
    }
    out = static_cast<int64_t>(d);
    return Status::Ok();
  }
  Status Strings(const char* key, std::vector<std::string>& out) const {
    const Value* v = Get(key);
    if (!v) return Status::Ok();
    if (v->kind_case() != Value::kListValue) return Type(key, "an array of strings");
    for (const auto& item : v->list_value().values()) {
      if (item.kind_case() != Value::kStringValue || item.string_value().empty()) {
        return Type(key, "an array of non-empty strings");
      }
      out.push_back(item.string_value());
    }
    return Status::Ok();
  }
  std::string Name(const std::string& key) const { return path_.empty() ? key : path_ + key; }

 private:
  Status Type(const char* key, const char* what) const {
    return Invalid("invalid_campaign", "'" + Name(key) + "' must be " + what);
  }
  const google::protobuf::Struct& s_;
  std::string path_;
};

Status ParseRecipient(const Value& v, size_t index, AudienceMember& out) {
  const std::string path = "audience.recipients[" + std::to_string(index) + "].";
  if (v.kind_case() != Value::kStructValue) {
    return Invalid("invalid_campaign", path.substr(0, path.size() - 1) + " must be an object");
  }
  Fields f(v.struct_value(), path);
  if (Status s = f.CheckKnown({"user_id", "email", "segment", "vars"}); !s.ok()) return s;
  if (Status s = f.Text("user_id", out.user_id); !s.ok()) return s;
  if (Status s = f.Text("email", out.email); !s.ok()) return s;
  if (Status s = f.Text("segment", out.segment); !s.ok()) return s;
  if (out.user_id.empty() && out.email.empty()) {
    return Invalid("invalid_campaign", path + "user_id or " + path + "email is required");
  }
  if (!out.email.empty() && !PlausibleEmail(out.email)) {
    return Invalid("invalid_campaign", path + "email '" + out.email + "' is not an address");
  }
  if (const Value* vars = f.Get("vars")) {
    if (vars->kind_case() != Value::kStructValue) {
      return Invalid("invalid_campaign", path + "vars must be an object of strings");
    }
    for (const auto& [k, val] : vars->struct_value().fields()) {
      if (val.kind_case() != Value::kStringValue) {
        return Invalid("invalid_campaign", path + "vars." + k + " must be a string");
      }
      out.vars[k] = val.string_value();
    }
  }
  return Status::Ok();
}

std::string Domain(const std::string& email) {
  const auto at = email.rfind('@');
  return at == std::string::npos ? std::string() : email.substr(at + 1);
}

// Defers every message once the service is stopping, so a long campaign ends promptly.
class StoppableSender : public MailSender {
 public:
  StoppableSender(MailSender* inner, const std::atomic<bool>* stopping)
      : inner_(inner), stopping_(stopping) {}
  SendResult Send(const OutgoingMail& mail) override {
    if (stopping_->load()) {
      SendResult r;
      r.outcome = SendResult::Outcome::kDeferred;
      r.detail = "server stopping";
      return r;
    }
    return inner_->Send(mail);
  }

 private:
  MailSender* inner_;
  const std::atomic<bool>* stopping_;
};

class FixedFeedSource : public FeedSource {
 public:
  explicit FixedFeedSource(const std::vector<FeedItem>* feed) : feed_(feed) {}
  std::vector<FeedItem> Feed(const Recipient&, size_t n) const override {
    return {feed_->begin(),
            feed_->begin() + static_cast<std::ptrdiff_t>(std::min(n, feed_->size()))};
  }

 private:
  const std::vector<FeedItem>* feed_;
};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatusOr<CampaignRequest> ParseCampaignRequest(std::string_view json) {
  auto root = ParseJson(json);
  if (!root.ok()) return root.status();
  if (root->kind_case() != Value::kStructValue) {
    return Invalid("malformed_json", "body must be a JSON object");
  }
  Fields f(root->struct_value(), "");
  CampaignRequest r;
  if (Status s =
          f.CheckKnown({"id", "name", "subject", "preheader", "headline", "intro", "feed_size",
                        "holdout_fraction", "holdout_seed", "send_at_ms", "audience"});
      !s.ok()) {
    return s;
  }
  for (auto [key, out] :
       std::initializer_list<std::pair<const char*, std::string*>>{{"id", &r.id},
                                                                   {"name", &r.name},
                                                                   {"subject", &r.subject},
                                                                   {"preheader", &r.preheader},
                                                                   {"headline", &r.headline},
                                                                   {"intro", &r.intro}}) {
    if (Status s = f.Text(key, *out); !s.ok()) return s;
  }
  if (!ValidId(r.id)) {
    return Invalid("invalid_campaign", "'id' is required: 1-64 of A-Z a-z 0-9 . _ -");
  }
  if (r.subject.empty()) return Invalid("invalid_campaign", "'subject' is required");
  int64_t feed = static_cast<int64_t>(r.feed_size);
  if (Status s = f.Integer("feed_size", 1, 24, feed); !s.ok()) return s;
  r.feed_size = static_cast<size_t>(feed);
  if (Status s = f.Number("holdout_fraction", r.holdout_fraction); !s.ok()) return s;
  if (r.holdout_fraction < 0 || r.holdout_fraction >= 1) {
    return Invalid("invalid_campaign", "'holdout_fraction' must be in [0, 1)");
  }
  int64_t seed = static_cast<int64_t>(r.holdout_seed);
  if (Status s = f.Integer("holdout_seed", 0, 9007199254740991.0, seed); !s.ok()) return s;
  r.holdout_seed = static_cast<uint64_t>(seed);
  if (Status s = f.Integer("send_at_ms", 0, 9007199254740991.0, r.send_at_ms); !s.ok()) return s;

  const Value* audience = f.Get("audience");
  if (!audience || audience->kind_case() != Value::kStructValue) {
    return Invalid("invalid_campaign",
                   "'audience' is required: {\"segments\":[...]} and/or \"user_ids\", "
                   "\"emails\", \"recipients\"");
  }
  Fields a(audience->struct_value(), "audience.");
  if (Status s = a.CheckKnown({"segments", "user_ids", "emails", "recipients"}); !s.ok()) return s;
  if (Status s = a.Strings("segments", r.segments); !s.ok()) return s;
  std::vector<std::string> user_ids, emails;
  if (Status s = a.Strings("user_ids", user_ids); !s.ok()) return s;
  if (Status s = a.Strings("emails", emails); !s.ok()) return s;
  for (auto& u : user_ids) r.recipients.push_back({std::move(u), "", "", {}});
  for (auto& e : emails) {
    if (!PlausibleEmail(e)) {
      return Invalid("invalid_campaign", "audience.emails: '" + e + "' is not an address");
    }
    r.recipients.push_back({"", std::move(e), "", {}});
  }
  if (const Value* list = a.Get("recipients")) {
    if (list->kind_case() != Value::kListValue) {
      return Invalid("invalid_campaign", "'audience.recipients' must be an array of objects");
    }
    size_t i = 0;
    for (const auto& item : list->list_value().values()) {
      AudienceMember m;
      if (Status s = ParseRecipient(item, i++, m); !s.ok()) return s;
      r.recipients.push_back(std::move(m));
    }
  }
  if (r.segments.empty() && r.recipients.empty()) {
    return Invalid("invalid_campaign", "the audience is empty");
  }
  return r;
}

StatusOr<std::vector<std::string>> ParseAudienceMembers(std::string_view json) {
  auto root = ParseJson(json);
  if (!root.ok()) return root.status();
  if (root->kind_case() != Value::kStructValue) {
    return Invalid("malformed_json", "body must be a JSON object");
  }
  Fields f(root->struct_value(), "");
  if (Status s = f.CheckKnown({"user_ids"}); !s.ok()) return s;
  std::vector<std::string> out;
  if (!f.Get("user_ids")) return Invalid("invalid_audience", "'user_ids' is required");
  if (Status s = f.Strings("user_ids", out); !s.ok()) return s;
  return out;
}

std::string CampaignInfoJson(const CampaignInfo& i) {
  return "{\"id\":" + JsonString(i.id) + ",\"name\":" + JsonString(i.name) +
         ",\"status\":" + JsonString(i.status) + ",\"created_ms\":" + std::to_string(i.created_ms) +
         ",\"send_at_ms\":" + std::to_string(i.send_at_ms) +
         ",\"started_ms\":" + std::to_string(i.started_ms) +
         ",\"finished_ms\":" + std::to_string(i.finished_ms) +
         ",\"audience\":" + std::to_string(i.audience) + ",\"sent\":" + std::to_string(i.sent) +
         ",\"no_email\":" + std::to_string(i.no_email) + ",\"detail\":" + JsonString(i.detail) +
         "}";
}

// ---- CampaignService -------------------------------------------------------------------------

CampaignService::CampaignService(sqlite3* db, MailSettings settings, Deps deps)
    : settings_(std::move(settings)), deps_(std::move(deps)), db_(db) {}

StatusOr<std::unique_ptr<CampaignService>> CampaignService::Open(const std::string& db_path,
                                                                 MailSettings settings, Deps deps) {
  if (!deps.store || !deps.signer || !deps.directory || !deps.audiences || !deps.clock) {
    return Status(Status::Kind::kInternal, "campaigns", "CampaignService: missing dependency");
  }
  if (settings.message_id_domain.empty()) settings.message_id_domain = Domain(settings.from.email);
  if (settings.shop_url.empty()) {
    // Every message links the shop's home page: default to the origin serving the tracking
    // routes ("https://shop.example/t" -> "https://shop.example/").
    const std::string& t = settings.tracking_base_url;
    const size_t scheme = t.find("://");
    const size_t path = scheme == std::string::npos ? std::string::npos : t.find('/', scheme + 3);
    settings.shop_url = (path == std::string::npos ? t : t.substr(0, path)) + "/";
  }
  if (!deps.limiter_clock) deps.limiter_clock = &SteadyMs;
  if (!deps.limiter_sleep) {
    deps.limiter_sleep = [](int64_t ms) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    };
  }
  auto db = sqlite::Open(db_path);
  if (!db.ok()) return db.status();
  std::unique_ptr<CampaignService> service(
      new CampaignService(*db, std::move(settings), std::move(deps)));
  Status s =
      sqlite::Exec(*db,
                   "CREATE TABLE IF NOT EXISTS campaigns ("
                   "  id TEXT PRIMARY KEY, name TEXT NOT NULL, request TEXT NOT NULL,"
                   "  status TEXT NOT NULL, created_ms INTEGER NOT NULL,"
                   "  send_at_ms INTEGER NOT NULL, started_ms INTEGER NOT NULL DEFAULT 0,"
                   "  finished_ms INTEGER NOT NULL DEFAULT 0,"
                   "  audience INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0,"
                   "  no_email INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL DEFAULT '')"
                   " WITHOUT ROWID;"
                   // A run a crash cut short is not resumed on its own: say so.
                   "UPDATE campaigns SET status = 'interrupted',"
                   "  detail = 'the server stopped while sending' WHERE status = 'sending';");
  if (!s.ok()) return s;
  return service;
}

CampaignService::~CampaignService() {
  Stop();
  sqlite3_close(db_);
}

std::unique_ptr<MailSender> CampaignService::NewSender() {
  if (deps_.make_sender) return deps_.make_sender();
  return std::make_unique<CurlSmtpSender>(settings_.smtp);
}

CampaignSpec CampaignService::BaseSpec(const std::string& id) const {
  CampaignSpec spec;
  spec.id = id;
  spec.from = settings_.from;
  spec.envelope_from = settings_.envelope_from;
  spec.tracking_base_url = settings_.tracking_base_url;
  spec.message_id_domain = settings_.message_id_domain;
  spec.shop_name = settings_.shop_name;
  spec.shop_url = settings_.shop_url;
  spec.footer_text = settings_.footer_text;
  spec.unsubscribe_mailto = settings_.unsubscribe_mailto;
  return spec;
}

StatusOr<CampaignInfo> CampaignService::Create(const CampaignRequest& request) {
  if (!settings_.configured()) {
    return Status(Status::Kind::kUnavailable, "smtp_not_configured",
                  "sending email needs --smtp-url and --smtp-from");
  }
  if (!ValidId(request.id)) return Invalid("invalid_campaign", "bad campaign id");
  // Stored as canonical JSON so RunDue re-reads exactly what was asked.
  std::string json = "{\"id\":" + JsonString(request.id) + ",\"name\":" + JsonString(request.name) +
                     ",\"subject\":" + JsonString(request.subject) +
                     ",\"preheader\":" + JsonString(request.preheader) +
                     ",\"headline\":" + JsonString(request.headline) +
                     ",\"intro\":" + JsonString(request.intro) +
                     ",\"feed_size\":" + std::to_string(request.feed_size);
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%.17g", request.holdout_fraction);
  json += std::string(",\"holdout_fraction\":") + fraction +
          ",\"holdout_seed\":" + std::to_string(request.holdout_seed) +
          ",\"send_at_ms\":" + std::to_string(request.send_at_ms) + ",\"audience\":{\"segments\":[";
  for (size_t i = 0; i < request.segments.size(); ++i) {
    json += (i ? "," : "") + JsonString(request.segments[i]);
  }
  json += "],\"recipients\":[";
  for (size_t i = 0; i < request.recipients.size(); ++i) {
    const auto& m = request.recipients[i];
    json += std::string(i ? "," : "") + "{\"user_id\":" + JsonString(m.user_id) +
            ",\"email\":" + JsonString(m.email) + ",\"segment\":" + JsonString(m.segment) +
            ",\"vars\":{";
    bool first = true;
    for (const auto& [k, v] : m.vars) {
      json += (first ? "" : ",") + JsonString(k) + ":" + JsonString(v);
      first = false;
    }
    json += "}}";
  }
  json += "]}}";
  const int64_t now = deps_.clock();
  {
    std::lock_guard lock(db_mu_);
    sqlite::Stmt st(db_,
                    "INSERT OR IGNORE INTO campaigns (id, name, request, status, created_ms,"
                    " send_at_ms) VALUES (?1, ?2, ?3, 'scheduled', ?4, ?5)");
    if (!st.ok()) return sqlite::DbError(db_, "prepare insert campaign");
    st.Text(1, request.id).Text(2, request.name).Text(3, json).Int(4, now);
    st.Int(5, std::max(request.send_at_ms, now));
    if (st.Step() != SQLITE_DONE) return sqlite::DbError(db_, "insert campaign");
    if (sqlite3_changes(db_) == 0) {
      return Invalid("campaign_exists", "a campaign with id '" + request.id + "' exists");
    }
  }
  {
    std::lock_guard lock(worker_mu_);
    wake_ = true;
  }
  worker_cv_.notify_all();
  return Get(request.id);
}

StatusOr<CampaignInfo> CampaignService::Get(const std::string& id) {
  std::lock_guard lock(db_mu_);
  sqlite::Stmt st(db_,
                  "SELECT id, name, status, created_ms, send_at_ms, started_ms, finished_ms,"
                  " audience, sent, no_email, detail FROM campaigns WHERE id = ?1");
  if (!st.ok()) return sqlite::DbError(db_, "prepare get campaign");
  st.Text(1, id);
  const int rc = st.Step();
  if (rc == SQLITE_DONE) {
    return Status(Status::Kind::kNotFound, "no_such_campaign", "no campaign '" + id + "'");
  }
  if (rc != SQLITE_ROW) return sqlite::DbError(db_, "get campaign");
  return CampaignInfo{st.ColText(0), st.ColText(1), st.ColText(2), st.ColInt(3),
                      st.ColInt(4),  st.ColInt(5),  st.ColInt(6),  st.ColInt(7),
                      st.ColInt(8),  st.ColInt(9),  st.ColText(10)};
}

StatusOr<std::vector<CampaignInfo>> CampaignService::List() {
  std::lock_guard lock(db_mu_);
  sqlite::Stmt st(db_,
                  "SELECT id, name, status, created_ms, send_at_ms, started_ms, finished_ms,"
                  " audience, sent, no_email, detail FROM campaigns ORDER BY created_ms DESC, id");
  if (!st.ok()) return sqlite::DbError(db_, "prepare list campaigns");
  std::vector<CampaignInfo> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    out.push_back({st.ColText(0), st.ColText(1), st.ColText(2), st.ColInt(3), st.ColInt(4),
                   st.ColInt(5), st.ColInt(6), st.ColInt(7), st.ColInt(8), st.ColInt(9),
                   st.ColText(10)});
  }
  if (rc != SQLITE_DONE) return sqlite::DbError(db_, "list campaigns");
  return out;
}

StatusOr<std::string> CampaignService::Report(const std::string& id, bool json) {
  auto info = Get(id);
  if (!info.ok()) return info.status();
  CampaignReportOptions options;
  options.json = json;
  auto report = RenderCampaignReport(*deps_.store, id, deps_.orders, options);
  if (report.status().kind() == Status::Kind::kNotFound) {
    return json ? std::string("null")
                : "Campaign " + id + ": nothing sent yet (" + info->status + ")\n";
  }
  return report;
}

Status CampaignService::SaveAudience(const std::string& audience_id,
                                     const std::vector<std::string>& user_ids) {
  if (!ValidId(audience_id)) {
    return Invalid("invalid_audience", "audience ids are 1-64 of A-Z a-z 0-9 . _ -");
  }
  return deps_.audiences->Put(audience_id, user_ids);
}

StatusOr<std::optional<Recipient>> CampaignService::RecipientFor(const std::string& user_id,
                                                                 const std::string& segment) {
  auto profile = deps_.directory->Lookup(user_id);
  if (!profile.ok()) return profile.status();
  if (!profile->has_value() || (*profile)->email.empty()) return std::optional<Recipient>();
  Recipient r;
  r.recipient_id = user_id;
  r.email = (*profile)->email;
  r.segment = segment;
  r.vars = (*profile)->vars();
  r.history = (*profile)->history;
  r.exclude = (*profile)->ordered;
  return std::optional<Recipient>(std::move(r));
}

StatusOr<int> CampaignService::RunDue(int64_t now_ms) {
  std::lock_guard run(run_mu_);
  std::vector<std::pair<std::string, std::string>> due;
  {
    std::lock_guard lock(db_mu_);
    sqlite::Stmt st(db_,
                    "SELECT id, request FROM campaigns WHERE status = 'scheduled'"
                    " AND send_at_ms <= ?1 ORDER BY send_at_ms, id");
    if (!st.ok()) return sqlite::DbError(db_, "prepare due");
    st.Int(1, now_ms);
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) due.emplace_back(st.ColText(0), st.ColText(1));
    if (rc != SQLITE_DONE) return sqlite::DbError(db_, "read due");
  }
  int ran = 0;
  for (const auto& [id, request] : due) {
    {
      std::lock_guard lock(db_mu_);
      sqlite::Stmt claim(db_,
                         "UPDATE campaigns SET status = 'sending', started_ms = ?2"
                         " WHERE id = ?1 AND status = 'scheduled'");
      if (!claim.ok()) return sqlite::DbError(db_, "prepare claim");
      claim.Text(1, id).Int(2, deps_.clock());
      if (claim.Step() != SQLITE_DONE) return sqlite::DbError(db_, "claim");
      if (sqlite3_changes(db_) != 1) continue;
    }
    ++ran;
    Status s = RunOne(id, request);
    if (!s.ok()) {
      Status f = SetFinished(id, "failed", 0, 0, 0, s.ToString());
      if (!f.ok()) return f;
    }
  }
  return ran;
}

Status CampaignService::RunOne(const std::string& id, const std::string& request_json) {
  auto request = ParseCampaignRequest(request_json);
  if (!request.ok()) return request.status();

  // The audience, resolved now.
  std::vector<Recipient> audience;
  std::set<std::string> seen;
  int64_t no_email = 0;
  auto add_user = [&](const std::string& user_id, const std::string& segment,
                      const AudienceMember* member) -> Status {
    if (!seen.insert(user_id).second) return Status::Ok();
    auto r = RecipientFor(user_id, segment);
    if (!r.ok()) return r.status();
    if (!r->has_value()) {
      if (!member || member->email.empty()) {
        ++no_email;
        return Status::Ok();
      }
      Recipient bare;
      bare.recipient_id = user_id;
      bare.segment = segment;
      r->emplace(std::move(bare));
    }
    Recipient rec = std::move(**r);
    if (member) {
      if (!member->email.empty()) rec.email = member->email;
      for (const auto& [k, v] : member->vars) rec.vars[k] = v;
    }
    audience.push_back(std::move(rec));
    return Status::Ok();
  };
  for (const auto& segment : request->segments) {
    auto members = deps_.audiences->Members(segment);
    if (!members.ok()) return members.status();
    for (const auto& user : *members) {
      if (Status s = add_user(user, segment, nullptr); !s.ok()) return s;
    }
  }
  for (const auto& m : request->recipients) {
    const std::string segment = m.segment.empty() ? "direct" : m.segment;
    if (!m.user_id.empty()) {
      if (Status s = add_user(m.user_id, segment, &m); !s.ok()) return s;
      continue;
    }
    const std::string rid = Lower(m.email);
    if (!seen.insert(rid).second) continue;
    Recipient r;
    r.recipient_id = rid;
    r.email = m.email;
    r.segment = segment;
    r.vars = m.vars;
    audience.push_back(std::move(r));
  }

  CampaignSpec spec = BaseSpec(id);
  spec.name = request->name;
  spec.subject_template = request->subject;
  spec.preheader_template = request->preheader;
  spec.headline_template = request->headline;
  spec.intro_template = request->intro;
  spec.feed_size = request->feed_size;
  spec.holdout_fraction = request->holdout_fraction;
  spec.holdout_seed = request->holdout_seed;

  ModelFeedSource feeds(deps_.model ? deps_.model() : nullptr, deps_.catalog);
  std::unique_ptr<MailSender> inner = NewSender();
  StoppableSender sender(inner.get(), &stopping_);
  RateLimiter limiter(settings_.messages_per_second, 1.0, deps_.limiter_clock, [this](int64_t ms) {
    if (!stopping_.load()) deps_.limiter_sleep(ms);
  });
  CampaignRunner runner(deps_.signer, &sender, &feeds, deps_.store, &limiter, deps_.clock);
  Status record_error;
  auto report = runner.Run(spec, audience, [&](const SendRecord& rec) {
    Status s = deps_.store->RecordSend(rec);
    if (!s.ok() && record_error.ok()) record_error = s;
  });
  if (!report.ok()) return report.status();
  const int64_t sent = report->Count(SendStatus::kSent);
  const bool interrupted = stopping_.load();
  return SetFinished(
      id, interrupted ? "interrupted" : "sent", static_cast<int64_t>(audience.size()), sent,
      no_email,
      record_error.ok() ? (interrupted ? "server stopping" : "") : record_error.ToString());
}

Status CampaignService::SetFinished(const std::string& id, const std::string& status,
                                    int64_t audience, int64_t sent, int64_t no_email,
                                    const std::string& detail) {
  std::lock_guard lock(db_mu_);
  sqlite::Stmt st(db_,
                  "UPDATE campaigns SET status = ?2, finished_ms = ?3, audience = ?4, sent = ?5,"
                  " no_email = ?6, detail = ?7 WHERE id = ?1");
  if (!st.ok()) return sqlite::DbError(db_, "prepare finish");
  st.Text(1, id).Text(2, status).Int(3, deps_.clock()).Int(4, audience).Int(5, sent);
  st.Int(6, no_email).Text(7, detail);
  if (st.Step() != SQLITE_DONE) return sqlite::DbError(db_, "finish campaign");
  return Status::Ok();
}

StatusOr<SendRecord> CampaignService::SendOne(const CampaignSpec& spec, const Recipient& recipient,
                                              const std::vector<FeedItem>& feed) {
  if (!settings_.configured()) {
    return Status(Status::Kind::kUnavailable, "smtp_not_configured",
                  "sending email needs --smtp-url and --smtp-from");
  }
  std::lock_guard lock(send_mu_);
  if (!one_sender_) one_sender_ = NewSender();
  StoppableSender sender(one_sender_.get(), &stopping_);
  FixedFeedSource feeds(&feed);
  CampaignSpec one = spec;
  one.holdout_fraction = 0;
  one.feed_size = std::max<size_t>(1, feed.size());
  CampaignRunner runner(deps_.signer, &sender, &feeds, deps_.store, nullptr, deps_.clock);
  auto report = runner.Run(one, {recipient});
  if (!report.ok()) return report.status();
  if (report->sends.empty()) return Status(Status::Kind::kInternal, "campaigns", "no record");
  SendRecord rec = report->sends.front();
  if (Status s = deps_.store->RecordSend(rec); !s.ok()) return s;
  return rec;
}

void CampaignService::Start(int64_t poll_ms) {
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this, poll_ms] {
    while (!stopping_.load()) {
      (void)RunDue(deps_.clock());
      std::unique_lock lock(worker_mu_);
      worker_cv_.wait_for(lock, std::chrono::milliseconds(poll_ms),
                          [this] { return wake_ || stopping_.load(); });
      wake_ = false;
    }
  });
}

void CampaignService::Stop() {
  {
    std::lock_guard lock(worker_mu_);
    stopping_ = true;
  }
  worker_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace vitrine::server::campaigns
