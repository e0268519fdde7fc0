// The one pluggable piece of the Magento REST client: executing a single HTTP request. Retries,
// backoff, authentication and pagination live in RestClient (rest_client.h); a transport only
// sends bytes and reports what came back. CurlTransport is the production one; tests use it too,
// against a fake Magento on loopback, so the whole path is exercised.
//
// Thread safety: a transport may be used by one thread at a time (CurlTransport keeps one easy
// handle for connection reuse). Ownership: callers own transports; RestClient borrows one.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_HTTP_TRANSPORT_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_HTTP_TRANSPORT_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace vitrine::magento {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute, query already encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;                              // 0: no response (connect/timeout; see error)
  std::map<std::string, std::string> headers;  // names lower-cased; last one wins
  std::string body;
  std::string error;  // transport error text when status == 0
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse Send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  long timeout_ms = 60000;  // whole request; large search pages take a while to render
  long connect_timeout_ms = 10000;
  bool verify_tls = true;
};

std::unique_ptr<HttpTransport> MakeCurlTransport(CurlOptions options = {});

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_HTTP_TRANSPORT_H_
