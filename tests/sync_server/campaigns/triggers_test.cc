// Must-show 4: each trigger fires after its delay, not when an exit condition occurred, and never
// beyond the global cap; plus quiet hours and the re-entry cooldown. Time is injected: every
// call carries its time, and the tests poll a manual clock forward.
#include "sync_server/campaigns/triggers.h"

#include <gtest/gtest.h>

#include <random>

namespace vitrine::server::campaigns {
namespace {

constexpr int64_t kMin = 60'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
// 2026-01-05 12:00 UTC: noon, outside the default quiet hours (21:00-09:00).
constexpr int64_t kNoon = 1'767'614'400'000;

using Type = Activity::Type;

Activity Act(Type type, int64_t at, std::string product = "", std::string category = "") {
  return {type, std::move(product), std::move(category), at};
}

std::vector<TriggerDefinition> Definitions() {
  TriggerDefinition cart{
      .id = "cart", .kind = TriggerKind::kAbandonedCart, .delay_ms = kHour, .priority = 3};
  TriggerDefinition browse{.id = "browse",
                           .kind = TriggerKind::kBrowseAbandonment,
                           .delay_ms = 2 * kHour,
                           .priority = 1};
  TriggerDefinition category{.id = "category",
                             .kind = TriggerKind::kCategoryAbandonment,
                             .delay_ms = 3 * kHour,
                             .priority = 2};
  TriggerDefinition price{
      .id = "price", .kind = TriggerKind::kPriceDrop, .delay_ms = 30 * kMin, .priority = 4};
  TriggerDefinition stock{
      .id = "stock", .kind = TriggerKind::kBackInStock, .delay_ms = 15 * kMin, .priority = 2};
  return {cart, browse, category, price, stock};
}

TriggerEngine Engine(FrequencyPolicy policy = {}) {
  auto e = TriggerEngine::Create(Definitions(), policy);
  EXPECT_TRUE(e.ok());
  return std::move(*e);
}

// Polls every `step` from `from` to `to` inclusive, collecting fires (a manual clock).
std::vector<TriggerFire> PollUntil(TriggerEngine& e, int64_t from, int64_t to,
                                   int64_t step = kMin) {
  std::vector<TriggerFire> out;
  for (int64_t t = from; t <= to; t += step) {
    for (auto& f : e.Poll(t)) out.push_back(std::move(f));
  }
  return out;
}

TEST(TriggersTest, AbandonedCartFiresAfterItsDelay) {
  TriggerEngine e = Engine();
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon, "p1"));
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon + 5 * kMin, "p2"));
  EXPECT_TRUE(PollUntil(e, kNoon, kNoon + 5 * kMin + kHour - kMin).empty());  // not before
  auto fires = e.Poll(kNoon + 5 * kMin + kHour);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].trigger_id, "cart");
  EXPECT_EQ(fires[0].items, (std::vector<std::string>{"p2", "p1"}));
  EXPECT_EQ(fires[0].fired_ms, kNoon + 5 * kMin + kHour);
  EXPECT_TRUE(PollUntil(e, kNoon + 2 * kHour, kNoon + 2 * kDay, 10 * kMin).empty());  // once
}

TEST(TriggersTest, EachTriggerFiresAfterItsDelay) {
  struct Case {
    const char* trigger;
    int64_t delay;
  };
  for (const Case& c : {Case{"browse", 2 * kHour}, Case{"category", 3 * kHour},
                        Case{"price", 30 * kMin}, Case{"stock", 15 * kMin}}) {
    SCOPED_TRACE(c.trigger);
    TriggerEngine e = Engine();
    const std::string t = c.trigger;
    int64_t entered = kNoon;
    if (t == "browse") e.OnActivity("bob", Act(Type::kProductView, kNoon, "p9"));
    if (t == "category") e.OnActivity("bob", Act(Type::kCategoryView, kNoon, "", "Hair/Oils"));
    if (t == "price" || t == "stock") {
      // Viewed yesterday (within the 14-day lookback); the catalog changes today. The browse
      // entry from that view fired long ago, so only the catalog trigger is pending here.
      e.OnActivity("bob", Act(Type::kProductView, kNoon - kDay, "p9"));
      ASSERT_EQ(PollUntil(e, kNoon - kDay, kNoon - kDay + 3 * kHour).size(), 1u);
      if (t == "price") e.OnPriceChange("p9", 20'000'000, 15'000'000, kNoon);
      if (t == "stock") e.OnStockChange("p9", 0, 12, kNoon);
    }
    EXPECT_TRUE(PollUntil(e, entered, entered + c.delay - kMin).empty());
    auto fires = e.Poll(entered + c.delay);
    ASSERT_EQ(fires.size(), 1u);
    EXPECT_EQ(fires[0].trigger_id, t);
    EXPECT_EQ(fires[0].items.at(0), t == "category" ? "Hair/Oils" : "p9");
  }
}

