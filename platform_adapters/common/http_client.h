// The one HTTP call the platform adapters need (Shopify/Magento admin APIs, OAuth token
// exchange), behind an interface so importers are tested against a fake server and could run on
// another transport. Everything else (retries, throttling, pagination) lives in the callers.
//
// Errors are values: Send returns a transport failure (no connection, timeout, TLS) as a Status;
// any HTTP status, 4xx/5xx included, is a successful Send with that status.
// Thread safety: an HttpClient may be used from several threads at once (CurlHttpClient makes one
// easy handle per call).
#ifndef VITRINE_PLATFORM_ADAPTERS_COMMON_HTTP_CLIENT_H_
#define VITRINE_PLATFORM_ADAPTERS_COMMON_HTTP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::adapters {

using server::Status;
using server::StatusOr;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int64_t timeout_ms = 60'000;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;
  // The first header called `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  [[nodiscard]] virtual StatusOr<HttpResponse> Send(const HttpRequest& request) = 0;
};

// libcurl. `ca_file` empty: the system trust store.
std::unique_ptr<HttpClient> NewCurlHttpClient(std::string ca_file = {});

// Percent-encodes everything but RFC 3986 unreserved characters (query values, form bodies).
std::string UrlEncode(std::string_view text);

}  // namespace vitrine::adapters

#endif  // VITRINE_PLATFORM_ADAPTERS_COMMON_HTTP_CLIENT_H_
