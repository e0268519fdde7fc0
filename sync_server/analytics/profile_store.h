// SQLite persistence of the computed customer analytics: one row per profile (attributes, model
// outputs, segment, holdout flag), one row per (profile, category) of its purchase propensity,
// one row per segment (its marketer-facing description) and the
// run's metadata. The tables (analytics_*) live in the server's database file beside the main
// store's, on their own connection (WAL lets the serving process read while a compute writes).
//
// A compute replaces everything in ONE transaction (ReplaceAll): readers see the previous run or
// the new one, never a mix, and a failed compute leaves the previous run in place.
//
// Segment ids are "seg-NNN" (1-based, zero-padded to 3 digits); they are what in-app messages put
// in audience_segment_ids and what the device snapshot carries (Snapshot.segment_ids).
//
// Thread safety: every method may be called from any thread (one connection behind a mutex).
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_STORE_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_STORE_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/analytics/segmentation.h"
#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

struct StoredSegment {
  std::string id;  // "seg-001"
  int size = 0;
  std::string label;  // short human description, e.g. "Skin Care · high LTV · at risk"
  std::vector<Affinity> top_categories;  // share = mean spend share among members
  double mean_aov = 0, mean_ltv = 0, mean_churn = 0, mean_frequency = 0, mean_recency_weeks = 0;
};

struct StoredProfile {
  ProfileAttributes attributes;
  std::string segment_id;  // empty: not segmented (no order, or too few buyers)
  bool holdout = false;
  // P(orders in category `key` within the propensity horizon after the run's as_of), one entry
  // per category of the run's propensity model (propensity.h), in the model's order; empty for
  // profiles without an order, or when the model could not be fitted (the run's note says why).
  std::vector<Affinity> category_propensity;
};

// Everything one compute produced.
struct AnalyticsRun {
  int64_t computed_at_ms = 0;
  std::string models_json;  // fitted parameters and notes, for the admin API
  std::vector<StoredProfile> profiles;
  std::vector<StoredSegment> segments;
};

// What reaches the device snapshot for one profile.
struct DeviceAttributes {
  std::vector<std::string> segment_ids;
  std::map<std::string, std::string> attributes;  // rfm, price_tier, churn_risk, ltv, ...
};

class ProfileStore {
 public:
  // Opens (creating if needed) the analytics tables in the SQLite file at `path`.
  static StatusOr<std::unique_ptr<ProfileStore>> Open(const std::string& path);
  ~ProfileStore();
  ProfileStore(const ProfileStore&) = delete;
  ProfileStore& operator=(const ProfileStore&) = delete;

  Status ReplaceAll(const AnalyticsRun& run);

  StatusOr<std::vector<StoredSegment>> ListSegments();
  // Profile ids of a segment, ascending; kNotFound for an unknown segment id.
  StatusOr<std::vector<int64_t>> SegmentMembers(const std::string& segment_id, int64_t offset,
                                                int64_t limit);
  StatusOr<std::optional<StoredProfile>> GetProfile(int64_t profile_id);
  // profile id -> segment id, every segmented profile (for per-segment popularity in training).
  StatusOr<std::map<int64_t, std::string>> SegmentMembership();
  StatusOr<std::optional<DeviceAttributes>> ForDevice(int64_t profile_id);
  // The last run's models_json and time; nullopt before the first compute.
  StatusOr<std::optional<std::pair<int64_t, std::string>>> LastRun();
  // CSV of every profile (header row first); `segment_id` non-empty: only its members.
  Status ExportCsv(std::ostream& out, const std::string& segment_id = "");

 private:
  explicit ProfileStore(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_;
};

// Convenience for the training pipeline: profile id -> segment id from the database at `path`
// (empty map when analytics never ran).
StatusOr<std::map<int64_t, std::string>> LoadSegmentMembership(const std::string& path);

// "seg-NNN" of a 0-based segment index.
std::string SegmentId(int index);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_STORE_H_
