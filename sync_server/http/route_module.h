// A group of HTTP routes owned by one feature (platform adapters, analytics, the storefront's
// catalog feed), mounted on the App under a path prefix. The feature never sees cpprestsdk: the
// HTTP layer reads the whole body, checks the module's key scope, calls Handle and sends the
// reply (with the access log and metrics every other route gets).
//
// Thread safety: Handle is called concurrently from the server's thread pool and must be
// thread-safe. Ownership: the App owns mounted modules; they live until the App is destroyed,
// after the HTTP server has stopped.
#ifndef VITRINE_SYNC_SERVER_HTTP_ROUTE_MODULE_H_
#define VITRINE_SYNC_SERVER_HTTP_ROUTE_MODULE_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::server {

// Which key the HTTP layer demands before calling the module.
enum class RouteAuth {
  kNone,      // public: the module authenticates itself (webhook HMAC, OAuth query HMAC)
  kWriteKey,  // Authorization: Bearer <write key or admin key>
  kAdminKey,  // Authorization: Bearer <admin key>
};

struct HttpExchange {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // decoded path, e.g. "/v1/shopify/webhooks"
  std::string raw_query;                       // as sent, undecoded (signatures cover it)
  std::map<std::string, std::string> query;    // decoded; the last of repeated names wins
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // the raw bytes, exactly as received
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Location, Retry-After, ...

  static HttpReply Json(int status, std::string body) {
    HttpReply reply;
    reply.status = status;
    reply.body = std::move(body);
    return reply;
  }
  // {"code": code, "message": message} with the given status: the server's error shape.
  static HttpReply Error(int status, std::string_view code, std::string_view message);
};

class RouteModule {
 public:
  virtual ~RouteModule() = default;

  // Requests whose path starts with this prefix go to this module, e.g. "/v1/shopify/".
  // Prefixes of mounted modules must not overlap with each other or the built-in routes.
  virtual std::string_view prefix() const = 0;
  virtual RouteAuth auth() const = 0;
  // The metrics label for a request: the route pattern, never ids, tokens or shop names.
  virtual std::string RouteLabel(const HttpExchange& /*request*/) const {
    return std::string(prefix()) + "*";
  }
  virtual HttpReply Handle(const HttpExchange& request) = 0;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_HTTP_ROUTE_MODULE_H_
