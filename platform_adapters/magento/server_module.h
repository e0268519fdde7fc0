// The Magento connector inside the sync server: the /v1/magento/ route module (change
// notifications from the Vitrine_Snippet module) and the sink that applies imported or notified
// records to the App (catalog upserts; identify and order events through the ingest service, so
// an order also sent by the storefront SDK as order_completed counts once: same order_id).
//
// POST /v1/magento/events (RouteAuth::kNone: the HMAC signature authenticates, notifications.h):
//   401 bad/missing/stale signature, nothing stored; 400 invalid event id;
//   202 {"status":"queued"} once durably stored; 200 {"status":"duplicate"} for a retry.
// Processing is asynchronous (InboxProcessor on its own thread), after the answer.
//
// Mounting: MountMagento(app) reads the shared secret from the environment variable
// VITRINE_MAGENTO_SECRET (a previous one from VITRINE_MAGENTO_SECRET_PREVIOUS during rotation)
// and mounts nothing without it; VITRINE_MAGENTO_STORE names the catalog's store view (default
// "default", the same code `magento import --store-code` reads). The inbox lives in the server's
// SQLite file (its own tables).
//
// Thread safety: Handle is thread-safe. Ownership: the module owns its inbox and processor; the
// App (which owns the module) must outlive it, which App's member order guarantees.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_SERVER_MODULE_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_SERVER_MODULE_H_

#include <functional>
#include <memory>
#include <string>

#include "platform_adapters/magento/inbox.h"
#include "sync_server/http/route_module.h"
#include "sync_server/server.h"

namespace vitrine::magento {

// Applies records to the App. Thread-safe (the services are).
class AppSink : public NotificationSink {
 public:
  explicit AppSink(server::App* app) : app_(app) {}
  Status OnCatalog(const std::vector<v1::CatalogItem>& items) override;
  Status OnCustomer(const Customer& customer) override;
  Status OnOrder(const Order& order) override;
  Status OnRefund(const CreditMemo& refund) override;
  Status OnProductDeleted(int64_t product_id) override;

 private:
  Status IngestOne(const v1::Event& event);
  server::App* app_;
};

struct MagentoModuleOptions {
  SignatureOptions signature;
  std::string inbox_path;             // SQLite file; the server's own database file by default
  bool start_processor = true;        // tests stop it to show what a restart finds
  std::function<int64_t()> clock_ms;  // default: the App's clock
  // The store view whose product notifications reach the catalog (ProcessorOptions).
  std::string catalog_store = "default";
};

class MagentoRouteModule : public server::RouteModule {
 public:
  static StatusOr<std::unique_ptr<MagentoRouteModule>> Create(server::App* app,
                                                              MagentoModuleOptions options);
  ~MagentoRouteModule() override;

  std::string_view prefix() const override { return "/v1/magento/"; }
  server::RouteAuth auth() const override { return server::RouteAuth::kNone; }
  std::string RouteLabel(const server::HttpExchange& request) const override;
  server::HttpReply Handle(const server::HttpExchange& request) override;

  NotificationInbox& inbox() { return *inbox_; }
  InboxProcessor& processor() { return *processor_; }

 private:
  MagentoRouteModule() = default;

  MagentoModuleOptions options_;
  std::unique_ptr<NotificationInbox> inbox_;
  std::unique_ptr<AppSink> sink_;
  std::unique_ptr<InboxProcessor> processor_;  // last: stopped before the inbox and sink go
};

// Mounts the module when VITRINE_MAGENTO_SECRET is set; otherwise does nothing and returns Ok.
[[nodiscard]] Status MountMagento(server::App& app);

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_SERVER_MODULE_H_
