#include "sync_server/recsys/transformer/sasrec.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sync_server/recsys/evaluation.h"

namespace vitrine::recsys {
namespace {

constexpr int32_t kItems = 24;

// Shoppers walk the item ring i -> i+1 (mod kItems) from a random start: the next item is a
// deterministic function of the last one, which a sequence model must learn.
SequenceSet RingSequences(int shoppers, uint64_t seed) {
  SequenceSet set;
  set.item_count = kItems;
  std::mt19937_64 rng(seed);
  for (int u = 0; u < shoppers; ++u) {
    const auto start = static_cast<int32_t>(rng() % kItems);
    const auto length = static_cast<int32_t>(5 + rng() % 8);
    std::vector<ItemIndex> seq;
    for (int32_t i = 0; i < length; ++i) seq.push_back((start + i) % kItems);
    set.sequences.push_back(std::move(seq));
  }
  return set;
}

// Small and quick: a few seconds in a Debug build.
SasRecOptions SmallOptions() {
  SasRecOptions o;
  o.max_len = 8;
  o.dim = 16;
  o.blocks = 1;
  o.heads = 2;
  o.dropout = 0.1;
  o.lr = 5e-3;
  o.batch_size = 32;
  o.max_epochs = 25;
  o.patience = 0;  // no validation: the tests below control the epochs
  return o;
}

TrainOptions OneThread(uint64_t seed = 7) {
  TrainOptions t;
  t.seed = seed;
  t.threads = 1;
  return t;
}

std::vector<float> ScoreAll(const SequenceModel& model,
                            const std::vector<std::vector<ItemIndex>>& histories) {
  std::vector<std::span<const ItemIndex>> views(histories.begin(), histories.end());
  std::vector<float> out(histories.size() * kItems);
  model.ScoreBatch(views, out);
  return out;
}

const std::vector<std::vector<ItemIndex>> kProbeHistories = {
    {3, 4, 5}, {22, 23, 0, 1}, {}, {7}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {5, 99, -1, 6}};

TEST(SasRecTest, LearnsTheNextItemOfARing) {
  const auto split = SplitLeaveOneOut(RingSequences(300, 1));
  SasRecModel model(SmallOptions());
  ASSERT_TRUE(model.Fit(split.train, OneThread()).ok());
  EXPECT_EQ(model.epochs_trained(), 25);
  EvalOptions eval;
  eval.threads = 2;
  const auto m = EvaluateRanking(model, split, eval);
  // Chance would put the target in the top 5 of ~15 candidates a third of the time.
  EXPECT_GT(m.hr[0], 0.9) << "HR@5 " << m.hr[0];
  EXPECT_GT(m.ndcg10(), 0.7) << "NDCG@10 " << m.ndcg10();
}

TEST(SasRecTest, SampledSoftmaxLearnsTheRingToo) {
  const auto split = SplitLeaveOneOut(RingSequences(300, 2));
  auto options = SmallOptions();
  options.loss = SasRecOptions::Loss::kSampledSoftmax;
  options.negatives = 8;
  options.popularity_negatives = true;
  SasRecModel model(options);
  ASSERT_TRUE(model.Fit(split.train, OneThread()).ok());
  EvalOptions eval;
  const auto m = EvaluateRanking(model, split, eval);
  EXPECT_GT(m.hr[0], 0.8) << "HR@5 " << m.hr[0];
}

TEST(SasRecTest, SameSeedGivesIdenticalScores) {
  const auto train = RingSequences(120, 3);
  auto options = SmallOptions();
  options.max_epochs = 3;
  SasRecModel a(options);
  SasRecModel b(options);
  SasRecModel c(options);
  ASSERT_TRUE(a.Fit(train, OneThread(11)).ok());
  ASSERT_TRUE(b.Fit(train, OneThread(11)).ok());
  ASSERT_TRUE(c.Fit(train, OneThread(12)).ok());
  const auto sa = ScoreAll(a, kProbeHistories);
  EXPECT_EQ(sa, ScoreAll(b, kProbeHistories));
  EXPECT_NE(sa, ScoreAll(c, kProbeHistories));
}

TEST(SasRecTest, ScoreBatchMatchesScoreRowByRow) {
  SasRecModel model(SmallOptions());
  ASSERT_TRUE(model.Fit(RingSequences(100, 4), OneThread()).ok());
  const auto batch = ScoreAll(model, kProbeHistories);
  for (size_t r = 0; r < kProbeHistories.size(); ++r) {
    std::vector<float> row(kItems);
    model.Score(kProbeHistories[r], row);
    for (size_t i = 0; i < row.size(); ++i) {
      ASSERT_NEAR(row[i], batch[r * kItems + i], 1e-4) << "history " << r << " item " << i;
      ASSERT_TRUE(std::isfinite(row[i]));
    }
  }
  // Unknown items are ignored: {5, 99, -1, 6} scores like {5, 6}.
  std::vector<float> clean(kItems);
  model.Score(std::vector<ItemIndex>{5, 6}, clean);
  for (size_t i = 0; i < clean.size(); ++i) EXPECT_NEAR(clean[i], batch[5 * kItems + i], 1e-4);
}

TEST(SasRecTest, SaveLoadRoundTripGivesIdenticalScores) {
  SasRecModel model(SmallOptions());
  ASSERT_TRUE(model.Fit(RingSequences(100, 5), OneThread()).ok());
  std::stringstream artifact;
  ASSERT_TRUE(model.Save(artifact).ok());
  auto loaded = SasRecModel::Load(artifact);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->item_count(), kItems);
  EXPECT_EQ((*loaded)->options().heads, 2);
  EXPECT_EQ(ScoreAll(**loaded, kProbeHistories), ScoreAll(model, kProbeHistories));
}

TEST(SasRecTest, RejectsTruncatedAndCorruptArtifacts) {
  SasRecModel model(SmallOptions());
  std::stringstream untrained;
  EXPECT_FALSE(model.Save(untrained).ok());
  ASSERT_TRUE(model.Fit(RingSequences(60, 6), OneThread()).ok());
  std::stringstream out;
  ASSERT_TRUE(model.Save(out).ok());
  const std::string good = out.str();

  auto load = [](const std::string& bytes) {
    std::istringstream in(bytes);
    return SasRecModel::Load(in);
  };
  ASSERT_TRUE(load(good).ok());
  // Every truncation point, through the header and into the parameters.
  for (size_t cut = 0; cut < good.size(); cut += (cut < 64 ? 1 : 997)) {
    const auto r = load(good.substr(0, cut));
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), "invalid_model_artifact");
  }
  std::string bad_magic = good;
  bad_magic[0] = 'X';
  EXPECT_NE(load(bad_magic).status().message().find("magic"), std::string::npos);
  std::string bad_version = good;
  bad_version[8] = 9;
  EXPECT_NE(load(bad_version).status().message().find("version"), std::string::npos);
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x40);
  EXPECT_NE(load(flipped).status().message().find("checksum"), std::string::npos);
  std::string huge_size = good;
  huge_size[12 + 7] = 0x7f;  // payload size field: absurd
  EXPECT_FALSE(load(huge_size).ok());
  EXPECT_FALSE(load("").ok());
}

