// Accepts TCP connections on 127.0.0.1 (port picked by the kernel) and serves each one on its
// own thread. The base of LoopbackHttpServer and FaultProxy.
//
// Thread safety: port() from any thread. `serve` runs concurrently for concurrent connections.
// Stop() (and the destructor) shuts down every live connection so `serve` sees EOF, then joins
// all threads; `serve` must therefore never block on anything but the socket or a bounded wait.
#ifndef VITRINE_TESTS_SUPPORT_TCP_LISTENER_H_
#define VITRINE_TESTS_SUPPORT_TCP_LISTENER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vitrine::testing {

class TcpListener {
 public:
  enum class Close { kGraceful, kReset };
  // `serve(fd)` owns the conversation; the listener closes fd afterwards (abortively on kReset).
  explicit TcpListener(std::function<Close(int fd)> serve);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }
  bool stopping() const { return stopping_.load(); }
  // Connections accepted so far (tests check keep-alive reuse with it).
  size_t accepted() const { return accepted_.load(); }
  void Stop();

 private:
  void AcceptLoop();

  std::function<Close(int)> serve_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> accepted_{0};
  std::mutex mu_;
  std::vector<int> live_fds_;             // guarded by mu_
  std::vector<std::thread> connections_;  // guarded by mu_
  std::thread acceptor_;
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_TCP_LISTENER_H_