TEST(TriggersTest, ExitConditionsStopTheTrigger) {
  TriggerEngine e = Engine();
  // Ordered before the delay: no cart reminder, ever.
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon, "p1"));
  e.OnActivity("ann", Act(Type::kOrder, kNoon + 20 * kMin));
  // Came back (added to cart) after browsing: no browse reminder; the cart one instead.
  e.OnActivity("bob", Act(Type::kProductView, kNoon, "p5"));
  e.OnActivity("bob", Act(Type::kCartAdd, kNoon + 10 * kMin, "p5"));
  e.OnActivity("bob", Act(Type::kOrder, kNoon + 30 * kMin));
  // Emptied the cart: nothing to remind of.
  e.OnActivity("cat", Act(Type::kCartAdd, kNoon, "p7"));
  e.OnActivity("cat", Act(Type::kCartRemove, kNoon + 5 * kMin, "p7"));
  // Price drop on a viewed item, then the customer came back and saw it.
  e.OnActivity("dan", Act(Type::kProductView, kNoon - 3 * kDay, "p8"));
  PollUntil(e, kNoon - 3 * kDay, kNoon - 2 * kDay, 10 * kMin);  // the browse reminder goes out
  e.OnPriceChange("p8", 100, 50, kNoon);
  e.OnActivity("dan", Act(Type::kPageView, kNoon + 10 * kMin));
  EXPECT_TRUE(PollUntil(e, kNoon, kNoon + 3 * kDay, 10 * kMin).empty());
  EXPECT_EQ(e.pending(), 0u);
}

TEST(TriggersTest, ComingBackRestartsTheCartDelay) {
  TriggerEngine e = Engine();
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon, "p1"));
  e.OnActivity("ann", Act(Type::kPageView, kNoon + 40 * kMin));  // still browsing
  EXPECT_TRUE(PollUntil(e, kNoon, kNoon + 40 * kMin + kHour - kMin).empty());
  auto fires = e.Poll(kNoon + 40 * kMin + kHour);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].items, std::vector<std::string>{"p1"});
}

TEST(TriggersTest, SmallPriceDropsAndStrangersGetNothing) {
  TriggerEngine e = Engine();
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon - kDay, "p1"));
  PollUntil(e, kNoon - kDay, kNoon - kDay + 2 * kHour);  // the cart reminder fires and is done
  e.OnPriceChange("p1", 10'000, 9'800, kNoon);           // 2% < 5%
  e.OnPriceChange("p2", 10'000, 5'000, kNoon);           // nobody saw p2
  e.OnStockChange("p1", 3, 9, kNoon);                    // was never out of stock
  EXPECT_TRUE(PollUntil(e, kNoon, kNoon + 2 * kDay, 10 * kMin).empty());
}

TEST(TriggersTest, GlobalCapSharedByAllTriggers) {
  TriggerEngine e = Engine();  // one email per 16 h
  // Everything at once: a cart, a browse, a category, then a price drop and a restock.
  e.OnActivity("ann", Act(Type::kProductView, kNoon - 10 * kDay, "p1"));
  PollUntil(e, kNoon - 10 * kDay, kNoon - 10 * kDay + 3 * kHour);
  e.OnActivity("ann", Act(Type::kCategoryView, kNoon, "", "Skin"));
  e.OnActivity("ann", Act(Type::kProductView, kNoon + 1, "p2"));
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon + 2, "p3"));
  e.OnPriceChange("p3", 100, 80, kNoon + 3);
  e.OnStockChange("p2", 0, 5, kNoon + 4);
  const auto fires = PollUntil(e, kNoon, kNoon + 3 * kDay, 5 * kMin);
  // The restock is due first (15 min) and fires; everything else waits for the cap. When it has
  // room again (16 h later, then past the quiet hours: 09:00) several are due and the highest
  // priority, the price drop, goes first. Each fire is at least 16 h after the previous; what
  // would be more than 3 days late is dropped.
  ASSERT_GE(fires.size(), 2u);
  EXPECT_EQ(fires[0].trigger_id, "stock");
  EXPECT_EQ(fires[0].fired_ms, kNoon + 15 * kMin + 5 * kMin);  // first 5-minute poll after due
  EXPECT_EQ(fires[1].trigger_id, "price");
  EXPECT_EQ(fires[1].fired_ms, kNoon + 21 * kHour);  // 09:00 UTC the next day
  for (size_t i = 1; i < fires.size(); ++i) {
    EXPECT_GE(fires[i].fired_ms - fires[i - 1].fired_ms, 16 * kHour) << i;
  }
}

