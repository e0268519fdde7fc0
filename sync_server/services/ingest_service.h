// Ingest: deduplication, identity graph and GROUP COMMIT.
//
// Handler threads decode and validate a batch (batch_codec.h), then Submit() it. One writer thread
// drains every queued batch, stores them all in ONE transaction (prepared statements), commits,
// and only then completes each batch's callback: an ack means durable (WAL, synchronous=NORMAL).
// A storage failure fails every batch of that transaction and stores nothing from any of them, so
// a batch is always all-or-nothing.
//
// Dedup: by event_id (primary key), and order_completed also by order.order_id. Duplicates are
// acked and counted, never stored twice.
// Identity: a profile has many anonymous ids and at most one user id. An event carrying both ids
// links them; when they belong to two profiles the anonymous one is merged into the user's one
// (anonymous ids, events and orders re-pointed). An anonymous id already tied to another user is
// moved to the new user's profile without re-pointing its past events.
// deletion_requested: deletes the profile with its events and orders and tombstones its ids: a
// retried event that occurred before the deletion is acked but never stored again.
//
// Pipeline: the writer thread only stores and acks. The model updates of a committed group (and
// freeing its batches) run on a second thread, the model thread, so the next group commit need not
// wait for them; RecoModel::Announce/Applied keep read-your-writes for snapshots. At most
// max_model_backlog groups wait for the model thread; past that the writer waits (bounded memory).
//
// Thread safety: Submit/Ingest/Identify may be called from any thread. Callbacks run on the writer
// thread and must not block for long.
#ifndef VITRINE_SYNC_SERVER_SERVICES_INGEST_SERVICE_H_
#define VITRINE_SYNC_SERVER_SERVICES_INGEST_SERVICE_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/services/reco_model.h"
#include "sync_server/storage/store.h"
#include "vitrine/v1/batch.pb.h"

namespace vitrine::server {

struct IngestResult {
  std::vector<std::string> acked_event_ids;  // each event id of the batch once, in batch order
  uint32_t stored = 0;
  uint32_t duplicates = 0;
};

struct IngestOptions {
  size_t max_events_per_transaction = 20000;  // a group commit stops taking batches past this
  size_t max_model_backlog = 16;  // committed groups waiting for the model thread, at most
};

class IngestService {
 public:
  using Callback = std::function<void(StatusOr<IngestResult>)>;
  using Clock = std::function<int64_t()>;  // Unix ms

  // `store` and `model` must outlive the service.
  IngestService(Store* store, RecoModel* model, IngestOptions options, Clock clock);
  ~IngestService();

  // Loads the identity graph and starts the writer thread.
  Status Start();
  // Fails queued batches with kUnavailable and joins the writer. Idempotent.
  void Stop();

  // REQUIRES: `batch` was validated (DecodeBatch). `done` runs once, after commit or failure.
  void Submit(v1::Batch batch, Callback done);
  // As above, with each event's serialized bytes (SplitEventPayloads) so the writer stores them
  // as they are; ignored unless there is one per event.
  void Submit(v1::Batch batch, std::vector<std::string> payloads, Callback done);
  // Submit and wait.
  StatusOr<IngestResult> Ingest(v1::Batch batch);
  // POST /v1/identify: stores a server-made identify event linking the two ids; returns the
  // profile id.
  StatusOr<int64_t> Identify(const std::string& anonymous_id, const std::string& user_id,
                             const std::map<std::string, std::string>& traits);

 private:
  struct Pending {
    v1::Batch batch;
    Callback done;
    std::vector<std::string> payloads;  // one per event, or empty
  };
  struct ProfileState {
    std::string user_id;
    std::vector<std::string> anonymous_ids;
  };
  // What to tell the model once the transaction is durable, in order.
  struct ModelAction {
    int64_t profile_id;
    const v1::Event* event;  // nullptr: forget the profile
  };

  // A committed group on its way to the model thread: the batches stay alive until their
  // events were observed.
  struct ModelWork {
    std::vector<Pending> group;
    std::vector<ModelAction> actions;
    uint64_t ticket = 0;
  };

  void WriterLoop();
  void ModelLoop();
  void HandToModel(ModelWork work);
  void RunGroup(std::vector<Pending>& group);
  Status LoadGraph();
  Status ProcessEvent(WriteTxn& txn, const v1::Event& event, const std::string* payload,
                      IngestResult& result, std::vector<ModelAction>& actions);
  StatusOr<int64_t> ResolveProfile(WriteTxn& txn, const std::string& anonymous_id,
                                   const std::string& user_id);
  StatusOr<int64_t> NewProfile(WriteTxn& txn, const std::string& user_id);
  Status LinkAnonymous(WriteTxn& txn, const std::string& anonymous_id, int64_t profile_id);
  Status DeleteProfile(WriteTxn& txn, const v1::Event& event, std::vector<ModelAction>& actions);
  bool Tombstoned(const v1::Event& event) const;

  Store* const store_;
  RecoModel* const model_;
  const IngestOptions options_;
  const Clock clock_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  bool started_ = false;
  std::thread writer_;

  std::mutex model_mu_;
  std::condition_variable model_cv_;    // work queued, or stopping
  std::condition_variable model_room_;  // the backlog shrank
  std::vector<ModelWork> model_queue_;  // guarded by model_mu_
  bool model_stopping_ = false;         // guarded by model_mu_
  std::thread model_thread_;

  // Identity graph: owned by the writer thread once started.
  std::unordered_map<std::string, int64_t> anon_to_profile_;
  std::unordered_map<std::string, int64_t> user_to_profile_;
  std::unordered_map<int64_t, ProfileState> profiles_;
  std::unordered_map<std::string, int64_t> tombstones_;
  int64_t next_profile_id_ = 1;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_INGEST_SERVICE_H_
