#include "sdk/src/core/recommender.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vitrine::internal {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

struct CatalogSpec {
  std::string id;
  std::string category;
  int stock = 5;
  int64_t price_micros = 10'000'000;
};

// A small shop: shoes (s*), bags (b*), and the neighbour graph the tests rely on.
v1::Snapshot ShopSnapshot() {
  v1::Snapshot s;
  const std::vector<CatalogSpec> catalog = {
      {"s1", "Shoes/Running"},  {"s2", "Shoes/Running"},
      {"s3", "Shoes/Trail"},    {"s4", "Shoes/Trail"},
      {"s5", "Shoes/Trail", 0}, {"s6", "Shoes/Trail"},
      {"b1", "Bags/Backpacks"}, {"b2", "Bags/Backpacks"},
      {"b3", "Bags/Totes"},     {"b4", "Bags/Totes", 5, 123'450'000},
  };
  for (const auto& c : catalog) {
    auto* item = s.add_catalog();
    item->set_product_id(c.id);
    item->set_title("Title " + c.id);
    item->set_price_micros(c.price_micros);
    item->set_currency("EUR");
    item->set_category(c.category);
    item->set_brand("Acme");
    item->set_url("https://shop.example/" + c.id);
    item->set_image_url("https://cdn.example/" + c.id + ".jpg");
    item->set_stock(c.stock);
  }
  // Personal list: bags first (what the server believed before this session).
  for (auto [id, score] : std::vector<std::pair<const char*, float>>{
           {"b1", 0.9f}, {"b2", 0.8f}, {"b3", 0.7f}, {"b4", 0.6f}}) {
    auto* p = s.add_personal();
    p->set_product_id(id);
    p->set_score(score);
  }
  for (auto [id, score] : std::vector<std::pair<const char*, float>>{
           {"b1", 100.f}, {"s1", 90.f}, {"b2", 80.f}, {"s2", 70.f}}) {
    auto* p = s.add_popular();
    p->set_product_id(id);
    p->set_score(score);
  }
  auto neighbours = [&](const char* of, std::vector<std::pair<const char*, float>> items) {
    auto* n = s.add_neighbours();
    n->set_product_id(of);
    for (auto [id, score] : items) {
      auto* i = n->add_items();
      i->set_product_id(id);
      i->set_score(score);
    }
  };
  neighbours("s1", {{"s3", 0.9f}, {"s4", 0.8f}, {"s2", 0.5f}});
  neighbours("s2", {{"s1", 0.9f}, {"s6", 0.4f}});
  neighbours("s3", {{"s5", 0.9f}, {"s6", 0.7f}, {"s4", 0.6f}});
  neighbours("s5", {{"s6", 0.9f}, {"s4", 0.5f}});
  neighbours("b1", {{"b2", 0.9f}, {"b3", 0.5f}});
  s.add_segment_ids("seg_runners");
  s.add_segment_ids("seg_vip");
  return s;
}

v1::Event ProductEvent(const std::string& type, const std::vector<std::string>& ids,
                       int64_t t = kT0) {
  v1::Event e;
  e.set_type(type);
  e.set_occurred_at_ms(t);
  for (const auto& id : ids) {
    auto* p = e.add_products();
    p->set_product_id(id);
    p->set_price_micros(1'000'000);
    p->set_currency("EUR");
  }
  return e;
}

std::vector<std::string> Ids(const std::vector<Recommendation>& recs) {
  std::vector<std::string> ids;
  for (const auto& r : recs) ids.push_back(r.product_id);
  return ids;
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<std::string> MustRecommend(const Recommender& r, const RecommendContext& ctx,
                                       size_t n) {
  auto recs = r.Recommend("home", ctx, n);
  EXPECT_TRUE(recs.ok()) << recs.status().ToString();
  return recs.ok() ? Ids(*recs) : std::vector<std::string>{};
}

TEST(RecommenderTest, NoSnapshotIsEmptyAndOk) {
  Recommender r;
  auto recs = r.Recommend("home", {}, 10);
  ASSERT_TRUE(recs.ok());
  EXPECT_TRUE(recs->empty());
  EXPECT_FALSE(r.InStockItem("s1").has_value());
  EXPECT_TRUE(r.SegmentIds().empty());
}

TEST(RecommenderTest, NBounds) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  EXPECT_EQ(r.Recommend("home", {}, 101).status().code(), StatusCode::kInvalidArgument);
  auto zero = r.Recommend("home", {}, 0);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->empty());
  auto hundred = r.Recommend("home", {}, 100);
  ASSERT_TRUE(hundred.ok());
  EXPECT_LE(hundred->size(), 10u);  // cannot exceed the catalog
  auto two = r.Recommend("home", {}, 2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
}

