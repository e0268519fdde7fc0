// The server's composition root: opens the store, loads caches, rebuilds the in-memory model from
// stored events, starts the ingest writer; optionally loads the demo shop. The HTTP layer
// (http/http_server.h) sits on top and only calls these services.
//
// Thread safety: the accessors return services that are themselves thread-safe.
#ifndef VITRINE_SYNC_SERVER_SERVER_H_
#define VITRINE_SYNC_SERVER_SERVER_H_

#include <functional>
#include <memory>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/config.h"
#include "sync_server/http/route_module.h"
#include "sync_server/metrics.h"
#include "sync_server/services/admin_service.h"
#include "sync_server/services/content_service.h"
#include "sync_server/services/ingest_service.h"
#include "sync_server/services/reco_model.h"
#include "sync_server/services/snapshot_service.h"
#include "sync_server/storage/store.h"
#ifdef VITRINE_HAVE_CAMPAIGNS
#include "sync_server/campaigns/campaign_service.h"
#include "sync_server/campaigns/campaign_store.h"
#include "sync_server/campaigns/recipient_directory.h"
#include "sync_server/campaigns/tracking.h"
#include "sync_server/campaigns/trigger_worker.h"
#endif

namespace vitrine::server {

class App {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  static int64_t SystemClockMs();

  // `clock` defaults to the system clock.
  static StatusOr<std::unique_ptr<App>> Open(const ServerConfig& config, Clock clock = nullptr);
  ~App();

  // Generates the demo shop (config.demo_customers, demo_seed, datasets) and loads its catalog
  // and history through the ingest service. kUnavailable when built without the generator.
  Status LoadDemo();

  const ServerConfig& config() const { return config_; }
  IngestService& ingest() { return *ingest_; }
  SnapshotService& snapshots() { return *snapshots_; }
  CatalogService& catalog() { return *catalog_; }
  MessageService& messages() { return *messages_; }
  AdminService& admin() { return *admin_; }
  ModelRegistry& models() { return *models_; }
  Store& store() { return *store_; }
  Metrics& metrics() { return metrics_; }
  const Clock& clock() const { return clock_; }
#ifdef VITRINE_HAVE_CAMPAIGNS
  // ---- campaigns (email tracking) ----
  // Tokens are signed with a key derived from the admin key; engagements go to the campaign
  // tables and, when human, to the recipient's profile as email_opened / email_clicked events.
  campaigns::TrackingService& tracking() { return *tracking_; }
  campaigns::CampaignStore& campaign_store() { return *campaign_store_; }
  const campaigns::TokenSigner& tracking_signer() const { return *tracking_signer_; }
  // ---- campaigns (sending and triggers) ----
  // Campaigns from the admin API, sent over the configured SMTP relay (--smtp-url).
  campaigns::CampaignService& campaigns() { return *campaign_service_; }
  // The email trigger worker; null unless config.email_triggers.
  campaigns::TriggerWorker* triggers() { return trigger_worker_.get(); }
#endif
  // Starts the background senders (scheduled campaigns; the trigger worker when enabled). Only
  // `serve` calls this: `train` or `demo-load` opening the same database never send email.
  void StartCampaignWorkers();

  // Feature routes (http/route_module.h), mounted in Open before the HTTP server starts; the
  // HTTP layer dispatches to them by path prefix. Not thread-safe: mount before serving.
  void Mount(std::unique_ptr<RouteModule> module) { route_modules_.push_back(std::move(module)); }
  const std::vector<std::unique_ptr<RouteModule>>& route_modules() const { return route_modules_; }

 private:
  App(ServerConfig config, Clock clock) : config_(std::move(config)), clock_(std::move(clock)) {}

  ServerConfig config_;
  Clock clock_;
  Metrics metrics_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<RecoModel> model_;
  std::unique_ptr<CatalogService> catalog_;
  std::unique_ptr<MessageService> messages_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<ModelRegistry> models_;  // after catalog_ and store_: destroyed before them
  std::unique_ptr<SnapshotService> snapshots_;
  std::unique_ptr<IngestService> ingest_;
#ifdef VITRINE_HAVE_CAMPAIGNS
  // After ingest_, so destroyed before it (the profile sink ingests).
  std::unique_ptr<campaigns::CampaignStore> campaign_store_;
  std::unique_ptr<campaigns::TokenSigner> tracking_signer_;
  std::unique_ptr<campaigns::ProfileEngagementSink> profile_sink_;
  std::unique_ptr<campaigns::FanOutSink> engagement_sink_;
  std::unique_ptr<campaigns::TrackingService> tracking_;
  // After the tracking members, so destroyed (workers joined) first.
  std::unique_ptr<campaigns::AudienceStore> audience_store_;
  std::unique_ptr<campaigns::StoreRecipientDirectory> recipient_directory_;
  std::unique_ptr<campaigns::CampaignService> campaign_service_;
  std::unique_ptr<campaigns::EventTail> event_tail_;
  std::unique_ptr<campaigns::TriggerWorker> trigger_worker_;
#endif
  // Last, so destroyed first: modules hold pointers to the services above.
  std::vector<std::unique_ptr<RouteModule>> route_modules_;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVER_H_
