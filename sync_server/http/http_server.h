// The HTTP layer: the only place that knows cpprestsdk. Handlers authenticate, decode, call one
// service and encode its answer; all behaviour lives in the services (server.h).
//
// Routes (see the report in docs or sync_server/README.md):
//   POST /v1/batch, GET /v1/snapshot, POST /v1/identify           write key (admin key accepted)
//   /v1/admin/{messages,messages/{id},catalog,stats,profiles,events}  admin key (write key: 403)
//   GET /healthz, GET /metrics                                      no key
//   feature modules mounted on the App (route_module.h)             the module's scope
//
// Thread safety: Start/Stop from one thread; requests are served on cpprest's thread pool.
#ifndef VITRINE_SYNC_SERVER_HTTP_HTTP_SERVER_H_
#define VITRINE_SYNC_SERVER_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <memory>

#include "sync_server/common/status.h"
#include "sync_server/server.h"

namespace vitrine::server {

class HttpServer {
 public:
  // `app` must outlive the server.
  explicit HttpServer(App* app);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Sizes cpprest's process-wide thread pool. Call once, in main, before any server starts:
  // the pool is created on first use and cannot be resized afterwards (then this fails).
  // 0 picks 2 threads per core, at least 4.
  static Status ConfigureThreads(size_t threads);

  // Opens the listener on app->config().listen (TLS when it starts with https://).
  Status Start();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_HTTP_HTTP_SERVER_H_
