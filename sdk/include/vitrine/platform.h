// The SDK's edges to the operating system and the network. The core knows no platform: each
// interface here has one implementation per platform, chosen by CMake, and tests inject their own.
//
// Ownership: the Client does not own injected objects unless it is handed a unique_ptr; a raw
// reference must outlive the Client.
// Threads: each method documents which thread calls it.
#ifndef VITRINE_PLATFORM_H_
#define VITRINE_PLATFORM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "vitrine/status.h"

namespace vitrine {

// Wall clock (for event timestamps, TTLs, caps) in Unix epoch milliseconds.
// Thread safety: must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// Runs the SDK's background work (persisting, syncing, snapshot refresh, message timers) on one
// logical thread, so the core needs no locks between those tasks.
// Thread safety: Schedule may be called from any thread; tasks run one at a time.
class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `task` no earlier than `delay_ms` after now (per the Clock the scheduler was built on).
  // Tasks with equal due times run in the order they were scheduled.
  virtual void Schedule(std::function<void()> task, int64_t delay_ms) = 0;
  // Stops running tasks; pending tasks are dropped. Idempotent. Blocks until a running task ends.
  virtual void Shutdown() = 0;
};

struct HttpRequest {
  std::string method = "GET";  // "GET" or "POST"
  std::string url;             // absolute, http:// or https://
  std::map<std::string, std::string> headers;
  std::string body;  // bytes, already encoded (and compressed) by the core
  int64_t timeout_ms = 10000;
};

struct HttpResponse {
  // 0 when no HTTP answer arrived (connection refused/reset, DNS, TLS failure, timeout);
  // `transport_error` then says why.
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string transport_error;
};

// Executes exactly one HTTP request. The SDK owns batching, retries, backoff and rate limiting;
// an executor never retries on its own.
// Thread safety: called from the scheduler thread only, one request at a time; may block.
class HttpExecutor {
 public:
  virtual ~HttpExecutor() = default;
  virtual HttpResponse Execute(const HttpRequest& request) = 0;
  // The form the Client uses. Platforms whose network API cannot block (the browser's fetch())
  // override it and answer later; `done` must then be called exactly once, on any thread, and
  // the Client continues on its scheduler. The default runs Execute and calls `done` before
  // returning, so a synchronous executor behaves exactly as with Execute.
  virtual void ExecuteAsync(const HttpRequest& request, std::function<void(HttpResponse)> done) {
    done(Execute(request));
  }
};

// Default implementations for this platform (selected by CMake).
std::unique_ptr<Clock> NewSystemClock();
// A scheduler with one worker thread that waits on `clock` (which must outlive it).
std::unique_ptr<Scheduler> NewThreadScheduler(const Clock& clock);
// Native: cpprestsdk http_client. `ca_file` (PEM) is trusted in addition to the system store
// when non-empty (tests use it for a private CA).
std::unique_ptr<HttpExecutor> NewDefaultHttpExecutor(const std::string& ca_file = "");

}  // namespace vitrine

#endif  // VITRINE_PLATFORM_H_
