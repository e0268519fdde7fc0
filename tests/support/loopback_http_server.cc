#include "tests/support/loopback_http_server.h"

#include <utility>

namespace vitrine::testing {

LoopbackHttpServer::LoopbackHttpServer(Handler handler)
    : handler_(std::move(handler)), listener_([this](int fd) { return Serve(fd); }) {}

TcpListener::Close LoopbackHttpServer::Serve(int fd) {
  std::string pending;
  for (;;) {
    WireRequest request;
    // -1: an idle keep-alive connection waits until the client closes it or the server stops.
    if (!ReadWireRequest(fd, pending, request, -1)) return TcpListener::Close::kGraceful;
    WireResponse response = handler_(request);
    const bool keep_alive = request.KeepAlive();
    if (!keep_alive) SetWireHeader(response.headers, "Connection", "close");
    if (!WriteAll(fd, SerializeWireResponse(response)) || !keep_alive) {
      return TcpListener::Close::kGraceful;
    }
  }
}

}  // namespace vitrine::testing
