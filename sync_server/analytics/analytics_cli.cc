#include "sync_server/analytics/analytics_cli.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <span>

#include "sync_server/analytics/analytics_job.h"
#include "sync_server/analytics/analytics_routes.h"
#include "sync_server/analytics/crm_csv.h"
#include "sync_server/analytics/profile_store.h"
#include "sync_server/common/cli_flags.h"

namespace vitrine::server::analytics {
namespace {

constexpr const char* kUsage =
    "usage: vitrine-server analytics <command> --db FILE [options]\n"
    "  import   --file CSV [--format generic|online_retail] [--currency XXX]\n"
    "  compute  [--min-size 200] [--max-size 500] [--segments 0] [--seed 1] [--holdout 10]\n"
    "  segments\n"
    "  members  --segment seg-001\n"
    "  export   --out FILE [--segment seg-001]\n";

// Progress on one stderr line per stage, redrawn at most every percent.
class Progress {
 public:
  explicit Progress(FILE* err) : err_(err) {}
  ~Progress() { Finish(); }
  void Update(std::string_view stage, int64_t done, int64_t total) {
    if (stage != stage_) {
      Finish();
      stage_ = std::string(stage);
      last_permille_ = -1;
    }
    const int64_t permille = total > 0 ? done * 1000 / total : -1;
    if (total > 0 && last_permille_ >= 0 && permille / 10 == last_permille_ / 10 && done != total)
      return;
    last_permille_ = permille;
    if (total > 0) {
      std::fprintf(err_, "\r[%s] %lld/%lld (%lld%%)", stage_.c_str(), static_cast<long long>(done),
                   static_cast<long long>(total), static_cast<long long>(permille / 10));
    } else {
      std::fprintf(err_, "\r[%s] %lld", stage_.c_str(), static_cast<long long>(done));
    }
    std::fflush(err_);
    open_ = true;
  }
  void Finish() {
    if (open_) std::fputc('\n', err_);
    open_ = false;
  }

