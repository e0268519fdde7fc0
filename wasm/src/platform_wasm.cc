// The platform edges of platform.h and compression.h for the WebAssembly build:
//  - Clock: JavaScript's Date.now() (emscripten_date_now);
//  - Scheduler: tasks on the JavaScript event loop (setTimeout), one at a time by construction;
//  - HttpExecutor: the default one fails every request as a transport error (events stay
//    queued); the bindings install the JS one (fetch, through HttpExecutor::ExecuteAsync);
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
#include "wasm/src/event_loop_scheduler.h"

namespace vitrine {
namespace {

class DateClock final : public Clock {
 public:
  int64_t NowMs() const override { return static_cast<int64_t>(emscripten_date_now()); }
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

namespace wasm {

void EventLoopScheduler::Schedule(std::function<void()> task, int64_t delay_ms) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->shutdown) return;
  delay_ms = std::max<int64_t>(0, delay_ms);
  auto* pending =
      new Pending{state_, std::move(task), 0, clock_.NowMs() + delay_ms, state_->next_order++};
  pending->timeout_id =
      emscripten_set_timeout(&EventLoopScheduler::Run, static_cast<double>(delay_ms), pending);
  state_->pending.insert(pending);
}

void EventLoopScheduler::Shutdown() {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->shutdown) return;
  state_->shutdown = true;
  for (Pending* p : state_->pending) {
    emscripten_clear_timeout(p->timeout_id);
    delete p;
  }
  state_->pending.clear();
}

int EventLoopScheduler::RunDueNow(int max_tasks) {
  int ran = 0;
  while (ran < max_tasks) {
    std::unique_ptr<Pending> next;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      const int64_t now = clock_.NowMs();
      Pending* best = nullptr;
      for (Pending* p : state_->pending) {
        if (p->due_ms > now) continue;
        if (!best || p->due_ms < best->due_ms ||
            (p->due_ms == best->due_ms && p->order < best->order)) {
          best = p;
        }
      }
      if (!best) break;
      emscripten_clear_timeout(best->timeout_id);
      state_->pending.erase(best);
      next.reset(best);
    }
    next->task();
    ++ran;
  }
  return ran;
}

// Shutdown and RunDueNow clear the timers of the tasks they take, so a callback that fires
// always finds its own Pending alive.
void EventLoopScheduler::Run(void* arg) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  {
    std::lock_guard<std::mutex> lock(pending->state->mu);
    pending->state->pending.erase(pending.get());
  }
  pending->task();
}

}  // namespace wasm

std::unique_ptr<Clock> NewSystemClock() { return std::make_unique<DateClock>(); }

std::unique_ptr<Scheduler> NewThreadScheduler(const Clock& clock) {
  return std::make_unique<wasm::EventLoopScheduler>(clock);
}

std::unique_ptr<HttpExecutor> NewDefaultHttpExecutor(const std::string&) {
  return std::make_unique<UnavailableHttpExecutor>();
}

namespace internal {
std::optional<std::string> GzipCompress(std::string_view) { return std::nullopt; }
}  // namespace internal

}  // namespace vitrine
