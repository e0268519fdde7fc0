#include "sync_server/recsys/ensemble.h"

#include <gtest/gtest.h>

#include <cmath>

namespace vitrine::recsys {
namespace {

// Scores item i as `slope * i` (or the reverse): a model with a known ranking and scale.
class LinearModel : public SequenceModel {
 public:
  explicit LinearModel(float slope) : slope_(slope) {}
  std::string_view name() const override { return "linear"; }
  Status Fit(const SequenceSet&, const TrainOptions&) override {
    ++fits;
    return Status::Ok();
  }
  void Score(std::span<const ItemIndex>, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = slope_ * static_cast<float>(i);
  }
  int fits = 0;

 private:
  float slope_;
};

TEST(EnsembleTest, StandardisesSoScaleDoesNotDecide) {
  std::vector<EnsembleModel::Member> members;
  members.push_back({std::make_unique<LinearModel>(1000.0f), 1.0});  // favours high ids, loudly
  members.push_back({std::make_unique<LinearModel>(-0.001f), 2.0});  // favours low ids, quietly
  EnsembleModel ensemble(std::move(members));
  ASSERT_TRUE(ensemble.Fit(SequenceSet{5, {}}, {}).ok());
  std::vector<float> scores(5);
  const std::vector<ItemIndex> history = {1};
  ensemble.Score(history, scores);
  // Weight 2 on the quiet model wins despite its tiny scale: item 0 ranks first.
  EXPECT_GT(scores[0], scores[4]);
  std::vector<float> row = scores;
  double mean = 0;
  for (float s : row) mean += s;
  EXPECT_NEAR(mean, 0.0, 1e-4);  // a sum of standardised rows stays centred
}

TEST(EnsembleTest, ConstantAndNonFiniteRowsBecomeZero) {
  std::vector<float> flat = {3, 3, 3};
  Standardize(flat);
  for (float s : flat) EXPECT_EQ(s, 0.0f);
  std::vector<float> broken = {1, NAN, 2};
  Standardize(broken);
  for (float s : broken) EXPECT_EQ(s, 0.0f);
  std::vector<float> two = {1, 3};
  Standardize(two);
  EXPECT_FLOAT_EQ(two[0], -1.0f);
  EXPECT_FLOAT_EQ(two[1], 1.0f);
}

}  // namespace
}  // namespace vitrine::recsys
