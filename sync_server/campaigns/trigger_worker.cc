#include "sync_server/campaigns/trigger_worker.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "sync_server/common/sqlite_util.h"

namespace vitrine::server::campaigns {
namespace {

std::string UtcDay(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

FeedItem ToFeedItem(const vitrine::v1::CatalogItem& c) {
  return {c.product_id(), c.title(), c.price_micros(), c.currency(),
          c.image_url(),  c.url(),   c.category()};
}

}  // namespace

// ---- EventTail --------------------------------------------------------------------------------

StatusOr<std::unique_ptr<EventTail>> EventTail::Open(const std::string& path) {
  auto db = sqlite::Open(path);
  if (!db.ok()) return db.status();
  std::unique_ptr<EventTail> tail(new EventTail(*db));
  Status s = sqlite::Exec(*db,
                          "CREATE TABLE IF NOT EXISTS campaign_trigger_state ("
                          "  key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;");
  if (!s.ok()) return s;
  return tail;
}

EventTail::~EventTail() { sqlite3_close(db_); }

StatusOr<std::vector<TailEvent>> EventTail::After(int64_t after_seq, size_t limit) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_,
                  "SELECT seq, profile_id, payload FROM events WHERE seq > ?1 ORDER BY seq "
                  "LIMIT ?2");
  if (!st.ok()) return sqlite::DbError(db_, "prepare event scan");
  st.Int(1, after_seq).Int(2, static_cast<int64_t>(limit));
  std::vector<TailEvent> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    TailEvent e;
    e.seq = st.ColInt(0);
    e.profile_id = st.ColInt(1);
    const std::string payload = st.ColBlob(2);
    if (!e.event.ParseFromString(payload)) continue;  // stored by ingest: never expected
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::DbError(db_, "scan events");
  return out;
}

StatusOr<int64_t> EventTail::MaxSeq() {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_, "SELECT COALESCE(MAX(seq), 0) FROM events");
  if (!st.ok()) return sqlite::DbError(db_, "prepare max seq");
  if (st.Step() != SQLITE_ROW) return sqlite::DbError(db_, "max seq");
  return st.ColInt(0);
}

StatusOr<std::optional<int64_t>> EventTail::Load(const char* key) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_, "SELECT value FROM campaign_trigger_state WHERE key = ?1");
  if (!st.ok()) return sqlite::DbError(db_, "prepare mark");
  st.Text(1, key);
  const int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return sqlite::DbError(db_, "read mark");
  return std::optional<int64_t>(st.ColInt(0));
}

Status EventTail::Save(const char* key, int64_t value) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_,
                  "INSERT OR REPLACE INTO campaign_trigger_state (key, value) VALUES (?1, ?2)");
  if (!st.ok()) return sqlite::DbError(db_, "prepare save mark");
  st.Text(1, key).Int(2, value);
  if (st.Step() != SQLITE_DONE) return sqlite::DbError(db_, "save mark");
  return Status::Ok();
}

StatusOr<std::optional<int64_t>> EventTail::LoadMark() { return Load("event_seq"); }
Status EventTail::SaveMark(int64_t seq) { return Save("event_seq", seq); }

StatusOr<int64_t> EventTail::LoadStart() {
  auto v = Load("start_seq");
  if (!v.ok()) return v.status();
  return v->value_or(0);
}
Status EventTail::SaveStart(int64_t seq) { return Save("start_seq", seq); }

StatusOr<std::vector<TailEvent>> EventTail::Replay(int64_t after_seq, int64_t upto_seq,
                                                   int64_t since_ms, size_t limit) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_,
                  "SELECT seq, profile_id, payload FROM events WHERE seq > ?1 AND seq <= ?2 "
                  "AND occurred_at_ms >= ?3 ORDER BY seq LIMIT ?4");
  if (!st.ok()) return sqlite::DbError(db_, "prepare event replay");
  st.Int(1, after_seq).Int(2, upto_seq).Int(3, since_ms).Int(4, static_cast<int64_t>(limit));
  std::vector<TailEvent> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    TailEvent e;
    e.seq = st.ColInt(0);
    e.profile_id = st.ColInt(1);
    if (!e.event.ParseFromString(st.ColBlob(2))) continue;
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return sqlite::DbError(db_, "replay events");
  return out;
}

