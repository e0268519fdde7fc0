// SASRec-style sequential transformer (Kang & McAuley 2018) trained in C++ with libtorch: predicts
// the next item at every position of a shopper's sequence with causal self-attention over learned
// item and position embeddings; the output layer shares the item embeddings.
//
// What differs from the reference implementation, and why:
// - The loss is a softmax over items (full cross-entropy, or a sampled softmax with shared
//   negatives and logQ correction) instead of one binary negative per position: on these data the
//   loss matters more than the architecture.
// - Sequences are batched by length and padded only to the longest one in their batch, with the
//   positions SASRec would give them when left-padded to max_len. The model is the same; an epoch
//   on Amazon Beauty costs ~7x fewer positions.
//
// Validation for early stopping: Fit sees only the training set. If SasRecOptions::validate is set
// it is called after every epoch with the model in its current state and returns a number where
// higher is better (the evaluation harness passes NDCG@10 on its validation targets). Otherwise,
// when patience > 0, Fit holds out the last item of up to validation_shoppers training sequences
// (those items are then not trained on) and computes NDCG@10 on them itself. Either way Fit keeps
// the parameters of the best epoch.
//
// Determinism: the same seed, data, options and thread count give bit-identical parameters and
// scores. Fit calls torch::set_num_threads(options.threads), which is process-wide.
//
// Thread safety: as SequenceModel. Score/ScoreBatch after Fit (or Load) are const and may run on
// several threads at once; they run under torch::InferenceMode.
#ifndef VITRINE_SYNC_SERVER_RECSYS_TRANSFORMER_SASREC_H_
#define VITRINE_SYNC_SERVER_RECSYS_TRANSFORMER_SASREC_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <ostream>
#include <span>
#include <string_view>

#include "sync_server/recsys/model.h"

namespace vitrine::recsys {

struct SasRecOptions {
  enum class Loss {
    kFullSoftmax,     // cross-entropy over all items
    kSampledSoftmax,  // `negatives` shared per batch, logQ-corrected
  };

  // Architecture (saved with the model).
  int max_len = 50;  // most recent items the model looks at
  int dim = 64;
  int blocks = 2;
  int heads = 1;  // must divide dim

  // Training.
  // Standard deviation of the initial item embeddings; 0: Xavier normal like every other matrix.
  double item_init_std = 0;
  double dropout = 0.5;
  double lr = 1e-3;         // Adam, betas (0.9, 0.98)
  double weight_decay = 0;  // decoupled (AdamW); 0 disables
  int batch_size = 128;     // sequences per step
  int max_epochs = 200;
  Loss loss = Loss::kFullSoftmax;
  int negatives = 1024;  // kSampledSoftmax only
  // kSampledSoftmax only: sample negatives by popularity^0.75 instead of uniformly.
  bool popularity_negatives = false;

  // Early stopping on validation (see the header comment). 0 disables validation entirely.
  int patience = 5;
  int validation_shoppers = 2000;  // internal hold-out size when `validate` is empty
  // Optional external validation; called on the training thread after each epoch.
  std::function<double(const SequenceModel&)> validate;

  // Wall-clock cap for Fit in seconds, checked between steps; 0: none. When it runs out, Fit
  // returns OK with the best model so far. The first epoch always runs to the end.
  double time_budget_s = 0;
};

class SasRecModel : public SequenceModel {
 public:
  explicit SasRecModel(SasRecOptions options = {});
  ~SasRecModel() override;
  SasRecModel(const SasRecModel&) = delete;
  SasRecModel& operator=(const SasRecModel&) = delete;

  std::string_view name() const override { return "sasrec"; }

  // Errors: kInvalid for bad options or an empty training set, kUnavailable "cancelled" when
  // TrainOptions::cancel was raised, kInternal if libtorch throws.
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;

  // History items outside 0..item_count-1 are ignored; only the last max_len items count.
  // REQUIRES: the model was fitted or loaded; out.size() == item_count().
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;
  // One forward pass for the whole batch.
  void ScoreBatch(std::span<const std::span<const ItemIndex>> histories,
                  std::span<float> out) const override;

  int32_t item_count() const { return item_count_; }
  const SasRecOptions& options() const { return options_; }
  // Epochs the last Fit ran and the best validation score seen (-1 without validation).
  int epochs_trained() const { return epochs_trained_; }
  double best_validation() const { return best_validation_; }

  // Versioned binary artifact: magic, format version, architecture, the parameters as
  // little-endian float32, and a checksum. Load rejects truncated or corrupt input with kInvalid
  // ("invalid_model_artifact").
  Status Save(std::ostream& out) const;
  static StatusOr<std::unique_ptr<SasRecModel>> Load(std::istream& in);

 private:
  struct Net;  // the parameters; keeps torch out of this header

  SasRecOptions options_;
  int32_t item_count_ = 0;
  int epochs_trained_ = 0;
  double best_validation_ = -1;
  std::unique_ptr<Net> net_;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_TRANSFORMER_SASREC_H_
