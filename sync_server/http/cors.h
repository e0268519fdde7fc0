// Cross-origin access for the routes a storefront's browser calls directly: the device API
// (/v1/batch, /v1/snapshot, /v1/identify, /v1/storefront/) and the static files (loader.js, the
// package, the wasm). A shop's pages live on the shop's origin and the sync server on another,
// so without these headers the browser refuses the SDK's fetches (protobuf bodies and the
// Authorization header always need a preflight). Admin and module routes never get them.
//
// The write key is public by design (it is in every storefront's page source), so `*` is a
// reasonable default; a shop that wants to pin its origins lists them.
//
// Thread safety: an immutable value after Parse; pure functions.
#ifndef VITRINE_SYNC_SERVER_HTTP_CORS_H_
#define VITRINE_SYNC_SERVER_HTTP_CORS_H_

#include <string>
#include <string_view>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server {

class CorsPolicy {
 public:
  // `allowed`: "*" (any origin), "" (same origin only), or a comma-separated list of origins
  // ("https://shop.example,https://www.shop.example": scheme, host, optional port; no path).
  static StatusOr<CorsPolicy> Parse(std::string_view allowed);

  // Whether a request with this Origin header may read the answer. `host` is the request's Host
  // header: a page served by this server (the demo storefront) is always allowed.
  bool Allows(std::string_view origin, std::string_view host) const;

  // The Access-Control-Allow-Origin value for an allowed origin ("*" or the origin itself; in
  // the latter case the reply must also say `Vary: Origin`).
  std::string AllowOriginValue(std::string_view origin) const;
  bool any_origin() const { return any_; }

  // What the SDK sends and reads (sync_engine.cc); Date, ETag and Retry-After are not
  // CORS-safelisted response headers, so they must be exposed for the SDK to see them.
  static constexpr const char* kAllowMethods = "GET, POST, OPTIONS";
  static constexpr const char* kAllowHeaders =
      "Authorization, Content-Type, Content-Encoding, Accept, If-None-Match";
  static constexpr const char* kExposeHeaders = "ETag, Retry-After, Date";
  // Chromium caps a preflight cache at 2 hours.
  static constexpr const char* kMaxAgeSeconds = "7200";

 private:
  bool any_ = false;
  std::vector<std::string> origins_;
};

// Whether `path` (with `method`) is one a storefront's browser calls cross-origin.
bool IsBrowserFacingRoute(std::string_view path);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_HTTP_CORS_H_
