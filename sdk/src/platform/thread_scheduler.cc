// One worker thread running tasks in due-time order. It waits on the real steady clock for at
// most 50 ms at a time and re-reads the injected Clock, so a clock moved by a test is noticed.
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "vitrine/platform.h"

namespace vitrine {
namespace {

class ThreadScheduler : public Scheduler {
 public:
  explicit ThreadScheduler(const Clock& clock) : clock_(clock), worker_([this] { Run(); }) {}
  ~ThreadScheduler() override { Shutdown(); }

  void Schedule(std::function<void()> task, int64_t delay_ms) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      entries_.push_back(
          {clock_.NowMs() + std::max<int64_t>(0, delay_ms), next_order_++, std::move(task)});
    }
    cv_.notify_one();
  }

  void Shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      stop_ = true;
      entries_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable() && worker_.get_id() != std::this_thread::get_id()) worker_.join();
  }

 private:
  struct Entry {
    int64_t due_ms;
    uint64_t order;
    std::function<void()> task;
  };

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      const int64_t now = clock_.NowMs();
      auto best = entries_.end();
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (best == entries_.end() || it->due_ms < best->due_ms ||
            (it->due_ms == best->due_ms && it->order < best->order)) {
          best = it;
        }
      }
      if (best == entries_.end()) {
        cv_.wait(lock);
        continue;
      }
      if (best->due_ms > now) {
        const int64_t wait_ms = std::min<int64_t>(best->due_ms - now, 50);
        cv_.wait_for(lock, std::chrono::milliseconds(wait_ms));
        continue;
      }
      auto task = std::move(best->task);
      entries_.erase(best);
      lock.unlock();
      task();
      lock.lock();
    }
  }

  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> entries_;
  uint64_t next_order_ = 0;
  bool stop_ = false;
  std::thread worker_;  // last: starts after the other members exist
};

}  // namespace

std::unique_ptr<Scheduler> NewThreadScheduler(const Clock& clock) {
  return std::make_unique<ThreadScheduler>(clock);
}

}  // namespace vitrine