TEST(RecommenderTest, CatalogFieldsAreReturned) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  auto recs = r.Recommend("home", {"", "Bags/Totes"}, 10);
  ASSERT_TRUE(recs.ok());
  auto it = std::find_if(recs->begin(), recs->end(),
                         [](const Recommendation& x) { return x.product_id == "b4"; });
  ASSERT_NE(it, recs->end());
  EXPECT_DOUBLE_EQ(it->price, 123.45);
  EXPECT_EQ(it->currency, "EUR");
  EXPECT_EQ(it->title, "Title b4");
  EXPECT_EQ(it->url, "https://shop.example/b4");
  EXPECT_EQ(it->image_url, "https://cdn.example/b4.jpg");
  EXPECT_EQ(it->category, "Bags/Totes");
  EXPECT_EQ(it->brand, "Acme");
  EXPECT_GT(it->score, 0);
}

TEST(RecommenderTest, SessionViewPutsNeighboursOnTopBeforeAnySync) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  const auto before = MustRecommend(r, {}, 3);
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[0], "b1");  // the server's personal list wins without session signals
  EXPECT_FALSE(Contains(before, "s3"));

  r.OnEvent(ProductEvent("product_viewed", {"s1"}));
  auto after = MustRecommend(r, {}, 3);
  ASSERT_EQ(after.size(), 3u);
  // s1's neighbours, and nothing else, now lead.
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, (std::vector<std::string>{"s2", "s3", "s4"}));
}

TEST(RecommenderTest, RecentViewsWeighMoreThanOldOnes) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_viewed", {"s1"}, kT0));
  r.OnEvent(ProductEvent("product_viewed", {"b1"}, kT0 + 60 * 60 * 1000));  // an hour later
  const auto recs = MustRecommend(r, {}, 1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0], "b2");  // b1's neighbour beats s1's neighbours, which decayed
}

TEST(RecommenderTest, ContextItemNeighboursAndContextExcluded) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  const auto recs = MustRecommend(r, {"s2", ""}, 10);
  ASSERT_FALSE(recs.empty());
  EXPECT_EQ(recs[0], "s1");
  EXPECT_FALSE(Contains(recs, "s2"));
}

TEST(RecommenderTest, CartAndPurchasedItemsAreExcluded) {
  auto snap = ShopSnapshot();
  snap.add_purchased_product_ids("b2");  // bought before, per the server
  Recommender r;
  r.SetSnapshot(snap);
  EXPECT_FALSE(Contains(MustRecommend(r, {}, 10), "b2"));

  r.OnEvent(ProductEvent("product_added_to_cart", {"b1"}));
  auto recs = MustRecommend(r, {}, 10);
  EXPECT_FALSE(Contains(recs, "b1"));
  EXPECT_TRUE(Contains(recs, "b3"));

  r.OnEvent(ProductEvent("product_removed_from_cart", {"b1"}));
  EXPECT_TRUE(Contains(MustRecommend(r, {}, 10), "b1"));

  r.OnEvent(ProductEvent("product_added_to_cart", {"b1"}));
  v1::Event order = ProductEvent("order_completed", {"b3"});
  order.mutable_order()->set_order_id("o1");
  r.OnEvent(order);
  recs = MustRecommend(r, {}, 10);
  EXPECT_FALSE(Contains(recs, "b3"));  // just bought
  EXPECT_TRUE(Contains(recs, "b1"));   // the order emptied the cart
  EXPECT_FALSE(Contains(recs, "b2"));
}

TEST(RecommenderTest, OutOfStockReplacedByInStockNeighbour) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  // s3's best neighbour s5 is out of stock; s5's best neighbour is s6.
  const auto recs = MustRecommend(r, {"s3", ""}, 1);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0], "s6");
  const auto all = MustRecommend(r, {"s3", ""}, 100);
  EXPECT_FALSE(Contains(all, "s5"));
  EXPECT_EQ(std::count(all.begin(), all.end(), "s6"), 1);  // no duplicates from replacement
  EXPECT_FALSE(r.InStockItem("s5").has_value());
  ASSERT_TRUE(r.InStockItem("s6").has_value());
  EXPECT_EQ(r.InStockItem("s6")->title, "Title s6");
}

