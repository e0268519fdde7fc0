// The benchmark runner: every figure the foundation issue names, side by side in one run, as a
// table (default) or JSON (--json). Not a test: nothing here asserts; docs/benchmarks.md records
// the figures and the command.
//
//   build/release/bench/vitrine-bench [--json] [--quick] [--server-bin PATH] [--datasets DIR]
//                                     [--no-recsys] [--no-web] [--no-mobile]
// The browser keys (wasm_*) come from node tests/web/bench.mjs (headless Chromium).
// The mobile keys (mobile_*, jni_*) read the mobile builds in build/mobile-<arch> and run
// dev.vitrine.JniTrackBench on the JVM (bench/mobile_bench.h).
// The recommendation keys come from vitrine-train-bench and vitrine-recsys-eval (they link the
// server, whose full protobuf runtime cannot share a binary with the SDK's lite one).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/ingest_bench.h"
#include "bench/mobile_bench.h"
#include "bench/recommend_bench.h"
#include "bench/storage_bench.h"
#include "bench/wire_bench.h"
#include "vitrine/client.h"
#include "vitrine/testing.h"

namespace {

struct Row {
  std::string key;
  double value;
  std::string unit;
  std::string target;
};

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Cost of Track on the caller's thread, with the real journal and background persist running.
std::pair<double, double> RunTrackBench(size_t events) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vitrine-bench-track-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  // Sessions as shoppers make them: an action every 20 s, 40 actions, then 31 min away. The
  // injected clock keeps this fast; the scheduler thread still runs persist in the background.
  vitrine::testing::ManualClock clock;
  vitrine::Options options;
  options.clock = &clock;
  options.persist_interval_ms = 0;  // the manual clock only moves between calls
  options.data_dir = dir.string();
  options.server_url = "http://127.0.0.1:9";  // discard port: sends fail and back off
  options.write_key = "wk_bench";
  auto client = vitrine::Client::Open(options);
  if (!client.ok()) {
    std::fprintf(stderr, "track bench: %s\n", client.status().ToString().c_str());
    return {0, 0};
  }
  vitrine::Product p;
  p.sku = "sku-1";
  p.price = 24.99;
  p.currency = "EUR";
  p.name = "Luma Botanics Hydra Glow Vitamin C Serum 30 ml";
  p.category = "Skin Care/Face/Serums";
  std::vector<double> ns;
  ns.reserve(events);
  for (size_t i = 0; i < events; ++i) {
    clock.AdvanceMs(i % 40 == 0 ? 31 * 60 * 1000 : 20 * 1000);
    p.product_id = "p-" + std::to_string((i * 7919) % 5000);
    const auto t0 = std::chrono::steady_clock::now();
    vitrine::Status s = (*client)->ProductViewed(p);
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::fprintf(stderr, "track failed: %s\n", s.ToString().c_str());
      break;
    }
    ns.push_back(
        static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
  }
  client->reset();
  std::filesystem::remove_all(dir);
  return {Percentile(ns, 0.5), Percentile(ns, 0.99)};
}

// Runs a tool and returns its stdout ("" when it could not run or failed).
std::string RunTool(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (::pclose(pipe) != 0) {
    std::fprintf(stderr, "failed: %s\n", command.c_str());
    return {};
  }
  return out;
}

// The number after `"key":` in `json`, searching from `from`; NaN when absent.
double JsonNumber(const std::string& json, const std::string& key, size_t from = 0) {
  const std::string needle = "\"" + key + "\":";
  const size_t at = json.find(needle, from);
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + needle.size(), nullptr);
}

