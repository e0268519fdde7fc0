// The interface every recommendation model implements, so the evaluation harness, the training
// pipeline and the snapshot builder treat popularity, item-item, FBT, the sequential transformer,
// content embeddings and their hybrids alike.
//
// Lifecycle: construct with the model's options (and side data such as item text), Fit once on a
// SequenceSet, then Score. Fit is not thread-safe; after Fit returns, Score/ScoreBatch are const
// and safe to call from several threads at once. A model owns everything it learned.
#ifndef VITRINE_SYNC_SERVER_RECSYS_MODEL_H_
#define VITRINE_SYNC_SERVER_RECSYS_MODEL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

struct TrainProgress {
  std::string_view stage;  // "epoch", "pairs", ...
  double fraction = 0;     // 0..1 of the whole Fit
  std::string detail;      // human-readable ("epoch 3/20 loss 7.91")
};

struct TrainOptions {
  uint64_t seed = 1;
  int threads = 0;  // 0: hardware concurrency
  // Called from the training thread; keep it cheap.
  std::function<void(const TrainProgress&)> progress;
  // Polled between steps; when it reads true Fit stops and returns kUnavailable "cancelled".
  const std::atomic<bool>* cancel = nullptr;
};

class SequenceModel {
 public:
  virtual ~SequenceModel() = default;

  virtual std::string_view name() const = 0;

  virtual Status Fit(const SequenceSet& train, const TrainOptions& options) = 0;

  // Scores of every item as the next interaction after `history` (oldest first); higher is
  // better, any finite scale. out.size() == item_count of the training set. Items the shopper
  // already has are masked by the caller, not here.
  virtual void Score(std::span<const ItemIndex> history, std::span<float> out) const = 0;

  // Row-major [histories.size() x item_count]; override when batching is cheaper (matrix models).
  virtual void ScoreBatch(std::span<const std::span<const ItemIndex>> histories,
                          std::span<float> out) const {
    const size_t n = histories.empty() ? 0 : out.size() / histories.size();
    for (size_t i = 0; i < histories.size(); ++i) Score(histories[i], out.subspan(i * n, n));
  }
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_MODEL_H_
