#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "sync_server/analytics/analytics_job.h"
#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/analytics/profile_store.h"
#include "tests/support/temp_dir.h"

namespace vitrine::server::analytics {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT0 = 1'700'006'400'000;  // a midnight UTC

ActivityLine Line(int64_t profile, ActivityKind kind, int64_t day, std::string product,
                  std::string category, double price, std::string order = "", int64_t qty = 1) {
  ActivityLine l;
  l.profile_id = profile;
  l.kind = kind;
  l.time_ms = kT0 + day * kDay;
  l.order_id = std::move(order);
  l.product_id = std::move(product);
  l.category = std::move(category);
  l.brand = "brand-" + l.category;
  l.unit_price = price;
  l.quantity = qty;
  return l;
}

// Three buyers and a browser: enough to check every attribute by hand.
std::vector<ActivityLine> SmallShop() {
  using K = ActivityKind;
  return {
      // Profile 1: two orders of skin care, one lipstick view long ago.
      Line(1, K::kView, 0, "lip-1", "Makeup", 10),
      Line(1, K::kOrder, 10, "skin-1", "Skin", 30, "o1", 2),
      Line(1, K::kOrder, 10, "skin-2", "Skin", 40, "o1"),
      Line(1, K::kOrder, 40, "skin-1", "Skin", 30, "o2"),
      // The same order o2 seen again (a CRM copy at another time): not counted twice.
      Line(1, K::kOrder, 41, "skin-1", "Skin", 30, "o2"),
      // Profile 2: one cheap order, carts makeup recently.
      Line(2, K::kOrder, 5, "lip-1", "Makeup", 10, "o3"),
      Line(2, K::kCart, 55, "lip-2", "Makeup", 12),
      // Profile 3: three orders.
      Line(3, K::kOrder, 1, "skin-3", "Skin", 50, "o4"),
      Line(3, K::kOrder, 20, "skin-3", "Skin", 50, "o5"),
      Line(3, K::kOrder, 50, "lip-2", "Makeup", 12, "o6"),
      // Profile 4: views only.
      Line(4, K::kView, 58, "skin-2", "Skin", 40),
      // After as_of: ignored.
      Line(4, K::kOrder, 70, "skin-2", "Skin", 40, "o7"),
  };
}

ProfileOptions Options() {
  ProfileOptions o;
  o.as_of_ms = kT0 + 60 * kDay;
  o.half_life_days = 30;
  return o;
}

TEST(ProfileAttributesTest, OrdersRfmAffinitiesAndTier) {
  const auto lines = SmallShop();
  auto result = ComputeProfiles(lines, Options());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->profiles.size(), 4u);
  const ProfileAttributes& p1 = result->profiles[0];
  EXPECT_EQ(p1.profile_id, 1);
  EXPECT_EQ(p1.order_count, 2);
  EXPECT_DOUBLE_EQ(p1.total_spend, 2 * 30 + 40 + 30);
  EXPECT_DOUBLE_EQ(p1.average_order_value, 65);
  EXPECT_EQ(p1.first_order_ms, kT0 + 10 * kDay);
  EXPECT_EQ(p1.last_order_ms, kT0 + 40 * kDay);
  ASSERT_FALSE(p1.categories.empty());
  EXPECT_EQ(p1.categories[0].key, "Skin");
  EXPECT_GT(p1.categories[0].score, 0.9);
  EXPECT_EQ(p1.favourites.front(), "skin-1");
  EXPECT_EQ(p1.price_tier, "premium");
  // Best products: from Skin, not already ordered by profile 1.
  ASSERT_FALSE(p1.best_products.empty());
  EXPECT_EQ(p1.best_products.front(), "skin-3");

  const ProfileAttributes& p2 = result->profiles[1];
  EXPECT_EQ(p2.order_count, 1);
  EXPECT_EQ(p2.price_tier, "budget");
  // Recent cart of makeup dominates the decayed affinity.
  EXPECT_EQ(p2.categories.front().key, "Makeup");
  EXPECT_EQ(p2.monetary_score, 1);

