#include "sync_server/recsys/item_knn.h"

#include <gtest/gtest.h>

#include <atomic>

#include "sync_server/recsys/evaluation.h"

namespace vitrine::recsys {
namespace {

// Shoppers walk one of two chains, 0->1->2->3 or 10->11->12->13, with some noise items.
SequenceSet TwoChains() {
  SequenceSet set;
  set.item_count = 40;
  for (int u = 0; u < 200; ++u) {
    const int base = u % 2 == 0 ? 0 : 10;
    set.sequences.push_back({20 + u % 20, base, base + 1, base + 2, base + 3});
  }
  return set;
}

TEST(ItemKnnTest, NeighboursFollowTheSequenceDirection) {
  ItemKnnModel model;
  ASSERT_TRUE(model.Fit(TwoChains(), {}).ok());
  const auto nb = model.Neighbours(1);
  ASSERT_FALSE(nb.empty());
  // Forward pairs weigh more than backward ones: after 1 comes 2 before 0.
  EXPECT_EQ(nb[0].item, 2);
  for (const auto& n : nb) EXPECT_TRUE(n.item < 10 || n.item >= 20) << n.item;  // other chain never
  EXPECT_TRUE(model.Neighbours(-1).empty());
  EXPECT_TRUE(model.Neighbours(40).empty());
}

TEST(ItemKnnTest, NewestHistoryItemDominatesTheScores) {
  ItemKnnModel model;
  ASSERT_TRUE(model.Fit(TwoChains(), {}).ok());
  std::vector<float> scores(40);
  const std::vector<ItemIndex> history = {10, 11, 1};  // switched chains: the newest item wins
  model.Score(history, scores);
  EXPECT_GT(scores[2], scores[12]);
  const std::vector<ItemIndex> other = {0, 1, 11};
  model.Score(other, scores);
  EXPECT_GT(scores[12], scores[2]);
}

TEST(ItemKnnTest, BeatsPopularityOnHeldOutNextItems) {
  // Windows of five steps into two chains of eight: 0..7 and 10..17.
  SequenceSet all;
  all.item_count = 40;
  for (int u = 0; u < 400; ++u) {
    const int start = (u % 2 == 0 ? 0 : 10) + (u / 2) % 4;
    all.sequences.push_back({20 + u % 20, start, start + 1, start + 2, start + 3, start + 4});
  }
  const auto split = SplitLeaveOneOut(all);
  ItemKnnModel knn;
  PopularityModel pop;
  ASSERT_TRUE(knn.Fit(FitSet(split, FitFor::kTest), {}).ok());
  ASSERT_TRUE(pop.Fit(FitSet(split, FitFor::kTest), {}).ok());
  const auto k = EvaluateRanking(knn, split, {});
  const auto p = EvaluateRanking(pop, split, {});
  // Three of four windows end on a step seen in training; the fourth ends on a step nobody
  // took before, which no co-occurrence model can know.
  EXPECT_GE(k.hr[0], 0.74);
  EXPECT_LT(p.hr[0], 0.5);
}

TEST(ItemKnnTest, RejectsItemsOutsideTheCatalogAndHonoursCancel) {
  ItemKnnModel model;
  SequenceSet bad{3, {{0, 1, 7}}};
  const auto st = model.Fit(bad, {});
  EXPECT_EQ(st.kind(), Status::Kind::kInvalid);
  EXPECT_NE(st.message().find("7"), std::string::npos);

  std::atomic<bool> cancel{true};
  TrainOptions options;
  options.cancel = &cancel;
  EXPECT_EQ(model.Fit(TwoChains(), options).code(), "cancelled");
}

TEST(ItemKnnTest, WeightedFitLetsPurchasesOutweighViews) {
  // Item 0 is viewed next to 1 twice, bought next to 2 once: the purchase pair wins.
  std::vector<std::vector<std::pair<ItemIndex, float>>> seqs = {
      {{0, 1.0f}, {1, 1.0f}}, {{0, 1.0f}, {1, 1.0f}}, {{0, 5.0f}, {2, 5.0f}}};
  ItemKnnModel model;
  ASSERT_TRUE(model.FitWeighted(3, seqs, {}).ok());
  const auto nb = model.Neighbours(0);
  ASSERT_EQ(nb.size(), 2u);
  EXPECT_EQ(nb[0].item, 2);
}

TEST(PopularityTest, CountsAndRecencyDecay) {
  SequenceSet set{3, {{0, 0, 1}, {2}}};
  PopularityModel flat;
  ASSERT_TRUE(flat.Fit(set, {}).ok());
  EXPECT_FLOAT_EQ(flat.scores()[0], 2.0f);
  PopularityModel recent(0.5);
  ASSERT_TRUE(recent.Fit(set, {}).ok());
  EXPECT_FLOAT_EQ(recent.scores()[0], 0.75f);  // 0.5 + 0.25: the older views count less
  EXPECT_FLOAT_EQ(recent.scores()[1], 1.0f);
}

}  // namespace
}  // namespace vitrine::recsys
