#include "sdk/src/core/message_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "vitrine/testing.h"

namespace vitrine::internal {
namespace {

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

v1::InAppMessage AbandonedCart() {
  v1::InAppMessage m;
  m.set_id("abandoned_cart");
  m.mutable_trigger()->set_event_type("product_added_to_cart");
  m.mutable_trigger()->set_absent_event_type("checkout_started");
  m.mutable_trigger()->set_absence_ms(30 * kMinute);
  m.set_priority(10);
  m.mutable_content()->set_title("Still thinking about it?");
  return m;
}

v1::InAppMessage OnView(const std::string& id, int32_t priority = 0) {
  v1::InAppMessage m;
  m.set_id(id);
  m.mutable_trigger()->set_event_type("product_viewed");
  m.set_priority(priority);
  return m;
}

v1::Condition* AddCondition(v1::InAppMessage* m, const std::string& field, v1::Condition::Op op,
                            const std::string& value) {
  auto* c = m->mutable_trigger()->add_conditions();
  c->set_field(field);
  c->set_op(op);
  c->set_value(value);
  return c;
}

v1::Snapshot SnapshotWith(const std::vector<v1::InAppMessage>& messages) {
  v1::Snapshot s;
  for (const auto& m : messages) *s.add_messages() = m;
  s.add_segment_ids("seg_a");
  return s;
}

class MessageEngineTest : public ::testing::Test {
 protected:
  v1::Event Event(const std::string& type, const std::string& product_id = "p1",
                  const std::string& category = "Shoes/Trail", int64_t price_micros = 50'000'000) {
    v1::Event e;
    e.set_type(type);
    e.set_occurred_at_ms(clock_.NowMs());
    if (!product_id.empty()) {
      auto* p = e.add_products();
      p->set_product_id(product_id);
      p->set_category(category);
      p->set_price_micros(price_micros);
      p->set_currency("EUR");
    }
    return e;
  }

  std::vector<std::string> TakeIds() {
    std::vector<std::string> ids;
    for (const auto& m : engine_.TakeDue()) ids.push_back(m.id());
    return ids;
  }

  testing::ManualClock clock_;
  MessageEngine engine_{clock_};
};

using Ids = std::vector<std::string>;

TEST_F(MessageEngineTest, AbsenceTriggerFiresAfterWindow) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  EXPECT_EQ(engine_.NextDueMs(), -1);
  const int64_t t = clock_.NowMs();
  engine_.OnEvent(Event("product_added_to_cart"));
  EXPECT_EQ(engine_.NextDueMs(), t + 30 * kMinute);
  clock_.AdvanceMs(29 * kMinute);
  EXPECT_TRUE(TakeIds().empty());
  clock_.AdvanceMs(1 * kMinute);
  auto due = engine_.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id(), "abandoned_cart");
  EXPECT_EQ(due[0].content().title(), "Still thinking about it?");
  EXPECT_TRUE(TakeIds().empty());  // delivered once
  EXPECT_EQ(engine_.NextDueMs(), -1);
}

TEST_F(MessageEngineTest, CheckoutBeforeWindowCancels) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(10 * kMinute);
  engine_.OnEvent(Event("checkout_started", ""));
  clock_.AdvanceMs(60 * kMinute);
  EXPECT_TRUE(TakeIds().empty());
  EXPECT_EQ(engine_.NextDueMs(), -1);
}

TEST_F(MessageEngineTest, OrderCompletedAlsoCancelsAbsentCheckout) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(5 * kMinute);
  engine_.OnEvent(Event("order_completed"));
  clock_.AdvanceMs(60 * kMinute);
  EXPECT_TRUE(TakeIds().empty());
}

TEST_F(MessageEngineTest, AbsentEventBeforeArmingDoesNotCancel) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  v1::Event old_checkout = Event("checkout_started", "");
  old_checkout.set_occurred_at_ms(clock_.NowMs() - kMinute);  // arrives late, happened before
  engine_.OnEvent(Event("product_added_to_cart"));
  engine_.OnEvent(old_checkout);
  clock_.AdvanceMs(30 * kMinute);
  EXPECT_EQ(TakeIds(), Ids{"abandoned_cart"});
}

TEST_F(MessageEngineTest, RearmKeepsEarliest) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  const int64_t t = clock_.NowMs();
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(10 * kMinute);
  engine_.OnEvent(Event("product_added_to_cart", "p2"));
  EXPECT_EQ(engine_.NextDueMs(), t + 30 * kMinute);
}

