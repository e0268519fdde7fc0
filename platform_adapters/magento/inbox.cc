#include "platform_adapters/magento/inbox.h"

#include <sqlite3.h>

#include <chrono>

// The server's self-finalizing statement and open/exec helpers (header-only).
#include "sync_server/common/sqlite_util.h"

namespace vitrine::magento {
namespace {

namespace sql = ::vitrine::server::sqlite;

int64_t SystemMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS magento_inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,
  body BLOB NOT NULL,
  received_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  done_ms INTEGER,
  outcome TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS magento_inbox_pending ON magento_inbox(seq) WHERE done_ms IS NULL;
CREATE TABLE IF NOT EXISTS magento_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS magento_versions (
  entity TEXT PRIMARY KEY,
  updated_at_ms INTEGER NOT NULL
);
)";

}  // namespace

StatusOr<std::unique_ptr<NotificationInbox>> NotificationInbox::Open(const std::string& path) {
  auto db = sql::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<NotificationInbox> inbox(new NotificationInbox(*db));
  if (Status s = inbox->Exec(kSchema); !s.ok()) return s;
  return inbox;
}

NotificationInbox::~NotificationInbox() { sqlite3_close(db_); }

Status NotificationInbox::Exec(const char* text) { return sql::Exec(db_, text); }

StatusOr<bool> NotificationInbox::Enqueue(const std::string& event_id, const std::string& body,
                                          int64_t received_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_,
               "INSERT OR IGNORE INTO magento_inbox(event_id, body, received_ms) VALUES(?,?,?)");
  if (!st.ok()) return sql::DbError(db_, "prepare enqueue");
  // Bound with its length: the exact bytes that were signed, NULs included.
  st.Text(1, event_id).Text(2, body).Int(3, received_ms);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "enqueue");
  return sqlite3_changes(db_) > 0;
}

StatusOr<std::vector<InboxEntry>> NotificationInbox::Pending(int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_,
               "SELECT seq, event_id, body, received_ms, attempts FROM magento_inbox "
               "WHERE done_ms IS NULL ORDER BY seq LIMIT ?");
  if (!st.ok()) return sql::DbError(db_, "prepare pending");
  st.Int(1, limit);
  std::vector<InboxEntry> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    InboxEntry e;
    e.seq = st.ColInt(0);
    e.event_id = st.ColText(1);
    e.body = st.ColBlob(2);
    e.received_ms = st.ColInt(3);
    e.attempts = static_cast<int>(st.ColInt(4));
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sql::DbError(db_, "pending");
  return out;
}

Status NotificationInbox::MarkDone(int64_t seq, const std::string& outcome, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_, "UPDATE magento_inbox SET done_ms = ?, outcome = ? WHERE seq = ?");
  if (!st.ok()) return sql::DbError(db_, "prepare done");
  st.Int(1, now_ms).Text(2, outcome).Int(3, seq);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "done");
  return Status::Ok();
}

Status NotificationInbox::MarkFailed(int64_t seq, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_, "UPDATE magento_inbox SET attempts = attempts + 1, outcome = ? WHERE seq = ?");
  if (!st.ok()) return sql::DbError(db_, "prepare failed");
  st.Text(1, error).Int(2, seq);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "failed");
  return Status::Ok();
}

StatusOr<bool> NotificationInbox::OfferVersion(const std::string& key, int64_t updated_at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_,
               "INSERT INTO magento_versions(entity, updated_at_ms) VALUES(?, ?) "
               "ON CONFLICT(entity) DO UPDATE SET updated_at_ms = excluded.updated_at_ms "
               "WHERE excluded.updated_at_ms > magento_versions.updated_at_ms");
  if (!st.ok()) return sql::DbError(db_, "prepare version");
  st.Text(1, key).Int(2, updated_at_ms);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "version");
  return sqlite3_changes(db_) > 0;
}

Status NotificationInbox::Prune(int64_t before_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_, "DELETE FROM magento_inbox WHERE done_ms IS NOT NULL AND received_ms < ?");
  if (!st.ok()) return sql::DbError(db_, "prepare prune");
  st.Int(1, before_ms);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "prune");
  return Status::Ok();
}

StatusOr<InboxCounts> NotificationInbox::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_,
               "SELECT COALESCE(SUM(done_ms IS NULL), 0), COALESCE(SUM(done_ms IS NOT NULL), 0) "
               "FROM magento_inbox");
  if (!st.ok() || st.Step() != SQLITE_ROW) return sql::DbError(db_, "counts");
  return InboxCounts{st.ColInt(0), st.ColInt(1)};
}

StatusOr<std::string> NotificationInbox::Outcome(const std::string& event_id) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_, "SELECT outcome FROM magento_inbox WHERE event_id = ? AND done_ms IS NOT NULL");
  if (!st.ok()) return sql::DbError(db_, "prepare outcome");
  st.Text(1, event_id);
  const int rc = st.Step();
  if (rc == SQLITE_ROW) return st.ColText(0);
  if (rc != SQLITE_DONE) return sql::DbError(db_, "outcome");
  return std::string();
}

StatusOr<std::string> NotificationInbox::GetState(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_, "SELECT value FROM magento_state WHERE key = ?");
  if (!st.ok()) return sql::DbError(db_, "prepare state");
  st.Text(1, key);
  const int rc = st.Step();
  if (rc == SQLITE_ROW) return st.ColText(0);
  if (rc != SQLITE_DONE) return sql::DbError(db_, "state");
  return std::string();
}

