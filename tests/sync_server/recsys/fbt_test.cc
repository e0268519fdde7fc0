#include "sync_server/recsys/fbt.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace vitrine::recsys {
namespace {

// Items: 0 Acme nail polish (red), 1 Acme nail polish (blue), 2 Acme top coat, 3 Bolt nail polish
// remover, 4 Bolt nail polish, 5 Cora shampoo, 6 Dune conditioner. Subcategories are given
// directly so the test pins the pairing rule, not the text heuristics.
CatalogFeatures Features() {
  CatalogFeatures f;
  f.stems = {"acme nail polish", "acme nail polish", "acme top coat",   "bolt nail polish remover",
             "bolt nail polish", "cora shampoo",     "dune conditioner"};
  f.brands = {"acme", "acme", "acme", "bolt", "bolt", "cora", "dune"};
  f.subcategories = {"nail polish", "nail polish", "top coat",   "nail polish remover",
                     "nail polish", "shampoo",     "conditioner"};
  f.stem_ids = {0, 0, 1, 2, 3, 4, 5};
  f.brand_ids = {0, 0, 0, 1, 1, 2, 3};
  f.subcategory_ids = {0, 0, 1, 2, 0, 3, 4};
  f.attribute_set_ids = {-1, -1, -1, -1, -1, -1, -1};
  f.subcategory_names = {"nail polish", "top coat", "nail polish remover", "shampoo",
                         "conditioner"};
  return f;
}

SequenceSet Baskets() {
  SequenceSet s;
  s.item_count = 7;
  // Polish with its top coat and remover, variants bought together, polish with another brand's.
  for (int i = 0; i < 4; ++i) s.sequences.push_back({0, 2, 3});
  for (int i = 0; i < 3; ++i) s.sequences.push_back({0, 1});
  for (int i = 0; i < 3; ++i) s.sequences.push_back({0, 4});
  for (int i = 0; i < 3; ++i) s.sequences.push_back({5, 6});
  s.sequences.push_back({0, 5});  // once: below min_support
  s.sequences.push_back({6});
  return s;
}

std::set<ItemIndex> Partners(const FbtModel& m, ItemIndex item) {
  std::set<ItemIndex> out;
  for (const auto& p : m.Pairs(item)) out.insert(p.item);
  return out;
}

TEST(FbtTest, ComplementsPairSubstitutesAndVariantsDoNot) {
  FbtOptions o;
  o.window = 0;
  FbtModel m(Features(), {}, o);
  ASSERT_TRUE(m.Fit(Baskets(), {}).ok());
  EXPECT_EQ(Partners(m, 0), (std::set<ItemIndex>{2, 3}));  // not 1 (variant), 4 (substitute), 5
  EXPECT_EQ(Partners(m, 5), (std::set<ItemIndex>{6}));     // shampoo -> conditioner
  EXPECT_TRUE(m.Pairs(1).empty());
  EXPECT_FALSE(m.MayPair(0, 1));
  EXPECT_FALSE(m.MayPair(0, 4));
  EXPECT_TRUE(m.MayPair(0, 3));
  EXPECT_FALSE(m.MayPair(2, 2));

  // The statistics: n_02 = 4 of 15 baskets, n_0 = 11, n_2 = 4.
  const auto pairs = m.Pairs(0);
  ASSERT_EQ(pairs.size(), 2u);
  const FbtPair& top = pairs[0];
  EXPECT_EQ(top.support, 4);
  EXPECT_FLOAT_EQ(top.confidence, 4.0f / 11.0f);
  EXPECT_FLOAT_EQ(top.lift, 4.0f * 15.0f / (11.0f * 4.0f));
  EXPECT_GE(pairs[0].score, pairs[1].score);
}

TEST(FbtTest, SubstitutesPairWhenAllowedAndAcrossBroadCategories) {
  FbtOptions o;
  o.window = 0;
  o.allow_substitutes = true;
  FbtModel allowed(Features(), {}, o);
  ASSERT_TRUE(allowed.Fit(Baskets(), {}).ok());
  EXPECT_EQ(Partners(allowed, 0), (std::set<ItemIndex>{2, 3, 4}));  // still not the variant 1

  // Two broad categories: nails {0..4}, hair {5, 6}; same-subcategory rule applies inside one.
  o.allow_substitutes = false;
  CatalogFeatures f = Features();
  f.subcategory_ids[6] = f.subcategory_ids[5];  // pretend both are "hair care"
  FbtModel same(f, {0, 0, 0, 0, 0, 1, 1}, o);
  ASSERT_TRUE(same.Fit(Baskets(), {}).ok());
  EXPECT_TRUE(same.Pairs(5).empty());
  FbtModel split(f, {0, 0, 0, 0, 0, 1, 2}, o);
  ASSERT_TRUE(split.Fit(Baskets(), {}).ok());
  EXPECT_EQ(Partners(split, 5), (std::set<ItemIndex>{6}));
}

TEST(FbtTest, WindowCountsPairsOncePerShopperWithinReach) {
  SequenceSet s;
  s.item_count = 7;
  // Shopper sequences: 0 then 2 one step apart (pairs), 0 and 3 four steps apart (do not).
  for (int i = 0; i < 3; ++i) s.sequences.push_back({0, 2, 5, 6, 3, 0, 2});
  for (int i = 0; i < 3; ++i) s.sequences.push_back({4, 1});  // so lift exceeds 1
  FbtOptions o;
  o.window = 2;
  o.min_support = 3;
  FbtModel m(Features(), {}, o);
  ASSERT_TRUE(m.Fit(s, {}).ok());
  const auto pairs = m.Pairs(0);
  ASSERT_FALSE(pairs.empty());
  EXPECT_EQ(pairs[0].item, 2);
  EXPECT_EQ(pairs[0].support, 3);          // twice per sequence, counted once
  EXPECT_EQ(Partners(m, 0).count(3), 1u);  // 3 and 0 are adjacent at the end (positions 4, 5)
  o.window = 1;
  o.min_support = 3;
  FbtModel narrow(Features(), {}, o);
  ASSERT_TRUE(narrow.Fit(s, {}).ok());
  EXPECT_EQ(Partners(narrow, 2).count(5), 1u);
  EXPECT_EQ(Partners(narrow, 2).count(6), 0u);  // two steps apart
}

TEST(FbtTest, ScoreSumsPartnersOfRecentItemsAndRejectsBadInput) {
  FbtOptions o;
  o.window = 0;
  FbtModel m(Features(), {}, o);
  ASSERT_TRUE(m.Fit(Baskets(), {}).ok());
  std::vector<float> out(7, -1);
  const std::vector<ItemIndex> history = {5, 0};
  m.Score(history, out);
  EXPECT_GT(out[2], 0);
  EXPECT_GT(out[6], 0);
  EXPECT_GT(out[2], out[6]);  // the newest item weighs most
  EXPECT_EQ(out[1], 0);

  SequenceSet bad;
  bad.item_count = 3;
  bad.sequences = {{0, 9}};
  FbtModel small(CatalogFeatures{}, {}, o);
  EXPECT_EQ(small.Fit(bad, {}).kind(), Status::Kind::kInvalid);
  EXPECT_EQ(m.Fit(bad, {}).kind(), Status::Kind::kInvalid);  // 7 features vs 3 items

  std::atomic<bool> cancel{true};
  TrainOptions t;
  t.cancel = &cancel;
  EXPECT_EQ(m.Fit(Baskets(), t).code(), "cancelled");
}

// The must-show #3 on real titles: complementary nail pairs, no near-duplicates.
TEST(FbtBeautyTest, NailPolishPairsWithTopCoatAndRemoverNotWithItsVariants) {
  const auto dir = std::filesystem::path(VITRINE_SHARED_DIR) / "datasets" / "amazon";
  const auto seq_path = dir / "Beauty.txt";
  const auto title_path = dir / "beauty_s3rec_id_asin_title.tsv";
  const auto attr_path = dir / "Beauty_item2attributes.json";
  if (!std::filesystem::exists(seq_path) || !std::filesystem::exists(title_path)) {
    GTEST_SKIP() << "Beauty data absent: " << dir << " (set -DVITRINE_SHARED_DIR)";
  }
  auto all = LoadS3RecSequences(seq_path);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ItemText text;
  ASSERT_TRUE(LoadS3RecTitles(title_path, all->item_count, &text).ok());
  ASSERT_TRUE(LoadS3RecAttributes(attr_path, all->item_count, &text).ok());
  const CatalogFeatures features = DeriveCatalogFeatures(text);

  FbtOptions o;  // proxy baskets: 3 consecutive reviews of one shopper
  o.top_k = 10;
  FbtModel m(features, {}, o);
  ASSERT_TRUE(m.Fit(*all, {}).ok());

  auto is_polish = [&](ItemIndex i) {
    const auto& s = features.subcategories[static_cast<size_t>(i)];
    return s == "nail polish" || s == "nail lacquer";
  };
  auto is_complement = [&](ItemIndex i) {
    const auto& s = features.subcategories[static_cast<size_t>(i)];
    return s.find("coat") != std::string::npos || s.find("remover") != std::string::npos;
  };
  int polish_with_complement = 0;
  for (ItemIndex i = 0; i < all->item_count; ++i) {
    if (!is_polish(i)) continue;
    for (const auto& p : m.Pairs(i)) {
      if (is_complement(p.item)) {
        ++polish_with_complement;
        break;
      }
    }
  }
  EXPECT_GE(polish_with_complement, 5);

  // No near-duplicates among the top pairs of a sample of items, while the same statistics
  // without the text rule do pair near-duplicates (so the rule is doing the work).
  FbtModel blind(CatalogFeatures{}, {}, o);
  ASSERT_TRUE(blind.Fit(*all, {}).ok());
  int blind_near_duplicates = 0;
  int checked = 0;
  for (ItemIndex i = 0; i < all->item_count; i += 7) {
    for (const auto& p : m.Pairs(i)) {
      ++checked;
      EXPECT_FALSE(AreNearDuplicates(features, i, p.item))
          << text.titles[static_cast<size_t>(i)] << " -> "
          << text.titles[static_cast<size_t>(p.item)];
      EXPECT_NE(features.stems[static_cast<size_t>(i)],
                features.stems[static_cast<size_t>(p.item)]);
    }
    for (const auto& p : blind.Pairs(i))
      blind_near_duplicates += AreNearDuplicates(features, i, p.item);
  }
  EXPECT_GT(checked, 500);
  EXPECT_GT(blind_near_duplicates, 20);
}

}  // namespace
}  // namespace vitrine::recsys
