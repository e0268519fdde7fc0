// The WebAssembly build's Scheduler (internal): each task is one setTimeout callback on the
// JavaScript event loop, so tasks run one at a time by construction.
//
// RunDueNow exists for the page's last moments (pagehide): timers may never fire after it, so
// the bindings run the tasks that are already due synchronously, in due order, which lets the
// final send start (fetch with keepalive) before the page goes away.
// Thread safety: single-threaded build; the mutex is free.
#ifndef VITRINE_WASM_SRC_EVENT_LOOP_SCHEDULER_H_
#define VITRINE_WASM_SRC_EVENT_LOOP_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "vitrine/platform.h"

namespace vitrine::wasm {

class EventLoopScheduler final : public Scheduler {
 public:
  explicit EventLoopScheduler(const Clock& clock) : clock_(clock) {}
  ~EventLoopScheduler() override { Shutdown(); }

  void Schedule(std::function<void()> task, int64_t delay_ms) override;
  void Shutdown() override;
  // Runs every pending task due by now (and tasks those schedule with no delay), at most
  // `max_tasks`. Returns how many ran.
  int RunDueNow(int max_tasks = 1000);

 private:
  struct State;
  struct Pending {
    std::shared_ptr<State> state;
    std::function<void()> task;
    long timeout_id = 0;
    int64_t due_ms = 0;
    uint64_t order = 0;
  };
  struct State {
    std::mutex mu;
    bool shutdown = false;
    uint64_t next_order = 0;
    std::set<Pending*> pending;
  };
  static void Run(void* arg);

  const Clock& clock_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace vitrine::wasm

#endif  // VITRINE_WASM_SRC_EVENT_LOOP_SCHEDULER_H_
