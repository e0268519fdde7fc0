#include "sync_server/recsys/content/cold_start.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "sync_server/recsys/content/content_model.h"

namespace vitrine::recsys {
namespace {

TEST(ColdStartTest, SplitRemovesColdItemsFromTrainingAndTargetsOnlyThem) {
  SequenceSet all;
  all.item_count = 100;
  for (int u = 0; u < 300; ++u) {
    all.sequences.push_back({u % 100, (u * 7 + 1) % 100, (u * 13 + 2) % 100, (u * 31 + 3) % 100});
  }
  ColdStartOptions o;
  o.seed = 5;
  const ColdStartSplit split = MakeColdStartSplit(all, o);
  EXPECT_EQ(split.cold_items.size(), 10u);
  for (const auto& s : split.train.sequences) {
    for (ItemIndex i : s) EXPECT_FALSE(split.is_cold[static_cast<size_t>(i)]);
    EXPECT_LE(s.size(), 2u);  // leave-one-out: validation and test are not training
  }
  ASSERT_FALSE(split.targets.empty());
  for (size_t e = 0; e < split.targets.size(); ++e) {
    EXPECT_TRUE(split.is_cold[static_cast<size_t>(split.targets[e])]);
    for (ItemIndex h : split.histories[e]) EXPECT_FALSE(split.is_cold[static_cast<size_t>(h)]);
  }
  EXPECT_EQ(split.full_counts[0], 3 + 3 + 3 + 3);  // item 0 in 12 sequences of 300
  // Same seed, same split; another seed, another one.
  EXPECT_EQ(MakeColdStartSplit(all, o).cold_items, split.cold_items);
  o.seed = 6;
  EXPECT_NE(MakeColdStartSplit(all, o).cold_items, split.cold_items);
}

TEST(ColdStartTest, OracleIsPerfectWhenTargetsAreTheMostPopularColdItem) {
  ColdStartSplit split;
  split.is_cold = {false, true, true, true};
  split.cold_items = {1, 2, 3};
  split.full_counts = {50, 9, 3, 1};
  split.histories = {{0}, {0}, {0, 2}};
  split.targets = {1, 1, 3};
  const RankingMetrics pop = EvaluateColdStart(CountModel(split.full_counts), split, 1);
  EXPECT_EQ(pop.shoppers, 3u);
  EXPECT_DOUBLE_EQ(pop.hr[0], 1.0);
  // The third shopper has item 2 in history: item 3 is second on the shelf after item 1.
  EXPECT_NEAR(pop.ndcg[0], (1.0 + 1.0 + 1.0 / std::log2(3.0)) / 3.0, 1e-12);
  const RankingMetrics random = EvaluateColdStart(RandomModel(), split, 1);
  EXPECT_DOUBLE_EQ(random.hr[0], 1.0);  // a shelf of 3 fits in any top 5
}

// The must-show #2: new items ranked from text beat popularity by a clear margin.
TEST(ColdStartBeautyTest, ContentBeatsOraclePopularityOnNewArrivals) {
  const auto dir = std::filesystem::path(VITRINE_SHARED_DIR) / "datasets" / "amazon";
  const auto seq_path = dir / "Beauty.txt";
  const auto title_path = dir / "beauty_s3rec_id_asin_title.tsv";
  const auto attr_path = dir / "Beauty_item2attributes.json";
  if (!std::filesystem::exists(seq_path) || !std::filesystem::exists(title_path) ||
      !std::filesystem::exists(attr_path)) {
    GTEST_SKIP() << "Beauty data absent: " << dir << " (set -DVITRINE_SHARED_DIR)";
  }
  auto all = LoadS3RecSequences(seq_path);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ItemText text;
  ASSERT_TRUE(LoadS3RecTitles(title_path, all->item_count, &text).ok());
  ASSERT_TRUE(LoadS3RecAttributes(attr_path, all->item_count, &text).ok());
  const ColdStartSplit split = MakeColdStartSplit(*all, {});
  ASSERT_GT(split.targets.size(), 1500u);
  ContentModel content(text);
  ASSERT_TRUE(content.Fit(split.train, {}).ok());
  const RankingMetrics c = EvaluateColdStart(content, split, 1);
  const RankingMetrics pop = EvaluateColdStart(CountModel(split.full_counts), split, 1);
  const RankingMetrics random = EvaluateColdStart(RandomModel(), split, 1);
  std::printf("cold start NDCG@10: content %.4f, oracle popularity %.4f, random %.4f\n", c.ndcg10(),
              pop.ndcg10(), random.ndcg10());
  // Measured, seeds 1-3: content 0.0725 +- 0.010, oracle popularity 0.0401 +- 0.009, random
  // 0.0041; seed 1 alone 0.0625 vs 0.0378 (1.65x), so 1.3x leaves room for fastText noise.
  EXPECT_GE(c.ndcg10(), 1.3 * pop.ndcg10());
  EXPECT_GT(pop.ndcg10(), 2 * random.ndcg10());
}

}  // namespace
}  // namespace vitrine::recsys