// Server-side recommendation figures (issue 5), from the tools that link the server: the refresh
// benchmark and the offline evaluation.
void RunRecsysBenches(const std::filesystem::path& tools, const std::string& datasets, bool quick,
                      std::vector<Row>* rows) {
  const auto train_bench = tools / "bench/training/vitrine-train-bench";
  if (std::filesystem::exists(train_bench)) {
    const std::string json =
        RunTool(train_bench.string() + (quick ? " --customers 10000" : "") + " --json");
    rows->push_back({"train_full_refresh_1m_s", JsonNumber(json, "train_full_refresh_1m_s"), "s",
                     quick ? "(100k events)" : "<= 60"});
    rows->push_back({"snapshot_bytes_p50", JsonNumber(json, "snapshot_bytes_p50"), "bytes", ""});
  } else {
    std::fprintf(stderr, "refresh: skipped, no %s\n", train_bench.c_str());
  }
  const auto eval = tools / "sync_server/recsys/tools/vitrine-recsys-eval";
  if (!std::filesystem::exists(eval)) {
    std::fprintf(stderr, "evaluation: skipped, no %s\n", eval.c_str());
    return;
  }
  if (!std::filesystem::exists(std::filesystem::path(datasets) / "amazon" / "Beauty.txt")) {
    std::fprintf(stderr, "evaluation: skipped, no datasets at %s (--datasets)\n", datasets.c_str());
    return;
  }
  const bool sequential =
      RunTool(eval.string() + " --help 2>&1 || true").find("sasrec") != std::string::npos;
  for (const char* dataset : {"beauty", "toys"}) {
    const std::string models = sequential && !quick ? "item-knn,sasrec" : "item-knn";
    const std::string json =
        RunTool(eval.string() + " --datasets " + datasets + " --dataset " + dataset + " --models " +
                models + " --seeds " + (quick ? "1" : "3") + " --json 2>/dev/null");
    // The best shipped model's NDCG@10, and the transformer's training time on Beauty.
    double best = std::nan("");
    for (size_t at = json.find("{\"model\":"); at != std::string::npos;
         at = json.find("{\"model\":", at + 1)) {
      const double ndcg = JsonNumber(json, "ndcg10", at);
      if (std::isnan(best) || ndcg > best) best = ndcg;
      if (json.compare(at, 17, "{\"model\":\"sasrec\"") == 0 && std::string(dataset) == "beauty") {
        rows->push_back(
            {"train_transformer_beauty_s", JsonNumber(json, "train_s", at), "s", "<= 600"});
      }
    }
    rows->push_back({std::string("eval_ndcg10_") + dataset, best, "",
                     std::string(dataset) == "beauty" ? ">= 0.057" : ">= 0.068"});
  }
}

// ---- analytics: bench (begin) ----
// Customer analytics (issue 4): LTV fit and micro-segmentation of 100k (and, unless --quick, 1M)
// customers from vitrine-analytics-bench (bench/analytics/).
void RunAnalyticsBench(const std::filesystem::path& tools, const std::string& datasets, bool quick,
                       std::vector<Row>* rows) {
  const auto bench = tools / "bench/analytics/vitrine-analytics-bench";
  if (!std::filesystem::exists(bench)) {
    std::fprintf(stderr, "analytics: skipped, no %s\n", bench.c_str());
    return;
  }
  const std::string json = RunTool(bench.string() + " --datasets " + datasets + " --customers " +
                                   (quick ? "100000" : "100000,1000000"));
  rows->push_back({"ltv_fit_100k_s", JsonNumber(json, "ltv_fit_100k_s"), "s", "<= 30 with seg."});
  rows->push_back({"segment_100k_s", JsonNumber(json, "segment_100k_s"), "s", "<= 30 with fit"});
  if (!quick) {
    rows->push_back({"ltv_fit_1m_s", JsonNumber(json, "ltv_fit_1m_s"), "s", "(reported)"});
    rows->push_back({"segment_1m_s", JsonNumber(json, "segment_1m_s"), "s", "(reported)"});
  }
}
// ---- analytics: bench (end) ----

