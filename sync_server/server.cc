#include "sync_server/server.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <vector>

#include "sync_server/storage/sqlite_store.h"
#ifdef VITRINE_HAVE_ANALYTICS
#include "sync_server/analytics/analytics_routes.h"
#include "sync_server/analytics/profile_store.h"
#endif
#ifdef VITRINE_HAVE_STOREFRONT
#include "sync_server/storefront/catalog_routes.h"
#endif
#ifdef VITRINE_HAVE_SHOPIFY
#include "platform_adapters/shopify/server_glue.h"
#endif
#ifdef VITRINE_HAVE_MAGENTO
#include "platform_adapters/magento/server_module.h"
#endif
#ifdef VITRINE_HAVE_DEMO
#include "sync_server/demo/demo_shop.h"
#endif

namespace vitrine::server {

int64_t App::SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

StatusOr<std::unique_ptr<App>> App::Open(const ServerConfig& config, Clock clock) {
  if (!clock) clock = &App::SystemClockMs;
  std::unique_ptr<App> app(new App(config, std::move(clock)));
  auto store = OpenSqliteStore(config.db);
  if (!store.ok()) return store.status();
  app->store_ = std::move(*store);

  RecoModelOptions model_options;
  model_options.half_life_days = config.half_life_days;
  model_options.refresh_ms = config.model_refresh_ms;
  app->model_ = std::make_unique<RecoModel>(model_options);
  // Rebuild the in-memory model from what is stored: once, at startup.
  Status s = app->store_->ScanEvents(
      [&](int64_t profile_id, const v1::Event& event) { app->model_->Observe(profile_id, event); });
  if (!s.ok()) return s;

  app->catalog_ = std::make_unique<CatalogService>(app->store_.get());
  s = app->catalog_->Load();
  if (!s.ok()) return s;
  app->messages_ = std::make_unique<MessageService>(app->store_.get());
  s = app->messages_->Load();
  if (!s.ok()) return s;
  app->admin_ = std::make_unique<AdminService>(app->store_.get());
  training::TrainingOptions training_options;
  training_options.half_life_days = config.half_life_days;
  training_options.sequential = config.train_sequential;
  training_options.sequential_epochs = config.train_epochs;
  training_options.threads = config.train_threads;
  app->models_ = std::make_unique<ModelRegistry>(app->store_.get(), app->catalog_.get(),
                                                 training_options, config.retrain_interval_s * 1000,
                                                 config.model_versions_kept, app->clock_);
#ifdef VITRINE_HAVE_ANALYTICS
  // Per-segment popularity: each training reads the latest micro-segments (analytics compute).
  app->models_->SetSegmentSource([db = config.db] { return analytics::LoadSegmentMembership(db); });
#endif
  s = app->models_->LoadLatest();
  if (!s.ok()) return s;

  SnapshotOptions snapshot_options;
  snapshot_options.ttl_seconds = config.snapshot_ttl_seconds;
  app->snapshots_ = std::make_unique<SnapshotService>(
      app->store_.get(), app->model_.get(), app->catalog_.get(), app->messages_.get(),
      snapshot_options, app->clock_, app->models_.get());
  IngestOptions ingest_options;
  ingest_options.max_events_per_transaction = config.max_events_per_transaction;
  app->ingest_ = std::make_unique<IngestService>(app->store_.get(), app->model_.get(),
                                                 ingest_options, app->clock_);
  s = app->ingest_->Start();
  if (!s.ok()) return s;
#ifdef VITRINE_HAVE_CAMPAIGNS
  // ---- campaigns: email tracking (begin) ----
  auto campaign_store = campaigns::CampaignStore::Open(config.db);
  if (!campaign_store.ok()) return campaign_store.status();
  app->campaign_store_ = std::move(*campaign_store);
  app->tracking_signer_ =
      std::make_unique<campaigns::TokenSigner>(campaigns::TokenSigner::DeriveKey(config.admin_key));
  app->profile_sink_ = std::make_unique<campaigns::ProfileEngagementSink>(
      [ingest = app->ingest_.get()](const v1::Event& event) {
        v1::Batch batch;
        *batch.add_events() = event;
        auto r = ingest->Ingest(std::move(batch));
        return r.ok() ? Status::Ok() : r.status();
      });
  app->engagement_sink_ =
      std::make_unique<campaigns::FanOutSink>(std::vector<campaigns::EngagementSink*>{
          app->campaign_store_.get(), app->profile_sink_.get()});
  app->tracking_ = std::make_unique<campaigns::TrackingService>(
      app->tracking_signer_.get(), app->engagement_sink_.get(), app->campaign_store_.get(),
      campaigns::OpenClassifier(), app->clock_);
  // ---- campaigns: email tracking (end) ----
  // ---- campaigns: sending and triggers (begin) ----
  auto audiences = campaigns::AudienceStore::Open(config.db);
  if (!audiences.ok()) return audiences.status();
  app->audience_store_ = std::move(*audiences);
  app->recipient_directory_ =
      std::make_unique<campaigns::StoreRecipientDirectory>(app->store_.get());
  campaigns::MailSettings mail;
  mail.smtp.url = config.smtp_url;
  mail.smtp.require_starttls = config.smtp_starttls == "required";
  mail.smtp.try_starttls = config.smtp_starttls == "opportunistic";
  mail.smtp.ca_file = config.smtp_ca_file;
  mail.smtp.username = config.smtp_username;
  mail.smtp.password = config.smtp_password;
  mail.from = {config.smtp_from, config.smtp_from_name};
  mail.messages_per_second = config.smtp_rate;
  mail.tracking_base_url = config.tracking_url.empty() ? config.listen + "/t" : config.tracking_url;
  while (mail.tracking_base_url.ends_with('/')) mail.tracking_base_url.pop_back();
  mail.shop_name = config.shop_name;
  mail.shop_url = config.shop_url;
  mail.footer_text = config.email_footer;
  campaigns::CampaignService::Deps deps;
  deps.store = app->campaign_store_.get();
  deps.signer = app->tracking_signer_.get();
  deps.directory = app->recipient_directory_.get();
  deps.audiences = app->audience_store_.get();
  deps.model = [models = app->models_.get()] { return models->Current(); };
  deps.catalog = [catalog = app->catalog_.get()](const std::string& id) {
    return catalog->Get(id);
  };
  deps.orders = campaigns::OrdersFromStore(app->store_.get());
  deps.clock = app->clock_;
  auto service = campaigns::CampaignService::Open(config.db, std::move(mail), std::move(deps));
  if (!service.ok()) return service.status();
  app->campaign_service_ = std::move(*service);
  if (config.email_triggers) {
    auto tail = campaigns::EventTail::Open(config.db);
    if (!tail.ok()) return tail.status();
    app->event_tail_ = std::move(*tail);
    campaigns::TriggerWorkerOptions trigger_options;
    trigger_options.definitions = campaigns::DefaultTriggerDefinitions();
    trigger_options.policy.window_ms = static_cast<int64_t>(config.trigger_cap_hours * 3'600'000);
    campaigns::TriggerWorker::Deps trigger_deps;
    trigger_deps.tail = app->event_tail_.get();
    trigger_deps.campaigns = app->campaign_service_.get();
    trigger_deps.user_of = [store =
                                app->store_.get()](int64_t profile_id) -> StatusOr<std::string> {
      auto p = store->GetProfile(profile_id);
      if (!p.ok()) return p.status();
      return p->has_value() ? (*p)->user_id : std::string();
    };
    trigger_deps.catalog = [store = app->store_.get()] { return store->ListCatalog(); };
    trigger_deps.clock = app->clock_;
    auto worker =
        campaigns::TriggerWorker::Create(std::move(trigger_options), std::move(trigger_deps));
    if (!worker.ok()) return worker.status();
    app->trigger_worker_ = std::move(*worker);
  }
  // ---- campaigns: sending and triggers (end) ----
#endif
  // ---- feature routes (http/route_module.h): each feature mounts its module here ----
#ifdef VITRINE_HAVE_STOREFRONT
  app->Mount(storefront::NewCatalogRoutes(app->store_.get()));  // samples/web_storefront
#endif
#ifdef VITRINE_HAVE_SHOPIFY
  if (Status s_shopify = shopify::MountShopifyFromEnv(*app); !s_shopify.ok()) return s_shopify;
#endif
#ifdef VITRINE_HAVE_MAGENTO
  if (Status s_magento = magento::MountMagento(*app); !s_magento.ok()) return s_magento;
#endif
#ifdef VITRINE_HAVE_ANALYTICS
  {  // customer analytics: admin API; segment ids and attributes reach the snapshots
    auto analytics_routes = analytics::AnalyticsRoutes::Create(
        config.db, app->store_.get(),
        [ingest = app->ingest_.get()](v1::Batch batch) -> StatusOr<analytics::IngestOutcome> {
          auto r = ingest->Ingest(std::move(batch));
          if (!r.ok()) return r.status();
          return analytics::IngestOutcome{r->stored, r->duplicates};
        },
        app->clock_);
    if (!analytics_routes.ok()) return analytics_routes.status();
    app->snapshots_->SetProfileDecorator(
        [routes = analytics_routes->get()](int64_t id, v1::Snapshot& snapshot) {
          routes->DecorateSnapshot(id, snapshot);
        });
    app->Mount(std::move(*analytics_routes));
  }
#endif
  // ---- feature routes (end) ----
  return app;
}

void App::StartCampaignWorkers() {
#ifdef VITRINE_HAVE_CAMPAIGNS
  campaign_service_->Start();
  if (trigger_worker_) trigger_worker_->Start(config_.trigger_poll_s * 1000);
#endif
}

App::~App() {
  if (ingest_) ingest_->Stop();
}

Status App::LoadDemo() {
#ifdef VITRINE_HAVE_DEMO
  demo::DemoOptions options;
  options.seed = config_.demo_seed;
  options.customers = config_.demo_customers;
  if (!config_.datasets.empty()) {
    const auto amazon = std::filesystem::path(config_.datasets) / "amazon";
    if (std::filesystem::exists(amazon / "Beauty.txt")) options.amazon_dir = amazon.string();
  }
  // Streamed: batches go to the writer as they are made, at most kInFlight at a time, so 100,000
  // customers (~4.7 M events) load in a few hundred MB instead of ~7 GB.
  constexpr size_t kInFlight = 64;
  std::deque<std::future<Status>> in_flight;
  Status first_error;
  auto settle_one = [&] {
    Status r = in_flight.front().get();
    in_flight.pop_front();
    if (!r.ok() && first_error.ok()) first_error = r;
  };
  demo::DemoShop shop = demo::StreamDemoShop(options, [&](v1::Batch&& batch) {
    auto promise = std::make_shared<std::promise<Status>>();
    in_flight.push_back(promise->get_future());
    ingest_->Submit(std::move(batch), [promise](StatusOr<IngestResult> r) {
      promise->set_value(r.ok() ? Status::Ok() : r.status());
    });
    while (in_flight.size() > kInFlight) settle_one();
  });
  while (!in_flight.empty()) settle_one();
  // The catalog comes last from the stream; upserting it replaces what events described.
  if (Status s = catalog_->Upsert(shop.catalog); !s.ok()) return s;
  return first_error;
#else
  return Status(Status::Kind::kUnavailable, "no_demo",
                "this build has no demo shop generator (sync_server/demo)");
#endif
}

}  // namespace vitrine::server