 private:
  FILE* err_;
  std::string stage_;
  int64_t last_permille_ = -1;
  bool open_ = false;
};

int Usage(const CliHooks& hooks, const std::string& why) {
  std::fprintf(hooks.err, "%s\n%s", why.c_str(), kUsage);
  return 2;
}

int Fail(const CliHooks& hooks, const std::string& why) {
  std::fprintf(hooks.err, "error: %s\n", why.c_str());
  return 1;
}

std::optional<int64_t> Int(const std::map<std::string, std::string>& flags, const std::string& name,
                           int64_t fallback) {
  auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0') return std::nullopt;
  return v;
}

}  // namespace

int RunAnalyticsCli(const std::vector<std::string>& args, const CliHooks& hooks) {
  if (args.empty()) return Usage(hooks, "missing command");
  const std::string command = args[0];
  static const std::map<std::string, std::set<std::string>> kKnown = {
      {"import", {"db", "file", "format", "currency"}},
      {"compute", {"db", "min-size", "max-size", "segments", "seed", "holdout"}},
      {"segments", {"db"}},
      {"members", {"db", "segment"}},
      {"export", {"db", "out", "segment"}}};
  const auto known = kKnown.find(command);
  if (known == kKnown.end()) return Usage(hooks, "unknown analytics command '" + command + "'");
  auto parsed = ParseCliFlags(std::span(args).subspan(1), known->second);
  if (!parsed.ok()) return Usage(hooks, parsed.status().message() + " (" + command + ")");
  CliFlags& flags = *parsed;
  if (!flags.count("db")) return Usage(hooks, "--db is required");
  const std::string db = flags["db"];
  Progress progress(hooks.err);

  if (command == "import") {
    if (!flags.count("file")) return Usage(hooks, "--file is required");
    const std::string format = flags.count("format") ? flags["format"] : "generic";
    if (format != "generic" && format != "online_retail")
      return Usage(hooks, "--format must be generic or online_retail");
    std::ifstream in(flags["file"], std::ios::binary);
    if (!in) return Fail(hooks, "cannot read " + flags["file"]);
    ImportOptions options;
    if (flags.count("currency")) options.currency = flags["currency"];
    auto imported =
        format == "generic" ? ImportGenericCsv(in, options) : ImportOnlineRetailCsv(in, options);
    if (!imported.ok()) return Fail(hooks, imported.status().ToString());
    progress.Update("read", imported->rows_read, imported->rows_read);
    MergeReport merged;
    Status s = hooks.with_ingest(db, [&](const IngestBatchFn& ingest) -> Status {
      MergeOptions merge_options;
      merge_options.progress = [&](int64_t done, int64_t total) {
        progress.Update("merge", done, total);
      };
      auto r = MergeOrders(imported->lines, ingest, merge_options);
      if (!r.ok()) return r.status();
      merged = std::move(*r);
      return Status::Ok();
    });
    progress.Finish();
    if (!s.ok()) return Fail(hooks, s.ToString());
    std::fprintf(hooks.out, "%s\n", ImportReportJson(*imported, merged).c_str());
    return 0;
  }

  auto profiles = ProfileStore::Open(db);
  if (!profiles.ok()) return Fail(hooks, profiles.status().ToString());
  if (command == "compute") {
    ComputeOptions options;
    const auto min_size = Int(flags, "min-size", 200), max_size = Int(flags, "max-size", 500),
               segments = Int(flags, "segments", 0), seed = Int(flags, "seed", 1),
               holdout = Int(flags, "holdout", 10);
    if (!min_size || !max_size || !segments || !seed || !holdout || *min_size < 1 ||
        *max_size < *min_size || *segments < 0 || *holdout < 0 || *holdout > 50)
      return Usage(hooks,
                   "bad numbers: 1 <= min-size <= max-size, segments >= 0, 0 <= holdout <= 50");
    options.segmentation.min_size = static_cast<int>(*min_size);
    options.segmentation.max_size = static_cast<int>(*max_size);
    options.segmentation.segments = static_cast<int>(*segments);
    options.segmentation.seed = static_cast<uint64_t>(*seed);
    options.holdout_seed = static_cast<uint64_t>(*seed);
    options.holdout_fraction = static_cast<double>(*holdout) / 100.0;
    options.progress = [&](std::string_view stage, int64_t done, int64_t total) {
      progress.Update(stage, done, total);
    };
    auto store = hooks.open_store(db);
    if (!store.ok()) return Fail(hooks, store.status().ToString());
    auto report = RunCompute(**store, **profiles, options, hooks.clock());
    progress.Finish();
    if (!report.ok()) return Fail(hooks, report.status().ToString());
    std::fprintf(hooks.out, "%s\n", ComputeReportJson(*report).c_str());
    return 0;
  }
  if (command == "segments") {
    auto segments = (*profiles)->ListSegments();
    if (!segments.ok()) return Fail(hooks, segments.status().ToString());
    std::fprintf(hooks.out, "%s\n", SegmentsJson(*segments).c_str());
    return 0;
  }
  if (command == "members") {
    if (!flags.count("segment")) return Usage(hooks, "--segment is required");
    auto members = (*profiles)->SegmentMembers(flags["segment"], 0, INT64_MAX);
    if (!members.ok()) return Fail(hooks, members.status().ToString());
    for (int64_t id : *members) std::fprintf(hooks.out, "%lld\n", static_cast<long long>(id));
    return 0;
  }
  // export
  if (!flags.count("out")) return Usage(hooks, "--out is required");
  std::ofstream out(flags["out"], std::ios::binary | std::ios::trunc);
  Status s = (*profiles)->ExportCsv(out, flags.count("segment") ? flags["segment"] : "");
  out.close();
  if (!s.ok() || !out) return Fail(hooks, s.ok() ? "cannot write " + flags["out"] : s.ToString());
  return 0;
}

}  // namespace vitrine::server::analytics