// Browser figures (issue 3): tests/web/bench.mjs runs the SDK in headless Chromium on the demo
// storefront and measures the package's transfer sizes. Needs node, Chromium and the browser
// package (wasm/scripts/build-package.sh); skipped with a note otherwise.
void RunWebBench(const std::string& server_bin, bool quick, std::vector<Row>* rows) {
  const std::filesystem::path script =
      std::filesystem::path(VITRINE_SOURCE_DIR) / "tests/web/bench.mjs";
  if (!std::filesystem::exists(script) || RunTool("command -v node").empty()) {
    std::fprintf(stderr, "web: skipped, no node or %s\n", script.c_str());
    return;
  }
  const std::string json = RunTool("node " + script.string() + " --json --server-bin " +
                                   server_bin + (quick ? " --quick" : ""));
  if (json.empty()) return;  // RunTool said why
  const struct {
    const char* key;
    const char* unit;
    const char* target;
  } keys[] = {{"wasm_loader_br_bytes", "bytes", "<= 8192"},
              {"wasm_loader_gz_bytes", "bytes", ""},
              {"wasm_core_br_bytes", "bytes", "<= 65536"},
              {"wasm_core_gz_bytes", "bytes", ""},
              {"wasm_track_us_p50", "us", ""},
              {"wasm_recommend_us_p50", "us", "<= 100"}};
  for (const auto& k : keys) rows->push_back({k.key, JsonNumber(json, k.key), k.unit, k.target});
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  bool quick = false;
  std::string server_bin;
  std::string datasets = "../shared/datasets";
  bool recsys = true;
  bool web = true;
  bool mobile = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json"))
      json = true;
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--server-bin") && i + 1 < argc)
      server_bin = argv[++i];
    else if (!std::strcmp(argv[i], "--datasets") && i + 1 < argc)
      datasets = argv[++i];
    else if (!std::strcmp(argv[i], "--no-recsys"))
      recsys = false;
    else if (!std::strcmp(argv[i], "--no-web"))
      web = false;
    else if (!std::strcmp(argv[i], "--no-mobile"))
      mobile = false;
    else {
      std::fprintf(stderr,
                   "usage: %s [--json] [--quick] [--server-bin PATH] [--datasets DIR] "
                   "[--no-recsys] [--no-web] [--no-mobile]\n",
                   argv[0]);
      return 2;
    }
  }
  if (server_bin.empty()) {
    const auto guess =
        std::filesystem::path(argv[0]).parent_path().parent_path() / "sync_server/vitrine-server";
    server_bin = guess.string();
  }

  std::vector<Row> rows;
  const auto [track_p50, track_p99] = RunTrackBench(quick ? 50'000 : 500'000);
  rows.push_back({"track_ns_p50", track_p50, "ns", "<= 2000"});
  rows.push_back({"track_ns_p99", track_p99, "ns", ""});
  rows.push_back({"persisted_events_per_s", RunPersistBench(quick ? 100'000 : 1'000'000),
                  "events/s", ">= 300000"});
  const RecommendBenchResult rec = RunRecommendBench();
  rows.push_back({"recommend_us_p50", rec.p50_us, "us", "<= 20"});
  rows.push_back({"recommend_us_p99", rec.p99_us, "us", ""});
  rows.push_back({"wire_bytes_per_event", RunWireBytesPerEventBench(), "bytes", "<= 40"});
  if (std::filesystem::exists(server_bin)) {
    // The headline keys are the worse of the two connection counts.
    const IngestBenchResult c64 = RunIngestBench(server_bin, 64, quick ? 2.0 : 10.0);
    const IngestBenchResult c256 = RunIngestBench(server_bin, 256, quick ? 2.0 : 10.0);
    rows.push_back({"ingest_events_per_s", std::min(c64.events_per_s, c256.events_per_s),
                    "events/s", ">= 200000"});
    rows.push_back({"ingest_p99_ms", std::max(c64.p99_ms, c256.p99_ms), "ms", "<= 25"});
    rows.push_back({"ingest_events_per_s_c64", c64.events_per_s, "events/s", ""});
    rows.push_back({"ingest_p99_ms_c64", c64.p99_ms, "ms", ""});
    rows.push_back({"ingest_events_per_s_c256", c256.events_per_s, "events/s", ""});
    rows.push_back({"ingest_p99_ms_c256", c256.p99_ms, "ms", ""});
    // Context on a shared machine: how much CPU the server actually got, and its cost per event.
    for (const auto* r : {&c64, &c256}) {
      const std::string suffix = r == &c64 ? "_c64" : "_c256";
      rows.push_back({"ingest_server_cores" + suffix, r->server_cores, "cores", ""});
      rows.push_back({"ingest_server_us_per_event" + suffix,
                      r->events_per_s > 0 ? r->server_cores * 1e6 / r->events_per_s : 0, "us", ""});
    }
  } else {
    std::fprintf(stderr, "ingest: skipped, no server binary at %s (--server-bin)\n",
                 server_bin.c_str());
  }

  if (recsys) {
    RunRecsysBenches(std::filesystem::path(argv[0]).parent_path().parent_path(), datasets, quick,
                     &rows);
    RunAnalyticsBench(std::filesystem::path(argv[0]).parent_path().parent_path(), datasets, quick,
                      &rows);  // ---- analytics: bench ----
  }

  if (web && std::filesystem::exists(server_bin)) RunWebBench(server_bin, quick, &rows);

  if (mobile) {
    const MobileBenchResult m =
        RunMobileBench(std::filesystem::path(argv[0]).parent_path().parent_path().string(),
                       VITRINE_SOURCE_DIR, quick);
    // A figure whose build is absent is left out (stderr says why) rather than printed as NaN.
    const Row mobile_rows[] = {{"mobile_so_bytes_x86_64", m.so_bytes_x86_64, "bytes", ""},
                               {"mobile_so_bytes_arm64", m.so_bytes_arm64, "bytes", ""},
                               {"jni_track_ns_p50", m.jni_track_ns_p50, "ns", ""},
                               {"jni_track_ns_p99", m.jni_track_ns_p99, "ns", ""}};
    for (const Row& r : mobile_rows) {
      if (!std::isnan(r.value)) rows.push_back(r);
    }
  }

  if (json) {
    std::printf("{");
    for (size_t i = 0; i < rows.size(); ++i) {
      std::printf("%s\"%s\": %.3f", i ? ", " : "", rows[i].key.c_str(), rows[i].value);
    }
    std::printf("}\n");
  } else {
    std::printf("%-28s %16s  %-9s %s\n", "metric", "value", "unit", "target");
    for (const auto& r : rows) {
      // Ratios such as NDCG need four decimals; everything else reads fine with two.
      std::printf(std::fabs(r.value) < 1 ? "%-28s %16.4f  %-9s %s\n" : "%-28s %16.2f  %-9s %s\n",
                  r.key.c_str(), r.value, r.unit.c_str(), r.target.c_str());
    }
  }
  return 0;
}