TEST(RecommenderTest, CategoryPrefixRestricts) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_viewed", {"s1"}));
  const auto recs = MustRecommend(r, {"", "Bags"}, 10);
  ASSERT_FALSE(recs.empty());
  for (const auto& id : recs) EXPECT_EQ(id[0], 'b') << id;
  const auto trail = MustRecommend(r, {"", "Shoes/Trail"}, 10);
  ASSERT_FALSE(trail.empty());
  for (const auto& id : trail) EXPECT_TRUE(id == "s3" || id == "s4" || id == "s6") << id;
}

TEST(RecommenderTest, ViewedItemsStayButAreDamped) {
  // Same interest in b4 and its category, once as a view (seen) and once as a wishlist add.
  Recommender viewed;
  viewed.SetSnapshot(ShopSnapshot());
  viewed.OnEvent(ProductEvent("product_viewed", {"b4"}));
  Recommender wished;
  wished.SetSnapshot(ShopSnapshot());
  wished.OnEvent(ProductEvent("product_added_to_wishlist", {"b4"}));
  auto score_of = [](const Recommender& r, const std::string& id) {
    auto recs = r.Recommend("home", {}, 100);
    EXPECT_TRUE(recs.ok());
    for (const auto& x : *recs) {
      if (x.product_id == id) return x.score;
    }
    return -1.0;
  };
  EXPECT_GT(score_of(viewed, "b4"), 0);  // still recommended
  EXPECT_LT(score_of(viewed, "b4"), score_of(wished, "b4"));
  EXPECT_DOUBLE_EQ(score_of(viewed, "b3"), score_of(wished, "b3"));
}

TEST(RecommenderTest, NewSessionClearsBoostsButKeepsCart) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_viewed", {"s1"}));
  r.OnEvent(ProductEvent("product_added_to_cart", {"b3"}));
  const std::vector<std::string> s1_neighbours = {"s2", "s3", "s4"};
  ASSERT_TRUE(Contains(s1_neighbours, MustRecommend(r, {}, 1)[0]));
  r.NewSession();
  const auto recs = MustRecommend(r, {}, 10);
  ASSERT_FALSE(recs.empty());
  EXPECT_FALSE(Contains(s1_neighbours, recs[0]));
  EXPECT_FALSE(Contains(recs, "b3"));  // still in the cart
}

TEST(RecommenderTest, DurableStateRoundTrip) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_added_to_cart", {"b1", "s2"}));
  v1::Event order = ProductEvent("order_completed", {"b3"});
  r.OnEvent(order);
  r.OnEvent(ProductEvent("product_added_to_cart", {"b4"}));
  const std::string blob = r.SerializeDurableState();

  Recommender restored;
  ASSERT_TRUE(restored.RestoreDurableState(blob).ok());
  restored.SetSnapshot(ShopSnapshot());  // snapshot after restore, as on Open
  const auto recs = MustRecommend(restored, {}, 10);
  EXPECT_FALSE(Contains(recs, "b3"));
  EXPECT_FALSE(Contains(recs, "b4"));
  EXPECT_TRUE(Contains(recs, "b1"));  // the order emptied the cart before b4 was added
  EXPECT_EQ(restored.SerializeDurableState(), blob);

  // Restore over an existing snapshot applies at once.
  Recommender live;
  live.SetSnapshot(ShopSnapshot());
  ASSERT_TRUE(live.RestoreDurableState(blob).ok());
  EXPECT_FALSE(Contains(MustRecommend(live, {}, 10), "b4"));
}

TEST(RecommenderTest, DurableStateGarbageRejected) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_added_to_cart", {"b1"}));
  const std::string good = r.SerializeDurableState();
  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string("VTRD"), good.substr(0, good.size() - 1),
        good + "x", std::string("VTRD\x02", 5) + good.substr(5),
        std::string("VTRD\x01\xff\xff\xff\xff", 9)}) {
    EXPECT_EQ(r.RestoreDurableState(bad).code(), StatusCode::kInvalidArgument);
  }
  // A rejected blob changed nothing.
  EXPECT_FALSE(Contains(MustRecommend(r, {}, 10), "b1"));
  EXPECT_EQ(r.SerializeDurableState(), good);
}

TEST(RecommenderTest, ClearForgetsEverything) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_added_to_cart", {"b1"}));
  r.Clear();
  auto recs = r.Recommend("home", {}, 10);
  ASSERT_TRUE(recs.ok());
  EXPECT_TRUE(recs->empty());
  r.SetSnapshot(ShopSnapshot());
  EXPECT_TRUE(Contains(MustRecommend(r, {}, 10), "b1"));
  EXPECT_EQ(r.SegmentIds(), (std::vector<std::string>{"seg_runners", "seg_vip"}));
}