TEST_F(MessageEngineTest, ConditionsCategoryPrefixAndPrice) {
  auto m = OnView("trail_deal");
  AddCondition(&m, "product.category", v1::Condition::OP_PREFIX, "Shoes/");
  AddCondition(&m, "product.price", v1::Condition::OP_GT, "40");
  engine_.SetSnapshot(SnapshotWith({m}));

  engine_.OnEvent(Event("product_viewed", "p1", "Bags/Totes", 90'000'000));   // wrong category
  engine_.OnEvent(Event("product_viewed", "p2", "Shoes/Trail", 39'990'000));  // too cheap
  engine_.OnEvent(Event("page_viewed", "p3", "Shoes/Trail", 90'000'000));     // wrong event
  EXPECT_TRUE(TakeIds().empty());

  // Any product line may match; 40.01 EUR is 40'010'000 micros.
  v1::Event e = Event("product_viewed", "p1", "Bags/Totes", 1'000'000);
  auto* line = e.add_products();
  line->set_product_id("p4");
  line->set_category("Shoes/Running");
  line->set_price_micros(40'010'000);
  engine_.OnEvent(e);
  EXPECT_EQ(TakeIds(), Ids{"trail_deal"});
}

TEST_F(MessageEngineTest, ConditionsOnOrderValueAndProperties) {
  v1::InAppMessage m;
  m.set_id("big_order");
  m.mutable_trigger()->set_event_type("order_completed");
  AddCondition(&m, "order.value", v1::Condition::OP_GT, "100.5");
  AddCondition(&m, "properties.channel", v1::Condition::OP_EQ, "app");
  engine_.SetSnapshot(SnapshotWith({m}));
  v1::Event e = Event("order_completed");
  e.mutable_order()->set_value_micros(100'000'000);
  (*e.mutable_properties())["channel"] = "app";
  engine_.OnEvent(e);
  EXPECT_TRUE(TakeIds().empty());
  e.mutable_order()->set_value_micros(100'600'000);
  (*e.mutable_properties())["channel"] = "web";
  engine_.OnEvent(e);
  EXPECT_TRUE(TakeIds().empty());
  (*e.mutable_properties())["channel"] = "app";
  engine_.OnEvent(e);
  EXPECT_EQ(TakeIds(), Ids{"big_order"});
}

TEST_F(MessageEngineTest, UnknownFieldNeverHolds) {
  auto m = OnView("m");
  AddCondition(&m, "product.colour", v1::Condition::OP_EQ, "red");
  engine_.SetSnapshot(SnapshotWith({m}));
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_TRUE(TakeIds().empty());
}

TEST_F(MessageEngineTest, DelayPostponesPlainTrigger) {
  auto m = OnView("delayed");
  m.set_delay_ms(5 * kMinute);
  engine_.SetSnapshot(SnapshotWith({m}));
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(engine_.NextDueMs(), clock_.NowMs() + 5 * kMinute);
  clock_.AdvanceMs(5 * kMinute - 1);
  EXPECT_TRUE(TakeIds().empty());
  clock_.AdvanceMs(1);
  EXPECT_EQ(TakeIds(), Ids{"delayed"});
}

TEST_F(MessageEngineTest, DelayAddsToAbsenceWindow) {
  auto m = AbandonedCart();
  m.set_delay_ms(10 * kMinute);
  engine_.SetSnapshot(SnapshotWith({m}));
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(39 * kMinute);
  EXPECT_TRUE(TakeIds().empty());
  clock_.AdvanceMs(kMinute);
  EXPECT_EQ(TakeIds(), Ids{"abandoned_cart"});
}

TEST_F(MessageEngineTest, AudienceBySegment) {
  auto mine = OnView("mine");
  mine.add_audience_segment_ids("seg_z");
  mine.add_audience_segment_ids("seg_a");
  auto theirs = OnView("theirs");
  theirs.add_audience_segment_ids("seg_b");
  auto everyone = OnView("everyone");
  engine_.SetSnapshot(SnapshotWith({mine, theirs, everyone}));
  engine_.OnEvent(Event("product_viewed"));
  auto ids = TakeIds();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (Ids{"everyone", "mine"}));
  EXPECT_EQ(engine_.NextDueMs(), -1);  // the one outside the audience was dropped too
}

TEST_F(MessageEngineTest, ExpiryAndStart) {
  auto expiring = OnView("expiring");
  expiring.set_delay_ms(10 * kMinute);
  expiring.set_expires_at_ms(clock_.NowMs() + 5 * kMinute);
  auto later = OnView("later");
  later.set_starts_at_ms(clock_.NowMs() + kHour);
  auto expired = OnView("expired");
  expired.set_expires_at_ms(clock_.NowMs());
  engine_.SetSnapshot(SnapshotWith({expiring, later, expired}));
  engine_.OnEvent(Event("product_viewed"));
  clock_.AdvanceMs(10 * kMinute);
  EXPECT_TRUE(TakeIds().empty());  // "expiring" expired while waiting; "later" never armed
  EXPECT_EQ(engine_.NextDueMs(), -1);
  clock_.AdvanceMs(kHour);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), Ids{"later"});
}

TEST_F(MessageEngineTest, PriorityOrdering) {
  auto low = OnView("low", 1);
  auto high = OnView("high", 9);
  auto mid = OnView("mid", 5);
  auto mid_earlier = AbandonedCart();
  mid_earlier.set_id("mid_earlier");
  mid_earlier.set_priority(5);
  mid_earlier.mutable_trigger()->set_absence_ms(kMinute);
  engine_.SetSnapshot(SnapshotWith({low, high, mid, mid_earlier}));
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(2 * kMinute);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), (Ids{"high", "mid_earlier", "mid", "low"}));
}

