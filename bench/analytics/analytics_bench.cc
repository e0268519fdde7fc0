// vitrine-analytics-bench [--datasets DIR] [--customers 100000,1000000] [--seed 1]
//
// For each base size N (a synthetic base from amazon/Beauty*, synthetic_base.h; building it is
// not timed) prints, as one JSON object on stdout:
//   ltv_fit_<N>_s   profile attributes + BG/NBD and Gamma-Gamma maximum-likelihood fits +
//                   per-customer P(alive), expected purchases, next order date and LTV
//                   (ComputeProfiles);
//   segment_<N>_s   feature building + size-bounded k-means with min-cost-flow assignment
//                   (defaults: 200-500 per segment, >= 150 segments);
// plus segments_<N>, fallback_<N>, rounds_<N>. N is written 100k / 1m. Progress goes to stderr.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/analytics/segmentation.h"
#include "sync_server/analytics/synthetic_base.h"

namespace an = vitrine::server::analytics;

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string SizeName(int n) {
  if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "m";
  if (n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

}  // namespace

int main(int argc, char** argv) {
  std::string datasets = "../shared/datasets";
  std::string sizes = "100000,1000000";
  uint64_t seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--datasets") {
      datasets = argv[i + 1];
    } else if (flag == "--customers") {
      sizes = argv[i + 1];
    } else if (flag == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::string json = "{";
  std::stringstream list(sizes);
  for (std::string item; std::getline(list, item, ',');) {
    const int n = std::atoi(item.c_str());
    if (n <= 0) continue;
    an::SyntheticBaseOptions base_options;
    base_options.customers = n;
    base_options.seed = seed;
    std::fprintf(stderr, "[base] building %d customers\n", n);
    auto lines = an::BuildBeautyBase(datasets + "/amazon", base_options);
    if (!lines.ok()) {
      std::fprintf(stderr, "%s\n", lines.status().ToString().c_str());
      return 1;
    }
    an::ProfileOptions profile_options;
    profile_options.as_of_ms =
        base_options.start_ms + static_cast<int64_t>(base_options.weeks * 7 * 86'400'000.0);
    profile_options.progress = [](std::string_view stage, int64_t done, int64_t total) {
      std::fprintf(stderr, "[%.*s] %lld/%lld\n", static_cast<int>(stage.size()), stage.data(),
                   static_cast<long long>(done), static_cast<long long>(total));
    };
    auto t0 = std::chrono::steady_clock::now();
    auto profiles = an::ComputeProfiles(*lines, profile_options);
    const double fit_s = Since(t0);
    if (!profiles.ok()) {
      std::fprintf(stderr, "%s\n", profiles.status().ToString().c_str());
      return 1;
    }
    lines->clear();
    lines->shrink_to_fit();
    t0 = std::chrono::steady_clock::now();
    const an::SegmentationBase base = an::BuildSegmentationBase(*profiles);
    auto features = an::BuildFeatures(base.inputs);
    if (!features.ok()) return 1;
    an::SegmentationOptions options;
    options.seed = seed;
    options.progress = [](int done, int total) {
      std::fprintf(stderr, "[segment] round %d/%d\n", done, total);
    };
    auto seg = an::SegmentCustomers(*features, options);
    const double seg_s = Since(t0);
    if (!seg.ok()) {
      std::fprintf(stderr, "%s\n", seg.status().ToString().c_str());
      return 1;
    }
    const std::string k = SizeName(n);
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s\"ltv_fit_%s_s\":%.3f,\"segment_%s_s\":%.3f,\"segments_%s\":%d,"
                  "\"rounds_%s\":%d,\"fallback_%s\":%d",
                  json.size() > 1 ? "," : "", k.c_str(), fit_s, k.c_str(), seg_s, k.c_str(),
                  seg->segments, k.c_str(), seg->iterations_run, k.c_str(),
                  seg->fallback_customers);
    json += buf;
    std::fprintf(stderr, "[done] %s: fit %.2f s, segmentation %.2f s, %d segments\n", k.c_str(),
                 fit_s, seg_s, seg->segments);
  }
  std::printf("%s}\n", json.c_str());
  return 0;
}
