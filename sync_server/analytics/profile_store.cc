#include "sync_server/analytics/profile_store.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "sync_server/common/sqlite_util.h"

namespace vitrine::server::analytics {
namespace {

Status DbError(sqlite3* db, const std::string& what) {
  return Status(Status::Kind::kUnavailable, "analytics_store",
                what + ": " + (db ? sqlite3_errmsg(db) : "no database"));
}

// A bound value: NaN and nullopt are stored as NULL.
struct Value {
  enum class Type { kNull, kInt, kReal, kText } type = Type::kNull;
  int64_t i = 0;
  double d = 0;
  std::string s;
  Value() = default;
  Value(int64_t v) : type(Type::kInt), i(v) {}                                   // NOLINT
  Value(int v) : type(Type::kInt), i(v) {}                                       // NOLINT
  Value(double v) : type(std::isfinite(v) ? Type::kReal : Type::kNull), d(v) {}  // NOLINT
  Value(std::string v) : type(Type::kText), s(std::move(v)) {}                   // NOLINT
  Value(const char* v) : type(Type::kText), s(v) {}                              // NOLINT
  Value(std::optional<int64_t> v)
      : type(v ? Type::kInt : Type::kNull), i(v.value_or(0)) {}  // NOLINT
};

using StmtPtr = std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>;

void Bind(sqlite3_stmt* stmt, const std::vector<Value>& values) {
  sqlite3_reset(stmt);
  for (size_t k = 0; k < values.size(); ++k) {
    const int i = static_cast<int>(k) + 1;
    const Value& v = values[k];
    switch (v.type) {
      case Value::Type::kNull:
        sqlite3_bind_null(stmt, i);
        break;
      case Value::Type::kInt:
        sqlite3_bind_int64(stmt, i, v.i);
        break;
      case Value::Type::kReal:
        sqlite3_bind_double(stmt, i, v.d);
        break;
      case Value::Type::kText:
        sqlite3_bind_text(stmt, i, v.s.data(), static_cast<int>(v.s.size()), SQLITE_TRANSIENT);
        break;
    }
  }
}

StatusOr<StmtPtr> Prepare(sqlite3* db, const char* sql, const std::vector<Value>& values = {}) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) return DbError(db, "prepare");
  StmtPtr stmt(raw, &sqlite3_finalize);
  Bind(raw, values);
  return stmt;
}

Status Run(sqlite3* db, const char* sql, const std::vector<Value>& values = {}) {
  auto stmt = Prepare(db, sql, values);
  if (!stmt.ok()) return stmt.status();
  if (sqlite3_step(stmt->get()) != SQLITE_DONE) return DbError(db, "step");
  return Status::Ok();
}

std::string Text(sqlite3_stmt* s, int i) {
  const auto* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}
double Real(sqlite3_stmt* s, int i) {
  return sqlite3_column_type(s, i) == SQLITE_NULL ? std::nan("") : sqlite3_column_double(s, i);
}