TEST_F(MessageEngineTest, PerMessageCapHoldsAcrossRestart) {
  auto m = OnView("daily");
  m.mutable_cap()->set_max_impressions(1);
  m.mutable_cap()->set_period_ms(24 * kHour);
  const v1::Snapshot snap = SnapshotWith({m});
  engine_.SetSnapshot(snap);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), Ids{"daily"});
  clock_.AdvanceMs(kHour);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_TRUE(TakeIds().empty());  // capped and dropped

  // Restart: state goes through the Store, a new engine comes up.
  clock_.AdvanceMs(kHour);
  const std::string state = engine_.SerializeState();
  MessageEngine restarted(clock_);
  ASSERT_TRUE(restarted.RestoreState(state).ok());
  restarted.SetSnapshot(snap);
  v1::Event e = Event("product_viewed");
  restarted.OnEvent(e);
  EXPECT_TRUE(restarted.TakeDue().empty());

  // 24 h after the first impression the window has slid past it.
  clock_.AdvanceMs(22 * kHour);
  e.set_occurred_at_ms(clock_.NowMs());
  restarted.OnEvent(e);
  auto due = restarted.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id(), "daily");
}

TEST_F(MessageEngineTest, PendingAbsenceTriggerSurvivesRestart) {
  const v1::Snapshot snap = SnapshotWith({AbandonedCart()});
  engine_.SetSnapshot(snap);
  engine_.OnEvent(Event("product_added_to_cart"));
  clock_.AdvanceMs(10 * kMinute);
  const std::string state = engine_.SerializeState();

  MessageEngine restarted(clock_);
  ASSERT_TRUE(restarted.RestoreState(state).ok());
  restarted.SetSnapshot(snap);
  clock_.AdvanceMs(20 * kMinute);
  auto due = restarted.TakeDue();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id(), "abandoned_cart");
}

TEST_F(MessageEngineTest, GlobalCap) {
  auto snap = SnapshotWith({OnView("a", 3), OnView("b", 2), OnView("c", 1)});
  snap.mutable_global_message_cap()->set_max_impressions(2);
  snap.mutable_global_message_cap()->set_period_ms(kHour);
  engine_.SetSnapshot(snap);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), (Ids{"a", "b"}));  // "c" is over the global cap and dropped
  clock_.AdvanceMs(30 * kMinute);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_TRUE(TakeIds().empty());
  clock_.AdvanceMs(31 * kMinute);
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), (Ids{"a", "b"}));
}

TEST_F(MessageEngineTest, SnapshotDropsArmsOfRemovedMessages) {
  engine_.SetSnapshot(SnapshotWith({AbandonedCart()}));
  engine_.OnEvent(Event("product_added_to_cart"));
  ASSERT_NE(engine_.NextDueMs(), -1);
  engine_.SetSnapshot(SnapshotWith({OnView("other")}));
  EXPECT_EQ(engine_.NextDueMs(), -1);
}

TEST_F(MessageEngineTest, GarbageStateRejected) {
  auto m = OnView("daily");
  m.mutable_cap()->set_max_impressions(1);
  engine_.SetSnapshot(SnapshotWith({m, AbandonedCart()}));
  engine_.OnEvent(Event("product_viewed"));
  ASSERT_EQ(TakeIds(), Ids{"daily"});
  engine_.OnEvent(Event("product_added_to_cart"));
  const std::string good = engine_.SerializeState();

  MessageEngine other(clock_);
  ASSERT_TRUE(other.RestoreState(good).ok());
  EXPECT_EQ(other.SerializeState(), good);
  for (const std::string& bad :
       {std::string(), std::string("nonsense"), std::string("VTME"),
        std::string("VTME\x07", 5) + good.substr(5), good.substr(0, good.size() - 3),
        good + std::string(1, '\0'), std::string("VTME\x01\xff\xff\xff\x7f", 9)}) {
    EXPECT_EQ(engine_.RestoreState(bad).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(engine_.SerializeState(), good);  // a rejected blob changed nothing
}

TEST_F(MessageEngineTest, ClearForgetsEverything) {
  auto m = OnView("once");
  m.mutable_cap()->set_max_impressions(1);
  engine_.SetSnapshot(SnapshotWith({m}));
  engine_.OnEvent(Event("product_viewed"));
  ASSERT_EQ(TakeIds(), Ids{"once"});
  engine_.Clear();
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_TRUE(TakeIds().empty());  // no definitions any more
  engine_.SetSnapshot(SnapshotWith({m}));
  engine_.OnEvent(Event("product_viewed"));
  EXPECT_EQ(TakeIds(), Ids{"once"});  // cap history went with Clear
}

}  // namespace
}  // namespace vitrine::internal
