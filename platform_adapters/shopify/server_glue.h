// Wiring of the Shopify app into the sync server's App (header-only so vitrine_shopify_app need
// not link the server library: this compiles in the server's translation units and tests).
//
// Thread safety: call before the HTTP server starts (App::Mount is not synchronized).
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "platform_adapters/shopify/shopify_app.h"
#include "sync_server/batch_codec.h"
#include "sync_server/common/json_text.h"
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
  sinks.export_profiles = [&app](const std::vector<std::pair<std::string, std::string>>& lookups)
      -> server::StatusOr<std::string> {
    std::vector<int64_t> seen;
    std::string out = "[";
    for (const auto& [user_id, anonymous_id] : lookups) {
      auto profile = app.admin().FindProfile(user_id, anonymous_id);
      // Not under the user id: the anonymous id may still have a profile (a guest, or events
      // stored before the identify).
      if (!profile.ok() && profile.status().kind() == server::Status::Kind::kNotFound &&
          !user_id.empty() && !anonymous_id.empty()) {
        profile = app.admin().FindProfile("", anonymous_id);
      }
      if (!profile.ok()) {
        if (profile.status().kind() == server::Status::Kind::kNotFound) continue;
        return profile.status();
      }
      if (std::find(seen.begin(), seen.end(), profile->profile_id) != seen.end()) continue;
      seen.push_back(profile->profile_id);
      auto events = app.admin().ListEvents(profile->profile_id, size_t{1} << 30);
      if (!events.ok()) return events.status();
      std::string anonymous = "[";
      for (const std::string& a : profile->anonymous_ids) {
        anonymous += (anonymous.size() > 1 ? "," : "") + server::JsonString(a);
      }
      out +=
          (seen.size() > 1 ? ",{\"profile\":{\"profile_id\":" : "{\"profile\":{\"profile_id\":") +
          std::to_string(profile->profile_id) +
          ",\"user_id\":" + server::JsonString(profile->user_id) +
          ",\"anonymous_ids\":" + anonymous +
          "],\"event_count\":" + std::to_string(profile->event_count) +
          ",\"order_count\":" + std::to_string(profile->order_count) + "},\"events\":[";
      for (size_t i = 0; i < events->size(); ++i) {
        if (i) out += ",";
        out += server::ToJson((*events)[i]);
      }
      out += "]}";
    }
    return out + "]";
  };
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
  // The operator's routes (data request exports) read the app's store; both live until the App
  // is destroyed, after the HTTP server stopped.
  auto admin = std::make_unique<ShopifyAdminRoutes>(&(*module)->store());
  app.Mount(std::move(*module));
  app.Mount(std::move(admin));
  return server::Status::Ok();
}

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_SERVER_GLUE_H_