TEST(TriggersTest, NeverBeyondTheCapUnderRandomTraffic) {
  FrequencyPolicy policy;
  policy.quiet_start_minute = policy.quiet_end_minute = 0;  // isolate the cap
  TriggerEngine e = Engine(policy);
  std::mt19937_64 rng(11);
  std::map<std::string, std::vector<int64_t>> fired;
  const int64_t end = kNoon + 14 * kDay;
  for (int64_t t = kNoon; t < end; t += 5 * kMin) {
    for (int k = 0; k < 3; ++k) {  // a few random events every 5 minutes
      const std::string who = "c" + std::to_string(rng() % 30);
      const std::string product = "p" + std::to_string(rng() % 20);
      switch (rng() % 7) {
        case 0:
          e.OnActivity(who, Act(Type::kCartAdd, t, product));
          break;
        case 1:
          e.OnActivity(who, Act(Type::kProductView, t, product));
          break;
        case 2:
          e.OnActivity(who, Act(Type::kCategoryView, t, "", "C" + product));
          break;
        case 3:
          e.OnActivity(who, Act(Type::kPageView, t));
          break;
        case 4:
          if (rng() % 8 == 0) e.OnActivity(who, Act(Type::kOrder, t));
          break;
        case 5:
          e.OnPriceChange(product, 1000, 800, t);
          break;
        case 6:
          e.OnStockChange(product, 0, 3, t);
          break;
      }
    }
    for (const TriggerFire& f : e.Poll(t)) fired[f.customer_id].push_back(f.fired_ms);
  }
  size_t total = 0;
  for (const auto& [who, times] : fired) {
    total += times.size();
    for (size_t i = 1; i < times.size(); ++i) {
      EXPECT_GE(times[i] - times[i - 1], 16 * kHour) << who;
    }
  }
  EXPECT_GT(total, 100u);  // the cap, not a lack of traffic, is what limits
}

TEST(TriggersTest, QuietHoursDeferToMorningLocalTime) {
  TriggerEngine e = Engine();     // quiet 21:00-09:00 local
  e.SetUtcOffset("ann", 3 * 60);  // Moscow, UTC+3
  // Added to cart at 20:30 local (17:30 UTC); due 21:30 local: inside the quiet hours.
  const int64_t added = kNoon + 5 * kHour + 30 * kMin;
  e.OnActivity("ann", Act(Type::kCartAdd, added, "p1"));
  const auto fires = PollUntil(e, added, added + kDay);
  ASSERT_EQ(fires.size(), 1u);
  // 09:00 local next day = 06:00 UTC.
  EXPECT_EQ(fires[0].fired_ms, kNoon - 6 * kHour + kDay);
  EXPECT_EQ(fires[0].due_ms, added + kHour);
}

TEST(TriggersTest, ReEntryCooldown) {
  FrequencyPolicy policy;
  policy.quiet_start_minute = policy.quiet_end_minute = 0;
  TriggerEngine e = Engine(policy);  // cart cooldown 7 days
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon, "p1"));
  ASSERT_EQ(PollUntil(e, kNoon, kNoon + 2 * kHour).size(), 1u);
  // Two days later a new cart: inside the cooldown, no second reminder.
  e.OnActivity("ann", Act(Type::kOrder, kNoon + 2 * kDay));
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon + 2 * kDay + kMin, "p2"));
  EXPECT_TRUE(PollUntil(e, kNoon + 2 * kDay, kNoon + 4 * kDay, 10 * kMin).empty());
  // After the cooldown it may fire again.
  e.OnActivity("ann", Act(Type::kCartAdd, kNoon + 8 * kDay, "p3"));
  const auto fires = PollUntil(e, kNoon + 8 * kDay, kNoon + 9 * kDay, 10 * kMin);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].items.front(), "p3");
}

TEST(TriggersTest, InAppChannelHasItsOwnCap) {
  TriggerDefinition email{
      .id = "cart-email", .kind = TriggerKind::kAbandonedCart, .delay_ms = kHour};
  TriggerDefinition in_app{.id = "cart-in-app",
                           .kind = TriggerKind::kAbandonedCart,
                           .channel = Channel::kInApp,
                           .delay_ms = 10 * kMin};
  auto e = TriggerEngine::Create({email, in_app}, {});
  ASSERT_TRUE(e.ok());
  e->OnActivity("ann", Act(Type::kCartAdd, kNoon, "p1"));
  const auto fires = PollUntil(*e, kNoon, kNoon + 2 * kHour);
  ASSERT_EQ(fires.size(), 2u);
  EXPECT_EQ(fires[0].channel, Channel::kInApp);
  EXPECT_EQ(fires[1].channel, Channel::kEmail);
  EXPECT_FALSE(TriggerEngine::Create({email, email}, {}).ok());  // duplicate ids
}

// Restart recovery: a restored fire counts toward the global cap and the trigger's cooldown
// (an event from before the fire, replayed, does not arm the trigger again).
TEST(TriggersTest, RestoredFireHoldsTheCapAndTheCooldown) {
  TriggerEngine e = Engine();
  e.RestoreFire("u", "cart", kNoon);
  e.RestoreFire("u", "gone", kNoon);  // a definition removed since: ignored
  e.OnActivity("u", Act(Type::kCartAdd, kNoon - kHour, "p1"));  // replayed: before the fire
  EXPECT_EQ(e.pending(), 0u);
  e.OnActivity("u", Act(Type::kProductView, kNoon + kHour, "p2"));  // browse, due 15:00
  EXPECT_EQ(e.pending(), 1u);
  // The 16 h cap of the noon send runs until 04:00, quiet hours until 09:00.
  EXPECT_TRUE(PollUntil(e, kNoon + kHour, kNoon + 21 * kHour - kMin, 10 * kMin).empty());
  auto fires = e.Poll(kNoon + 21 * kHour);
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].trigger_id, "browse");
}

}  // namespace
}  // namespace vitrine::server::campaigns