TEST(SasRecTest, CancelStopsFit) {
  const auto train = RingSequences(100, 7);
  std::atomic<bool> cancel{true};
  auto t = OneThread();
  t.cancel = &cancel;
  SasRecModel model(SmallOptions());
  const Status s = model.Fit(train, t);
  EXPECT_EQ(s.kind(), Status::Kind::kUnavailable);
  EXPECT_EQ(s.code(), "cancelled");

  // Raised mid-training, from the progress callback after the second epoch.
  cancel = false;
  int epochs_seen = 0;
  t.progress = [&](const TrainProgress& p) {
    EXPECT_EQ(p.stage, "epoch");
    EXPECT_GT(p.fraction, 0.0);
    EXPECT_LE(p.fraction, 1.0);
    if (++epochs_seen == 2) cancel = true;
  };
  SasRecModel again(SmallOptions());
  EXPECT_EQ(again.Fit(train, t).code(), "cancelled");
  EXPECT_EQ(epochs_seen, 2);
}

TEST(SasRecTest, EarlyStoppingKeepsTheBestEpoch) {
  const auto train = RingSequences(200, 8);
  auto options = SmallOptions();
  options.max_epochs = 12;
  options.patience = 2;
  std::vector<double> seen;
  // A validation curve that peaks at epoch 3: Fit must stop at epoch 5 and report 0.9.
  options.validate = [&](const SequenceModel&) {
    const std::vector<double> curve = {0.1, 0.5, 0.9, 0.4, 0.3, 0.2, 0.1};
    seen.push_back(curve[seen.size()]);
    return seen.back();
  };
  SasRecModel model(options);
  ASSERT_TRUE(model.Fit(train, OneThread()).ok());
  EXPECT_EQ(model.epochs_trained(), 5);
  EXPECT_DOUBLE_EQ(model.best_validation(), 0.9);

  // The internal hold-out: a real NDCG in [0, 1] that a learned ring makes large.
  options.validate = nullptr;
  options.max_epochs = 20;
  options.patience = 3;
  options.validation_shoppers = 50;
  SasRecModel internal(options);
  ASSERT_TRUE(internal.Fit(train, OneThread()).ok());
  EXPECT_GT(internal.best_validation(), 0.5);
  EXPECT_LE(internal.best_validation(), 1.0);
}

TEST(SasRecTest, RejectsBadInput) {
  auto options = SmallOptions();
  options.heads = 3;  // does not divide 16
  SasRecModel bad_heads(options);
  EXPECT_EQ(bad_heads.Fit(RingSequences(10, 9), OneThread()).kind(), Status::Kind::kInvalid);

  SasRecModel model(SmallOptions());
  EXPECT_EQ(model.Fit(SequenceSet{}, OneThread()).kind(), Status::Kind::kInvalid);
  SequenceSet singles{kItems, {{1}, {2}}};
  EXPECT_EQ(model.Fit(singles, OneThread()).kind(), Status::Kind::kInvalid);
  SequenceSet out_of_range{kItems, {{1, kItems}}};
  EXPECT_EQ(model.Fit(out_of_range, OneThread()).kind(), Status::Kind::kInvalid);
}

}  // namespace
}  // namespace vitrine::recsys
