// In-app message triggering. See message_engine.h for the contract.
//
// Semantics (decided here, relied on by tests):
//  - Arming. An event arms every message whose trigger.event_type equals event.type and whose
//    conditions all hold, provided the event is not before the message's starts_at. Due time:
//    occurred_at + delay_ms (plain trigger) or occurred_at + absence_ms + delay_ms (absence
//    trigger). A message holds at most one pending arm: re-arming an armed message keeps the
//    earliest one (a second cart add does not push the abandoned-cart reminder back).
//  - Absence. An event whose type equals an armed message's absent_event_type, occurring at or
//    after the arming, cancels that arm, whenever it arrives before TakeDue delivered it.
//    order_completed also satisfies an absent checkout_started (an order is a finished
//    checkout; express checkouts skip checkout_started entirely).
//  - Conditions. Fields: type, query, list_id, placement, product.product_id,
//    product.category, product.brand, product.price, order.value, properties.<key>.
//    product.* holds when ANY product line matches. product.price and order.value are in
//    currency units (micros / 1e6) and compare numerically for every op but CONTAINS/PREFIX.
//    GT/LT parse both sides as doubles; a side that does not parse fails the condition.
//    Unknown fields and OP_UNSPECIFIED fail (a definition we do not understand never fires).
//  - Delivery (TakeDue). Due arms are considered in order priority desc, due asc, id asc.
//    Each is dropped (disarmed) when its definition is gone, it has expired, the user is not in
//    its audience (checked now, with the current segment ids) or a cap is reached; otherwise it
//    is returned, disarmed, and counts one impression for its own cap and for the global cap.
//    An arm due before starts_at waits until starts_at.
//  - Caps. max_impressions within a sliding window of period_ms (0 = lifetime); max 0 = none.
//    The global cap counts impressions of all messages. History is pruned to what the current
//    caps can still look at.
//  - Persistence. SerializeState writes armed triggers and impression history in a small
//    length-prefixed binary format; RestoreState validates all of it before replacing anything.
#include "sdk/src/core/message_engine.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vitrine::internal {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
// Safety bound for impression history kept per message regardless of caps.
constexpr size_t kMaxImpressionsKept = 1000;

// Timestamps and durations come from the server and the host; never overflow on them.
int64_t SatAdd(int64_t a, int64_t b) {
  if (b > 0 && a > kInt64Max - b) return kInt64Max;
  if (b < 0 && a < kInt64Min - b) return kInt64Min;
  return a + b;
}