StatusOr<std::vector<EventTail::StoredFire>> EventTail::TriggerSendsSince(int64_t since_ms) {
  std::lock_guard lock(mu_);
  {
    sqlite::Stmt st(db_,
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'campaign_sends'");
    if (!st.ok()) return sqlite::DbError(db_, "prepare table check");
    const int rc = st.Step();
    if (rc == SQLITE_DONE) return std::vector<StoredFire>();
    if (rc != SQLITE_ROW) return sqlite::DbError(db_, "table check");
  }
  sqlite::Stmt st(db_,
                  "SELECT campaign_id, recipient_id, at_ms FROM campaign_sends "
                  "WHERE campaign_id LIKE 'trg-%' AND at_ms >= ?1 ORDER BY at_ms");
  if (!st.ok()) return sqlite::DbError(db_, "prepare trigger sends");
  st.Int(1, since_ms);
  std::vector<StoredFire> out;
  constexpr size_t kPrefix = 4;  // "trg-"
  constexpr size_t kSuffix = 9;  // "-YYYYMMDD"
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    const std::string campaign = st.ColText(0);
    if (campaign.size() <= kPrefix + kSuffix || campaign[campaign.size() - kSuffix] != '-') {
      continue;  // not one of the worker's ids
    }
    out.push_back({st.ColText(1), campaign.substr(kPrefix, campaign.size() - kPrefix - kSuffix),
                   st.ColInt(2)});
  }
  if (rc != SQLITE_DONE) return sqlite::DbError(db_, "read trigger sends");
  return out;
}

// ---- definitions and texts --------------------------------------------------------------------

TriggerTemplate DefaultTemplate(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kAbandonedCart:
      return {"{{first_name|Hi}}, your cart is waiting", "The items you picked are still there",
              "Still thinking it over?", "We kept your cart for you."};
    case TriggerKind::kBrowseAbandonment:
      return {"Still interested, {{first_name|friend}}?", "The products you looked at",
              "Take another look", "Here is what caught your eye."};
    case TriggerKind::kCategoryAbandonment:
      return {"Picked for you, {{first_name|friend}}", "Popular in the category you browsed",
              "More to explore", "A few favourites from the category you browsed."};
    case TriggerKind::kPriceDrop:
      return {"Price drop on something you liked", "Now for less", "Good news: the price went down",
              "An item you looked at costs less now."};
    case TriggerKind::kBackInStock:
      return {"Back in stock", "It is available again", "It's back",
              "An item you wanted is available again."};
  }
  return {"News from us", "", "", ""};
}

std::vector<TriggerDefinition> DefaultTriggerDefinitions() {
  std::vector<TriggerDefinition> out;
  auto add = [&](const char* id, TriggerKind kind, int64_t delay_ms, int priority) {
    TriggerDefinition d;
    d.id = id;
    d.kind = kind;
    d.delay_ms = delay_ms;
    d.priority = priority;
    out.push_back(d);
  };
  add("abandoned_cart", TriggerKind::kAbandonedCart, 3'600'000, 50);
  add("price_drop", TriggerKind::kPriceDrop, 3'600'000, 40);
  add("back_in_stock", TriggerKind::kBackInStock, 3'600'000, 30);
  add("browse_abandonment", TriggerKind::kBrowseAbandonment, 4 * 3'600'000, 20);
  add("category_abandonment", TriggerKind::kCategoryAbandonment, 24 * 3'600'000, 10);
  return out;
}

// ---- TriggerWorker ----------------------------------------------------------------------------

StatusOr<std::unique_ptr<TriggerWorker>> TriggerWorker::Create(TriggerWorkerOptions options,
                                                               Deps deps) {
  if (!deps.tail || !deps.campaigns || !deps.user_of || !deps.catalog || !deps.clock) {
    return Status(Status::Kind::kInternal, "campaigns", "TriggerWorker: missing dependency");
  }
  auto engine = TriggerEngine::Create(options.definitions, options.policy);
  if (!engine.ok()) return engine.status();
  return std::unique_ptr<TriggerWorker>(
      new TriggerWorker(std::move(options), std::move(deps), std::move(*engine)));
}

