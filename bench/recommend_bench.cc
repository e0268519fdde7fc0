#include "bench/recommend_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sdk/src/core/recommender.h"

namespace {

constexpr int kItems = 10'000;
constexpr int kNeighbours = 20;
constexpr int kPersonal = 100;
constexpr int kPopular = 200;
constexpr int kSessionViews = 20;
constexpr int kCalls = 20'000;
constexpr int64_t kT0 = 1'700'000'000'000;

std::string ProductId(int i) { return "p" + std::to_string(i); }

// Items cluster into 200 leaf categories of 50 under 20 top-level ones; neighbours are mostly
// drawn from the item's own cluster, like co-view neighbours are.
vitrine::v1::Snapshot SyntheticSnapshot(std::mt19937_64& rng) {
  vitrine::v1::Snapshot s;
  s.set_profile_id("bench");
  for (int i = 0; i < kItems; ++i) {
    auto* item = s.add_catalog();
    item->set_product_id(ProductId(i));
    item->set_title("Product " + std::to_string(i));
    item->set_price_micros(1'000'000 + static_cast<int64_t>(rng() % 200'000'000));
    item->set_currency("EUR");
    item->set_image_url("https://cdn.example/" + std::to_string(i) + ".jpg");
    item->set_url("https://shop.example/p/" + std::to_string(i));
    const int leaf = i / 50;
    item->set_category("Top" + std::to_string(leaf / 10) + "/Leaf" + std::to_string(leaf));
    item->set_brand("Brand" + std::to_string(i % 37));
    item->set_stock(rng() % 20 == 0 ? 0 : 1 + static_cast<int32_t>(rng() % 50));  // 5% out
  }
  for (int i = 0; i < kItems; ++i) {
    auto* n = s.add_neighbours();
    n->set_product_id(ProductId(i));
    const int cluster = (i / 50) * 50;
    for (int k = 0; k < kNeighbours; ++k) {
      const int j = rng() % 4 == 0 ? static_cast<int>(rng() % kItems)
                                   : cluster + static_cast<int>(rng() % 50);
      auto* it = n->add_items();
      it->set_product_id(ProductId(j));
      it->set_score(1.0f / static_cast<float>(k + 1));
    }
  }
  for (int k = 0; k < kPersonal; ++k) {
    auto* p = s.add_personal();
    p->set_product_id(ProductId(static_cast<int>(rng() % kItems)));
    p->set_score(1.0f - 0.005f * static_cast<float>(k));
  }
  for (int k = 0; k < kPopular; ++k) {
    auto* p = s.add_popular();
    p->set_product_id(ProductId(static_cast<int>(rng() % kItems)));
    p->set_score(1000.0f - static_cast<float>(k));
  }
  for (int k = 0; k < 30; ++k)
    s.add_purchased_product_ids(ProductId(static_cast<int>(rng() % kItems)));
  s.add_segment_ids("seg_1");
  return s;
}

}  // namespace

RecommendBenchResult RunRecommendBench() {
  std::mt19937_64 rng(42);
  const vitrine::v1::Snapshot snapshot = SyntheticSnapshot(rng);
  vitrine::internal::Recommender recommender;
  recommender.SetSnapshot(snapshot);

  // A browsing session: 20 product views, one minute apart, inside two neighbouring clusters.
  std::vector<int> viewed;
  for (int v = 0; v < kSessionViews; ++v) {
    const int item = 1000 + static_cast<int>(rng() % 100);
    viewed.push_back(item);
    vitrine::v1::Event e;
    e.set_type("product_viewed");
    e.set_occurred_at_ms(kT0 + v * 60'000);
    auto* p = e.add_products();
    const auto& c = snapshot.catalog(item);
    p->set_product_id(c.product_id());
    p->set_price_micros(c.price_micros());
    p->set_currency(c.currency());
    p->set_category(c.category());
    recommender.OnEvent(e);
  }

  // Context ids: neighbours of viewed items (the pages a shopper clicks through to).
  std::vector<vitrine::RecommendContext> contexts;
  for (int k = 0; k < 256; ++k) {
    const auto& n = snapshot.neighbours(viewed[rng() % viewed.size()]);
    vitrine::RecommendContext ctx;
    ctx.product_id =
        n.items(static_cast<int>(rng() % static_cast<uint64_t>(n.items_size()))).product_id();
    contexts.push_back(ctx);
  }

  std::vector<double> us;
  us.reserve(kCalls);
  size_t returned = 0;
  for (int i = 0; i < kCalls; ++i) {
    const auto& ctx = contexts[static_cast<size_t>(i) % contexts.size()];
    const auto start = std::chrono::steady_clock::now();
    auto recs = recommender.Recommend("product_page", ctx, 10);
    const auto end = std::chrono::steady_clock::now();
    if (recs.ok()) returned += recs->size();
    us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  if (returned == 0) return {-1, -1};  // a broken recommender must not look fast
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) {
    return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))];
  };
  return {pct(0.50), pct(0.99)};
}
