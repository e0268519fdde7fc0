// A tiny HTTP/1.1 server on 127.0.0.1 (kernel-picked port) that hands every request to a test's
// handler: fake collectors, fake platform APIs. Keep-alive and Content-Length/chunked request
// bodies are supported.
//
// Thread safety: the handler may run concurrently on several connection threads; guard shared
// state in it. The server stops and joins its threads in the destructor.
#ifndef VITRINE_TESTS_SUPPORT_LOOPBACK_HTTP_SERVER_H_
#define VITRINE_TESTS_SUPPORT_LOOPBACK_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "tests/support/http_wire.h"
#include "tests/support/tcp_listener.h"

namespace vitrine::testing {

class LoopbackHttpServer {
 public:
  using Handler = std::function<WireResponse(const WireRequest&)>;
  explicit LoopbackHttpServer(Handler handler);

  uint16_t port() const { return listener_.port(); }
  // "http://127.0.0.1:<port>", no trailing slash.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  // TCP connections accepted so far.
  size_t connections() const { return listener_.accepted(); }

 private:
  TcpListener::Close Serve(int fd);

  Handler handler_;
  TcpListener listener_;  // last: starts accepting once the handler exists
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_LOOPBACK_HTTP_SERVER_H_
