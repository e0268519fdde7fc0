// A loopback HTTP/1.1 reverse proxy that injects network faults between a client under test
// (the SDK) and a real upstream (a test collector or vitrine-server), by a deterministic seeded
// plan. It proves retry/dedup behaviour end to end: lost answers, resets, hangs, 5xx and 429.
//
// Faults, chosen per request in arrival order from FaultPlan's probabilities:
//   kError500           answer 500 without forwarding.
//   kRateLimit429       answer 429 with "Retry-After: N" (N recorded in the log) without
//   forwarding. kResetBeforeForward abortive close (RST) before forwarding: upstream never sees the
//   request. kResetAfterForward  forward, read upstream's answer, then RST: upstream stored it but
//   the
//                       client sees a dropped connection (the SDK must retry, the server dedup).
//   kHang               read the request and answer nothing until the client gives up (its
//                       timeout closes the connection), the proxy stops, or max_hang_ms of real
//                       time passes; then close. The upstream never sees the request.
// Requests keep-alive on the client side; each forwarded request uses a fresh upstream
// connection. Bodies are re-framed with Content-Length (chunked input is decoded).
//
// Thread safety: all public methods may be called from any thread. The destructor stops the
// proxy, wakes hung connections and joins every thread.
#ifndef VITRINE_TESTS_SUPPORT_FAULT_PROXY_H_
#define VITRINE_TESTS_SUPPORT_FAULT_PROXY_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "tests/support/http_wire.h"
#include "tests/support/tcp_listener.h"

namespace vitrine::testing {

enum class Fault {
  kNone,
  kError500,
  kRateLimit429,
  kResetBeforeForward,
  kResetAfterForward,
  kHang,
};
const char* FaultName(Fault fault);

struct FaultPlan {
  uint64_t seed = 1;
  // Probabilities per request; their sum must be <= 1 (the rest is forwarded untouched).
  double p_error_500 = 0;
  double p_rate_limit_429 = 0;
  double p_reset_before = 0;
  double p_reset_after = 0;
  double p_hang = 0;
  // Retry-After seconds for 429s, uniform in [min, max].
  int retry_after_min_s = 1;
  int retry_after_max_s = 5;
  // Upper bound of a hang in real time, so the proxy's threads always end.
  int64_t max_hang_ms = 5000;
  // Only requests whose path starts with this are eligible for faults ("" = all).
  std::string path_prefix;
};

struct ProxyLogEntry {
  std::string method;
  std::string path;
  Fault fault = Fault::kNone;
  int retry_after_s = 0;    // for kRateLimit429
  int64_t at_ms = 0;        // now_ms() when the request had fully arrived
  int upstream_status = 0;  // what upstream answered (0: not forwarded or upstream failed)
};

class FaultProxy {
 public:
  // `now_ms` stamps the log (tests pass a ManualClock's NowMs); null = steady clock in ms.
  FaultProxy(std::string upstream_host, uint16_t upstream_port, FaultPlan plan,
             std::function<int64_t()> now_ms = nullptr);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  uint16_t port() const { return listener_.port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // The next eligible requests get these faults, in order, before the plan is consulted again.
  void ForceNext(Fault fault, int count = 1);
  void SetPlan(FaultPlan plan);
  std::vector<ProxyLogEntry> Log() const;

 private:
  TcpListener::Close Serve(int fd);
  // Decides and records the fault for one request.
  Fault Decide(const WireRequest& request, ProxyLogEntry& entry);
  // Sends to upstream and reads its answer; false when upstream could not be reached.
  bool Forward(const WireRequest& request, WireResponse& response);
  void Record(const ProxyLogEntry& entry, size_t* index);
  void SetUpstreamStatus(size_t index, int status);
  bool HangUntilClientGivesUp(int fd, int64_t max_ms);

  const std::string upstream_host_;
  const uint16_t upstream_port_;
  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  FaultPlan plan_;                  // guarded by mu_
  std::mt19937_64 rng_;             // guarded by mu_
  std::deque<Fault> forced_;        // guarded by mu_
  std::vector<ProxyLogEntry> log_;  // guarded by mu_
  TcpListener listener_;            // last: serves only once everything above exists
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_FAULT_PROXY_H_
