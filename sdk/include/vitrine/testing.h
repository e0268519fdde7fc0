// Deterministic doubles of the platform interfaces, for hosts' tests and ours: a clock that moves
// only when told, and a scheduler that runs due tasks only when told. No sleeps, no threads.
//
// Thread safety: all methods are safe to call from any thread; RunDue runs tasks on the caller's
// thread.
#ifndef VITRINE_TESTING_H_
#define VITRINE_TESTING_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "vitrine/platform.h"

namespace vitrine::testing {

class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

class ManualScheduler : public Scheduler {
 public:
  explicit ManualScheduler(const Clock& clock) : clock_(clock) {}
  void Schedule(std::function<void()> task, int64_t delay_ms) override;
  void Shutdown() override;
  // Runs every task whose due time is <= now, including tasks those tasks schedule for <= now.
  // Returns how many ran.
  int RunDue();
  // Due time of the earliest pending task, or -1 when none.
  int64_t NextDueMs() const;
  size_t pending() const;

 private:
  struct Entry {
    int64_t due_ms;
    uint64_t order;
    std::function<void()> task;
  };
  const Clock& clock_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  uint64_t next_order_ = 0;
  bool shutdown_ = false;
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTING_H_
