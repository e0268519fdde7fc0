// Server-side triggers: abandoned cart, browse (product) abandonment, category abandonment,
// price drop on items in a cart or recently viewed, back in stock. Pure logic: the caller feeds
// activity and catalog changes with their times and polls with the current time (an injected
// clock), and gets the messages to send now.
//
// Life of an entry (one per customer and trigger):
//   enter    on a qualifying event (cart add; product view; category view; a price drop of at
//            least `min_price_drop` or a restock of an item the customer has in the cart or
//            viewed within `lookback_ms`); a further qualifying event refreshes the entry (items
//            added, delay restarted). No entry while the trigger's re-entry cooldown runs.
//   exit     exit_on_order: the customer ordered. exit_on_return: the customer came back (any
//            other activity after the entry's last qualifying event). An abandoned-cart entry
//            that exits on return re-enters at once while the cart is not empty, so its delay
//            restarts from the customer's last activity. Emptying the cart exits it.
//   due      last qualifying event + delay_ms.
//   fire     at the first Poll() at or after due where the customer's local time is outside
//            the quiet hours and the global frequency cap (shared by all triggers of a channel,
//            e.g. one email per 16 h) has room. When several entries are due, the highest
//            priority fires and the rest wait. An entry still unsent max_age_ms after it was due
//            is dropped (a cart reminder a week late helps nobody).
// The same definitions serve the in-app channel (Channel::kInApp): each channel has its own cap.
//
// Thread safety: none; one thread (the trigger worker) owns an engine.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGERS_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGERS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server::campaigns {

enum class TriggerKind {
  kAbandonedCart,
  kBrowseAbandonment,
  kCategoryAbandonment,
  kPriceDrop,
  kBackInStock,
};
const char* TriggerKindName(TriggerKind kind);

enum class Channel { kEmail, kInApp };

struct TriggerDefinition {
  std::string id;
  TriggerKind kind = TriggerKind::kAbandonedCart;
  Channel channel = Channel::kEmail;
  int64_t delay_ms = 3'600'000;
  int64_t cooldown_ms = 7 * 86'400'000LL;  // re-entry: none within this of the last fire
  int64_t max_age_ms = 3 * 86'400'000LL;
  bool exit_on_order = true;
  bool exit_on_return = true;
  int priority = 0;                         // higher fires first when several are due
  double min_price_drop = 0.05;             // kPriceDrop: relative drop
  int64_t lookback_ms = 14 * 86'400'000LL;  // kPriceDrop / kBackInStock: viewed within
};

struct FrequencyPolicy {
  int max_messages = 1;  // per channel and customer within window_ms
  int64_t window_ms = 16 * 3'600'000LL;
  int quiet_start_minute = 21 * 60;  // local time; equal start and end: no quiet hours
  int quiet_end_minute = 9 * 60;
};

struct Activity {
  enum class Type { kPageView, kProductView, kCategoryView, kCartAdd, kCartRemove, kOrder };
  Type type = Type::kPageView;
  std::string product_id;
  std::string category;
  int64_t at_ms = 0;
};

struct TriggerFire {
  std::string customer_id;
  std::string trigger_id;
  TriggerKind kind = TriggerKind::kAbandonedCart;
  Channel channel = Channel::kEmail;
  std::vector<std::string> items;  // product ids (or the category for category abandonment)
  int64_t due_ms = 0;
  int64_t fired_ms = 0;
};

class TriggerEngine {
 public:
  // kInvalid for duplicate ids or negative durations (Create validates; the constructor trusts).
  static StatusOr<TriggerEngine> Create(std::vector<TriggerDefinition> definitions,
                                        FrequencyPolicy policy);

  // The customer's offset from UTC in minutes (quiet hours are local); default 0.
  void SetUtcOffset(const std::string& customer, int minutes);
  void OnActivity(const std::string& customer, const Activity& activity);
  void OnPriceChange(const std::string& product_id, int64_t old_price, int64_t new_price,
                     int64_t at_ms);
  void OnStockChange(const std::string& product_id, int64_t old_stock, int64_t new_stock,
                     int64_t at_ms);
  // Fires everything that may fire at `now_ms`, by customer id then priority.
  std::vector<TriggerFire> Poll(int64_t now_ms);
  size_t pending() const;
  // Restart recovery: a fire made by an earlier engine (read back from the stored sends) counts
  // toward the channel's global cap and the trigger's re-entry cooldown as if this engine had
  // made it. Unknown trigger ids are ignored (a definition removed since).
  void RestoreFire(const std::string& customer, const std::string& trigger_id, int64_t fired_ms);

 private:
  struct Entry {
    int64_t last_qualifying_ms = 0;
    int64_t due_ms = 0;
    std::vector<std::string> items;  // newest first
  };
  struct Customer {
    int utc_offset_minutes = 0;
    std::map<std::string, int64_t> cart;          // product -> added at
    std::map<std::string, int64_t> viewed;        // product -> last viewed at
    std::map<std::string, Entry> entries;         // trigger id -> entry
    std::map<std::string, int64_t> last_fired;    // trigger id -> ms
    std::map<Channel, std::deque<int64_t>> sent;  // fire times within the cap window
  };

  TriggerEngine(std::vector<TriggerDefinition> definitions, FrequencyPolicy policy);
  const TriggerDefinition* Find(const std::string& id) const;
  void Enter(Customer& c, const TriggerDefinition& def, const std::vector<std::string>& items,
             int64_t at_ms);
  bool Quiet(const Customer& c, int64_t now_ms) const;
  void Offer(const std::string& product_id, TriggerKind kind, int64_t at_ms);

  std::vector<TriggerDefinition> defs_;
  FrequencyPolicy policy_;
  std::map<std::string, Customer> customers_;
  std::map<std::string, std::set<std::string>> interested_;  // product -> customers
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_TRIGGERS_H_
