#include "sync_server/campaigns/triggers.h"

#include <algorithm>

namespace vitrine::server::campaigns {
namespace {

constexpr size_t kMaxItems = 10;

// Whether an activity of this type is a qualifying event for a trigger kind.
bool Qualifies(TriggerKind kind, Activity::Type type) {
  switch (kind) {
    case TriggerKind::kAbandonedCart:
      return type == Activity::Type::kCartAdd;
    case TriggerKind::kBrowseAbandonment:
      return type == Activity::Type::kProductView;
    case TriggerKind::kCategoryAbandonment:
      return type == Activity::Type::kCategoryView;
    case TriggerKind::kPriceDrop:
    case TriggerKind::kBackInStock:
      return false;  // entered by catalog changes only
  }
  return false;
}

void PushFront(std::vector<std::string>& items, const std::string& id) {
  if (id.empty()) return;
  std::erase(items, id);
  items.insert(items.begin(), id);
  if (items.size() > kMaxItems) items.resize(kMaxItems);
}

}  // namespace

const char* TriggerKindName(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kAbandonedCart:
      return "abandoned_cart";
    case TriggerKind::kBrowseAbandonment:
      return "browse_abandonment";
    case TriggerKind::kCategoryAbandonment:
      return "category_abandonment";
    case TriggerKind::kPriceDrop:
      return "price_drop";
    case TriggerKind::kBackInStock:
      return "back_in_stock";
  }
  return "unknown";
}

StatusOr<TriggerEngine> TriggerEngine::Create(std::vector<TriggerDefinition> definitions,
                                              FrequencyPolicy policy) {
  std::set<std::string> ids;
  for (const TriggerDefinition& d : definitions) {
    if (d.id.empty() || !ids.insert(d.id).second) {
      return Status(Status::Kind::kInvalid, "invalid_trigger", "trigger ids must be unique");
    }
    if (d.delay_ms < 0 || d.cooldown_ms < 0 || d.max_age_ms < 0 || d.lookback_ms < 0) {
      return Status(Status::Kind::kInvalid, "invalid_trigger", "durations must be >= 0");
    }
  }
  if (policy.max_messages < 1 || policy.window_ms < 0 || policy.quiet_start_minute < 0 ||
      policy.quiet_start_minute >= 1440 || policy.quiet_end_minute < 0 ||
      policy.quiet_end_minute >= 1440) {
    return Status(Status::Kind::kInvalid, "invalid_trigger", "bad frequency policy");
  }
  return TriggerEngine(std::move(definitions), policy);
}

TriggerEngine::TriggerEngine(std::vector<TriggerDefinition> definitions, FrequencyPolicy policy)
    : defs_(std::move(definitions)), policy_(policy) {}

