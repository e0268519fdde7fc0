#include "sync_server/campaigns/trigger_worker.h"

#include <chrono>
#include <ctime>

#include "sync_server/campaigns/sqlite_util.h"

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

StatusOr<std::optional<int64_t>> EventTail::LoadMark() {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_, "SELECT value FROM campaign_trigger_state WHERE key = 'event_seq'");
  if (!st.ok()) return sqlite::DbError(db_, "prepare mark");
  const int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return sqlite::DbError(db_, "read mark");
  return std::optional<int64_t>(st.ColInt(0));
}

Status EventTail::SaveMark(int64_t seq) {
  std::lock_guard lock(mu_);
  sqlite::Stmt st(db_,
                  "INSERT OR REPLACE INTO campaign_trigger_state (key, value) "
                  "VALUES ('event_seq', ?1)");
  if (!st.ok()) return sqlite::DbError(db_, "prepare save mark");
  st.Int(1, seq);
  if (st.Step() != SQLITE_DONE) return sqlite::DbError(db_, "save mark");
  return Status::Ok();
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

StatusOr<TickStats> TriggerWorker::Tick(int64_t now_ms) {
  std::lock_guard lock(tick_mu_);
  TickStats stats;
  if (!mark_) {
    auto saved = deps_.tail->LoadMark();
    if (!saved.ok()) return saved.status();
    if (saved->has_value()) {
      mark_ = **saved;
    } else {
      auto max = deps_.tail->MaxSeq();
      if (!max.ok()) return max.status();
      mark_ = *max;
      if (Status s = deps_.tail->SaveMark(*mark_); !s.ok()) return s;
    }
  }
  // 1. New events.
  auto events = deps_.tail->After(*mark_, options_.batch);
  if (!events.ok()) return events.status();
  std::map<int64_t, std::string> users;  // profile -> user id, this tick
  for (const TailEvent& te : *events) {
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