TEST(RecommenderTest, SnapshotSwapKeepsSessionSignals) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_viewed", {"s1"}));
  r.OnEvent(ProductEvent("product_added_to_cart", {"s3"}));
  const auto before = MustRecommend(r, {}, 10);
  r.SetSnapshot(ShopSnapshot());  // a refresh mid-session
  const auto after = MustRecommend(r, {}, 10);
  EXPECT_EQ(after, before);
  EXPECT_FALSE(Contains(after, "s3"));
  EXPECT_TRUE(Contains(std::vector<std::string>(after.begin(), after.begin() + 3), "s4"));
}

// Readers, the capture path and snapshot refreshes at once (meaningful under ASan/TSan): every
// answer must come from one consistent index and never name a cart item.
TEST(RecommenderTest, ConcurrentUseIsSafe) {
  Recommender r;
  r.SetSnapshot(ShopSnapshot());
  r.OnEvent(ProductEvent("product_added_to_cart", {"b1"}));
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        auto recs = r.Recommend("home", {i % 2 ? "s1" : "", ""}, 5);
        if (!recs.ok() || recs->empty()) ++bad;
        for (const auto& x : recs.ok() ? *recs : std::vector<Recommendation>{}) {
          if (x.product_id == "b1" || x.product_id == "s5") ++bad;
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 300; ++i) {
      r.OnEvent(ProductEvent("product_viewed", {i % 2 ? "s2" : "b3"}, kT0 + i));
      if (i % 50 == 0) r.SetSnapshot(ShopSnapshot());
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace vitrine::internal

namespace vitrine::internal {
namespace {

// Running shoes are bought with socks-like complements from the bags aisle: s1 -> b3, b4.
v1::Snapshot ShopWithPartners() {
  v1::Snapshot s = ShopSnapshot();
  auto* fbt = s.add_frequently_bought_together();
  fbt->set_product_id("s1");
  for (auto [id, score] : std::vector<std::pair<const char*, float>>{{"b4", 0.6f}, {"b3", 0.3f}}) {
    auto* i = fbt->add_items();
    i->set_product_id(id);
    i->set_score(score);
  }
  return s;
}

std::vector<std::string> MustRecommendAt(const Recommender& r, const std::string& placement,
                                         const RecommendContext& ctx, size_t n) {
  auto recs = r.Recommend(placement, ctx, n);
  EXPECT_TRUE(recs.ok()) << recs.status().ToString();
  return recs.ok() ? Ids(*recs) : std::vector<std::string>{};
}

TEST(RecommenderFbtTest, BoughtTogetherPlacementListsPartnersOnly) {
  Recommender r;
  r.SetSnapshot(ShopWithPartners());
  const auto recs = MustRecommendAt(r, "frequently_bought_together", {"s1", ""}, 5);
  EXPECT_EQ(recs, (std::vector<std::string>{"b4", "b3"}));
  // An item with no partners falls back to what is similar to it.
  const auto fallback = MustRecommendAt(r, "frequently_bought_together", {"s3", ""}, 5);
  ASSERT_FALSE(fallback.empty());
  EXPECT_EQ(fallback[0], "s6");  // s5 is sold out and s3's neighbour list is s5, s6, s4
}

TEST(RecommenderFbtTest, CartPlacementLeadsWithPartnersOfTheCart) {
  Recommender r;
  r.SetSnapshot(ShopWithPartners());
  // Without a cart the personal list (b1 first) leads.
  EXPECT_EQ(MustRecommendAt(r, "cart", {}, 3)[0], "b1");
  r.OnEvent(ProductEvent("product_added_to_cart", {"s1"}));
  const auto recs = MustRecommendAt(r, "cart", {}, 3);
  EXPECT_EQ(recs[0], "b4");
  EXPECT_FALSE(Contains(recs, "s1"));  // in the cart
  // Partners bought already are not offered again.
  v1::Event order = ProductEvent("order_completed", {"s1", "b4"});
  order.mutable_order()->set_order_id("o1");
  r.OnEvent(order);
  r.OnEvent(ProductEvent("product_added_to_cart", {"s1"}));
  EXPECT_FALSE(Contains(MustRecommendAt(r, "cart", {}, 10), "b4"));
}

}  // namespace
}  // namespace vitrine::internal
