// The demo shop generator: determinism, validity of every event against the server's ingest rules,
// and a realistic shape (orders, repeat buyers, stock, complementary baskets).
#include "sync_server/demo/demo_shop.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "vitrine/v1/vocabulary.h"

namespace vitrine::demo {
namespace {

// Deterministic serialization (map fields such as identify traits are sorted by key).
std::string Bytes(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string Bytes(const DemoShop& shop) {
  std::string out;
  for (const auto& item : shop.catalog) out += Bytes(item);
  for (const auto& c : shop.customers) {
    out += c.user_id + '|' + c.anonymous_id + '|' + c.email + '|' + c.first_name + '|' +
           c.last_name + '\n';
  }
  for (const auto& b : shop.batches) out += Bytes(b);
  return out;
}

bool NeedsProducts(const std::string& type) {
  static const std::set<std::string> kTypes = {"product_list_viewed",   "product_viewed",
                                               "product_added_to_cart", "product_removed_from_cart",
                                               "cart_viewed",           "checkout_started",
                                               "order_completed"};
  return kTypes.count(type) > 0;
}

// Checks every rule the server's ingest enforces, plus the generator's own promises (batch size,
// oldest first, lines refer to catalog items). Returns the problems found (at most 20).
std::vector<std::string> Validate(const DemoShop& shop, const DemoOptions& options) {
  std::vector<std::string> problems;
  auto fail = [&](const std::string& what) {
    if (problems.size() < 20) problems.push_back(what);
  };
  std::unordered_set<std::string> catalog_ids;
  for (const auto& item : shop.catalog) catalog_ids.insert(item.product_id());
  std::unordered_map<std::string, std::string> user_of_anon;
  for (const auto& c : shop.customers) user_of_anon[c.anonymous_id] = c.user_id;

  struct DeviceState {
    int64_t last_at = 0;
    uint64_t last_seq = 0;
    std::string user_id;  // set by identify
  };
  std::unordered_map<std::string, DeviceState> devices;
  std::unordered_set<std::string> event_ids;
  std::unordered_set<std::string> order_ids;
  const int64_t window_start = options.end_ms - int64_t{options.history_days} * 24 * 3600 * 1000;
  int64_t previous_at = 0;
  for (size_t b = 0; b < shop.batches.size(); ++b) {
    const v1::Batch& batch = shop.batches[b];
    if (batch.events_size() == 0 || batch.events_size() > 500) {
      fail("batch " + std::to_string(b) + " has " + std::to_string(batch.events_size()));
    }
    for (const v1::Event& e : batch.events()) {
      const std::string where = "batch " + std::to_string(b) + " " + e.type() + " seq " +
                                std::to_string(e.seq()) + " of " + e.anonymous_id() + ": ";
      if (e.event_id().size() != 16) fail(where + "event_id is not 16 bytes");
      if (!event_ids.insert(e.event_id()).second) fail(where + "duplicate event_id");
      if (!v1::IsKnownEventType(e.type())) fail(where + "unknown type");
      if (e.occurred_at_ms() <= 0 || e.occurred_at_ms() < window_start ||
          e.occurred_at_ms() >= options.end_ms) {
        fail(where + "occurred_at_ms outside the history window");
      }
      if (e.occurred_at_ms() < previous_at) fail(where + "batches are not oldest first");
      previous_at = e.occurred_at_ms();
      if (e.session_id().empty()) fail(where + "no session_id");
      if (e.anonymous_id().empty()) fail(where + "no anonymous_id");
      if (!user_of_anon.count(e.anonymous_id())) fail(where + "anonymous_id of no customer");
      DeviceState& d = devices[e.anonymous_id()];
      if (e.occurred_at_ms() <= d.last_at) fail(where + "time does not increase per customer");
      if (e.seq() <= d.last_seq) fail(where + "seq does not increase per anonymous_id");
      d.last_at = e.occurred_at_ms();
      d.last_seq = e.seq();
      if (e.type() == "identify") {
        if (e.user_id().empty()) fail(where + "identify without user_id");
        if (e.user_id() != user_of_anon[e.anonymous_id()]) fail(where + "identify as someone else");
        if (!e.traits().count("email")) fail(where + "identify without email trait");
        d.user_id = e.user_id();
      }
      if (e.user_id() != d.user_id) fail(where + "user_id not set exactly after identify");

      if (NeedsProducts(e.type()) && e.products_size() == 0) fail(where + "no product lines");
      int64_t lines_value = 0;
      for (const v1::ProductLine& l : e.products()) {
        if (l.product_id().empty()) fail(where + "line without product_id");
        if (!catalog_ids.count(l.product_id()))
          fail(where + "line not in catalog " + l.product_id());
        if (l.sku().empty() && l.variant_id().empty()) fail(where + "line without sku/variant_id");
        if (l.price_micros() < 0) fail(where + "negative price");
        if (l.currency() != "EUR") fail(where + "currency " + l.currency());
        if (l.quantity() < 1) fail(where + "quantity < 1");
        lines_value += l.price_micros() * l.quantity();
      }
      if (e.type() == "order_completed") {
        const v1::OrderInfo& o = e.order();
        if (o.order_id().empty()) fail(where + "order without order_id");
        if (!order_ids.insert(o.order_id()).second) fail(where + "duplicate order_id");
        if (o.currency() != "EUR") fail(where + "order currency");
        if (o.value_micros() != lines_value) fail(where + "order value is not the sum of lines");
        if (e.products_size() < 1) fail(where + "order without lines");
        if (e.user_id().empty()) fail(where + "order by a signed-out shopper");
      }
      if (e.type() == "search_submitted" && e.query().empty()) fail(where + "search without query");
      if (e.type() == "checkout_step_completed" && e.checkout_step() < 1) fail(where + "step");
    }
  }
  return problems;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

struct Basket {
  std::string user_id;
  int64_t at_ms;
  std::vector<std::string> product_ids;
};

std::vector<Basket> Orders(const DemoShop& shop) {
  std::vector<Basket> out;
  for (const auto& b : shop.batches) {
    for (const auto& e : b.events()) {
      if (e.type() != "order_completed") continue;
      Basket basket{e.user_id(), e.occurred_at_ms(), {}};
      for (const auto& l : e.products()) basket.product_ids.push_back(l.product_id());
      out.push_back(std::move(basket));
    }
  }
  return out;
}

class DemoShopTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { shop_ = new DemoShop(GenerateDemoShop(DemoOptions{})); }
  static void TearDownTestSuite() {
    delete shop_;
    shop_ = nullptr;
  }
  static DemoShop* shop_;
};
DemoShop* DemoShopTest::shop_ = nullptr;

TEST_F(DemoShopTest, SameOptionsGiveByteIdenticalShops) {
  DemoShop again = GenerateDemoShop(DemoOptions{});
  ASSERT_EQ(again.batches.size(), shop_->batches.size());
  EXPECT_TRUE(Bytes(again) == Bytes(*shop_)) << "two runs with the same options differ";

  DemoOptions small;
  small.customers = 200;
  DemoOptions other = small;
  other.seed = 7;
  EXPECT_NE(Bytes(GenerateDemoShop(other)), Bytes(GenerateDemoShop(small)))
      << "the seed changes nothing";
}

TEST_F(DemoShopTest, DefaultSizeHasTheAdvertisedShape) {
  EXPECT_EQ(shop_->catalog.size(), 600u);
  EXPECT_EQ(shop_->customers.size(), 2000u);
  size_t events = 0;
  for (const auto& b : shop_->batches) events += static_cast<size_t>(b.events_size());
  EXPECT_GT(events, 2000u * 10);
  EXPECT_EQ(shop_->batches.size(), (events + 499) / 500);  // full batches but the last
}

TEST_F(DemoShopTest, EveryEventIsValid) {
  auto problems = Validate(*shop_, DemoOptions{});
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST_F(DemoShopTest, CatalogLooksLikeABeautyShop) {
  std::set<std::string> categories, brands, titles, ids;
  size_t out_of_stock = 0;
  for (const auto& item : shop_->catalog) {
    categories.insert(item.category());
    brands.insert(item.brand());
    titles.insert(item.title());
    ids.insert(item.product_id());
    if (item.stock() <= 0) ++out_of_stock;
    EXPECT_EQ(item.product_id().size(), 7u) << item.product_id();
    EXPECT_EQ(item.product_id().rfind("p-", 0), 0u) << item.product_id();
    EXPECT_EQ(item.image_url(), "/img/p/" + item.product_id() + ".svg");
    EXPECT_EQ(item.url(), "/p/" + item.product_id());
    EXPECT_EQ(item.currency(), "EUR");
    const int64_t cents = item.price_micros() % 1'000'000;
    EXPECT_TRUE(cents == 990'000 || cents == 490'000) << item.title() << " " << item.price_micros();
    EXPECT_EQ(item.title().rfind(item.brand(), 0), 0u) << "title starts with the brand";
  }
  EXPECT_EQ(ids.size(), shop_->catalog.size());
  EXPECT_EQ(titles.size(), shop_->catalog.size()) << "titles are unique";
  EXPECT_GE(categories.size(), 25u);
  EXPECT_GE(brands.size(), 35u);
  EXPECT_TRUE(categories.count("Skin Care/Face/Serums"));
  EXPECT_TRUE(categories.count("Oral Care/Replacement Heads"));
  // A few percent sold out: enough to exercise filtering, not a broken shop.
  EXPECT_GE(out_of_stock, shop_->catalog.size() / 100);
  EXPECT_LE(out_of_stock, shop_->catalog.size() / 10);

  // Category prices differ: toothbrushes cost more than toothpaste on average.
  std::map<std::string, std::pair<double, int>> mean;
  for (const auto& item : shop_->catalog) {
    auto& m = mean[item.category()];
    m.first += static_cast<double>(item.price_micros());
    ++m.second;
  }
  auto avg = [&](const std::string& c) { return mean[c].first / mean[c].second; };
  EXPECT_GT(avg("Oral Care/Electric Toothbrushes"), 3 * avg("Oral Care/Toothpaste"));
  EXPECT_GT(avg("Fragrance/Women"), avg("Makeup/Lips/Lip Balm"));
}

TEST_F(DemoShopTest, ShoppersBehaveLikeShoppers) {
  std::map<std::string, size_t> type_counts;
  size_t events = 0;
  for (const auto& b : shop_->batches) {
    for (const auto& e : b.events()) {
      ++type_counts[e.type()];
      ++events;
    }
  }
  const double order_share = static_cast<double>(type_counts["order_completed"]) / events;
  EXPECT_GT(order_share, 0.02);
  EXPECT_LT(order_share, 0.15);
  EXPECT_GT(type_counts["product_viewed"], 3 * type_counts["order_completed"]);
  EXPECT_GT(type_counts["product_added_to_cart"], type_counts["order_completed"]);
  EXPECT_GT(type_counts["checkout_started"], type_counts["order_completed"]) << "some abandon";
  EXPECT_GT(type_counts["product_removed_from_cart"], 0u);
  EXPECT_GT(type_counts["search_submitted"], 0u);
  EXPECT_GT(type_counts["product_list_viewed"], 0u);
  EXPECT_GT(type_counts["identify"], shop_->customers.size() / 2);

  const auto orders = Orders(*shop_);
  std::map<std::string, std::vector<const Basket*>> by_user;
  for (const auto& o : orders) by_user[o.user_id].push_back(&o);
  size_t one_time = 0, repeat = 0, replenished = 0;
  for (const auto& [user, baskets] : by_user) {
    (baskets.size() == 1 ? one_time : repeat)++;
    // The same product bought again 20-150 days later: a replenishment.
    std::map<std::string, int64_t> last_bought;
    bool again = false;
    for (const Basket* b : baskets) {
      for (const auto& p : b->product_ids) {
        auto it = last_bought.find(p);
        if (it != last_bought.end()) {
          const int64_t days = (b->at_ms - it->second) / (24 * 3600 * 1000);
          if (days >= 20 && days <= 150) again = true;
        }
        last_bought[p] = b->at_ms;
      }
    }
    if (again) ++replenished;
  }
  EXPECT_GT(one_time, by_user.size() / 10) << "one-time buyers exist";
  EXPECT_GT(repeat, by_user.size() / 4) << "repeat buyers exist";
  EXPECT_GT(replenished, repeat / 5) << "consumables are bought again";
  EXPECT_LT(by_user.size(), shop_->customers.size()) << "some shoppers never buy";
}

TEST_F(DemoShopTest, ComplementaryProductsShareBaskets) {
  std::unordered_map<std::string, std::string> category;
  for (const auto& item : shop_->catalog) category[item.product_id()] = item.category();
  const auto orders = Orders(*shop_);
  ASSERT_FALSE(orders.empty());
  struct Pair {
    const char* from;
    const char* to;
  };
  for (Pair pair : {Pair{"Oral Care/Electric Toothbrushes", "Oral Care/Replacement Heads"},
                    Pair{"Hair Care/Shampoo", "Hair Care/Conditioner"},
                    Pair{"Skin Care/Face/Serums", "Skin Care/Face/Moisturizers"}}) {
    size_t with_from = 0, with_to = 0, both = 0;
    for (const auto& o : orders) {
      bool f = false, t = false;
      for (const auto& p : o.product_ids) {
        f |= category[p] == pair.from;
        t |= category[p] == pair.to;
      }
      with_from += f;
      with_to += t;
      both += f && t;
    }
    ASSERT_GT(with_from, 0u) << pair.from;
    // Lift = P(to | from) / P(to): independent baskets would give about 1.
    const double lift =
        (static_cast<double>(both) / with_from) / (static_cast<double>(with_to) / orders.size());
    EXPECT_GT(lift, 3.0) << pair.from << " -> " << pair.to;
  }
}

TEST(DemoShopStreamTest, StreamingGivesTheSameBatches) {
  DemoOptions options;
  options.customers = 150;
  options.products = 120;
  DemoShop whole = GenerateDemoShop(options);
  std::string streamed;
  size_t count = 0;
  DemoShop rest = StreamDemoShop(options, [&](v1::Batch&& b) {
    streamed += Bytes(b);
    ++count;
  });
  EXPECT_TRUE(rest.batches.empty());
  EXPECT_EQ(rest.catalog.size(), whole.catalog.size());
  EXPECT_EQ(count, whole.batches.size());
  std::string expected;
  for (const auto& b : whole.batches) expected += Bytes(b);
  EXPECT_TRUE(streamed == expected);
}

TEST(DemoShopEdgeTest, TinyAndEmptyShopsStayValid) {
  DemoOptions tiny;
  tiny.customers = 40;
  tiny.products = 3;
  tiny.history_days = 2;
  DemoShop shop = GenerateDemoShop(tiny);
  EXPECT_EQ(shop.catalog.size(), 3u);
  EXPECT_FALSE(shop.batches.empty());
  auto problems = Validate(shop, tiny);
  EXPECT_TRUE(problems.empty()) << Join(problems);

  DemoOptions nobody;
  nobody.customers = 0;
  DemoShop empty = GenerateDemoShop(nobody);
  EXPECT_EQ(empty.catalog.size(), 600u);
  EXPECT_TRUE(empty.customers.empty());
  EXPECT_TRUE(empty.batches.empty());

  DemoOptions missing;
  missing.amazon_dir = testing::TempDir() + "/no-such-amazon-dir";
  DemoShop none = GenerateDemoShop(missing);
  EXPECT_TRUE(none.catalog.empty());
  EXPECT_TRUE(none.batches.empty());
}

// Real Amazon Beauty titles and sequences (../shared/datasets/amazon, never in the repository).
TEST(DemoShopAmazonTest, UsesTheRealTitlesAndSequences) {
  const std::string dir = std::string(VITRINE_SHARED_DIR) + "/datasets/amazon";
  if (!std::filesystem::exists(dir + "/beauty_s3rec_id_asin_title.tsv") ||
      !std::filesystem::exists(dir + "/Beauty.txt")) {
    GTEST_SKIP() << "datasets folder absent: " << dir
                 << " (beauty_s3rec_id_asin_title.tsv, Beauty.txt)";
  }
  // The first user's sequence and item 1's title, read here independently of the generator.
  std::ifstream seqs(dir + "/Beauty.txt");
  std::string first_user_line;
  std::getline(seqs, first_user_line);
  std::vector<std::string> first_items;
  {
    std::istringstream words(first_user_line);
    std::string w;
    words >> w;  // user id
    while (words >> w) first_items.push_back(w);
  }
  ASSERT_FALSE(first_items.empty());

  DemoOptions options;
  options.amazon_dir = dir;
  options.customers = 300;
  DemoShop shop = GenerateDemoShop(options);
  EXPECT_EQ(shop.catalog.size(), 12101u);
  EXPECT_EQ(shop.customers.size(), 300u);
  auto problems = Validate(shop, options);
  EXPECT_TRUE(problems.empty()) << Join(problems);

  std::map<std::string, const v1::CatalogItem*> by_id;
  for (const auto& item : shop.catalog) by_id[item.product_id()] = &item;
  ASSERT_TRUE(by_id.count("p-00001"));
  EXPECT_EQ(by_id["p-00001"]->title().rfind("OPI Nail Lacquer", 0), 0u);
  EXPECT_EQ(by_id["p-00001"]->brand(), "OPI");
  EXPECT_EQ(by_id["p-00001"]->category(), "Makeup/Nails/Nail Polish");
  std::set<std::string> categories;
  for (const auto& item : shop.catalog) categories.insert(item.category());
  EXPECT_GE(categories.size(), 20u);

  // Customer 1 bought exactly their Amazon sequence, in order.
  std::vector<std::string> bought;
  for (const auto& o : Orders(shop)) {
    if (o.user_id != shop.customers[0].user_id) continue;
    for (const auto& p : o.product_ids) bought.push_back(p);
  }
  std::vector<std::string> expected;
  for (const auto& item : first_items)
    expected.push_back("p-" + std::string(5 - item.size(), '0') + item);
  EXPECT_EQ(bought, expected);

  // Deterministic too.
  EXPECT_TRUE(Bytes(GenerateDemoShop(options)) == Bytes(shop));
}

}  // namespace
}  // namespace vitrine::demo
