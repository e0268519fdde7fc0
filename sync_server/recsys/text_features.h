// Product-title understanding without a language model: tokens, a normalised product "stem" that
// ignores size/quantity/pack/colour so variants of one product compare equal, a brand guess, and a
// fine subcategory (the head noun phrase: "nail polish", "top coat", "nail polish remover",
// "replacement brush heads") derived from the catalog's own statistics.
//
// Nothing here is a hand list for one shop: the subcategory of a title is chosen among phrases that
// are frequent in THIS catalog and behave like heads in it (see DeriveCatalogFeatures). The only
// lexicons are shop-agnostic English: units of measure, colour words, function words and a few
// container/marketing words ("set", "kit", "new", "authentic").
//
// Text is UTF-8. Tokenisation decodes code points: ASCII letters/digits and letters beyond U+00BF
// (accented Latin, Greek, Cyrillic, CJK...) are word characters; ASCII/Latin-1 punctuation and
// symbols (®, ™, °, general punctuation, arrows, emoji) separate words; invalid bytes separate
// words too. Lowercasing covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals.
//
// Thread safety: plain functions over values; CatalogFeatures is immutable once built.
#ifndef VITRINE_SYNC_SERVER_RECSYS_TEXT_FEATURES_H_
#define VITRINE_SYNC_SERVER_RECSYS_TEXT_FEATURES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

// Lowercased words of `text`. Apostrophes inside words are dropped ("L'Oreal" -> "loreal"), a '.'
// between digits stays ("0.5"), HTML entities ("&amp;", "&#9733;") are skipped.
std::vector<std::string> TokenizeText(std::string_view text);

// A title as phrases ("segments"): split at punctuation (, ; : ( ) [ ] | / " - ") and at words that
// start a complement ("for", "with", "by", "in", "from", ...), so "Replacement Brush Heads for X"
// keeps its head phrase apart from what it fits. Removed before segmenting: quantities with their
// units ("8.5 Ounce", "Pack of 3", "120 ct"), tokens with digits (sizes, model numbers "E55"),
// colour/shade words and marketing noise ("new", "authentic").
struct NormalizedTitle {
  std::vector<std::vector<std::string>> segments;
  // Every kept word in order, joined by ' ': equal stems mean the same product in another size,
  // pack or colour ("X Shampoo, 8.5 Ounce" and "X Shampoo, 33.8 Ounce" -> "x shampoo").
  std::string stem;
};
NormalizedTitle NormalizeTitle(std::string_view title);

struct SubcategoryOptions {
  // A phrase is a subcategory candidate only when at least this many titles contain it.
  int min_titles = 4;
  // The phrase's last word must end a title segment in at least this fraction of the titles that
  // contain it: heads end noun phrases ("polish", "remover"); modifiers rarely do ("nail", "eye").
  double min_head_rate = 0.2;
  // A head is widened one word to the left while the wider phrase keeps at least this fraction of
  // the narrower one's titles ("remover" -> "polish remover" -> "nail polish remover", but not
  // "adhesive" -> "lashgrip adhesive", a product line).
  double min_collocation = 0.1;
  int max_words = 3;
  // A head word, and each widening of it, must occur in titles opening with at least this many
  // different words (brands, mostly): a phrase only one brand uses is a product line ("Lashgrip
  // Adhesive", "Magic Soaps"), not a kind of product.
  int min_brands = 3;
  // Words that open at least this fraction of the titles they occur in are brands, never part of a
  // subcategory.
  double brand_rate = 0.5;
};

// Per-item text features, indexed like ItemText. Empty strings / -1 ids where a title has none.
struct CatalogFeatures {
  std::vector<std::string> stems;
  std::vector<std::string> brands;         // the title's first word when it is brand-like
  std::vector<std::string> subcategories;  // head noun phrase
  std::vector<int32_t> stem_ids;           // dense ids of equal stems
  std::vector<int32_t> brand_ids;
  std::vector<int32_t> subcategory_ids;
  // Dense ids of identical (sorted) attribute sets; -1 without attributes. In catalogs whose
  // attributes are brand + category path (the Amazon files), equal sets mean the same brand's
  // same leaf category: "OPI Nail Lacquer, Simmer and Shimmer" and "OPI NLL54 California
  // Raspberry", whose title alone names no product type.
  std::vector<int32_t> attribute_set_ids;
  std::vector<std::string> subcategory_names;  // subcategory id -> phrase

  size_t item_count() const { return stems.size(); }
};

// Method: (1) normalise every title into segments; (2) over the whole catalog count, for every
// phrase of 1..max_words words inside a segment, the titles containing it, and for every word the
// titles where it ends a segment and where it opens the title; (3) per title, walk the segments in
// order and each segment right to left; the first word that is frequent, head-like, not a brand,
// not a function/container word is the head; widen it leftwards while the wider phrase is a
// collocation (see SubcategoryOptions). Titles without such a word get no subcategory.
CatalogFeatures DeriveCatalogFeatures(const ItemText& text, const SubcategoryOptions& options = {});

// Near-duplicates: the same stem, or the same brand and either the same subcategory or the same
// attribute set (another size, shade or variant of one product line). Items without a title are
// never near-duplicates.
bool AreNearDuplicates(const CatalogFeatures& features, ItemIndex a, ItemIndex b);

// Words describing one item for embedding models: the normalised title's words followed by one
// token "attr_<id>" per attribute. Empty when the item has neither.
std::vector<std::string> ContentTokens(const ItemText& text, ItemIndex item);

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_TEXT_FEATURES_H_
