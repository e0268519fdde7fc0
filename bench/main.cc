// The benchmark runner: every figure the foundation issue names, side by side in one run, as a
// table (default) or JSON (--json). Not a test: nothing here asserts; docs/benchmarks.md records
// the figures and the command.
//
//   build/release/bench/vitrine-bench [--json] [--quick] [--server-bin PATH]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/ingest_bench.h"
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

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  bool quick = false;
  std::string server_bin;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json"))
      json = true;
    else if (!std::strcmp(argv[i], "--quick"))
      quick = true;
    else if (!std::strcmp(argv[i], "--server-bin") && i + 1 < argc)
      server_bin = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--json] [--quick] [--server-bin PATH]\n", argv[0]);
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

  if (json) {
    std::printf("{");
    for (size_t i = 0; i < rows.size(); ++i) {
      std::printf("%s\"%s\": %.3f", i ? ", " : "", rows[i].key.c_str(), rows[i].value);
    }
    std::printf("}\n");
  } else {
    std::printf("%-28s %16s  %-9s %s\n", "metric", "value", "unit", "target");
    for (const auto& r : rows) {
      std::printf("%-28s %16.2f  %-9s %s\n", r.key.c_str(), r.value, r.unit.c_str(),
                  r.target.c_str());
    }
  }
  return 0;
}
