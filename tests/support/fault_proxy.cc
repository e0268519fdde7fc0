#include "tests/support/fault_proxy.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace vitrine::testing {
namespace {

// Upstream is a loopback test server; anything slower than this is a hung test.
constexpr int kUpstreamTimeoutMs = 30'000;

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kError500:
      return "error_500";
    case Fault::kRateLimit429:
      return "rate_limit_429";
    case Fault::kResetBeforeForward:
      return "reset_before_forward";
    case Fault::kResetAfterForward:
      return "reset_after_forward";
    case Fault::kHang:
      return "hang";
  }
  return "?";
}

FaultProxy::FaultProxy(std::string upstream_host, uint16_t upstream_port, FaultPlan plan,
                       std::function<int64_t()> now_ms)
    : upstream_host_(std::move(upstream_host)),
      upstream_port_(upstream_port),
      now_ms_(now_ms ? std::move(now_ms) : SteadyNowMs),
      plan_(std::move(plan)),
      rng_(plan_.seed),
      listener_([this](int fd) { return Serve(fd); }) {}

FaultProxy::~FaultProxy() { listener_.Stop(); }

void FaultProxy::ForceNext(Fault fault, int count) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < count; ++i) forced_.push_back(fault);
}

void FaultProxy::SetPlan(FaultPlan plan) {
  std::lock_guard<std::mutex> lock(mu_);
  plan_ = std::move(plan);
  rng_.seed(plan_.seed);
}

std::vector<ProxyLogEntry> FaultProxy::Log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

Fault FaultProxy::Decide(const WireRequest& request, ProxyLogEntry& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  entry.method = request.method;
  entry.path = request.Path();
  entry.at_ms = now_ms_();
  Fault fault = Fault::kNone;
  if (entry.path.rfind(plan_.path_prefix, 0) == 0) {
    if (!forced_.empty()) {
      fault = forced_.front();
      forced_.pop_front();
    } else {
      // One draw per eligible request keeps the sequence a pure function of (seed, arrival order).
      const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
      double acc = 0;
      const std::pair<double, Fault> table[] = {
          {plan_.p_error_500, Fault::kError500},
          {plan_.p_rate_limit_429, Fault::kRateLimit429},
          {plan_.p_reset_before, Fault::kResetBeforeForward},
          {plan_.p_reset_after, Fault::kResetAfterForward},
          {plan_.p_hang, Fault::kHang},
      };
      for (const auto& [p, f] : table) {
        acc += p;
        if (u < acc) {
          fault = f;
          break;
        }
      }
    }
    if (fault == Fault::kRateLimit429) {
      entry.retry_after_s = std::uniform_int_distribution<int>(
          plan_.retry_after_min_s,
          std::max(plan_.retry_after_min_s, plan_.retry_after_max_s))(rng_);
    }
  }
  entry.fault = fault;
  return fault;
}

void FaultProxy::Record(const ProxyLogEntry& entry, size_t* index) {
  std::lock_guard<std::mutex> lock(mu_);
  *index = log_.size();
  log_.push_back(entry);
}

void FaultProxy::SetUpstreamStatus(size_t index, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  log_[index].upstream_status = status;
}

bool FaultProxy::Forward(const WireRequest& request, WireResponse& response) {
  const int fd = ConnectTcp(upstream_host_, upstream_port_);
  if (fd < 0) return false;
  WireRequest upstream = request;
  SetWireHeader(upstream.headers, "Connection", "close");
  std::string pending;
  const bool ok =
      WriteAll(fd, SerializeWireRequest(upstream)) &&
      ReadWireResponse(fd, pending, response, kUpstreamTimeoutMs, request.method == "HEAD");
  ::close(fd);
  // Hop-by-hop: the client connection's fate is decided here, not by upstream.
  RemoveWireHeader(response.headers, "Connection");
  RemoveWireHeader(response.headers, "Keep-Alive");
  return ok;
}

bool FaultProxy::HangUntilClientGivesUp(int fd, int64_t max_ms) {
  const int64_t deadline = SteadyNowMs() + max_ms;
  for (;;) {
    const int64_t left = deadline - SteadyNowMs();
    if (left <= 0 || listener_.stopping()) return true;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (r > 0) {
      char buf[4096];
      // EOF or error: the client closed (its timeout fired). Extra bytes are ignored.
      if (::recv(fd, buf, sizeof(buf), 0) <= 0) return true;
    }
  }
}

TcpListener::Close FaultProxy::Serve(int fd) {
  std::string pending;
  for (;;) {
    WireRequest request;
    if (!ReadWireRequest(fd, pending, request, -1)) return TcpListener::Close::kGraceful;
    ProxyLogEntry entry;
    const Fault fault = Decide(request, entry);
    size_t index = 0;
    Record(entry, &index);
    const bool keep_alive = request.KeepAlive();

    WireResponse response;
    switch (fault) {
      case Fault::kResetBeforeForward:
        return TcpListener::Close::kReset;
      case Fault::kHang: {
        int64_t max_hang_ms;
        {
          std::lock_guard<std::mutex> lock(mu_);
          max_hang_ms = plan_.max_hang_ms;
        }
        HangUntilClientGivesUp(fd, max_hang_ms);
        return TcpListener::Close::kGraceful;
      }
      case Fault::kError500:
        response.status = 500;
        SetWireHeader(response.headers, "Content-Type", "text/plain");
        response.body = "injected fault";
        break;
      case Fault::kRateLimit429:
        response.status = 429;
        SetWireHeader(response.headers, "Retry-After", std::to_string(entry.retry_after_s));
        SetWireHeader(response.headers, "Content-Type", "text/plain");
        response.body = "injected rate limit";
        break;
      case Fault::kNone:
      case Fault::kResetAfterForward:
        if (!Forward(request, response)) {
          response = WireResponse();
          response.status = 502;
          response.body = "upstream unavailable";
        } else {
          SetUpstreamStatus(index, response.status);
        }
        if (fault == Fault::kResetAfterForward) return TcpListener::Close::kReset;
        break;
    }
    if (!keep_alive) SetWireHeader(response.headers, "Connection", "close");
    if (!WriteAll(fd, SerializeWireResponse(response)) || !keep_alive) {
      return TcpListener::Close::kGraceful;
    }
  }
}

}  // namespace vitrine::testing
