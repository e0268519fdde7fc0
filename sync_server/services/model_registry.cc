#include "sync_server/services/model_registry.h"

#include <chrono>

#if defined(__linux__)
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace vitrine::server {

ModelRegistry::ModelRegistry(Store* store, CatalogService* catalog,
                             training::TrainingOptions options, int64_t retrain_interval_ms,
                             int keep_versions, Clock clock)
    : store_(store),
      catalog_(catalog),
      options_(options),
      interval_ms_(retrain_interval_ms),
      keep_versions_(keep_versions),
      clock_(std::move(clock)) {}

ModelRegistry::~ModelRegistry() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (schedule_.joinable()) schedule_.join();
  // Not under run_mu_: the worker takes it to run. Nobody starts another once stopping_ is set.
  if (worker_.joinable()) worker_.join();
}

Status ModelRegistry::LoadLatest() {
  auto bytes = store_->LatestModelArtifact();
  if (!bytes.ok()) return bytes.status();
  if (!bytes->has_value()) return Status::Ok();
  auto model = training::TrainedModel::Parse(**bytes);
  std::lock_guard lock(mu_);
  if (!model.ok()) {
    status_.last_error = "stored model did not load: " + model.status().ToString();
    return Status::Ok();
  }
  status_.version = (*model)->version();
  current_ = std::shared_ptr<const training::TrainedModel>(std::move(*model));
  return Status::Ok();
}

void ModelRegistry::StartSchedule() {
  if (interval_ms_ <= 0 || schedule_.joinable()) return;
  schedule_ = std::thread([this] { ScheduleLoop(); });
}

void ModelRegistry::ScheduleLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // Real time on purpose: the schedule is the one part of the server tests never wait for
    // (they call TrainAsync through the admin API instead).
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    TrainAsync();
    lock.lock();
  }
}

std::shared_ptr<const training::TrainedModel> ModelRegistry::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

TrainingStatus ModelRegistry::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

Status ModelRegistry::TrainNow() {
  std::lock_guard run(run_mu_);
  return RunTraining();
}

bool ModelRegistry::TrainAsync() {
  std::unique_lock run(run_mu_, std::try_to_lock);
  if (!run.owns_lock()) return false;
  {
    std::lock_guard lock(mu_);
    if (status_.running || stopping_) return false;
    status_.running = true;  // visible before the thread starts: no second start slips in
  }
  if (worker_.joinable()) worker_.join();
  worker_ = std::thread([this] {
#if defined(__linux__)
    // Background work: on a small box the HTTP threads serving ingest and snapshots come first.
    (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#endif
    std::lock_guard inner(run_mu_);
    (void)RunTraining();
  });
  return true;
}

Status ModelRegistry::RunTraining() {
  const int64_t started = clock_();
  {
    std::lock_guard lock(mu_);
    status_.running = true;
    status_.progress = 0;
    status_.detail = "starting";
    status_.last_started_ms = started;
    ++status_.runs;
    cancel_ = stopping_;  // a registry being destroyed trains nothing
  }
  recsys::TrainOptions control;
  control.seed = options_.seed;
  control.threads = options_.threads;
  control.cancel = &cancel_;
  control.progress = [this](const recsys::TrainProgress& p) {
    std::lock_guard lock(mu_);
    status_.progress = p.fraction;
    status_.detail = p.detail;
  };
  const auto t0 = std::chrono::steady_clock::now();
  Status result;
  std::shared_ptr<const training::TrainedModel> trained;
  auto catalog = store_->ListCatalog();
  if (!catalog.ok()) {
    result = catalog.status();
  } else {
    const std::string version = "m-" + std::to_string(started);
    training::EventFeed feed = [this](const auto& sink) { return store_->ScanEvents(sink); };
    training::TrainingOptions options = options_;
    if (segment_source_) {
      auto membership = segment_source_();
      if (membership.ok() && !membership->empty()) {
        options.segment_of = [segments = std::make_shared<const std::map<int64_t, std::string>>(
                                  std::move(*membership))](int64_t profile_id) {
          auto it = segments->find(profile_id);
          return it == segments->end() ? std::string() : it->second;
        };
      } else if (!membership.ok()) {
        control.progress({"segments", 0.0,
                          "segments unavailable (" + membership.status().ToString() +
                              "): training without per-segment popularity"});
      }
    }
    auto artifact = training::Train(feed, *catalog, version, started, options, control);
    if (!artifact.ok()) {
      result = artifact.status();
    } else {
      // Stored before it serves: a model that could not be saved would vanish on restart.
      result =
          store_->PutModelArtifact(version, started, artifact->SerializeAsString(), keep_versions_);
      if (result.ok()) {
        auto model = training::TrainedModel::FromArtifact(std::move(*artifact));
        if (model.ok()) {
          trained = std::shared_ptr<const training::TrainedModel>(std::move(*model));
        } else {
          result = model.status();
        }
      }
    }
  }
  std::lock_guard lock(mu_);
  status_.running = false;
  status_.last_finished_ms = clock_();
  status_.last_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (result.ok()) {
    current_ = std::move(trained);
    status_.version = current_->version();
    status_.last_error.clear();
    status_.progress = 1;
  } else {
    ++status_.failures;
    status_.last_error = result.ToString();
    status_.detail =
        "failed; still serving " + (status_.version.empty() ? "the live model" : status_.version);
  }
  return result;
}

}  // namespace vitrine::server
