// Admin API of the customer analytics, a RouteModule mounted under /v1/admin/analytics/ (admin
// key). Bodies and replies are JSON unless said otherwise; errors are {"code","message"}.
//
//   POST /v1/admin/analytics/import?format=generic|online_retail[&currency=XXX]
//        body: the CSV (crm_csv.h formats). Valid rows are merged into the unified profiles
//        through the ingest (crm_merge.h); the reply lists every rejected row by line number.
//        A header problem is a 400 and imports nothing.
//   POST /v1/admin/analytics/compute[?min_size=&max_size=&segments=&seed=&holdout=]
//        runs the compute job (analytics_job.h) synchronously and returns its report; 409 while
//        another compute runs.
//   GET  /v1/admin/analytics/segments              segment descriptions
//   GET  /v1/admin/analytics/segments/{id}/members[?offset=&limit=]   profile ids
//   GET  /v1/admin/analytics/profiles/{profile_id} one profile's attributes
//   GET  /v1/admin/analytics/models                the last run's fitted models
//   GET  /v1/admin/analytics/export[?segment=]     text/csv of the profiles
//
// The module also gives the snapshot service its decorator: segment ids and key attributes of
// the profile (Snapshot.segment_ids, Snapshot.profile_attributes) for in-app message targeting.
//
// Thread safety: Handle is thread-safe (ProfileStore serialises its connection; one compute at a
// time). Ownership: borrows `store`; `ingest` must stay callable while the module lives.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_ROUTES_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_ROUTES_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "sync_server/analytics/analytics_job.h"
#include "sync_server/analytics/crm_merge.h"
#include "sync_server/analytics/profile_store.h"
#include "sync_server/http/route_module.h"
#include "sync_server/storage/store.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server::analytics {

class AnalyticsRoutes : public RouteModule {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  // Opens the analytics tables in the database file `db_path`.
  static StatusOr<std::unique_ptr<AnalyticsRoutes>> Create(const std::string& db_path, Store* store,
                                                           IngestBatchFn ingest, Clock clock);

  std::string_view prefix() const override { return "/v1/admin/analytics/"; }
  RouteAuth auth() const override { return RouteAuth::kAdminKey; }
  std::string RouteLabel(const HttpExchange& request) const override;
  HttpReply Handle(const HttpExchange& request) override;

  // Fills the snapshot's segment ids and profile attributes for `profile_id` (no-op when the
  // profile was never computed). Safe to call concurrently.
  void DecorateSnapshot(int64_t profile_id, v1::Snapshot& snapshot);
  ProfileStore& profiles() { return *profiles_; }

 private:
  AnalyticsRoutes(std::unique_ptr<ProfileStore> profiles, Store* store, IngestBatchFn ingest,
                  Clock clock)
      : profiles_(std::move(profiles)),
        store_(store),
        ingest_(std::move(ingest)),
        clock_(std::move(clock)) {}
  HttpReply Import(const HttpExchange& request);
  HttpReply Compute(const HttpExchange& request);

  std::unique_ptr<ProfileStore> profiles_;
  Store* const store_;
  const IngestBatchFn ingest_;
  const Clock clock_;
  std::mutex compute_mu_;  // one compute at a time (try_lock: a second gets 409)
};

// JSON of one import + merge, shared by the CLI and the API.
std::string ImportReportJson(const ImportResult& imported, const MergeReport& merged,
                             size_t max_issues = 100);
std::string ComputeReportJson(const ComputeReport& report);
std::string SegmentsJson(const std::vector<StoredSegment>& segments);
std::string ProfileJson(const StoredProfile& profile);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_ROUTES_H_
