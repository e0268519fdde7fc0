#include "tests/support/tcp_listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "tests/support/http_wire.h"

namespace vitrine::testing {

TcpListener::TcpListener(std::function<Close(int fd)> serve) : serve_(std::move(serve)) {
  listen_fd_ = ListenLoopback(&port_);
  if (listen_fd_ < 0) {
    std::perror("TcpListener: listen");
    std::abort();
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpListener::~TcpListener() { Stop(); }

void TcpListener::Stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the blocked accept() (Linux returns EINVAL after shutdown of a listening socket).
  ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : live_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connections_);
  }
  for (auto& t : threads) t.join();
}

void TcpListener::AcceptLoop() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_.load()) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    live_fds_.push_back(fd);
    ++accepted_;
    connections_.emplace_back([this, fd] {
      const Close how = serve_(fd);
      // Closed under the lock so Stop() never shuts down a recycled descriptor number.
      std::lock_guard<std::mutex> inner(mu_);
      live_fds_.erase(std::find(live_fds_.begin(), live_fds_.end(), fd));
      if (how == Close::kReset) {
        ResetConnection(fd);
      } else {
        ::close(fd);
      }
    });
  }
}

}  // namespace vitrine::testing