const TriggerDefinition* TriggerEngine::Find(const std::string& id) const {
  for (const TriggerDefinition& d : defs_) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

void TriggerEngine::SetUtcOffset(const std::string& customer, int minutes) {
  customers_[customer].utc_offset_minutes = minutes;
}

void TriggerEngine::Enter(Customer& c, const TriggerDefinition& def,
                          const std::vector<std::string>& items, int64_t at_ms) {
  auto it = c.entries.find(def.id);
  if (it == c.entries.end()) {
    auto fired = c.last_fired.find(def.id);
    if (fired != c.last_fired.end() && at_ms - fired->second < def.cooldown_ms) return;
    it = c.entries.emplace(def.id, Entry{}).first;
  }
  Entry& e = it->second;
  for (auto item = items.rbegin(); item != items.rend(); ++item) PushFront(e.items, *item);
  e.last_qualifying_ms = std::max(e.last_qualifying_ms, at_ms);
  e.due_ms = e.last_qualifying_ms + def.delay_ms;
}

void TriggerEngine::OnActivity(const std::string& customer, const Activity& a) {
  Customer& c = customers_[customer];
  // 1. Came back: entries this activity does not qualify for.
  for (auto it = c.entries.begin(); it != c.entries.end();) {
    const TriggerDefinition* def = Find(it->first);
    if (def && def->exit_on_return && !Qualifies(def->kind, a.type) &&
        a.at_ms > it->second.last_qualifying_ms) {
      it = c.entries.erase(it);
    } else {
      ++it;
    }
  }
  // 2. State and qualifying events.
  switch (a.type) {
    case Activity::Type::kCartAdd:
      c.cart[a.product_id] = a.at_ms;
      interested_[a.product_id].insert(customer);
      break;
    case Activity::Type::kCartRemove:
      c.cart.erase(a.product_id);
      break;
    case Activity::Type::kProductView:
      c.viewed[a.product_id] = a.at_ms;
      interested_[a.product_id].insert(customer);
      break;
    case Activity::Type::kOrder:
      c.cart.clear();
      break;
    case Activity::Type::kPageView:
    case Activity::Type::kCategoryView:
      break;
  }
  for (const TriggerDefinition& def : defs_) {
    if (a.type == Activity::Type::kOrder && def.exit_on_order) {
      c.entries.erase(def.id);
      continue;
    }
    if (def.kind == TriggerKind::kAbandonedCart) {
      if (c.cart.empty()) {
        c.entries.erase(def.id);  // the cart was emptied: nothing left to remind of
        continue;
      }
      // A cart add qualifies; any other activity while the cart is full re-enters (the delay
      // restarts from the last activity) when the entry exited on return.
      if (a.type == Activity::Type::kCartAdd || !c.entries.count(def.id)) {
        std::vector<std::string> items;
        for (const auto& [id, at] : c.cart) items.push_back(id);
        std::sort(items.begin(), items.end(), [&](const std::string& x, const std::string& y) {
          return c.cart[x] > c.cart[y];
        });
        if (a.type != Activity::Type::kOrder) Enter(c, def, items, a.at_ms);
      }
      continue;
    }
    if (!Qualifies(def.kind, a.type)) continue;
    Enter(c, def, {def.kind == TriggerKind::kCategoryAbandonment ? a.category : a.product_id},
          a.at_ms);
  }
}

void TriggerEngine::Offer(const std::string& product_id, TriggerKind kind, int64_t at_ms) {
  auto who = interested_.find(product_id);
  if (who == interested_.end()) return;
  for (const std::string& customer : who->second) {
    Customer& c = customers_[customer];
    for (const TriggerDefinition& def : defs_) {
      if (def.kind != kind) continue;
      auto viewed = c.viewed.find(product_id);
      const bool in_cart = c.cart.count(product_id) > 0;
      const bool recent = viewed != c.viewed.end() && at_ms - viewed->second <= def.lookback_ms;
      if (in_cart || recent) Enter(c, def, {product_id}, at_ms);
    }
  }
}

void TriggerEngine::OnPriceChange(const std::string& product_id, int64_t old_price,
                                  int64_t new_price, int64_t at_ms) {
  if (old_price <= 0 || new_price >= old_price) return;
  const double drop = static_cast<double>(old_price - new_price) / static_cast<double>(old_price);
  auto who = interested_.find(product_id);
  if (who == interested_.end()) return;
  // Each definition has its own threshold: offer only to those it accepts.
  for (const TriggerDefinition& def : defs_) {
    if (def.kind != TriggerKind::kPriceDrop || drop < def.min_price_drop) continue;
    for (const std::string& customer : who->second) {
      Customer& c = customers_[customer];
      auto viewed = c.viewed.find(product_id);
      const bool recent = viewed != c.viewed.end() && at_ms - viewed->second <= def.lookback_ms;
      if (c.cart.count(product_id) || recent) Enter(c, def, {product_id}, at_ms);
    }
  }
}

void TriggerEngine::OnStockChange(const std::string& product_id, int64_t old_stock,
                                  int64_t new_stock, int64_t at_ms) {
  if (old_stock <= 0 && new_stock > 0) Offer(product_id, TriggerKind::kBackInStock, at_ms);
}

bool TriggerEngine::Quiet(const Customer& c, int64_t now_ms) const {
  const int start = policy_.quiet_start_minute, end = policy_.quiet_end_minute;
  if (start == end) return false;
  const int64_t local_minutes = now_ms / 60'000 + c.utc_offset_minutes;
  const int minute = static_cast<int>(((local_minutes % 1440) + 1440) % 1440);
  return start < end ? (minute >= start && minute < end) : (minute >= start || minute < end);
}

std::vector<TriggerFire> TriggerEngine::Poll(int64_t now_ms) {
  std::vector<TriggerFire> out;
  for (auto& [customer, c] : customers_) {
    if (c.entries.empty()) continue;
    // Drop stale entries first.
    for (auto it = c.entries.begin(); it != c.entries.end();) {
      const TriggerDefinition* def = Find(it->first);
      if (!def || now_ms - it->second.due_ms > def->max_age_ms) {
        it = c.entries.erase(it);
      } else {
        ++it;
      }
    }
    if (Quiet(c, now_ms)) continue;
    while (true) {
      // The best due entry whose channel's cap has room.
      const TriggerDefinition* best = nullptr;
      for (const auto& [id, entry] : c.entries) {
        const TriggerDefinition* def = Find(id);
        if (entry.due_ms > now_ms) continue;
        auto& sent = c.sent[def->channel];
        while (!sent.empty() && now_ms - sent.front() >= policy_.window_ms) sent.pop_front();
        if (static_cast<int>(sent.size()) >= policy_.max_messages) continue;
        if (!best || def->priority > best->priority ||
            (def->priority == best->priority && entry.due_ms < c.entries.at(best->id).due_ms)) {
          best = def;
        }
      }
      if (!best) break;
      const Entry entry = c.entries.at(best->id);
      c.entries.erase(best->id);
      c.last_fired[best->id] = now_ms;
      c.sent[best->channel].push_back(now_ms);
      out.push_back(
          {customer, best->id, best->kind, best->channel, entry.items, entry.due_ms, now_ms});
    }
  }
  return out;
}

void TriggerEngine::RestoreFire(const std::string& customer, const std::string& trigger_id,
                                int64_t fired_ms) {
  const TriggerDefinition* def = Find(trigger_id);
  if (!def) return;
  Customer& c = customers_[customer];
  auto [it, inserted] = c.last_fired.emplace(trigger_id, fired_ms);
  if (!inserted) it->second = std::max(it->second, fired_ms);
  // Poll expects the window's fire times oldest first.
  auto& sent = c.sent[def->channel];
  sent.insert(std::upper_bound(sent.begin(), sent.end(), fired_ms), fired_ms);
}

size_t TriggerEngine::pending() const {
  size_t n = 0;
  for (const auto& [id, c] : customers_) n += c.entries.size();
  return n;
}

}  // namespace vitrine::server::campaigns
