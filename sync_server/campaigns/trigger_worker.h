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
// Restart: engine state (open entries, cap windows) lives in memory, so the first Tick after a
// start with a saved mark rebuilds it before reading new events:
//   - cap and cooldowns: every stored trigger send (campaign_sends rows "trg-...") within the
//     longest of the global cap window and the re-entry cooldowns counts as a fire of that
//     trigger at its at_ms (TriggerEngine::RestoreFire);
//   - pending entries: the events after the first start's mark and up to the saved mark that
//   occurred within the longest
//     delay + max_age (older entries would have been dropped) are fed to the engine again, in
//     seq order. Entries that already fired are not re-armed: their events precede the restored
//     fire, so the cooldown refuses them (Enter), and the cap holds back anything else.
// Not rebuilt: price-drop / back-in-stock entries (they come from catalog diffs, not events).
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
  // The mark of the worker's first start (history up to it is never mailed); 0 when unknown.
  StatusOr<int64_t> LoadStart();
  Status SaveStart(int64_t seq);
  // Restart recovery. Events with after_seq < seq <= upto_seq that occurred at or after
  // `since_ms`, oldest first, at most `limit`.
  StatusOr<std::vector<TailEvent>> Replay(int64_t after_seq, int64_t upto_seq, int64_t since_ms,
                                          size_t limit);
  struct StoredFire {
    std::string recipient_id;  // the trigger's customer (user id)
    std::string trigger_id;
    int64_t at_ms = 0;
  };
  // Trigger sends (campaign ids "trg-<trigger>-<YYYYMMDD>") recorded at or after `since_ms`;
  // empty when the campaigns' tables do not exist.
  StatusOr<std::vector<StoredFire>> TriggerSendsSince(int64_t since_ms);

 private:
  explicit EventTail(sqlite3* db) : db_(db) {}
  StatusOr<std::optional<int64_t>> Load(const char* key);
  Status Save(const char* key, int64_t value);
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
  // Feeds events to the engine (callers hold tick_mu_); counts into `stats`.
  Status Feed(const std::vector<TailEvent>& events, TickStats& stats);
  // Rebuilds the engine after a restart (see the file comment); callers hold tick_mu_.
  Status Recover(int64_t now_ms, int64_t upto_seq);

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
