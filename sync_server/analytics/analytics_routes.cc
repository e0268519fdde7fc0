#include "sync_server/analytics/analytics_routes.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "sync_server/common/json_text.h"

namespace vitrine::server::analytics {
namespace {

// One JSON escaper for the server (common/json_text.h).
std::string Quote(std::string_view s) { return JsonString(s); }

std::string Num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Affinities(const std::vector<Affinity>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i)
    out += (i ? "," : "") + std::string("{\"key\":") + Quote(list[i].key) +
           ",\"score\":" + Num(list[i].score) + "}";
  return out + "]";
}

// {"key": score, ...}: a map keyed by category (keys are unique within one list).
std::string ScoreObject(const std::vector<Affinity>& list) {
  std::string out = "{";
  for (size_t i = 0; i < list.size(); ++i)
    out += (i ? "," : "") + Quote(list[i].key) + ":" + Num(list[i].score);
  return out + "}";
}

std::string Strings(const std::vector<std::string>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + Quote(list[i]);
  return out + "]";
}

HttpReply Error(int status, std::string_view code, std::string_view message) {
  return HttpReply::Json(status,
                         "{\"code\":" + Quote(code) + ",\"message\":" + Quote(message) + "}");
}

HttpReply FromStatus(const Status& s) {
  const int status = s.kind() == Status::Kind::kInvalid    ? 400
                     : s.kind() == Status::Kind::kNotFound ? 404
                                                           : 503;
  return Error(status, s.code(), s.message());
}

// Integer query parameter; `fallback` when absent, nullopt when malformed.
std::optional<int64_t> QueryInt(const HttpExchange& r, const std::string& name, int64_t fallback) {
  auto it = r.query.find(name);
  if (it == r.query.end() || it->second.empty()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (*end != '\0') return std::nullopt;
  return v;
}

const char* KindName(RowIssue::Kind k) {
  switch (k) {
    case RowIssue::Kind::kError:
      return "error";
    case RowIssue::Kind::kMissingCustomer:
      return "missing_customer";
    case RowIssue::Kind::kAdjustment:
      return "adjustment";
    case RowIssue::Kind::kCancellation:
      return "cancellation";
  }
  return "error";
}

}  // namespace

std::string ImportReportJson(const ImportResult& imported, const MergeReport& merged,
                             size_t max_issues) {
  std::string out = "{\"rows_read\":" + std::to_string(imported.rows_read) +
                    ",\"lines_imported\":" + std::to_string(imported.lines.size()) +
                    ",\"errors\":" + std::to_string(imported.errors) +
                    ",\"missing_customer\":" + std::to_string(imported.missing_customer) +
                    ",\"adjustments\":" + std::to_string(imported.adjustments) +
                    ",\"cancellations\":" + std::to_string(imported.cancellations) +
                    ",\"orders\":" + std::to_string(merged.orders) +
                    ",\"orders_stored\":" + std::to_string(merged.stored) +
                    ",\"orders_already_known\":" + std::to_string(merged.duplicates) +
                    ",\"orders_rejected_lines\":" + std::to_string(merged.issues.size()) +
                    ",\"ignored_columns\":" + Strings(imported.ignored_columns) + ",\"issues\":[";
  size_t listed = 0;
  auto list = [&](const std::vector<RowIssue>& issues) {
    for (const RowIssue& i : issues) {
      if (listed >= max_issues) return;
      out += (listed++ ? "," : "") + std::string("{\"line\":") + std::to_string(i.line) +
             ",\"kind\":" + Quote(KindName(i.kind)) + ",\"reason\":" + Quote(i.reason) + "}";
    }
  };
  list(imported.issues);
  list(merged.issues);
  return out + "]}";
}

std::string ComputeReportJson(const ComputeReport& r) {
  return "{\"events\":" + std::to_string(r.events) + ",\"profiles\":" + std::to_string(r.profiles) +
         ",\"buyers\":" + std::to_string(r.buyers) + ",\"segments\":" + std::to_string(r.segments) +
         ",\"seconds\":" + Num(r.seconds) + ",\"note\":" + Quote(r.note) + "}";
}

std::string SegmentsJson(const std::vector<StoredSegment>& segments) {
  std::string out = "{\"segments\":[";
  for (size_t i = 0; i < segments.size(); ++i) {
    const StoredSegment& g = segments[i];
    out += (i ? "," : "") + std::string("{\"id\":") + Quote(g.id) +
           ",\"size\":" + std::to_string(g.size) + ",\"label\":" + Quote(g.label) +
           ",\"top_categories\":" + Affinities(g.top_categories) +
           ",\"mean_aov\":" + Num(g.mean_aov) + ",\"mean_ltv\":" + Num(g.mean_ltv) +
           ",\"mean_churn\":" + Num(g.mean_churn) + ",\"mean_frequency\":" + Num(g.mean_frequency) +
           ",\"mean_recency_weeks\":" + Num(g.mean_recency_weeks) + "}";
  }
  return out + "]}";
}

std::string ProfileJson(const StoredProfile& p) {
  const ProfileAttributes& a = p.attributes;
  return "{\"profile_id\":" + std::to_string(a.profile_id) +
         ",\"segment_id\":" + Quote(p.segment_id) +
         ",\"holdout\":" + (p.holdout ? "true" : "false") +
         ",\"order_count\":" + std::to_string(a.order_count) +
         ",\"first_order_ms\":" + std::to_string(a.first_order_ms) +
         ",\"last_order_ms\":" + std::to_string(a.last_order_ms) +
         ",\"total_spend\":" + Num(a.total_spend) +
         ",\"average_order_value\":" + Num(a.average_order_value) + ",\"rfm\":[" +
         std::to_string(a.recency_score) + "," + std::to_string(a.frequency_score) + "," +
         std::to_string(a.monetary_score) + "],\"price_tier\":" + Quote(a.price_tier) +
         ",\"categories\":" + Affinities(a.categories) + ",\"brands\":" + Affinities(a.brands) +
         ",\"favourites\":" + Strings(a.favourites) +
         ",\"best_products\":" + Strings(a.best_products) + ",\"p_alive\":" + Num(a.p_alive) +
         ",\"churn_probability\":" + Num(a.churn_probability) +
         ",\"expected_purchases_52w\":" + Num(a.expected_purchases_52w) +
         ",\"expected_next_order_ms\":" +
         (a.expected_next_order_ms ? std::to_string(*a.expected_next_order_ms) : "null") +
         ",\"ltv\":" + Num(a.ltv) +
         ",\"category_propensity\":" + ScoreObject(p.category_propensity) + "}";
}

StatusOr<std::unique_ptr<AnalyticsRoutes>> AnalyticsRoutes::Create(const std::string& db_path,
                                                                   Store* store,
                                                                   IngestBatchFn ingest,
                                                                   Clock clock) {
  auto profiles = ProfileStore::Open(db_path);
  if (!profiles.ok()) return profiles.status();
  return std::unique_ptr<AnalyticsRoutes>(
      new AnalyticsRoutes(std::move(*profiles), store, std::move(ingest), std::move(clock)));
}

std::string AnalyticsRoutes::RouteLabel(const HttpExchange& r) const {
  const std::string_view rest = std::string_view(r.path).substr(prefix().size());
  if (rest.starts_with("segments/")) return "/v1/admin/analytics/segments/{id}/members";
  if (rest.starts_with("profiles/")) return "/v1/admin/analytics/profiles/{id}";
  return r.path.size() <= 64 ? r.path : "/v1/admin/analytics/*";
}

HttpReply AnalyticsRoutes::Handle(const HttpExchange& r) {
  const std::string rest = r.path.substr(prefix().size());
  if (rest == "import") {
    return r.method == "POST" ? Import(r) : Error(405, "method_not_allowed", "use POST");
  }
  if (rest == "compute") {
    return r.method == "POST" ? Compute(r) : Error(405, "method_not_allowed", "use POST");
  }
  if (r.method != "GET") return Error(405, "method_not_allowed", "use GET");
  if (rest == "segments") {
    auto segments = profiles_->ListSegments();
    if (!segments.ok()) return FromStatus(segments.status());
    return HttpReply::Json(200, SegmentsJson(*segments));
  }
  if (rest.starts_with("segments/") && rest.ends_with("/members")) {
    const std::string id = rest.substr(9, rest.size() - 9 - 8);
    const auto offset = QueryInt(r, "offset", 0);
    const auto limit = QueryInt(r, "limit", 1000);
    if (!offset || !limit || *offset < 0 || *limit < 1 || *limit > 100000)
      return Error(400, "invalid_query", "offset >= 0 and 1 <= limit <= 100000");
    auto members = profiles_->SegmentMembers(id, *offset, *limit);
    if (!members.ok()) return FromStatus(members.status());
    std::string out = "{\"segment_id\":" + Quote(id) + ",\"profile_ids\":[";
    for (size_t i = 0; i < members->size(); ++i)
      out += (i ? "," : "") + std::to_string((*members)[i]);
    return HttpReply::Json(200, out + "]}");
  }
  if (rest.starts_with("profiles/")) {
    char* end = nullptr;
    const long long id = std::strtoll(rest.c_str() + 9, &end, 10);
    if (*end != '\0' || rest.size() == 9) return Error(400, "invalid_profile_id", "not a number");
    auto p = profiles_->GetProfile(id);
    if (!p.ok()) return FromStatus(p.status());
    if (!p->has_value()) return Error(404, "not_found", "profile not computed");
    return HttpReply::Json(200, ProfileJson(**p));
  }
  if (rest == "models") {
    auto run = profiles_->LastRun();
    if (!run.ok()) return FromStatus(run.status());
    if (!run->has_value()) return Error(404, "not_found", "analytics never computed");
    return HttpReply::Json(200, (*run)->second);
  }
  if (rest == "export") {
    std::ostringstream csv;
    auto it = r.query.find("segment");
    Status s = profiles_->ExportCsv(csv, it == r.query.end() ? "" : it->second);
    if (!s.ok()) return FromStatus(s);
    HttpReply reply = HttpReply::Json(200, csv.str());
    reply.content_type = "text/csv; charset=utf-8";
    return reply;
  }
  return Error(404, "not_found", "no route " + r.path);
}

HttpReply AnalyticsRoutes::Import(const HttpExchange& r) {
  auto format = r.query.find("format");
  const std::string name = format == r.query.end() ? "generic" : format->second;
  if (name != "generic" && name != "online_retail")
    return Error(400, "invalid_query", "format must be generic or online_retail");
  ImportOptions options;
  if (auto c = r.query.find("currency"); c != r.query.end()) options.currency = c->second;
  std::istringstream in(r.body);
  auto imported =
      name == "generic" ? ImportGenericCsv(in, options) : ImportOnlineRetailCsv(in, options);
  if (!imported.ok()) return FromStatus(imported.status());
  auto merged = MergeOrders(imported->lines, ingest_);
  if (!merged.ok()) return FromStatus(merged.status());
  return HttpReply::Json(200, ImportReportJson(*imported, *merged));
}

HttpReply AnalyticsRoutes::Compute(const HttpExchange& r) {
  std::unique_lock<std::mutex> lock(compute_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return Error(409, "compute_running", "a compute is already running");
  ComputeOptions options;
  const auto min_size = QueryInt(r, "min_size", options.segmentation.min_size);
  const auto max_size = QueryInt(r, "max_size", options.segmentation.max_size);
  const auto segments = QueryInt(r, "segments", 0);
  const auto seed = QueryInt(r, "seed", 1);
  const auto holdout_pct = QueryInt(r, "holdout", 10);
  if (!min_size || !max_size || !segments || !seed || !holdout_pct || *min_size < 1 ||
      *max_size < *min_size || *max_size > 1'000'000 || *segments < 0 || *segments > 100'000 ||
      *holdout_pct < 0 || *holdout_pct > 50) {
    return Error(400, "invalid_query",
                 "need 1 <= min_size <= max_size, 0 <= segments, 0 <= holdout <= 50 (percent)");
  }
  options.segmentation.min_size = static_cast<int>(*min_size);
  options.segmentation.max_size = static_cast<int>(*max_size);
  options.segmentation.segments = static_cast<int>(*segments);
  options.segmentation.seed = static_cast<uint64_t>(*seed);
  options.holdout_seed = static_cast<uint64_t>(*seed);
  options.holdout_fraction = static_cast<double>(*holdout_pct) / 100.0;
  auto report = RunCompute(*store_, *profiles_, options, clock_());
  if (!report.ok()) return FromStatus(report.status());
  return HttpReply::Json(200, ComputeReportJson(*report));
}

void AnalyticsRoutes::DecorateSnapshot(int64_t profile_id, v1::Snapshot& snapshot) {
  auto device = profiles_->ForDevice(profile_id);
  // A missing analytics row (or a read error) leaves the snapshot as it was: targeting falls back
  // to "everyone" messages rather than failing the snapshot.
  if (!device.ok() || !device->has_value()) return;
  for (const auto& id : (*device)->segment_ids) snapshot.add_segment_ids(id);
  for (const auto& [k, v] : (*device)->attributes) (*snapshot.mutable_profile_attributes())[k] = v;
}

}  // namespace vitrine::server::analytics
