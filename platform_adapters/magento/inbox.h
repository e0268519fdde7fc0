// The durable queue between the Magento notification endpoint and the work it triggers.
//
// The endpoint only verifies, deduplicates and appends (one SQLite transaction, committed before
// it answers 202), so Magento's observer gets its answer in milliseconds and nothing accepted is
// lost if the server stops: a restarted InboxProcessor picks up every row not marked done.
//
// Dedup: the notification id is UNIQUE, so a retried POST of the same notification is stored
// once ("duplicate"). Newest-wins: each entity's applied updated_at is kept in the same database,
// so an older notification arriving late (or an import row older than a notification) is
// skipped, across restarts too.
//
// Thread safety: NotificationInbox is safe to call from several threads (one connection behind a
// mutex; SQLite in WAL mode). InboxProcessor runs one worker thread; Notify/Stop from any thread.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_INBOX_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_INBOX_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "platform_adapters/magento/importer.h"
#include "platform_adapters/magento/notifications.h"

struct sqlite3;

namespace vitrine::magento {

struct InboxEntry {
  int64_t seq = 0;
  std::string event_id;
  std::string body;
  int64_t received_ms = 0;
  int attempts = 0;
};

struct InboxCounts {
  int64_t pending = 0;
  int64_t done = 0;
};

class NotificationInbox {
 public:
  // Opens (creating the tables if needed) at `path`; ":memory:" for a throwaway inbox.
  static StatusOr<std::unique_ptr<NotificationInbox>> Open(const std::string& path);
  ~NotificationInbox();
  NotificationInbox(const NotificationInbox&) = delete;
  NotificationInbox& operator=(const NotificationInbox&) = delete;

  // true: stored; false: this event id was already stored (a retry).
  [[nodiscard]] StatusOr<bool> Enqueue(const std::string& event_id, const std::string& body,
                                       int64_t received_ms);
  // Oldest first, at most `limit`, not done.
  [[nodiscard]] StatusOr<std::vector<InboxEntry>> Pending(int limit);
  [[nodiscard]] Status MarkDone(int64_t seq, const std::string& outcome, int64_t now_ms);
  [[nodiscard]] Status MarkFailed(int64_t seq, const std::string& error);
  // true when `updated_at_ms` is newer than what was applied for `key` (and records it).
  [[nodiscard]] StatusOr<bool> OfferVersion(const std::string& key, int64_t updated_at_ms);
  // Forgets done rows received before `before_ms` (their ids stop deduplicating).
  [[nodiscard]] Status Prune(int64_t before_ms);
  [[nodiscard]] StatusOr<InboxCounts> Counts();
  // Small persistent settings of the connector (the import watermark); "" when unset.
  [[nodiscard]] StatusOr<std::string> GetState(const std::string& key);
  [[nodiscard]] Status SetState(const std::string& key, const std::string& value);
  // The outcome recorded for an event id ("" when pending or unknown).
  [[nodiscard]] StatusOr<std::string> Outcome(const std::string& event_id);

 private:
  explicit NotificationInbox(sqlite3* db) : db_(db) {}
  Status Exec(const char* sql);

  std::mutex mu_;
  sqlite3* db_;
};

// Where processed notifications go: the same sink the importer feeds, plus deletions.
class NotificationSink : public ImportSink {
 public:
  // The product is gone from Magento: keep it out of recommendations.
  virtual Status OnProductDeleted(int64_t product_id) = 0;
};

struct ProcessorOptions {
  int batch = 100;
  int64_t retry_delay_ms = 5000;   // after a sink failure (store unavailable)
  int max_attempts = 20;           // then the row is marked failed and left for an operator
  std::function<int64_t()> clock;  // Unix ms; default system clock
  // The store view the catalog describes: product.saved notifications rendered for another view
  // (another language's title, another website's price) are ignored, so they never overwrite
  // this view's items. Notifications without a store code (older modules) are applied.
  std::string catalog_store = "default";
};

struct ProcessorStats {
  int64_t applied = 0;
  int64_t stale = 0;      // older than what was applied
  int64_t malformed = 0;  // verified but not mappable: kept with the reason, not retried
  int64_t ignored = 0;    // unsupported topics, products of another store view
  int64_t failures = 0;   // sink errors (retried)
};

class InboxProcessor {
 public:
  // Borrows both; they must outlive the processor.
  InboxProcessor(NotificationInbox* inbox, NotificationSink* sink, ProcessorOptions options = {});
  ~InboxProcessor();  // Stop()

  void Start();
  void Stop();
  // Wakes the worker (the endpoint calls this after an enqueue).
  void Notify();
  // Processes what is pending now on the calling thread (tests; the worker uses it too).
  // Returns the number of rows finished (done or failed for good).
  [[nodiscard]] StatusOr<int> ProcessPending();
  // Blocks until no row is pending or `timeout_ms` passed; true when drained.
  bool WaitDrained(int64_t timeout_ms);
  ProcessorStats stats() const;

 private:
  void Loop();
  Status Apply(const Notification& n, std::string* outcome);

  NotificationInbox* inbox_;
  NotificationSink* sink_;
  ProcessorOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  bool stop_ = false;
  bool pending_work_ = true;
  bool idle_ = false;
  ProcessorStats stats_;
  std::mutex process_mu_;  // one ProcessPending at a time
  std::thread worker_;
};

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_INBOX_H_
