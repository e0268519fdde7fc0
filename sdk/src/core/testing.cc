#include "vitrine/testing.h"

#include <algorithm>

namespace vitrine::testing {

void ManualScheduler::Schedule(std::function<void()> task, int64_t delay_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutdown_) return;
  entries_.push_back(
      {clock_.NowMs() + std::max<int64_t>(0, delay_ms), next_order_++, std::move(task)});
}

void ManualScheduler::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  shutdown_ = true;
  entries_.clear();
}

int ManualScheduler::RunDue() {
  int ran = 0;
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const int64_t now = clock_.NowMs();
      auto best = entries_.end();
      for (auto it = entries_.begin(); it != entries_.end(); ++it) {
        if (it->due_ms > now) continue;
        if (best == entries_.end() || it->due_ms < best->due_ms ||
            (it->due_ms == best->due_ms && it->order < best->order)) {
          best = it;
        }
      }
      if (best == entries_.end()) return ran;
      task = std::move(best->task);
      entries_.erase(best);
    }
    task();
    ++ran;
  }
}

int64_t ManualScheduler::NextDueMs() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t best = -1;
  for (const auto& e : entries_) {
    if (best < 0 || e.due_ms < best) best = e.due_ms;
  }
  return best;
}

size_t ManualScheduler::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace vitrine::testing
