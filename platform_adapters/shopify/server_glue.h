// Wiring of the Shopify app into the sync server's App (header-only so vitrine_shopify_app need
// not link the server library: this compiles in the server's translation units and tests).
//
// Thread safety: call before the HTTP server starts (App::Mount is not synchronized).
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_

#include <memory>
#include <utility>

#include "platform_adapters/shopify/shopify_app.h"
#include "sync_server/batch_codec.h"
#include "sync_server/server.h"

namespace vitrine::shopify {

// Sinks onto the App's ingest and catalog services. Events are validated like any client batch
// (server-side types allowed); an invalid one fails the delivery instead of reaching the store.
inline ShopifySinks AppSinks(server::App& app) {
  ShopifySinks sinks;
  sinks.ingest = [&app](v1::Batch batch) -> server::Status {
    for (int i = 0; i < batch.events_size(); ++i) {
      server::Status s = server::ValidateEvent(batch.events(i), i, /*allow_server_side=*/true);
      if (!s.ok()) return s;
    }
    auto result = app.ingest().Ingest(std::move(batch));
    return result.ok() ? server::Status::Ok() : result.status();
  };
  sinks.upsert_catalog = [&app](std::vector<v1::CatalogItem> items) {
    return app.catalog().Upsert(items);
  };
  sinks.get_catalog = [&app](const std::string& id) { return app.catalog().Get(id); };
  return sinks;
}

inline server::StatusOr<std::unique_ptr<ShopifyApp>> OpenShopifyApp(
    server::App& app, ShopifyAppOptions options,
    std::shared_ptr<adapters::HttpClient> http = nullptr) {
  return ShopifyApp::Open(app.config().db, std::move(options), AppSinks(app), app.clock(),
                          std::move(http));
}

// Mounts /v1/shopify/ when VITRINE_SHOPIFY_API_SECRET is set; otherwise does nothing.
inline server::Status MountShopifyFromEnv(server::App& app) {
  auto options = ShopifyAppOptions::FromEnv();
  if (!options) return server::Status::Ok();
  auto module = OpenShopifyApp(app, std::move(*options));
  if (!module.ok()) return module.status();
  app.Mount(std::move(*module));
  return server::Status::Ok();
}

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_