std::optional<double> ParseDouble(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

bool MatchString(std::string_view actual, v1::Condition::Op op, std::string_view want) {
  switch (op) {
    case v1::Condition::OP_EQ:
      return actual == want;
    case v1::Condition::OP_NE:
      return actual != want;
    case v1::Condition::OP_CONTAINS:
      return actual.find(want) != std::string_view::npos;
    case v1::Condition::OP_PREFIX:
      return actual.starts_with(want);
    case v1::Condition::OP_GT:
    case v1::Condition::OP_LT: {
      const auto a = ParseDouble(actual);
      const auto w = ParseDouble(want);
      if (!a || !w) return false;
      return op == v1::Condition::OP_GT ? *a > *w : *a < *w;
    }
    default:
      return false;
  }
}

bool MatchNumber(double actual, v1::Condition::Op op, std::string_view want) {
  const auto w = ParseDouble(want);
  if (!w) return false;
  // Micros / 1e6 is exact enough that a tolerance of half a micro is equality.
  constexpr double kEpsilon = 5e-7;
  switch (op) {
    case v1::Condition::OP_EQ:
      return std::fabs(actual - *w) < kEpsilon;
    case v1::Condition::OP_NE:
      return std::fabs(actual - *w) >= kEpsilon;
    case v1::Condition::OP_GT:
      return actual > *w;
    case v1::Condition::OP_LT:
      return actual < *w;
    default:
      return false;  // CONTAINS / PREFIX make no sense on a price
  }
}

double Units(int64_t micros) { return static_cast<double>(micros) / 1e6; }

bool Holds(const v1::Condition& c, const v1::Event& e) {
  const std::string_view field = c.field();
  const auto op = c.op();
  const std::string_view want = c.value();
  if (field == "type") return MatchString(e.type(), op, want);
  if (field == "query") return MatchString(e.query(), op, want);
  if (field == "list_id") return MatchString(e.list_id(), op, want);
  if (field == "placement") return MatchString(e.placement(), op, want);
  if (field == "order.value") {
    return e.has_order() && MatchNumber(Units(e.order().value_micros()), op, want);
  }
  constexpr std::string_view kProperties = "properties.";
  if (field.starts_with(kProperties)) {
    const std::string key(field.substr(kProperties.size()));
    auto it = e.properties().find(key);
    return MatchString(it == e.properties().end() ? std::string_view() : it->second, op, want);
  }
  constexpr std::string_view kProduct = "product.";
  if (field.starts_with(kProduct)) {
    const std::string_view sub = field.substr(kProduct.size());
    for (const auto& p : e.products()) {
      bool match = false;
      if (sub == "product_id") {
        match = MatchString(p.product_id(), op, want);
      } else if (sub == "category") {
        match = MatchString(p.category(), op, want);
      } else if (sub == "brand") {
        match = MatchString(p.brand(), op, want);
      } else if (sub == "price") {
        match = MatchNumber(Units(p.price_micros()), op, want);
      } else {
        return false;
      }
      if (match) return true;
    }
    return false;
  }
  return false;
}

struct Armed {
  int64_t armed_at_ms = 0;
  int64_t due_ms = 0;
  std::string absent_event_type;  // empty: plain trigger
};

bool Satisfies(std::string_view event_type, std::string_view absent_type) {
  return event_type == absent_type ||
         (absent_type == "checkout_started" && event_type == "order_completed");
}

// Counts impressions inside the cap's window ending at now.
size_t CountInWindow(const std::vector<int64_t>& times, const v1::FrequencyCap& cap, int64_t now) {
  if (cap.period_ms() <= 0) return times.size();
  const int64_t since = SatAdd(now, -cap.period_ms());
  return static_cast<size_t>(
      std::count_if(times.begin(), times.end(), [&](int64_t t) { return t > since; }));
}

// Drops history no cap can look at any more: outside the window, or beyond the newest
// max_impressions (counting stops there).
void Prune(std::vector<int64_t>* times, const v1::FrequencyCap& cap, int64_t now) {
  if (cap.max_impressions() == 0) {
    times->clear();
    return;
  }
  if (cap.period_ms() > 0) {
    const int64_t since = SatAdd(now, -cap.period_ms());
    std::erase_if(*times, [&](int64_t t) { return t <= since; });
  }
  const size_t keep = std::min<size_t>(cap.max_impressions(), kMaxImpressionsKept);
  if (times->size() > keep) {
    std::sort(times->begin(), times->end());
    times->erase(times->begin(), times->end() - static_cast<std::ptrdiff_t>(keep));
  }
}

// State format, little-endian:
//   "VTME" u8 version(1)
//   u32 armed count   | (str id, i64 armed_at, i64 due, str absent_type)*
//   u32 message count | (str id, u32 k, i64 time * k)*
//   u32 global count  | i64 time * count
// str = u32 length + bytes.
constexpr char kMagic[4] = {'V', 'T', 'M', 'E'};
constexpr uint8_t kVersion = 1;
constexpr uint32_t kMaxStringBytes = 4096;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutI64(std::string* out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}
void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.empty()) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t u = 0;
    if (!Fixed(4, &u)) return false;
    *v = static_cast<uint32_t>(u);
    return true;
  }
  bool I64(int64_t* v) {
    uint64_t u = 0;
    if (!Fixed(8, &u)) return false;
    *v = static_cast<int64_t>(u);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t len = 0;
    if (!U32(&len) || len > kMaxStringBytes || data_.size() < len) return false;
    s->assign(data_.substr(0, len));
    data_.remove_prefix(len);
    return true;
  }
  // A count of records each at least `min_bytes` long must fit in what is left.
  bool Count(uint32_t* n, size_t min_bytes) {
    return U32(n) && static_cast<uint64_t>(*n) * min_bytes <= data_.size();
  }
  bool Magic() {
    if (data_.size() < sizeof(kMagic) || std::memcmp(data_.data(), kMagic, sizeof(kMagic)) != 0) {
      return false;
    }
    data_.remove_prefix(sizeof(kMagic));
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  bool Fixed(size_t bytes, uint64_t* v) {
    if (data_.size() < bytes) return false;
    uint64_t r = 0;
    for (size_t i = 0; i < bytes; ++i) {
      r |= static_cast<uint64_t>(static_cast<uint8_t>(data_[i])) << (8 * i);
    }
    data_.remove_prefix(bytes);
    *v = r;
    return true;
  }
  std::string_view data_;
};

}  // namespace

