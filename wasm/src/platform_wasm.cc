// The platform edges of platform.h and compression.h for the WebAssembly build:
//  - Clock: JavaScript's Date.now() (emscripten_date_now);
//  - Scheduler: tasks on the JavaScript event loop (setTimeout), one at a time by construction;
//  - HttpExecutor: none yet. The browser's fetch() is asynchronous and HttpExecutor::Execute is
//    synchronous, so the fetch executor needs Asyncify/JSPI or an asynchronous edge (a later
//    slice); until then every request fails as a transport error and events stay queued;
//  - gzip: none here; the browser build compresses inside fetch() with CompressionStream.
//
// A Client on the default scheduler must not call Flush(): it would wait on a future that only
// the (same, single) thread can fulfil. The bindings inject the scheduler, which makes Flush
// schedule the send instead of waiting for it.
#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <set>

#include "sdk/src/core/compression.h"
#include "vitrine/platform.h"

namespace vitrine {
namespace {

class DateClock final : public Clock {
 public:
  int64_t NowMs() const override { return static_cast<int64_t>(emscripten_date_now()); }
};

// Each task is one setTimeout callback; JavaScript runs them one at a time. Equal due times run
// in scheduling order because setTimeout keeps that order for equal delays.
class EventLoopScheduler final : public Scheduler {
 public:
  ~EventLoopScheduler() override { Shutdown(); }

  void Schedule(std::function<void()> task, int64_t delay_ms) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->shutdown) return;
    auto* pending = new Pending{state_, std::move(task), 0};
    pending->timeout_id = emscripten_set_timeout(
        &EventLoopScheduler::Run, static_cast<double>(std::max<int64_t>(0, delay_ms)), pending);
    state_->pending.insert(pending);
  }

  void Shutdown() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->shutdown) return;
    state_->shutdown = true;
    for (Pending* p : state_->pending) {
      emscripten_clear_timeout(p->timeout_id);
      delete p;
    }
    state_->pending.clear();
  }

 private:
  struct State;
  struct Pending {
    std::shared_ptr<State> state;
    std::function<void()> task;
    long timeout_id;
  };
  struct State {
    std::mutex mu;
    bool shutdown = false;
    std::set<Pending*> pending;
  };

  // Shutdown clears the timers of the tasks it frees, so a callback that fires always finds its
  // own Pending alive.
  static void Run(void* arg) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
    {
      std::lock_guard<std::mutex> lock(pending->state->mu);
      pending->state->pending.erase(pending.get());
    }
    pending->task();
  }

  std::shared_ptr<State> state_ = std::make_shared<State>();
};

class UnavailableHttpExecutor final : public HttpExecutor {
 public:
  HttpResponse Execute(const HttpRequest&) override {
    HttpResponse response;
    response.transport_error = "no HTTP executor in this WebAssembly build";
    return response;
  }
};

}  // namespace

std::unique_ptr<Clock> NewSystemClock() { return std::make_unique<DateClock>(); }

std::unique_ptr<Scheduler> NewThreadScheduler(const Clock&) {
  return std::make_unique<EventLoopScheduler>();
}

std::unique_ptr<HttpExecutor> NewDefaultHttpExecutor(const std::string&) {
  return std::make_unique<UnavailableHttpExecutor>();
}

namespace internal {
std::optional<std::string> GzipCompress(std::string_view) { return std::nullopt; }
}  // namespace internal

}  // namespace vitrine