TriggerWorker::~TriggerWorker() { Stop(); }

std::optional<Activity> TriggerWorker::ToActivity(const vitrine::v1::Event& e) const {
  const std::string& t = e.type();
  Activity a;
  a.at_ms = e.occurred_at_ms();
  if (e.products_size() > 0) {
    a.product_id = e.products(0).product_id();
    a.category = e.products(0).category();
  }
  if (t == "product_viewed") {
    a.type = Activity::Type::kProductView;
  } else if (t == "product_list_viewed") {
    a.type = Activity::Type::kCategoryView;
    a.category = !e.list_name().empty() ? e.list_name() : e.list_id();
    if (a.category.empty()) return std::nullopt;
  } else if (t == "product_added_to_cart") {
    a.type = Activity::Type::kCartAdd;
  } else if (t == "product_removed_from_cart") {
    a.type = Activity::Type::kCartRemove;
  } else if (t == "order_completed") {
    a.type = Activity::Type::kOrder;
  } else if (t == "identify" || t == "consent_updated" || t == "deletion_requested" ||
             t.starts_with("email_")) {
    // Not the customer browsing: server-made, or the email itself.
    return std::nullopt;
  } else {
    a.type = Activity::Type::kPageView;
  }
  if ((a.type == Activity::Type::kProductView || a.type == Activity::Type::kCartAdd ||
       a.type == Activity::Type::kCartRemove) &&
      a.product_id.empty()) {
    return std::nullopt;
  }
  return a;
}

std::vector<FeedItem> TriggerWorker::FeedFor(const TriggerFire& fire) const {
  std::vector<FeedItem> out;
  if (fire.kind == TriggerKind::kCategoryAbandonment) {
    const std::string category = fire.items.empty() ? std::string() : fire.items.front();
    for (const auto& [id, item] : catalog_) {
      if (out.size() >= options_.feed_size) break;
      if (item.stock() > 0 &&
          (item.category() == category || item.category().starts_with(category + "/"))) {
        out.push_back(ToFeedItem(item));
      }
    }
    return out;
  }
  for (const auto& id : fire.items) {
    if (out.size() >= options_.feed_size) break;
    auto it = catalog_.find(id);
    if (it != catalog_.end() && it->second.stock() > 0) out.push_back(ToFeedItem(it->second));
  }
  return out;
}

Status TriggerWorker::Feed(const std::vector<TailEvent>& events, TickStats& stats) {
  std::map<int64_t, std::string> users;  // profile -> user id, this batch
  for (const TailEvent& te : events) {
    ++stats.events;
    std::string user = te.event.user_id();
    if (user.empty()) {
      auto it = users.find(te.profile_id);
      if (it == users.end()) {
        auto u = deps_.user_of(te.profile_id);
        if (!u.ok()) return u.status();
        it = users.emplace(te.profile_id, *u).first;
      }
      user = it->second;
    }
    if (user.empty()) continue;
    auto activity = ToActivity(te.event);
    if (!activity) continue;
    engine_.OnActivity(user, *activity);
    ++stats.activities;
  }
  return Status::Ok();
}

Status TriggerWorker::Recover(int64_t now_ms, int64_t upto_seq) {
  int64_t fire_horizon = options_.policy.window_ms;
  int64_t entry_horizon = 0;
  for (const TriggerDefinition& d : options_.definitions) {
    entry_horizon = std::max(entry_horizon, d.delay_ms + d.max_age_ms);
    fire_horizon = std::max(fire_horizon, d.cooldown_ms);
  }
  // Replayed events are checked against the fires made since they occurred, so those are
  // restored too.
  fire_horizon = std::max(fire_horizon, entry_horizon);
  // Fires first: the replay's Enter consults the restored cooldowns.
  auto fires = deps_.tail->TriggerSendsSince(now_ms - fire_horizon);
  if (!fires.ok()) return fires.status();
  for (const auto& f : *fires) engine_.RestoreFire(f.recipient_id, f.trigger_id, f.at_ms);
  TickStats ignored;
  auto start = deps_.tail->LoadStart();
  if (!start.ok()) return start.status();
  int64_t after = *start;
  while (true) {
    auto events = deps_.tail->Replay(after, upto_seq, now_ms - entry_horizon, options_.batch);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    if (Status s = Feed(*events, ignored); !s.ok()) return s;
    after = events->back().seq;
  }
  return Status::Ok();
}

