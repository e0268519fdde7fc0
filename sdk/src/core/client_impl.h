// Client::Impl (internal): wires the journal, the store, the sync engine, the recommender and
// the message engine together and owns the background schedule.
//
// Threads: capture calls run on the caller's thread and take `state_mu_` briefly; everything
// else (persist, send, snapshot refresh, message timers) runs as tasks on the Scheduler.
#ifndef VITRINE_SDK_CORE_CLIENT_IMPL_H_
#define VITRINE_SDK_CORE_CLIENT_IMPL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "sdk/src/core/message_engine.h"
#include "sdk/src/core/recommender.h"
#include "sdk/src/core/storage.h"
#include "sdk/src/core/sync_engine.h"
#include "vitrine/client.h"

namespace vitrine {

class Client::Impl {
 public:
  static StatusOr<std::unique_ptr<Impl>> Open(const Options& options);
  ~Impl();

  Status Track(const EventSpec& spec, std::string* event_id);
  Status Identify(const std::string& user_id, const std::map<std::string, std::string>& traits);
  Status Reset();
  Status SetConsent(bool granted);
  Status RequestDeletion();
  Status Flush();
  void OnForeground();
  StatusOr<std::vector<Recommendation>> Recommend(const std::string& placement,
                                                  const RecommendContext& context, size_t n);
  void SetMessageListener(std::function<void(const InAppMessageView&)> listener);
  std::vector<InAppMessageView> PendingMessages();
  ClientStats Stats() const;

 private:
  explicit Impl(const Options& options);
  Status Init();

  // Capture path: stamps identity/session/seq/id and appends to the journal.
  // `event_id` (may be null) receives the event's id as UUID text on OK.
  Status Capture(v1::Event& event, bool bypass_consent, std::string* event_id = nullptr);
  // New anonymous id and event-id bits, persisted. REQUIRES: state_mu_ held (or Init).
  Status NewIdentityLocked();

  // Background tasks (scheduler thread).
  void Post(std::function<void()> task, int64_t delay_ms);
  Status PersistJournal();
  void PersistDurableState();
  void SendTask(uint64_t token);
  // Persists, then sends batches until the queue is empty or an attempt fails; schedules the
  // next turn either way. `done` (may be empty) gets OK when everything queued was acked; with a
  // synchronous executor it runs before SendRound returns, with an asynchronous one later.
  void SendRound(std::function<void(Status)> done);
  void SendNext(int round, std::function<void(Status)> done);
  void OnSendResult(int round, internal::SendResult r, const std::function<void(Status)>& done);
  // Runs one request through HttpExecutor::ExecuteAsync; `on_response` runs inline when the
  // executor answered synchronously, else as a scheduler task (never after destruction).
  void ExecuteHttp(const HttpRequest& request, std::function<void(HttpResponse)> on_response);
  void ScheduleSend(int64_t delay_ms);
  void SnapshotTask(uint64_t token, std::function<void()> done = nullptr);
  void OnSnapshot(const internal::SnapshotResult& r);
  void ScheduleSnapshot(int64_t delay_ms);
  void MessageTask();
  void ScheduleMessageCheck();
  void SchedulePersist();
  void PersistTick();
  void ApplySnapshot(const std::string& bytes);
  Status PurgeLocal();

  Options options_;
  std::unique_ptr<Clock> owned_clock_;
  std::unique_ptr<Scheduler> owned_scheduler_;
  std::unique_ptr<HttpExecutor> owned_http_;
  Clock* clock_ = nullptr;
  Scheduler* scheduler_ = nullptr;
  HttpExecutor* http_ = nullptr;

  std::unique_ptr<internal::Journal> journal_;
  std::unique_ptr<internal::Store> store_;
  std::unique_ptr<internal::SyncEngine> sync_;
  internal::Recommender recommender_;
  std::unique_ptr<internal::MessageEngine> messages_;

  // Identity, session and sequence (capture path).
  mutable std::mutex state_mu_;
  std::string anonymous_id_;
  uint64_t identity_bits_ = 0;  // high half of every event id (see MakeEventId)
  // Fresh per open from the platform RNG (never from Options.random_seed), XORed into the high
  // half: the stored next_seq can lag behind what an earlier open already sent (a browser tab
  // closed before its last storage write landed), and a reused seq must still not repeat an id
  // the server holds, or the new event would be dropped as a duplicate.
  uint64_t open_bits_ = 0;
  std::string user_id_;
  bool consent_granted_ = true;
  uint64_t session_index_ = 0;
  std::string session_id_;  // anonymous_id_/session_index_, rebuilt when a session starts
  int64_t last_activity_ms_ = 0;
  uint64_t next_seq_ = 1;
  std::mt19937_64 rng_;

  // Persist: records sealed from the journal but not yet committed to the store.
  std::mutex persist_mu_;
  std::vector<internal::QueuedEvent> sealed_pending_;
  bool sealed_outstanding_ = false;
  uint64_t durable_next_seq_ = 0;  // the next_seq value last written to the store
  uint64_t tracked_at_last_state_save_ = 0;
  int persist_ticks_ = 0;             // scheduler thread
  int64_t last_age_eviction_ms_ = 0;  // scheduler thread

  // Scheduling (scheduler thread, except the atomics).
  // Timers run only while there is work, so an idle app causes no wakeups.
  std::atomic<bool> persist_scheduled_{false};
  std::atomic<bool> send_idle_{false};
  std::atomic<uint64_t> send_token_{0};
  std::atomic<uint64_t> snapshot_token_{0};
  std::atomic<int64_t> next_message_check_ms_{-1};
  internal::Backoff send_backoff_;
  internal::Backoff snapshot_backoff_;
  int64_t retry_after_until_ms_ = 0;
  std::string snapshot_etag_;
  bool send_in_flight_ = false;      // scheduler thread: a batch request awaits its answer
  bool snapshot_in_flight_ = false;  // scheduler thread

  // Closed first thing in the destructor: an asynchronous HTTP answer arriving later is dropped.
  struct HttpGate {
    std::mutex mu;
    bool open = true;
  };
  std::shared_ptr<HttpGate> http_gate_ = std::make_shared<HttpGate>();

  // Messages handed to the host.
  std::mutex messages_mu_;
  std::vector<InAppMessageView> pending_messages_;
  std::function<void(const InAppMessageView&)> listener_;

  // Task lifetime: tasks check `alive_` under `task_mu_` so none runs after destruction starts.
  std::shared_ptr<std::mutex> task_mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Counters.
  std::atomic<uint64_t> tracked_{0};
  std::atomic<uint64_t> acked_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> send_attempts_{0};
  std::atomic<uint64_t> send_failures_{0};
  std::atomic<int64_t> next_send_at_ms_{0};
  std::atomic<int64_t> last_retry_after_ms_{0};
  mutable std::mutex error_mu_;
  std::string last_error_;
};

}  // namespace vitrine

#endif  // VITRINE_SDK_CORE_CLIENT_IMPL_H_
