#include "sync_server/recsys/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace vitrine::recsys {
namespace {

// Scores item (last history item + 1) highest: a perfect "next id" model on sequences 1,2,3,...
class NextIdModel : public SequenceModel {
 public:
  std::string_view name() const override { return "next-id"; }
  Status Fit(const SequenceSet&, const TrainOptions&) override { return Status::Ok(); }
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = 0;
    const auto next = static_cast<size_t>(history.back() + 1);
    if (next < out.size()) out[next] = 1;
  }
};

// Every item scores the same: only tie-breaking decides.
class ConstantModel : public SequenceModel {
 public:
  std::string_view name() const override { return "constant"; }
  Status Fit(const SequenceSet&, const TrainOptions&) override { return Status::Ok(); }
  void Score(std::span<const ItemIndex>, std::span<float> out) const override {
    for (auto& s : out) s = 1;
  }
};

TEST(SequencesTest, ParsesS3RecLinesAndRejectsGarbage) {
  std::istringstream good("1 1 2 3\n2 4 2\n\n");
  auto set = ParseS3RecSequences(good);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->item_count, 4);
  ASSERT_EQ(set->sequences.size(), 2u);
  EXPECT_EQ(set->sequences[1], (std::vector<ItemIndex>{3, 1}));
  EXPECT_EQ(set->interaction_count(), 5u);

  std::istringstream bad("1 1 2\n2 4 x\n");
  auto broken = ParseS3RecSequences(bad);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("line 2"), std::string::npos);
  std::istringstream zero("1 0 2\n");
  EXPECT_FALSE(ParseS3RecSequences(zero).ok());
}

TEST(SequencesTest, LeaveOneOutKeepsShortSequencesForTrainingOnly) {
  SequenceSet all{6, {{0, 1, 2, 3}, {4, 5}, {1, 2, 3}}};
  const auto split = SplitLeaveOneOut(all);
  EXPECT_EQ(split.evaluated, (std::vector<int32_t>{0, 2}));
  EXPECT_EQ(split.validation, (std::vector<ItemIndex>{2, 2}));
  EXPECT_EQ(split.test, (std::vector<ItemIndex>{3, 3}));
  EXPECT_EQ(split.train.sequences[0], (std::vector<ItemIndex>{0, 1}));
  EXPECT_EQ(split.train.sequences[1], (std::vector<ItemIndex>{4, 5}));
  EXPECT_EQ(EvalHistory(split, 1, EvalTarget::kTest), (std::vector<ItemIndex>{1, 2}));
  EXPECT_EQ(EvalHistory(split, 1, EvalTarget::kValidation), (std::vector<ItemIndex>{1}));
  const auto for_test = FitSet(split, FitFor::kTest);
  EXPECT_EQ(for_test.sequences[0], (std::vector<ItemIndex>{0, 1, 2}));
  EXPECT_EQ(for_test.sequences[1], (std::vector<ItemIndex>{4, 5}));
  EXPECT_EQ(FitSet(split, FitFor::kValidation).sequences[2], (std::vector<ItemIndex>{1}));
}

TEST(EvaluationTest, RankSkipsHistoryAndBreaksTiesByTheDraw) {
  const std::vector<float> scores = {5, 4, 3, 3, 3, 1};
  const std::vector<ItemIndex> history = {0};
  // Item 1 is best once item 0 (history) is removed.
  EXPECT_EQ(RankOfTarget(scores, history, 1, 0.0), 0);
  // Item 2 ties with 3 and 4: draw picks 0..2 places behind item 1.
  EXPECT_EQ(RankOfTarget(scores, history, 2, 0.0), 1);
  EXPECT_EQ(RankOfTarget(scores, history, 2, 0.5), 2);
  EXPECT_EQ(RankOfTarget(scores, history, 2, 0.999), 3);
  EXPECT_EQ(RankOfTarget(scores, history, 0, 0.0), -1);  // a repeat cannot be recommended
  const std::vector<float> broken = {1, NAN, 2};
  EXPECT_EQ(RankOfTarget(broken, {}, 1, 0.0), 2);
}

TEST(EvaluationTest, PerfectModelScoresOneAndTiesScoreLikeChance) {
  SequenceSet all;
  all.item_count = 1000;
  for (int u = 0; u < 3000; ++u) {
    const int start = (u * 7) % 900;
    all.sequences.push_back({start, start + 1, start + 2, start + 3, start + 4});
  }
  const auto split = SplitLeaveOneOut(all);
  NextIdModel perfect;
  EvalOptions options;
  options.threads = 3;
  options.batch_size = 77;
  for (auto target : {EvalTarget::kValidation, EvalTarget::kTest}) {
    options.target = target;
    const auto m = EvaluateRanking(perfect, split, options);
    EXPECT_EQ(m.shoppers, 3000u);
    EXPECT_DOUBLE_EQ(m.hr[0], 1.0);
    EXPECT_DOUBLE_EQ(m.ndcg[2], 1.0);
  }

  // A constant model ranks the target uniformly among the ~996 candidates: HR@20 ~ 2%.
  ConstantModel constant;
  const auto chance = EvaluateRanking(constant, split, options);
  EXPECT_GT(chance.hr[2], 0.0);
  EXPECT_LT(chance.hr[2], 0.06);
  EXPECT_LT(chance.ndcg[1], chance.hr[1]);
  // Same seed, different threads and batches: the same numbers.
  options.threads = 1;
  options.batch_size = 64;
  const auto again = EvaluateRanking(constant, split, options);
  EXPECT_DOUBLE_EQ(again.hr[2], chance.hr[2]);
}

TEST(EvaluationTest, SummaryAveragesRuns) {
  RankingMetrics a;
  a.ndcg = {0.1, 0.2, 0.3};
  RankingMetrics b;
  b.ndcg = {0.3, 0.4, 0.5};
  const std::vector<RankingMetrics> runs = {a, b};
  const auto s = Summarize(runs);
  EXPECT_EQ(s.runs, 2);
  EXPECT_NEAR(s.mean.ndcg10(), 0.3, 1e-12);
  EXPECT_NEAR(s.stddev.ndcg10(), std::sqrt(0.02), 1e-12);
}

}  // namespace
}  // namespace vitrine::recsys