class MessageEngine::Impl {
 public:
  explicit Impl(const Clock& clock) : clock_(clock) {}

  void SetSnapshot(const v1::Snapshot& snapshot) {
    std::map<std::string, v1::InAppMessage, std::less<>> defs;
    for (const auto& m : snapshot.messages()) {
      // First definition of an id wins. Ids and absent types the state format cannot hold are
      // not definitions we can keep promises about (caps, pending arms) across a restart.
      if (m.id().empty() || m.id().size() > kMaxStringBytes ||
          m.trigger().absent_event_type().size() > kMaxStringBytes) {
        continue;
      }
      defs.try_emplace(m.id(), m);
    }
    std::set<std::string, std::less<>> segments(snapshot.segment_ids().begin(),
                                                snapshot.segment_ids().end());
    std::lock_guard lock(mu_);
    defs_ = std::move(defs);
    segments_ = std::move(segments);
    global_cap_ = snapshot.global_message_cap();
    std::erase_if(armed_, [&](const auto& kv) { return !defs_.contains(kv.first); });
  }

  void OnEvent(const v1::Event& event) {
    std::lock_guard lock(mu_);
    const int64_t t = event.occurred_at_ms() > 0 ? event.occurred_at_ms() : clock_.NowMs();
    // Cancel first: an event that is someone's absent event is the end of that wait.
    std::erase_if(armed_, [&](const auto& kv) {
      const Armed& a = kv.second;
      return !a.absent_event_type.empty() && t >= a.armed_at_ms &&
             Satisfies(event.type(), a.absent_event_type);
    });
    for (const auto& [id, m] : defs_) {
      const v1::Trigger& trigger = m.trigger();
      if (trigger.event_type().empty() || trigger.event_type() != event.type()) continue;
      if (t < m.starts_at_ms()) continue;
      if (m.expires_at_ms() != 0 && t >= m.expires_at_ms()) continue;
      bool all = true;
      for (const auto& c : trigger.conditions()) {
        if (!Holds(c, event)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      Armed a;
      a.armed_at_ms = t;
      a.absent_event_type = trigger.absent_event_type();
      const int64_t wait = a.absent_event_type.empty()
                               ? std::max<int64_t>(0, m.delay_ms())
                               : SatAdd(std::max<int64_t>(0, trigger.absence_ms()),
                                        std::max<int64_t>(0, m.delay_ms()));
      a.due_ms = SatAdd(t, wait);
      auto [it, inserted] = armed_.try_emplace(id, a);
      if (!inserted && a.due_ms < it->second.due_ms) it->second = std::move(a);
    }
  }

  std::vector<v1::InAppMessage> TakeDue() {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowMs();
    struct Due {
      const v1::InAppMessage* def;
      int64_t due_ms;
    };
    std::vector<Due> due;
    for (auto it = armed_.begin(); it != armed_.end();) {
      auto def = defs_.find(it->first);
      if (def == defs_.end()) {
        ++it;  // restored before the snapshot arrived: wait for the definitions
        continue;
      }
      const v1::InAppMessage& m = def->second;
      if (m.expires_at_ms() != 0 && now >= m.expires_at_ms()) {
        it = armed_.erase(it);
        continue;
      }
      if (it->second.due_ms < m.starts_at_ms()) it->second.due_ms = m.starts_at_ms();
      if (it->second.due_ms <= now) due.push_back({&m, it->second.due_ms});
      ++it;
    }
    std::sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
      if (a.def->priority() != b.def->priority()) return a.def->priority() > b.def->priority();
      if (a.due_ms != b.due_ms) return a.due_ms < b.due_ms;
      return a.def->id() < b.def->id();
    });
    std::vector<v1::InAppMessage> out;
    for (const Due& d : due) {
      const v1::InAppMessage& m = *d.def;
      armed_.erase(m.id());  // delivered or dropped: either way this arm is spent
      if (!InAudience(m)) continue;
      std::vector<int64_t>& mine = impressions_[m.id()];
      Prune(&mine, m.cap(), now);
      Prune(&global_impressions_, global_cap_, now);
      if (m.cap().max_impressions() > 0 &&
          CountInWindow(mine, m.cap(), now) >= m.cap().max_impressions()) {
        continue;
      }
      if (global_cap_.max_impressions() > 0 &&
          CountInWindow(global_impressions_, global_cap_, now) >= global_cap_.max_impressions()) {
        continue;
      }
      if (m.cap().max_impressions() > 0) mine.push_back(now);
      if (global_cap_.max_impressions() > 0) global_impressions_.push_back(now);
      out.push_back(m);
    }
    std::erase_if(impressions_, [](const auto& kv) { return kv.second.empty(); });
    return out;
  }

