// The storefront's catalog feed: GET /v1/storefront/catalog (write key, like /v1/snapshot), for
// the demo shop's category and product pages (samples/web_storefront). Recommendations never come
// from here: they are served on the device from the snapshot.
//
//   GET /v1/storefront/catalog[?category=Skin Care/Face][&ids=a,b][&q=serum][&limit=N][&offset=N]
//   200 {"total":N, "categories":[{"path":"Skin Care/Face/Serums","count":N}...],
//        "items":[{"product_id","title","price","currency","category","brand","stock"}...]}
//
// `categories` always counts the whole catalog (the shop's navigation); `items` are the matching
// products sorted by category then title, `total` how many matched before limit/offset.
// `category` matches a path prefix at a "/" boundary; `q` is a case-insensitive (ASCII) substring
// of title or brand; `limit` defaults to all, at most 100,000.
//
// Thread safety: Handle is thread-safe (the Store is). Ownership: borrows the Store, which must
// outlive the module (the App destroys modules first).
#ifndef VITRINE_SYNC_SERVER_STOREFRONT_CATALOG_ROUTES_H_
#define VITRINE_SYNC_SERVER_STOREFRONT_CATALOG_ROUTES_H_

#include <memory>
#include <string_view>

#include "sync_server/http/route_module.h"
#include "sync_server/storage/store.h"

namespace vitrine::server::storefront {

class CatalogRoutes final : public RouteModule {
 public:
  explicit CatalogRoutes(Store* store) : store_(store) {}
  std::string_view prefix() const override { return "/v1/storefront/"; }
  RouteAuth auth() const override { return RouteAuth::kWriteKey; }
  std::string RouteLabel(const HttpExchange& request) const override;
  HttpReply Handle(const HttpExchange& request) override;

 private:
  Store* store_;
};

inline std::unique_ptr<RouteModule> NewCatalogRoutes(Store* store) {
  return std::make_unique<CatalogRoutes>(store);
}

}  // namespace vitrine::server::storefront

#endif  // VITRINE_SYNC_SERVER_STOREFRONT_CATALOG_ROUTES_H_
