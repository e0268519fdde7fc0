// The analytics compute job: reads every stored event of the server (views, carts, orders, with
// categories and brands from the lines or, when missing, from the catalog), computes the profile
// attributes and models (profile_attributes.h), segments the buyers (segmentation.h), flags a
// stratified holdout, and replaces the stored run (profile_store.h) in one transaction.
//
// Thread safety: RunCompute may run concurrently with serving (it reads through the Store's
// read methods and writes only analytics tables); two computes at once are not useful but safe
// (the last ReplaceAll wins). Progress callbacks run on the calling thread.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_JOB_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_JOB_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/analytics/profile_store.h"
#include "sync_server/analytics/propensity.h"
#include "sync_server/analytics/segmentation.h"
#include "sync_server/common/status.h"
#include "sync_server/storage/store.h"

namespace vitrine::server::analytics {

struct ComputeOptions {
  ProfileOptions profile;  // as_of_ms 0: the newest event's time
  FeatureOptions features;
  SegmentationOptions segmentation;
  // Category purchase propensity, fitted on everything up to as_of (labels: the last horizon)
  // and scored at as_of for every buyer; categories 0: none.
  PropensityOptions propensity;
  double holdout_fraction = 0.1;
  uint64_t holdout_seed = 1;
  // (stage, done, total); total < 0 when unknown. May be empty.
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

struct ComputeReport {
  int64_t events = 0;
  int64_t profiles = 0;
  int64_t buyers = 0;
  int segments = 0;
  std::string note;  // models or segmentation skipped, and why
  double seconds = 0;
};

// Product lines of the stored events that matter for profiles (product_viewed,
// product_added_to_cart, order_completed); categories/brands filled from `catalog` when a line
// lacks them.
std::vector<ActivityLine> ActivityFromEvent(int64_t profile_id, const v1::Event& event);

// Runs the whole pipeline on `lines` and returns the run to store (pure; the benchmark and the
// synthetic-base test call it directly).
StatusOr<AnalyticsRun> ComputeRun(std::span<const ActivityLine> lines,
                                  const ComputeOptions& options, ComputeReport* report);

// Reads `store`, computes, and replaces the run in `out`.
StatusOr<ComputeReport> RunCompute(Store& store, ProfileStore& out, ComputeOptions options,
                                   int64_t now_ms);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_JOB_H_