StatusOr<TickStats> TriggerWorker::Tick(int64_t now_ms) {
  std::lock_guard lock(tick_mu_);
  TickStats stats;
  if (!mark_) {
    auto saved = deps_.tail->LoadMark();
    if (!saved.ok()) return saved.status();
    if (saved->has_value()) {
      // A restart: rebuild what the previous worker held in memory before going on.
      if (Status s = Recover(now_ms, **saved); !s.ok()) {
        // Start over on the next tick from an empty engine, not from a half-rebuilt one.
        engine_ = std::move(*TriggerEngine::Create(options_.definitions, options_.policy));
        return s;
      }
      mark_ = **saved;
    } else {
      auto max = deps_.tail->MaxSeq();
      if (!max.ok()) return max.status();
      mark_ = *max;
      if (Status s = deps_.tail->SaveStart(*mark_); !s.ok()) return s;
      if (Status s = deps_.tail->SaveMark(*mark_); !s.ok()) return s;
    }
  }
  // 1. New events.
  auto events = deps_.tail->After(*mark_, options_.batch);
  if (!events.ok()) return events.status();
  if (Status s = Feed(*events, stats); !s.ok()) return s;
  if (!events->empty()) {
    mark_ = events->back().seq;
    if (Status s = deps_.tail->SaveMark(*mark_); !s.ok()) return s;
  }
  // 2. Catalog changes.
  auto items = deps_.catalog();
  if (!items.ok()) return items.status();
  std::map<std::string, vitrine::v1::CatalogItem> next;
  for (auto& item : *items) {
    const std::string id = item.product_id();
    next.emplace(id, std::move(item));
  }
  if (have_catalog_) {
    for (const auto& [id, item] : next) {
      auto old = catalog_.find(id);
      if (old == catalog_.end()) continue;
      if (old->second.price_micros() != item.price_micros()) {
        engine_.OnPriceChange(id, old->second.price_micros(), item.price_micros(), now_ms);
      }
      if (old->second.stock() != item.stock()) {
        engine_.OnStockChange(id, old->second.stock(), item.stock(), now_ms);
      }
    }
  }
  catalog_ = std::move(next);
  have_catalog_ = true;
  // 3. What is due.
  for (const TriggerFire& fire : engine_.Poll(now_ms)) {
    ++stats.fired;
    if (fire.channel != Channel::kEmail) continue;
    auto recipient = deps_.campaigns->RecipientFor(fire.customer_id, fire.trigger_id);
    // The engine counted the fire already: a failure skips this one message, not the rest.
    if (!recipient.ok() || !recipient->has_value()) {
      ++stats.skipped;
      continue;
    }
    CampaignSpec spec =
        deps_.campaigns->BaseSpec("trg-" + fire.trigger_id + "-" + UtcDay(fire.fired_ms));
    spec.name = fire.trigger_id;
    auto text = options_.texts.find(fire.trigger_id);
    const TriggerTemplate t =
        text != options_.texts.end() ? text->second : DefaultTemplate(fire.kind);
    spec.subject_template = t.subject;
    spec.preheader_template = t.preheader;
    spec.headline_template = t.headline;
    spec.intro_template = t.intro;
    auto rec = deps_.campaigns->SendOne(spec, **recipient, FeedFor(fire));
    if (rec.ok() && rec->status == SendStatus::kSent) {
      ++stats.sent;
    } else {
      ++stats.skipped;
    }
  }
  return stats;
}

void TriggerWorker::Start(int64_t poll_ms) {
  if (worker_.joinable()) return;
  stopping_ = false;
  worker_ = std::thread([this, poll_ms] {
    while (!stopping_.load()) {
      (void)Tick(deps_.clock());
      std::unique_lock lock(worker_mu_);
      worker_cv_.wait_for(lock, std::chrono::milliseconds(poll_ms),
                          [this] { return stopping_.load(); });
    }
  });
}

void TriggerWorker::Stop() {
  {
    std::lock_guard lock(worker_mu_);
    stopping_ = true;
  }
  worker_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace vitrine::server::campaigns
