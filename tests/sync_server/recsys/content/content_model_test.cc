#include "sync_server/recsys/content/content_model.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <sstream>
#include <string>

#include "sync_server/recsys/content/cold_start.h"

namespace vitrine::recsys {
namespace {

// Two kinds of product with their own vocabulary, plus an item without text.
ItemText TwoKindCatalog() {
  ItemText text;
  const std::vector<std::string> hair = {"Argan Shampoo", "Argan Conditioner", "Keratin Shampoo",
                                         "Keratin Hair Mask", "Argan Hair Oil"};
  const std::vector<std::string> tools = {"Cordless Drill", "Drill Bit Set", "Impact Driver",
                                          "Cordless Impact Driver", "Drill Driver Bits"};
  for (int round = 0; round < 4; ++round) {
    for (const auto& t : hair) text.titles.push_back("Silk " + t + " " + std::to_string(round));
    for (const auto& t : tools) text.titles.push_back("Steel " + t + " " + std::to_string(round));
  }
  text.titles.push_back("");
  text.attributes.assign(text.titles.size(), {});
  for (size_t i = 0; i + 1 < text.titles.size(); ++i) {
    text.attributes[i] = {(i % 10) < 5 ? 1 : 2};  // a category attribute per kind
  }
  return text;
}

bool IsHair(size_t i) { return (i % 10) < 5; }

SequenceSet Items(int32_t n) {
  SequenceSet s;
  s.item_count = n;
  return s;
}

TEST(ContentModelTest, RanksItemsOfTheSameKindFirst) {
  const ItemText text = TwoKindCatalog();
  const auto n = static_cast<int32_t>(text.titles.size());
  ContentOptions o;
  o.fasttext.epoch = 30;
  o.fasttext.dim = 16;
  ContentModel m(text, o);
  ASSERT_TRUE(m.Fit(Items(n), {}).ok());
  EXPECT_EQ(m.item_count(), n);
  EXPECT_EQ(m.dimension(), 16);
  std::vector<float> scores(static_cast<size_t>(n));
  const std::vector<ItemIndex> history = {0};  // a hair product
  m.Score(history, scores);
  double hair = 0, tools = 0;
  for (size_t i = 1; i + 1 < scores.size(); ++i) (IsHair(i) ? hair : tools) += scores[i];
  EXPECT_GT(hair / 19, tools / 20 + 0.1);
  EXPECT_EQ(scores.back(), 0.0f);  // no text, no score
  EXPECT_GT(m.Similarity(0, 2), m.Similarity(0, 5));
  EXPECT_EQ(m.Similarity(0, n - 1), 0.0f);
}

TEST(ContentModelTest, SaveLoadRoundTripsAndRejectsCorruptInput) {
  const ItemText text = TwoKindCatalog();
  const auto n = static_cast<int32_t>(text.titles.size());
  ContentOptions o;
  o.fasttext.dim = 8;
  o.fasttext.epoch = 5;
  ContentModel m(text, o);
  ASSERT_TRUE(m.Fit(Items(n), {}).ok());
  std::stringstream saved;
  ASSERT_TRUE(m.Save(saved).ok());
  const std::string bytes = saved.str();

  ContentModel loaded(ItemText{});
  std::stringstream in(bytes);
  ASSERT_TRUE(loaded.Load(in).ok());
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
  const std::vector<ItemIndex> history = {3, 7};
  m.Score(history, a);
  loaded.Score(history, b);
  EXPECT_EQ(a, b);

  auto load = [](const std::string& data) {
    ContentModel x(ItemText{});
    std::stringstream s(data);
    return x.Load(s);
  };
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  EXPECT_EQ(load(flipped).kind(), Status::Kind::kInvalid);
  EXPECT_EQ(load(bytes.substr(0, bytes.size() - 3)).kind(), Status::Kind::kInvalid);
  EXPECT_EQ(load(bytes.substr(0, 10)).kind(), Status::Kind::kInvalid);
  EXPECT_EQ(load("XXXX" + bytes.substr(4)).kind(), Status::Kind::kInvalid);
  std::string future = bytes;
  future[4] = 9;  // version
  EXPECT_NE(load(future).message().find("version"), std::string::npos);
  std::string huge = bytes;
  huge[8] = huge[9] = huge[10] = static_cast<char>(0x7F);  // item count in the billions
  EXPECT_EQ(load(huge).kind(), Status::Kind::kInvalid);
  EXPECT_EQ(load("").kind(), Status::Kind::kInvalid);

  const auto dir = std::filesystem::temp_directory_path();
  const auto path =
      dir / ("vitrine-content-test-" +
             std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + ".bin");
  ASSERT_TRUE(m.Save(path).ok());
  ContentModel from_file(ItemText{});
  EXPECT_TRUE(from_file.Load(path).ok());
  std::filesystem::remove(path);
  EXPECT_EQ(from_file.Load(path).kind(), Status::Kind::kNotFound);
}

// A pluggable embedder: one dimension per known word, as an endpoint stand-in.
class BagOfWordsEmbedder : public TextEmbedder {
 public:
  int dimension() const override { return 4; }
  StatusOr<std::vector<float>> Embed(std::string_view text) const override {
    if (text.find("broken") != std::string_view::npos) {
      return Status(Status::Kind::kUnavailable, "endpoint_down", "no answer");
    }
    std::vector<float> v(4, 0.0f);
    if (text.find("shampoo") != std::string_view::npos) v[0] = 1;
    if (text.find("drill") != std::string_view::npos) v[1] = 1;
    if (text.find("argan") != std::string_view::npos) v[2] = 1;
    return v;
  }
};

TEST(ContentModelTest, UsesAPluggedEmbedderAndSurvivesItsFailures) {
  ItemText text;
  text.titles = {"Argan Shampoo", "Keratin Shampoo", "Cordless Drill", "Broken Thing", "Argan Oil"};
  auto embedder = std::make_shared<BagOfWordsEmbedder>();
  ContentModel m(text, embedder);
  ASSERT_TRUE(m.Fit(Items(5), {}).ok());
  EXPECT_EQ(m.dimension(), 4);
  std::vector<float> s(5);
  const std::vector<ItemIndex> history = {0};
  m.Score(history, s);
  EXPECT_GT(s[1], s[2]);
  EXPECT_GT(s[4], s[2]);
  EXPECT_EQ(s[3], 0.0f);  // the embedder failed for it: treated as no text
}

// Scores by training popularity: a stand-in collaborative model that knows nothing of new items.
class PopularityModel : public SequenceModel {
 public:
  std::string_view name() const override { return "pop"; }
  Status Fit(const SequenceSet& train, const TrainOptions&) override {
    counts_.assign(static_cast<size_t>(train.item_count), 0.0f);
    for (const auto& s : train.sequences)
      for (ItemIndex i : s) counts_[static_cast<size_t>(i)] += 1;
    return Status::Ok();
  }
  void Score(std::span<const ItemIndex>, std::span<float> out) const override {
    for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i];
  }

