#include "sync_server/recsys/text_features.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace vitrine::recsys {
namespace {

using Words = std::vector<std::string>;

TEST(TokenizeTextTest, LowercasesUtf8AndSplitsOnSymbols) {
  EXPECT_EQ(TokenizeText("L'Or\xC3\xA9"
                         "al Paris\xC2\xAE Cr\xC3\xA8me, 8.5 oz"),
            (Words{"loréal", "paris", "crème", "8.5", "oz"}));
  // Capitals beyond ASCII fold too: Latin-1, Cyrillic, Greek.
  EXPECT_EQ(TokenizeText("\xC3\x89TOILE \xD0\x9A\xD0\xA0\xD0\x95\xD0\x9C \xCE\xA3"),
            (Words{"étoile", "крем", "σ"}));
  // HTML entities, a trademark sign, an emoji and an invalid byte all separate words.
  EXPECT_EQ(TokenizeText("Soap&amp;Co&#9733;Best\xE2\x84\xA2Gel\xF0\x9F\x98\x80Mask\xFFTube"),
            (Words{"soap", "co", "best", "gel", "mask", "tube"}));
  EXPECT_EQ(TokenizeText(".25 oz anti-aging"), (Words{".25", "oz", "anti", "aging"}));
  EXPECT_TRUE(TokenizeText("").empty());
  EXPECT_TRUE(TokenizeText("\xC3").empty());  // truncated sequence
}

TEST(NormalizeTitleTest, SizesPacksAndShadesShareOneStem) {
  const auto a = NormalizeTitle("X Shampoo, 8.5 Ounce");
  const auto b = NormalizeTitle("X Shampoo, 33.8 Ounce (Pack of 3)");
  const auto c = NormalizeTitle("X Shampoo 1 Liter, 2-Pack");
  EXPECT_EQ(a.stem, "x shampoo");
  EXPECT_EQ(b.stem, a.stem);
  EXPECT_EQ(c.stem, a.stem);
  EXPECT_EQ(NormalizeTitle("Glow Lipstick, Red, 0.12-Fluid Oz").stem,
            NormalizeTitle("Glow Lipstick - Dark Blue 120 ct").stem);
  // A different product keeps a different stem.
  EXPECT_NE(NormalizeTitle("X Conditioner, 8.5 Ounce").stem, a.stem);
}

TEST(NormalizeTitleTest, SegmentsSplitAtPunctuationAndComplements) {
  const auto t = NormalizeTitle("Acme Replacement Brush Heads for Sonic Toothbrush, 3 Count");
  ASSERT_GE(t.segments.size(), 2u);
  EXPECT_EQ(t.segments[0], (Words{"acme", "replacement", "brush", "heads"}));
  EXPECT_EQ(t.segments[1], (Words{"sonic", "toothbrush"}));
  // Leave-in and 2-in-1 do not split.
  EXPECT_EQ(NormalizeTitle("Leave-In Conditioner").segments[0],
            (Words{"leave", "in", "conditioner"}));
}

// A small catalog of five brands and five kinds of product, each in several shades/sizes.
ItemText ToyCatalog() {
  const std::vector<std::string> brands = {"Acme", "Bolt", "Cora", "Dune", "Elan"};
  const std::vector<std::string> kinds = {"Nail Polish", "Top Coat", "Nail Polish Remover",
                                          "Toothbrush", "Replacement Brush Heads"};
  const std::vector<std::string> variants = {", Ruby Red, 0.5 Ounce", " - Pink 15ml",
                                             ", Snow Globe, 0.5 Fluid Ounce"};
  ItemText text;
  for (const auto& b : brands)
    for (const auto& k : kinds)
      for (const auto& v : variants) text.titles.push_back(b + " " + k + v);
  text.titles.push_back("Mystery Item 42");
  text.titles.push_back("");
  return text;
}

TEST(CatalogFeaturesTest, DerivesHeadNounPhrasesFromTheCatalog) {
  const ItemText text = ToyCatalog();
  const CatalogFeatures f = DeriveCatalogFeatures(text);
  ASSERT_EQ(f.item_count(), text.titles.size());
  std::map<std::string, std::string> by_title;
  for (size_t i = 0; i < text.titles.size(); ++i) by_title[text.titles[i]] = f.subcategories[i];
  EXPECT_EQ(by_title["Acme Nail Polish, Ruby Red, 0.5 Ounce"], "nail polish");
  EXPECT_EQ(by_title["Bolt Top Coat - Pink 15ml"], "top coat");
  EXPECT_EQ(by_title["Cora Nail Polish Remover, Snow Globe, 0.5 Fluid Ounce"],
            "nail polish remover");
  EXPECT_EQ(by_title["Dune Toothbrush, Ruby Red, 0.5 Ounce"], "toothbrush");
  EXPECT_EQ(by_title["Elan Replacement Brush Heads - Pink 15ml"], "replacement brush heads");
  EXPECT_EQ(by_title["Mystery Item 42"], "");
  EXPECT_EQ(f.brands[0], "acme");
  EXPECT_EQ(f.subcategory_ids.back(), -1);
  EXPECT_EQ(f.stem_ids.back(), -1);
  EXPECT_EQ(f.subcategory_names.size(), 5u);
}

TEST(CatalogFeaturesTest, NearDuplicatesAreVariantsNotComplements) {
  const ItemText text = ToyCatalog();
  const CatalogFeatures f = DeriveCatalogFeatures(text);
  // Items 0..2: Acme nail polish in three shades/sizes; 3: Acme top coat; 15: Bolt nail polish.
  EXPECT_TRUE(AreNearDuplicates(f, 0, 1));
  EXPECT_TRUE(AreNearDuplicates(f, 0, 2));
  EXPECT_FALSE(AreNearDuplicates(f, 0, 3));   // same brand, another kind of product
  EXPECT_FALSE(AreNearDuplicates(f, 0, 15));  // another brand's polish: a substitute, not a variant
  const auto n = static_cast<ItemIndex>(text.titles.size());
  EXPECT_FALSE(AreNearDuplicates(f, n - 1, n - 1 - 1));  // untitled
  EXPECT_FALSE(AreNearDuplicates(f, 0, n + 5));          // out of range

  // Same brand and same attribute set: variants even when the title names no product type.
  ItemText shades;
  shades.titles = {"Opus Teenage Dream", "Opus California Raspberry", "Opus Top Coat",
                   "Zed Teenage Dream"};
  shades.attributes = {{1, 7, 9}, {9, 1, 7}, {1, 7, 10}, {1, 7, 9}};
  const CatalogFeatures g = DeriveCatalogFeatures(shades);
  EXPECT_TRUE(AreNearDuplicates(g, 0, 1));
  EXPECT_FALSE(AreNearDuplicates(g, 0, 2));
  EXPECT_FALSE(AreNearDuplicates(g, 1, 3));
}

TEST(ContentTokensTest, TitleWordsThenAttributes) {
  ItemText text;
  text.titles = {"Acme Shampoo, 8 oz", ""};
  text.attributes = {{3, 14}, {}};
  EXPECT_EQ(ContentTokens(text, 0), (Words{"acme", "shampoo", "attr_3", "attr_14"}));
  EXPECT_TRUE(ContentTokens(text, 1).empty());
  EXPECT_TRUE(ContentTokens(text, 7).empty());
}

TEST(CatalogFeaturesTest, BeautyTitlesGetNailSubcategories) {
  const auto dir = std::filesystem::path(VITRINE_SHARED_DIR) / "datasets" / "amazon";
  const auto titles = dir / "beauty_s3rec_id_asin_title.tsv";
  if (!std::filesystem::exists(titles)) {
    GTEST_SKIP() << "Beauty titles absent: " << titles << " (set -DVITRINE_SHARED_DIR)";
  }
  ItemText text;
  ASSERT_TRUE(LoadS3RecTitles(titles, 12101, &text).ok());
  const CatalogFeatures f = DeriveCatalogFeatures(text);
  std::map<std::string, int> counts;
  size_t with = 0;
  for (const auto& s : f.subcategories) {
    if (s.empty()) continue;
    ++counts[s];
    ++with;
  }
  EXPECT_GT(with, f.item_count() * 9 / 10);  // nearly every title gets one
  EXPECT_GE(counts["nail polish"], 50);
  EXPECT_GE(counts["top coat"], 20);
  EXPECT_GE(counts["shampoo"], 100);
  EXPECT_GE(counts["nail polish remover"] + counts["polish remover"], 5);
  // Item 1 (S3-Rec id 1): "OPI Nail Lacquer, Simmer and Shimmer, 0.5-Fluid Ounce".
  EXPECT_EQ(f.subcategories[0], "nail lacquer");
  EXPECT_EQ(f.brands[0], "opi");
}

}  // namespace
}  // namespace vitrine::recsys
