// Serves the newest trained recommendation model and retrains it without blocking ingest or
// snapshot requests: training reads the store on its own thread, builds a new artifact, stores
// it, and only then swaps the shared pointer that snapshot builders read. A failed or cancelled
// training leaves the previous model serving and is reported in status().
//
// Thread safety: every method may be called from any thread. Current() is a cheap shared_ptr
// copy under a mutex; training runs on one background thread at a time.
#ifndef VITRINE_SYNC_SERVER_SERVICES_MODEL_REGISTRY_H_
#define VITRINE_SYNC_SERVER_SERVICES_MODEL_REGISTRY_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "sync_server/common/status.h"
#include "sync_server/services/content_service.h"
#include "sync_server/storage/store.h"
#include "sync_server/training/trained_model.h"
#include "sync_server/training/training_pipeline.h"

namespace vitrine::server {

struct TrainingStatus {
  bool running = false;
  double progress = 0;  // 0..1 of the current run
  std::string detail;   // latest progress line
  std::string version;  // the model serving now ("" when none)
  int64_t last_started_ms = 0;
  int64_t last_finished_ms = 0;
  double last_seconds = 0;
  std::string last_error;  // of the latest run; "" when it succeeded
  int64_t runs = 0;
  int64_t failures = 0;
};

class ModelRegistry {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms
  // `store` and `catalog` must outlive the registry. `retrain_interval_ms` > 0 starts a
  // background schedule that retrains that often (the first run one interval after Start).
  ModelRegistry(Store* store, CatalogService* catalog, training::TrainingOptions options,
                int64_t retrain_interval_ms, int keep_versions, Clock clock);
  ~ModelRegistry();  // cancels a running training and joins its thread

  // Loads the newest stored artifact, if any. An artifact that does not load is reported and
  // skipped (serving falls back to the live model), never fatal.
  Status LoadLatest();
  void StartSchedule();

  // Where per-segment popularity finds its segments: profile id -> segment id (the analytics
  // micro-segments), read afresh at the start of every training. Unset, or when it fails: the
  // training runs without segment lists (the failure is in status().detail, never fatal).
  // Set it before the first training (StartSchedule, TrainNow, TrainAsync).
  using SegmentSource = std::function<StatusOr<std::map<int64_t, std::string>>()>;
  void SetSegmentSource(SegmentSource source) { segment_source_ = std::move(source); }

  std::shared_ptr<const training::TrainedModel> Current() const;

  // Trains on the calling thread and publishes the result (the CLI's `train`).
  Status TrainNow();
  // Starts a training on the background thread; false when one is already running.
  bool TrainAsync();
  TrainingStatus status() const;

 private:
  Status RunTraining();
  void ScheduleLoop();

  Store* const store_;
  CatalogService* const catalog_;
  const training::TrainingOptions options_;
  const int64_t interval_ms_;
  const int keep_versions_;
  const Clock clock_;
  SegmentSource segment_source_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const training::TrainedModel> current_;  // guarded by mu_
  TrainingStatus status_;                                  // guarded by mu_
  bool stopping_ = false;                                  // guarded by mu_
  std::mutex run_mu_;                                      // one training at a time
  std::atomic<bool> cancel_{false};
  std::thread worker_;    // the latest async training
  std::thread schedule_;  // the retrain schedule
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_MODEL_REGISTRY_H_