  int64_t NextDueMs() const {
    std::lock_guard lock(mu_);
    int64_t next = -1;
    for (const auto& [id, a] : armed_) {
      int64_t due = a.due_ms;
      auto def = defs_.find(id);
      if (def == defs_.end()) continue;  // cannot fire until its definition arrives
      due = std::max(due, def->second.starts_at_ms());
      if (next < 0 || due < next) next = due;
    }
    return next;
  }

  void Clear() {
    std::lock_guard lock(mu_);
    defs_.clear();
    segments_.clear();
    global_cap_.Clear();
    armed_.clear();
    impressions_.clear();
    global_impressions_.clear();
  }

  std::string SerializeState() const {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.NowMs();
    std::string out(kMagic, sizeof(kMagic));
    out.push_back(static_cast<char>(kVersion));
    PutU32(&out, static_cast<uint32_t>(armed_.size()));
    for (const auto& [id, a] : armed_) {
      PutStr(&out, id);
      PutI64(&out, a.armed_at_ms);
      PutI64(&out, a.due_ms);
      PutStr(&out, a.absent_event_type);
    }
    // Pruned copies: persist only what the caps can still see.
    std::vector<std::pair<const std::string*, std::vector<int64_t>>> kept;
    for (const auto& [id, times] : impressions_) {
      std::vector<int64_t> t = times;
      auto def = defs_.find(id);
      if (def != defs_.end()) Prune(&t, def->second.cap(), now);
      if (!t.empty()) kept.emplace_back(&id, std::move(t));
    }
    PutU32(&out, static_cast<uint32_t>(kept.size()));
    for (const auto& [id, times] : kept) {
      PutStr(&out, *id);
      PutU32(&out, static_cast<uint32_t>(times.size()));
      for (int64_t t : times) PutI64(&out, t);
    }
    std::vector<int64_t> global = global_impressions_;
    Prune(&global, global_cap_, now);
    PutU32(&out, static_cast<uint32_t>(global.size()));
    for (int64_t t : global) PutI64(&out, t);
    return out;
  }

