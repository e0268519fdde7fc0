// The server's email trigger worker: feeds stored events into a TriggerEngine and sends what
// fires through the campaigns' SMTP path (CampaignService::SendOne).
//
// Source of events: a scan of the server's `events` table past a high-water mark (its `seq`
// primary key), kept in `campaign_trigger_state` so a restart neither re-reads history nor skips
// what arrived while it was down. The first start begins at the newest event: old carts are not
// mailed. Events are read after ingest committed them, so nothing is seen that may roll back.
// Catalog changes (price drops, restocks) come from comparing the catalog between ticks.
//
// Per tick (Tick(now), driven by the worker thread or by a test with an injected time):
//   1. up to `batch` new events -> activities of their profile's user id (anonymous profiles are
//      skipped: there is nobody to email), in seq order;
//   2. catalog prices/stock vs the previous tick -> OnPriceChange / OnStockChange;
//   3. TriggerEngine::Poll(now) -> each fire whose user has an email becomes one message: the
//      fired products that are in stock (category abandonment: in-stock products of that
//      category), recorded under campaign id "trg-<trigger id>-<YYYYMMDD>" (the UTC day) so each
//      trigger has a daily report. The engine enforces delays, exits, cooldowns, quiet hours and
//      the global frequency cap shared by all triggers.
// Engine state (open entries, cap windows) lives in memory: a restart forgets pending entries.
//
// Thread safety: Tick, Start and Stop may be called from any thread; ticks are serialised.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGER_WORKER_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGER_WORKER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sync_server/campaigns/campaign_service.h"
#include "sync_server/campaigns/triggers.h"
#include "sync_server/common/status.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

struct sqlite3;

namespace vitrine::server::campaigns {

struct TailEvent {
  int64_t seq = 0;
  int64_t profile_id = 0;
  vitrine::v1::Event event;
};

// Reads the server's `events` table (own read connection) and keeps the worker's mark.
class EventTail {
 public:
  static StatusOr<std::unique_ptr<EventTail>> Open(const std::string& path);
  ~EventTail();
  EventTail(const EventTail&) = delete;
  EventTail& operator=(const EventTail&) = delete;

  // Events with seq > `after_seq`, oldest first, at most `limit`.
  StatusOr<std::vector<TailEvent>> After(int64_t after_seq, size_t limit);
  StatusOr<int64_t> MaxSeq();
  StatusOr<std::optional<int64_t>> LoadMark();
  Status SaveMark(int64_t seq);

 private:
  explicit EventTail(sqlite3* db) : db_(db) {}
  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

// The texts of one trigger's email ({{first_name|...}} personalisation as campaigns).
struct TriggerTemplate {
  std::string subject;
  std::string preheader;
  std::string headline;
  std::string intro;
};
// Sensible English texts per kind.
TriggerTemplate DefaultTemplate(TriggerKind kind);

struct TriggerWorkerOptions {
  std::vector<TriggerDefinition> definitions;    // email channel ones are sent
  FrequencyPolicy policy;                        // the global cap and quiet hours
  std::map<std::string, TriggerTemplate> texts;  // by trigger id; default: DefaultTemplate
  size_t batch = 5000;                           // events per tick at most
  size_t feed_size = 4;
};
// Abandoned cart (1 h), browse (4 h), category (24 h), price drop and back in stock (1 h).
std::vector<TriggerDefinition> DefaultTriggerDefinitions();

struct TickStats {
  int64_t events = 0;      // read from the table
  int64_t activities = 0;  // fed to the engine
  int64_t fired = 0;
  int64_t sent = 0;     // accepted by the SMTP server
  int64_t skipped = 0;  // fired for a user without email / suppressed / no feed / refused
};

class TriggerWorker {
 public:
  using UserOf = std::function<StatusOr<std::string>(int64_t profile_id)>;  // "" anonymous
  using Catalog = std::function<StatusOr<std::vector<vitrine::v1::CatalogItem>>()>;
  struct Deps {
    EventTail* tail = nullptr;
    CampaignService* campaigns = nullptr;
    UserOf user_of;
    Catalog catalog;
    std::function<int64_t()> clock;  // Unix ms, for the worker thread's ticks
  };

  // kInvalid for bad definitions. The pointers must outlive the worker.
  static StatusOr<std::unique_ptr<TriggerWorker>> Create(TriggerWorkerOptions options, Deps deps);
  ~TriggerWorker();

  StatusOr<TickStats> Tick(int64_t now_ms);
  const TriggerEngine& engine() const { return engine_; }

  // Ticks every `poll_ms` of real time at deps.clock(). Stop is idempotent.
  void Start(int64_t poll_ms = 5000);
  void Stop();

 private:
  TriggerWorker(TriggerWorkerOptions options, Deps deps, TriggerEngine engine)
      : options_(std::move(options)), deps_(std::move(deps)), engine_(std::move(engine)) {}
  std::optional<Activity> ToActivity(const vitrine::v1::Event& e) const;
  std::vector<FeedItem> FeedFor(const TriggerFire& fire) const;

  const TriggerWorkerOptions options_;
  const Deps deps_;

  std::mutex tick_mu_;
  TriggerEngine engine_;                                     // guarded by tick_mu_
  std::optional<int64_t> mark_;                              // guarded by tick_mu_
  bool have_catalog_ = false;                                // guarded by tick_mu_
  std::map<std::string, vitrine::v1::CatalogItem> catalog_;  // guarded by tick_mu_

  std::mutex worker_mu_;
  std::condition_variable worker_cv_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGER_WORKER_H_