Status NotificationInbox::SetState(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  sql::Stmt st(db_,
               "INSERT INTO magento_state(key, value) VALUES(?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!st.ok()) return sql::DbError(db_, "prepare set state");
  st.Text(1, key).Text(2, value);
  if (st.Step() != SQLITE_DONE) return sql::DbError(db_, "set state");
  return Status::Ok();
}

InboxProcessor::InboxProcessor(NotificationInbox* inbox, NotificationSink* sink,
                               ProcessorOptions options)
    : inbox_(inbox), sink_(sink), options_(std::move(options)) {
  if (!options_.clock) options_.clock = SystemMs;
}

InboxProcessor::~InboxProcessor() { Stop(); }

void InboxProcessor::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_.joinable()) return;
  stop_ = false;
  pending_work_ = true;  // rows left by a previous run
  worker_ = std::thread([this] { Loop(); });
}

void InboxProcessor::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void InboxProcessor::Notify() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_work_ = true;
    idle_ = false;
  }
  wake_.notify_all();
}

ProcessorStats InboxProcessor::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool InboxProcessor::WaitDrained(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return drained_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return idle_ && !pending_work_; });
}

void InboxProcessor::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    pending_work_ = false;
    lock.unlock();
    auto done = ProcessPending();
    auto counts = inbox_->Counts();
    lock.lock();
    const bool left = !done.ok() || !counts.ok() || counts->pending > 0;
    if (!left && !pending_work_) {
      idle_ = true;
      drained_.notify_all();
      wake_.wait(lock, [this] { return stop_ || pending_work_; });
    } else if (left && !pending_work_) {
      // Rows the sink could not take yet (store unavailable): retry later, or sooner on Notify.
      wake_.wait_for(lock, std::chrono::milliseconds(options_.retry_delay_ms),
                     [this] { return stop_ || pending_work_; });
    }
  }
}

Status InboxProcessor::Apply(const Notification& n, std::string* outcome) {
  auto offer = [&](const std::string& key, int64_t updated_at_ms) -> StatusOr<bool> {
    // Without a timestamp nothing can be ordered: apply (the stores are idempotent).
    if (updated_at_ms <= 0) return true;
    return inbox_->OfferVersion(key, updated_at_ms);
  };
  StatusOr<bool> fresh = true;
  if (n.product && !n.store.code.empty() && n.store.code != options_.catalog_store) {
    // Checked before the version is offered: another view's save must not make this view's
    // next save look stale either.
    *outcome = "ignored: store view '" + n.store.code.substr(0, 64) + "' is not the catalog's ('" +
               options_.catalog_store + "')";
    return Status::Ok();
  }
  if (n.product) {
    fresh = offer("product:" + std::to_string(n.product->id), n.product->updated_at_ms);
    if (fresh.ok() && *fresh) {
      std::vector<v1::CatalogItem> items = BuildCatalog({*n.product});
      // A configurable child alone maps to nothing: its parent's next save carries it.
      if (!items.empty()) {
        if (Status s = sink_->OnCatalog(items); !s.ok()) return s;
      }
    }
  } else if (n.deleted_product_id) {
    if (Status s = sink_->OnProductDeleted(*n.deleted_product_id); !s.ok()) return s;
  } else if (n.customer) {
    fresh = offer("customer:" + std::to_string(n.customer->id), n.customer->updated_at_ms);
    if (fresh.ok() && *fresh) {
      if (Status s = sink_->OnCustomer(*n.customer); !s.ok()) return s;
    }
  } else if (n.order) {
    fresh = offer("order:" + std::to_string(n.order->entity_id), n.order->updated_at_ms);
    if (fresh.ok() && *fresh) {
      if (Status s = sink_->OnOrder(*n.order); !s.ok()) return s;
    }
  } else if (n.refund) {
    // The event id is the memo's, so a re-saved memo (a comment added) is a duplicate event.
    fresh = offer("creditmemo:" + std::to_string(n.refund->entity_id), n.refund->updated_at_ms);
    if (fresh.ok() && *fresh) {
      if (Status s = sink_->OnRefund(*n.refund); !s.ok()) return s;
    }
  }
  if (!fresh.ok()) return fresh.status();
  *outcome = *fresh ? "applied" : "stale";
  return Status::Ok();
}

StatusOr<int> InboxProcessor::ProcessPending() {
  std::lock_guard<std::mutex> serial(process_mu_);
  int finished = 0;
  for (;;) {
    auto pending = inbox_->Pending(options_.batch);
    if (!pending.ok()) return pending.status();
    if (pending->empty()) return finished;
    bool made_progress = false;
    for (const InboxEntry& entry : *pending) {
      NotificationError error;
      auto n = ParseNotification(entry.body, &error);
      std::string outcome;
      if (!n) {
        outcome = (error.unsupported_topic ? "ignored: " : "malformed: ") + error.message;
        std::lock_guard<std::mutex> lock(mu_);
        ++(error.unsupported_topic ? stats_.ignored : stats_.malformed);
      } else if (Status s = Apply(*n, &outcome); !s.ok()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.failures;
        }
        if (entry.attempts + 1 < options_.max_attempts) {
          if (Status m = inbox_->MarkFailed(entry.seq, s.ToString()); !m.ok()) return m;
          // Keep the order of one entity's notifications: stop at the first that failed.
          return finished;
        }
        outcome = "failed: " + s.ToString();
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        ++(outcome == "stale"                 ? stats_.stale
           : outcome.starts_with("ignored: ") ? stats_.ignored
                                              : stats_.applied);
      }
      if (Status m = inbox_->MarkDone(entry.seq, outcome, options_.clock()); !m.ok()) return m;
      ++finished;
      made_progress = true;
    }
    if (!made_progress) return finished;
  }
}

}  // namespace vitrine::magento