  Status RestoreState(std::string_view blob) {
    auto bad = [](const char* what) {
      return Status(StatusCode::kInvalidArgument, std::string("message state: ") + what);
    };
    Reader r(blob);
    uint8_t version = 0;
    if (!r.Magic() || !r.U8(&version)) return bad("bad header");
    if (version != kVersion) return bad("unknown version");
    std::map<std::string, Armed, std::less<>> armed;
    std::map<std::string, std::vector<int64_t>, std::less<>> impressions;
    std::vector<int64_t> global;
    uint32_t n = 0;
    if (!r.Count(&n, 4 + 8 + 8 + 4)) return bad("truncated armed triggers");
    for (uint32_t i = 0; i < n; ++i) {
      std::string id;
      Armed a;
      if (!r.Str(&id) || !r.I64(&a.armed_at_ms) || !r.I64(&a.due_ms) ||
          !r.Str(&a.absent_event_type) || id.empty()) {
        return bad("corrupt armed trigger");
      }
      if (!armed.try_emplace(std::move(id), std::move(a)).second) return bad("duplicate trigger");
    }
    if (!r.Count(&n, 4 + 4)) return bad("truncated impressions");
    for (uint32_t i = 0; i < n; ++i) {
      std::string id;
      uint32_t k = 0;
      if (!r.Str(&id) || id.empty() || !r.Count(&k, 8) || k > kMaxImpressionsKept) {
        return bad("corrupt impressions");
      }
      std::vector<int64_t>& times = impressions[id];
      if (!times.empty()) return bad("duplicate impressions");
      times.resize(k);
      for (uint32_t j = 0; j < k; ++j) {
        if (!r.I64(&times[j])) return bad("corrupt impressions");
      }
    }
    if (!r.Count(&n, 8) || n > kMaxImpressionsKept) return bad("corrupt global impressions");
    global.resize(n);
    for (uint32_t j = 0; j < n; ++j) {
      if (!r.I64(&global[j])) return bad("corrupt global impressions");
    }
    if (!r.done()) return bad("trailing bytes");
    std::erase_if(impressions, [](const auto& kv) { return kv.second.empty(); });

    std::lock_guard lock(mu_);
    armed_ = std::move(armed);
    impressions_ = std::move(impressions);
    global_impressions_ = std::move(global);
    if (!defs_.empty()) {
      std::erase_if(armed_, [&](const auto& kv) { return !defs_.contains(kv.first); });
    }
    return Status::Ok();
  }

 private:
  // REQUIRES: mu_ held.
  bool InAudience(const v1::InAppMessage& m) const {
    if (m.audience_segment_ids().empty()) return true;
    for (const auto& s : m.audience_segment_ids()) {
      if (segments_.contains(s)) return true;
    }
    return false;
  }

  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, v1::InAppMessage, std::less<>> defs_;  // by id; guarded by mu_
  std::set<std::string, std::less<>> segments_;
  v1::FrequencyCap global_cap_;
  std::map<std::string, Armed, std::less<>> armed_;  // by message id; one pending arm each
  std::map<std::string, std::vector<int64_t>, std::less<>> impressions_;  // by message id
  std::vector<int64_t> global_impressions_;
};

MessageEngine::MessageEngine(const Clock& clock) : impl_(std::make_unique<Impl>(clock)) {}
MessageEngine::~MessageEngine() = default;

void MessageEngine::SetSnapshot(const v1::Snapshot& snapshot) { impl_->SetSnapshot(snapshot); }
void MessageEngine::OnEvent(const v1::Event& event) { impl_->OnEvent(event); }
std::vector<v1::InAppMessage> MessageEngine::TakeDue() { return impl_->TakeDue(); }
int64_t MessageEngine::NextDueMs() const { return impl_->NextDueMs(); }
void MessageEngine::Clear() { impl_->Clear(); }
std::string MessageEngine::SerializeState() const { return impl_->SerializeState(); }
Status MessageEngine::RestoreState(std::string_view blob) { return impl_->RestoreState(blob); }

}  // namespace vitrine::internal