 private:
  std::vector<float> counts_;
};

TEST(HybridModelTest, NewItemsAreRankedByTextAndBestsellersByBehaviour) {
  ItemText text;
  text.titles = {"Argan Shampoo", "Cordless Drill", "Argan Oil", "Keratin Shampoo",
                 "Argan Shampoo Refill"};
  SequenceSet train;
  train.item_count = 5;
  for (int i = 0; i < 40; ++i) train.sequences.push_back({0, 1});  // 0, 1 bestsellers
  train.sequences.push_back({3});                                  // 3 barely seen; 2, 4 new
  HybridOptions o;
  o.shrinkage = 10;
  HybridModel m(std::make_unique<PopularityModel>(),
                std::make_unique<ContentModel>(text, std::make_shared<BagOfWordsEmbedder>()), o);
  ASSERT_TRUE(m.Fit(train, {}).ok());
  EXPECT_FLOAT_EQ(m.ContentShare(2), 1.0f);
  EXPECT_FLOAT_EQ(m.ContentShare(3), 10.0f / 11.0f);
  EXPECT_FLOAT_EQ(m.ContentShare(0), 10.0f / 50.0f);
  std::vector<float> s(5);
  const std::vector<ItemIndex> history = {0};
  m.Score(history, s);
  // New items get in on text alone: the new "Argan Shampoo Refill" beats the barely-seen
  // "Keratin Shampoo"; the bestseller drill keeps a high score from behaviour.
  EXPECT_GT(s[4], s[3]);
  EXPECT_GT(s[2], 0.0f);
  EXPECT_GT(s[1], s[3]);

  HybridModel broken(nullptr, nullptr);
  EXPECT_EQ(broken.Fit(train, {}).kind(), Status::Kind::kInvalid);
}

}  // namespace
}  // namespace vitrine::recsys