  const ProfileAttributes& p3 = result->profiles[2];
  EXPECT_EQ(p3.order_count, 3);
  EXPECT_EQ(p3.frequency_score, 5);  // nobody ordered more often
  EXPECT_EQ(p3.recency_score, 5);    // nobody ordered more recently (day 50)
  EXPECT_EQ(p3.monetary_score, 3);   // between profile 1 (130) and profile 2 (10)

  const ProfileAttributes& p4 = result->profiles[3];
  EXPECT_EQ(p4.order_count, 0);  // the order after as_of is ignored
  EXPECT_EQ(p4.recency_score, 0);
  EXPECT_TRUE(std::isnan(p4.p_alive));
  EXPECT_EQ(p4.price_tier, "premium");  // from its view: 40 > the upper tercile (30)
}

TEST(ProfileAttributesTest, ModelOutputsWithPublishedCdnowParameters) {
  // Too few buyers to fit: the outputs come from a fit we cannot check by hand, so check their
  // relations instead (P(alive) in [0,1], churn = 1 - P(alive), LTV >= 0, next order date after
  // as_of when present).
  auto result = ComputeProfiles(SmallShop(), Options());
  ASSERT_TRUE(result.ok());
  for (const auto& p : result->profiles) {
    if (p.order_count == 0 || !result->bgnbd) continue;
    EXPECT_GE(p.p_alive, 0.0);
    EXPECT_LE(p.p_alive, 1.0);
    EXPECT_NEAR(p.churn_probability, 1 - p.p_alive, 1e-12);
    EXPECT_GE(p.ltv, 0.0);
    if (p.expected_next_order_ms) {
      EXPECT_GT(*p.expected_next_order_ms, Options().as_of_ms);
    }
  }
  // A buyer with a single order has x = 0: BG/NBD says alive.
  if (result->bgnbd) {
    EXPECT_DOUBLE_EQ(result->profiles[1].p_alive, 1.0);
  }
}

// Refunds (order_refunded, e.g. Magento credit memos) take money off their order; an order
// refunded in full is no purchase; a refund changes no interest; a refund with no priced lines
// refunds the order's value.
TEST(ProfileAttributesTest, RefundsReduceSpendAndAFullRefundIsNoOrder) {
  using K = ActivityKind;
  auto lines = SmallShop();
  const auto before = ComputeProfiles(lines, Options());
  ASSERT_TRUE(before.ok());
  // Profile 1: o1 (2 x 30 + 40 = 100) partly refunded (one skin-1, 30), o2 (30) in full.
  lines.push_back(Line(1, K::kRefund, 12, "skin-1", "Skin", 30, "o1"));
  lines.push_back(Line(1, K::kRefund, 45, "skin-1", "Skin", 30, "o2"));
  // A refund of an order this data never saw changes nothing.
  lines.push_back(Line(2, K::kRefund, 6, "lip-1", "Makeup", 10, "o-unknown"));
  auto after = ComputeProfiles(lines, Options());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  const ProfileAttributes& p1 = after->profiles[0];
  EXPECT_EQ(before->profiles[0].order_count, 2);
  EXPECT_DOUBLE_EQ(before->profiles[0].total_spend, 130);
  EXPECT_EQ(p1.order_count, 1) << "o2 was refunded in full";
  EXPECT_DOUBLE_EQ(p1.total_spend, 70);
  EXPECT_DOUBLE_EQ(p1.average_order_value, 70);
  EXPECT_EQ(p1.last_order_ms, kT0 + 10 * kDay);
  ASSERT_EQ(p1.categories.size(), before->profiles[0].categories.size());
  for (size_t i = 0; i < p1.categories.size(); ++i) {
    EXPECT_EQ(p1.categories[i].key, before->profiles[0].categories[i].key);
    EXPECT_DOUBLE_EQ(p1.categories[i].score, before->profiles[0].categories[i].score)
        << "a refund changes no interest";
  }
  EXPECT_EQ(after->profiles[1].order_count, before->profiles[1].order_count);
  EXPECT_DOUBLE_EQ(after->profiles[1].total_spend, before->profiles[1].total_spend);

  // From events: a refund line per product, or one line with the order value when no line is
  // priced.
  v1::Event refund;
  refund.set_type("order_refunded");
  refund.set_occurred_at_ms(kT0);
  refund.mutable_order()->set_order_id("o9");
  refund.mutable_order()->set_value_micros(12'500'000);
  auto adjustment = ActivityFromEvent(7, refund);
  ASSERT_EQ(adjustment.size(), 1u);
  EXPECT_EQ(adjustment[0].kind, K::kRefund);
  EXPECT_EQ(adjustment[0].order_id, "o9");
  EXPECT_DOUBLE_EQ(adjustment[0].unit_price, 12.5);
  auto* line = refund.add_products();
  line->set_product_id("skin-1");
  line->set_price_micros(30'000'000);
  line->set_quantity(2);
  auto by_line = ActivityFromEvent(7, refund);
  ASSERT_EQ(by_line.size(), 1u);
  EXPECT_EQ(by_line[0].product_id, "skin-1");
  EXPECT_DOUBLE_EQ(by_line[0].unit_price * static_cast<double>(by_line[0].quantity), 60);
}