// Lists are stored as "key=score;key=score" with '%', '=' and ';' in keys percent-encoded.
std::string EscapeKey(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '%' || c == '=' || c == ';') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}
std::string UnescapeKey(const std::string& key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '%' && i + 2 < key.size()) {
      out += static_cast<char>(std::strtol(key.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += key[i];
    }
  }
  return out;
}
std::string EncodeAffinities(const std::vector<Affinity>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ';';
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", a.score);
    out += EscapeKey(a.key) + "=" + buf;
  }
  return out;
}
std::vector<Affinity> DecodeAffinities(const std::string& text) {
  std::vector<Affinity> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    const std::string item = text.substr(start, end - start);
    const size_t eq = item.rfind('=');
    if (eq != std::string::npos)
      out.push_back({UnescapeKey(item.substr(0, eq)), std::strtod(item.c_str() + eq + 1, nullptr)});
    start = end + 1;
  }
  return out;
}
std::string EncodeList(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& s : list) out += (out.empty() ? "" : ";") + EscapeKey(s);
  return out;
}
std::vector<std::string> DecodeList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(';', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(UnescapeKey(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

constexpr const char* kProfileColumns =
    "profile_id, segment_id, holdout, order_count, first_order_ms, last_order_ms, total_spend, "
    "average_order_value, recency_score, frequency_score, monetary_score, price_tier, p_alive, "
    "churn_probability, expected_purchases_52w, expected_next_order_ms, ltv, frequency, "
    "recency_weeks, age_weeks, categories, brands, favourites, best_products";

StoredProfile ReadProfile(sqlite3_stmt* s) {
  StoredProfile p;
  ProfileAttributes& a = p.attributes;
  a.profile_id = sqlite3_column_int64(s, 0);
  p.segment_id = Text(s, 1);
  p.holdout = sqlite3_column_int64(s, 2) != 0;
  a.order_count = sqlite3_column_int64(s, 3);
  a.first_order_ms = sqlite3_column_int64(s, 4);
  a.last_order_ms = sqlite3_column_int64(s, 5);
  a.total_spend = Real(s, 6);
  a.average_order_value = Real(s, 7);
  a.recency_score = sqlite3_column_int(s, 8);
  a.frequency_score = sqlite3_column_int(s, 9);
  a.monetary_score = sqlite3_column_int(s, 10);
  a.price_tier = Text(s, 11);
  a.p_alive = Real(s, 12);
  a.churn_probability = Real(s, 13);
  a.expected_purchases_52w = Real(s, 14);
  if (sqlite3_column_type(s, 15) != SQLITE_NULL)
    a.expected_next_order_ms = sqlite3_column_int64(s, 15);
  a.ltv = Real(s, 16);
  a.frequency = Real(s, 17);
  a.recency_weeks = Real(s, 18);
  a.age_weeks = Real(s, 19);
  a.categories = DecodeAffinities(Text(s, 20));
  a.brands = DecodeAffinities(Text(s, 21));
  a.favourites = DecodeList(Text(s, 22));
  a.best_products = DecodeList(Text(s, 23));
  return p;
}

std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}
std::string Num(double v) {
  if (!std::isfinite(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string SegmentId(int index) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "seg-%03d", index + 1);
  return buf;
}

StatusOr<std::unique_ptr<ProfileStore>> ProfileStore::Open(const std::string& path) {
  // One way to open a connection beside the main store's (WAL, busy timeout): the campaign
  // tables' header-only helper.
  auto db = sqlite::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<ProfileStore> store(new ProfileStore(*db));
  const char* schema =
      "CREATE TABLE IF NOT EXISTS analytics_profiles ("
      " profile_id INTEGER PRIMARY KEY, segment_id TEXT NOT NULL, holdout INTEGER NOT NULL,"
      " order_count INTEGER NOT NULL, first_order_ms INTEGER NOT NULL,"
      " last_order_ms INTEGER NOT NULL, total_spend REAL, average_order_value REAL,"
      " recency_score INTEGER NOT NULL, frequency_score INTEGER NOT NULL,"
      " monetary_score INTEGER NOT NULL, price_tier TEXT NOT NULL, p_alive REAL,"
      " churn_probability REAL, expected_purchases_52w REAL, expected_next_order_ms INTEGER,"
      " ltv REAL, frequency REAL, recency_weeks REAL, age_weeks REAL, categories TEXT NOT NULL,"
      " brands TEXT NOT NULL, favourites TEXT NOT NULL, best_products TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS analytics_profiles_segment"
      " ON analytics_profiles(segment_id, profile_id);"
      // A table of its own rather than a column: a database created before propensities were
      // stored gets it from IF NOT EXISTS, with no migration of analytics_profiles.
      "CREATE TABLE IF NOT EXISTS analytics_propensity ("
      " profile_id INTEGER NOT NULL, position INTEGER NOT NULL, category TEXT NOT NULL,"
      " probability REAL, PRIMARY KEY (profile_id, position)) WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS analytics_segments ("
      " segment_id TEXT PRIMARY KEY, size INTEGER NOT NULL, label TEXT NOT NULL,"
      " top_categories TEXT NOT NULL, mean_aov REAL, mean_ltv REAL, mean_churn REAL,"
      " mean_frequency REAL, mean_recency_weeks REAL);"
      "CREATE TABLE IF NOT EXISTS analytics_runs ("
      " id INTEGER PRIMARY KEY CHECK (id = 1), computed_at_ms INTEGER NOT NULL,"
      " models_json TEXT NOT NULL);";
  Status s = sqlite::Exec(*db, schema);
  if (!s.ok()) return s;
  return store;
}

ProfileStore::~ProfileStore() { sqlite3_close(db_); }

Status ProfileStore::ReplaceAll(const AnalyticsRun& run) {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Run(db_, "BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  auto body = [&]() -> Status {
    for (const char* sql : {"DELETE FROM analytics_profiles", "DELETE FROM analytics_propensity",
                            "DELETE FROM analytics_segments"}) {
      Status d = Run(db_, sql);
      if (!d.ok()) return d;
    }
    auto insert = Prepare(db_,
                          "INSERT INTO analytics_profiles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,"
                          "?,?,?,?,?,?,?,?)");
    if (!insert.ok()) return insert.status();
    auto insert_propensity = Prepare(db_, "INSERT INTO analytics_propensity VALUES (?,?,?,?)");
    if (!insert_propensity.ok()) return insert_propensity.status();
    sqlite3_stmt* stmt = insert->get();
    for (const StoredProfile& p : run.profiles) {
      const ProfileAttributes& a = p.attributes;
      const std::vector<Value> values = {a.profile_id,
                                         p.segment_id,
                                         p.holdout ? 1 : 0,
                                         a.order_count,
                                         a.first_order_ms,
                                         a.last_order_ms,
                                         a.total_spend,
                                         a.average_order_value,
                                         a.recency_score,
                                         a.frequency_score,
                                         a.monetary_score,
                                         a.price_tier,
                                         a.p_alive,
                                         a.churn_probability,
                                         a.expected_purchases_52w,
                                         a.expected_next_order_ms,
                                         a.ltv,
                                         a.frequency,
                                         a.recency_weeks,
                                         a.age_weeks,
                                         EncodeAffinities(a.categories),
                                         EncodeAffinities(a.brands),
                                         EncodeList(a.favourites),
                                         EncodeList(a.best_products)};
      Bind(stmt, values);
      if (sqlite3_step(stmt) != SQLITE_DONE) return DbError(db_, "insert profile");
      for (size_t k = 0; k < p.category_propensity.size(); ++k) {
        const Affinity& c = p.category_propensity[k];
        Bind(insert_propensity->get(), {a.profile_id, static_cast<int64_t>(k), c.key, c.score});
        if (sqlite3_step(insert_propensity->get()) != SQLITE_DONE)
          return DbError(db_, "insert propensity");
      }
    }
    for (const StoredSegment& g : run.segments) {
      Status i = Run(db_, "INSERT INTO analytics_segments VALUES (?,?,?,?,?,?,?,?,?)",
                     {g.id, g.size, g.label, EncodeAffinities(g.top_categories), g.mean_aov,
                      g.mean_ltv, g.mean_churn, g.mean_frequency, g.mean_recency_weeks});
      if (!i.ok()) return i;
    }
    return Run(db_, "INSERT OR REPLACE INTO analytics_runs VALUES (1, ?, ?)",
               {run.computed_at_ms, run.models_json});
  };
  s = body();
  if (!s.ok()) {
    (void)Run(db_, "ROLLBACK");
    return s;
  }
  return Run(db_, "COMMIT");
}

StatusOr<std::vector<StoredSegment>> ProfileStore::ListSegments() {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = Prepare(db_,
                      "SELECT segment_id, size, label, top_categories, mean_aov, mean_ltv, "
                      "mean_churn, mean_frequency, mean_recency_weeks FROM analytics_segments "
                      "ORDER BY segment_id");
  if (!stmt.ok()) return stmt.status();
  std::vector<StoredSegment> out;
  sqlite3_stmt* s = stmt->get();
  while (sqlite3_step(s) == SQLITE_ROW) {
    StoredSegment g;
    g.id = Text(s, 0);
    g.size = sqlite3_column_int(s, 1);
    g.label = Text(s, 2);
    g.top_categories = DecodeAffinities(Text(s, 3));
    g.mean_aov = Real(s, 4);
    g.mean_ltv = Real(s, 5);
    g.mean_churn = Real(s, 6);
    g.mean_frequency = Real(s, 7);
    g.mean_recency_weeks = Real(s, 8);
    out.push_back(std::move(g));
  }
  return out;
}

StatusOr<std::vector<int64_t>> ProfileStore::SegmentMembers(const std::string& segment_id,
                                                            int64_t offset, int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto exists = Prepare(db_, "SELECT 1 FROM analytics_segments WHERE segment_id = ?", {segment_id});
  if (!exists.ok()) return exists.status();
  if (sqlite3_step(exists->get()) != SQLITE_ROW)
    return Status(Status::Kind::kNotFound, "not_found", "no segment " + segment_id);
  auto stmt = Prepare(db_,
                      "SELECT profile_id FROM analytics_profiles WHERE segment_id = ? "
                      "ORDER BY profile_id LIMIT ? OFFSET ?",
                      {segment_id, limit, offset});
  if (!stmt.ok()) return stmt.status();
  std::vector<int64_t> out;
  while (sqlite3_step(stmt->get()) == SQLITE_ROW)
    out.push_back(sqlite3_column_int64(stmt->get(), 0));
  return out;
}

StatusOr<std::optional<StoredProfile>> ProfileStore::GetProfile(int64_t profile_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql =
      std::string("SELECT ") + kProfileColumns + " FROM analytics_profiles WHERE profile_id = ?";
  auto stmt = Prepare(db_, sql.c_str(), {profile_id});
  if (!stmt.ok()) return stmt.status();
  if (sqlite3_step(stmt->get()) != SQLITE_ROW) return std::optional<StoredProfile>();
  StoredProfile p = ReadProfile(stmt->get());
  auto propensity = Prepare(db_,
                            "SELECT category, probability FROM analytics_propensity "
                            "WHERE profile_id = ? ORDER BY position",
                            {profile_id});
  if (!propensity.ok()) return propensity.status();
  while (sqlite3_step(propensity->get()) == SQLITE_ROW)
    p.category_propensity.push_back({Text(propensity->get(), 0), Real(propensity->get(), 1)});
  return std::optional<StoredProfile>(std::move(p));
}

StatusOr<std::map<int64_t, std::string>> ProfileStore::SegmentMembership() {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt =
      Prepare(db_, "SELECT profile_id, segment_id FROM analytics_profiles WHERE segment_id != ''");
  if (!stmt.ok()) return stmt.status();
  std::map<int64_t, std::string> out;
  while (sqlite3_step(stmt->get()) == SQLITE_ROW)
    out.emplace(sqlite3_column_int64(stmt->get(), 0), Text(stmt->get(), 1));
  return out;
}

StatusOr<std::optional<DeviceAttributes>> ProfileStore::ForDevice(int64_t profile_id) {
  auto p = GetProfile(profile_id);
  if (!p.ok()) return p.status();
  if (!p->has_value()) return std::optional<DeviceAttributes>();
  const StoredProfile& sp = **p;
  const ProfileAttributes& a = sp.attributes;
  DeviceAttributes d;
  if (!sp.segment_id.empty()) d.segment_ids.push_back(sp.segment_id);
  // Coarse, stable values only: the snapshot's ETag changes when they change.
  d.attributes["orders"] = std::to_string(a.order_count);
  if (a.order_count > 0) {
    d.attributes["rfm"] = std::to_string(a.recency_score) + std::to_string(a.frequency_score) +
                          std::to_string(a.monetary_score);
  }
  if (!a.price_tier.empty()) d.attributes["price_tier"] = a.price_tier;
  if (!a.categories.empty()) d.attributes["top_category"] = a.categories.front().key;
  if (!a.brands.empty()) d.attributes["top_brand"] = a.brands.front().key;
  if (std::isfinite(a.churn_probability)) {
    d.attributes["churn_risk"] = a.churn_probability >= 0.7   ? "high"
                                 : a.churn_probability >= 0.3 ? "medium"
                                                              : "low";
  }
  if (std::isfinite(a.ltv)) d.attributes["ltv"] = Num(std::round(a.ltv));
  if (sp.holdout) d.attributes["holdout"] = "1";
  return std::optional<DeviceAttributes>(std::move(d));
}

StatusOr<std::optional<std::pair<int64_t, std::string>>> ProfileStore::LastRun() {
  std::lock_guard<std::mutex> lock(mu_);
  auto stmt = Prepare(db_, "SELECT computed_at_ms, models_json FROM analytics_runs WHERE id = 1");
  if (!stmt.ok()) return stmt.status();
  if (sqlite3_step(stmt->get()) != SQLITE_ROW)
    return std::optional<std::pair<int64_t, std::string>>();
  return std::optional<std::pair<int64_t, std::string>>(
      std::make_pair(sqlite3_column_int64(stmt->get(), 0), Text(stmt->get(), 1)));
}

Status ProfileStore::ExportCsv(std::ostream& out, const std::string& segment_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string sql = std::string("SELECT ") + kProfileColumns + " FROM analytics_profiles" +
                          (segment_id.empty() ? "" : " WHERE segment_id = ?") +
                          " ORDER BY profile_id";
  auto stmt = Prepare(db_, sql.c_str(),
                      segment_id.empty() ? std::vector<Value>{} : std::vector<Value>{segment_id});
  if (!stmt.ok()) return stmt.status();
  std::string header = kProfileColumns;
  std::erase(header, ' ');
  out << header << "\n";
  while (sqlite3_step(stmt->get()) == SQLITE_ROW) {
    const StoredProfile p = ReadProfile(stmt->get());
    const ProfileAttributes& a = p.attributes;
    out << a.profile_id << ',' << CsvField(p.segment_id) << ',' << (p.holdout ? 1 : 0) << ','
        << a.order_count << ',' << a.first_order_ms << ',' << a.last_order_ms << ','
        << Num(a.total_spend) << ',' << Num(a.average_order_value) << ',' << a.recency_score << ','
        << a.frequency_score << ',' << a.monetary_score << ',' << CsvField(a.price_tier) << ','
        << Num(a.p_alive) << ',' << Num(a.churn_probability) << ',' << Num(a.expected_purchases_52w)
        << ',' << (a.expected_next_order_ms ? std::to_string(*a.expected_next_order_ms) : "") << ','
        << Num(a.ltv) << ',' << Num(a.frequency) << ',' << Num(a.recency_weeks) << ','
        << Num(a.age_weeks) << ',' << CsvField(EncodeAffinities(a.categories)) << ','
        << CsvField(EncodeAffinities(a.brands)) << ',' << CsvField(EncodeList(a.favourites)) << ','
        << CsvField(EncodeList(a.best_products)) << '\n';
  }
  if (!out) return Status(Status::Kind::kUnavailable, "export_failed", "cannot write the CSV");
  return Status::Ok();
}

StatusOr<std::map<int64_t, std::string>> LoadSegmentMembership(const std::string& path) {
  auto store = ProfileStore::Open(path);
  if (!store.ok()) return store.status();
  return (*store)->SegmentMembership();
}

}  // namespace vitrine::server::analytics
