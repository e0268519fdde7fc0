// The native HttpExecutor on cpprestsdk's http_client. This is the only SDK file that includes
// cpprest headers, so the HTTP stack can be swapped without touching the core.
//
// - Synchronous: Execute() blocks the scheduler thread until the answer (or the timeout); the
//   SDK's scheduler is built for that (one request at a time, nothing else waits on it).
// - Bodies are raw bytes both ways (std::vector<unsigned char>): no charset conversion, so gzip
//   and protobuf bytes >= 0x80 and NULs survive.
// - One http_client per (scheme://host:port, timeout) is cached so its keep-alive connection
//   pool is reused across batches; the timeout lives in the client's config, hence the key.
// - Never throws: every cpprest/boost/std exception becomes status 0 + transport_error.
// - No retries of our own (the SDK owns retries). cpprest's asio client may itself re-send a
//   request on a fresh connection when a pooled keep-alive connection turns out to be closed by
//   the server; that is harmless because the server deduplicates by event id.
#include <cpprest/http_client.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "vitrine/platform.h"

namespace vitrine {
namespace {

namespace http = web::http;
namespace client = web::http::client;

// More distinct servers than this in one process means something is generating URLs; start
// over rather than grow without bound.
constexpr size_t kMaxCachedClients = 16;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

class CpprestHttpExecutor : public HttpExecutor {
 public:
  explicit CpprestHttpExecutor(std::string ca_file) : ca_file_(std::move(ca_file)) {}

  HttpResponse Execute(const HttpRequest& request) override {
    HttpResponse response;
    try {
      const web::uri uri(request.url);
      if (uri.scheme() != "http" && uri.scheme() != "https") {
        response.transport_error = "unsupported URL scheme: " + request.url;
        return response;
      }
      client::http_client& http_client = ClientFor(uri, request.timeout_ms);

      http::http_request req(request.method == "POST" ? http::methods::POST : http::methods::GET);
      req.set_request_uri(uri.resource());
      if (!request.body.empty() || request.method == "POST") {
        req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
      }
      // After set_body, which defaults Content-Type to application/octet-stream. The header map
      // is case-insensitive, so assignment replaces rather than appends.
      for (const auto& [name, value] : request.headers) req.headers()[name] = value;

      http::http_response resp = http_client.request(req).get();
      std::vector<unsigned char> body = resp.extract_vector().get();
      response.status = static_cast<int>(resp.status_code());
      for (const auto& [name, value] : resp.headers()) response.headers[Lower(name)] = value;
      response.body.assign(body.begin(), body.end());
    } catch (const std::exception& e) {
      response = HttpResponse();
      response.transport_error = e.what();
      if (response.transport_error.empty()) response.transport_error = "request failed";
    } catch (...) {
      response = HttpResponse();
      response.transport_error = "request failed (unknown exception)";
    }
    return response;
  }

 private:
  client::http_client& ClientFor(const web::uri& uri, int64_t timeout_ms) {
    const std::string base = uri.authority().to_string();  // scheme://host[:port]
    const std::string key = base + "#" + std::to_string(timeout_ms);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = clients_.find(key);
    if (it != clients_.end()) return *it->second;
    if (clients_.size() >= kMaxCachedClients) clients_.clear();

    client::http_client_config config;
    config.set_timeout(std::chrono::milliseconds(std::max<int64_t>(1, timeout_ms)));
    if (!ca_file_.empty()) {
      // Called for each new TLS connection after cpprest loaded the system store, so the CA is
      // trusted in addition to it. A missing/bad file throws there, which Execute reports as a
      // transport error on that request.
      config.set_ssl_context_callback(
          [ca_file = ca_file_](boost::asio::ssl::context& ctx) { ctx.load_verify_file(ca_file); });
    }
    auto created = std::make_unique<client::http_client>(web::uri(base), config);
    client::http_client& ref = *created;
    clients_.emplace(key, std::move(created));
    return ref;
  }

  const std::string ca_file_;
  std::mutex mu_;  // Execute is documented single-threaded; the lock makes misuse harmless.
  std::map<std::string, std::unique_ptr<client::http_client>> clients_;
};

}  // namespace

std::unique_ptr<HttpExecutor> NewDefaultHttpExecutor(const std::string& ca_file) {
  return std::make_unique<CpprestHttpExecutor>(ca_file);
}

}  // namespace vitrine