TEST(ProfileAttributesTest, RejectsBadOptions) {
  ProfileOptions o;
  EXPECT_FALSE(ComputeProfiles({}, o).ok());
  o.as_of_ms = 1;
  o.half_life_days = 0;
  EXPECT_FALSE(ComputeProfiles({}, o).ok());
}

TEST(ProfileStoreTest, RunRoundTripsAndReplacesAtomically) {
  vitrine::testing::TempDir dir;
  const std::string db = dir.File("a.db");
  auto store = ProfileStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ComputeOptions options;
  options.profile = Options();
  options.segmentation.min_size = 1;
  options.segmentation.max_size = 2;
  options.segmentation.segments = 2;
  options.holdout_fraction = 0.5;
  // A horizon that fits in the 60 days of SmallShop: trained on days 46-60, scored at day 60.
  options.propensity.horizon_weeks = 2;
  const auto lines = SmallShop();
  ComputeReport report;
  auto run = ComputeRun(lines, options, &report);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(report.profiles, 4);
  EXPECT_EQ(report.buyers, 3);
  EXPECT_EQ(report.segments, 2);
  ASSERT_TRUE((*store)->ReplaceAll(*run).ok());

  auto segments = (*store)->ListSegments();
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 2u);
  EXPECT_EQ((*segments)[0].id, "seg-001");
  EXPECT_EQ((*segments)[0].size + (*segments)[1].size, 3);
  int members = 0;
  for (const auto& g : *segments) {
    auto m = (*store)->SegmentMembers(g.id, 0, 100);
    ASSERT_TRUE(m.ok());
    members += static_cast<int>(m->size());
  }
  EXPECT_EQ(members, 3);
  EXPECT_EQ((*store)->SegmentMembers("seg-999", 0, 10).status().kind(), Status::Kind::kNotFound);

  auto p1 = (*store)->GetProfile(1);
  ASSERT_TRUE(p1.ok() && p1->has_value());
  const ProfileAttributes& a = (*p1)->attributes;
  EXPECT_EQ(a.order_count, 2);
  EXPECT_DOUBLE_EQ(a.total_spend, 130);
  EXPECT_EQ(a.categories.front().key, "Skin");
  EXPECT_EQ(a.favourites, run->profiles[0].attributes.favourites);
  EXPECT_EQ(a.best_products, run->profiles[0].attributes.best_products);
  EXPECT_FALSE((*p1)->segment_id.empty());

  // Propensities: every buyer scored for the model's categories (most ordered first), stored and
  // read back in that order; a profile without an order has none.
  const StoredProfile& computed1 = run->profiles[0];
  ASSERT_EQ(computed1.attributes.profile_id, 1);
  ASSERT_EQ(computed1.category_propensity.size(), 2u) << report.note;
  EXPECT_EQ(computed1.category_propensity[0].key, "Skin");
  EXPECT_EQ(computed1.category_propensity[1].key, "Makeup");
  ASSERT_EQ((*p1)->category_propensity.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    EXPECT_EQ((*p1)->category_propensity[k].key, computed1.category_propensity[k].key);
    EXPECT_NEAR((*p1)->category_propensity[k].score, computed1.category_propensity[k].score, 1e-12);
    EXPECT_GT((*p1)->category_propensity[k].score, 0.0);
    EXPECT_LT((*p1)->category_propensity[k].score, 1.0);
  }
  EXPECT_EQ((*store)->GetProfile(3)->value().category_propensity.size(), 2u);
  EXPECT_TRUE((*store)->GetProfile(4)->value().category_propensity.empty());

  // A run that fails half-way (a duplicate profile id) changes nothing, propensities included.
  AnalyticsRun broken = *run;
  broken.profiles.push_back(broken.profiles[0]);
  EXPECT_FALSE((*store)->ReplaceAll(broken).ok());
  EXPECT_EQ((*store)->GetProfile(1)->value().category_propensity.size(), 2u);

  // The next run's propensities replace the previous ones entirely.
  AnalyticsRun next = *run;
  for (StoredProfile& p : next.profiles) p.category_propensity.clear();
  next.profiles[0].category_propensity = {{"Fragrance", 0.25}};
  ASSERT_TRUE((*store)->ReplaceAll(next).ok());
  auto replaced = (*store)->GetProfile(1);
  ASSERT_TRUE(replaced.ok() && replaced->has_value());
  ASSERT_EQ((*replaced)->category_propensity.size(), 1u);
  EXPECT_EQ((*replaced)->category_propensity[0].key, "Fragrance");
  EXPECT_DOUBLE_EQ((*replaced)->category_propensity[0].score, 0.25);
  EXPECT_TRUE((*store)->GetProfile(3)->value().category_propensity.empty());
  ASSERT_TRUE((*store)->ReplaceAll(*run).ok());

  auto membership = (*store)->SegmentMembership();
  ASSERT_TRUE(membership.ok());
  EXPECT_EQ(membership->size(), 3u);
  EXPECT_EQ(membership->count(4), 0u);  // never ordered: not segmented

  auto device = (*store)->ForDevice(1);
  ASSERT_TRUE(device.ok() && device->has_value());
  EXPECT_EQ((*device)->segment_ids, std::vector<std::string>{(*p1)->segment_id});
  EXPECT_EQ((*device)->attributes.at("top_category"), "Skin");
  EXPECT_EQ((*device)->attributes.at("orders"), "2");

  std::ostringstream csv;
  ASSERT_TRUE((*store)->ExportCsv(csv).ok());
  const std::string text = csv.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5);  // header + 4 profiles
  EXPECT_TRUE(text.starts_with("profile_id,segment_id,holdout,"));

  // A second run replaces the first entirely.
  AnalyticsRun empty;
  empty.computed_at_ms = 5;
  empty.models_json = "{}";
  ASSERT_TRUE((*store)->ReplaceAll(empty).ok());
  EXPECT_TRUE((*store)->ListSegments()->empty());
  EXPECT_FALSE((*store)->GetProfile(1)->has_value());
  auto last = (*store)->LastRun();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->first, 5);

  // The membership helper reads the same file.
  auto loaded = LoadSegmentMembership(db);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->empty());
}

}  // namespace
}  // namespace vitrine::server::analytics
