#include "sync_server/recsys/text_features.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "sync_server/common/utf8.h"

namespace vitrine::recsys {
namespace {

// ---- UTF-8 -------------------------------------------------------------------------------------

// Decodes one code point at `pos`, advancing. Invalid sequences yield U+FFFD and advance one byte.
char32_t DecodeUtf8(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    ++pos;
    return 0xFFFD;
  }
  if (pos + static_cast<size_t>(len) > s.size()) {
    ++pos;
    return 0xFFFD;
  }
  for (int i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(s[pos + static_cast<size_t>(i)]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  // Overlong forms and surrogates are invalid.
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
    ++pos;
    return 0xFFFD;
  }
  pos += static_cast<size_t>(len);
  return cp;
}

bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80)
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7 || cp == 0xFFFD) return false;  // Latin-1 symbols
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, letterlike (™), arrows, dingbats
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE6F) return false;  // variation selectors, small forms
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  if (cp >= 0x1F000) return false;                 // emoji and pictographs
  return true;
}

bool IsApostrophe(char32_t cp) { return cp == '\'' || cp == 0x2019 || cp == 0x2018; }

// ---- Lexicons (shop-agnostic English)
// ------------------------------------------------------------

using WordSet = std::unordered_set<std::string_view>;

const WordSet& Units() {
  static const WordSet kWords = {
      "oz",     "ounce",  "ounces",  "fl",       "fluid",  "ml",      "l",        "liter",
      "liters", "litre",  "litres",  "g",        "gr",     "gram",    "grams",    "kg",
      "mg",     "lb",     "lbs",     "pound",    "pounds", "count",   "ct",       "pc",
      "pcs",    "piece",  "pieces",  "pack",     "packs",  "pk",      "pair",     "pairs",
      "sheet",  "sheets", "capsule", "capsules", "tablet", "tablets", "softgels", "inch",
      "inches", "in",     "cm",      "mm",       "m",      "x",       "percent",  "each",
      "per",    "units",  "unit",    "set",      "sets",   "qty",     "quantity", "size",
      "wipes",  "yards",  "ft",      "feet",     "w",      "v",       "mah",      "gb",
      "tb",     "kw",     "watt",    "watts",    "volt",   "volts",   "refills",  "servings",
      "ea",     "count",  "lot",     "bottles",  "bottle", "tubes",   "jars",     "rolls",
      "boxes",  "dozen"};
  return kWords;
}

// Units that never describe a product, dropped even without a number next to them.
const WordSet& PureUnits() {
  static const WordSet kWords = {"oz", "ounce", "ounces", "fl", "floz", "ml",
                                 "ct", "pcs",   "lbs",    "mg", "kg",   "ea"};
  return kWords;
}

// Words that introduce a quantity: "pack of 3", "set of 2", "case of 12".
const WordSet& QuantityHeads() {
  static const WordSet kWords = {"pack", "set", "case",  "box",  "bundle", "lot",   "bag",
                                 "kit",  "pk",  "count", "pair", "pairs",  "packs", "sets"};
  return kWords;
}

const WordSet& Colours() {
  static const WordSet kWords = {
      "black",       "white",       "red",      "blue",    "green",     "yellow", "pink",
      "purple",      "violet",      "brown",    "grey",    "gray",      "silver", "gold",
      "beige",       "nude",        "clear",    "ivory",   "navy",      "teal",   "coral",
      "burgundy",    "maroon",      "bronze",   "copper",  "tan",       "blonde", "brunette",
      "multicolor",  "multicolour", "assorted", "colors",  "colours",   "color",  "colour",
      "shade",       "shades",      "light",    "dark",    "medium",    "deep",   "pale",
      "bright",      "neon",        "fuchsia",  "magenta", "turquoise", "aqua",   "lilac",
      "khaki",       "cyan",        "indigo",   "scarlet", "crimson",   "auburn", "platinum",
      "taupe",       "mauve",       "ruby",     "emerald", "sapphire",  "jet",    "transparent",
      "translucent", "fair",        "natural",  "neutral"};
  return kWords;
}

const WordSet& Noise() {
  static const WordSet kWords = {"new",   "original", "authentic", "genuine", "free",    "shipping",
                                 "sale",  "hot",      "best",      "quality", "premium", "tm",
                                 "brand", "latest",   "version",   "model",   "style",   "edition",
                                 "amp",   "quot",     "nbsp"};
  return kWords;
}

// Words that open a complement of the head phrase: the head comes before them.
const WordSet& SegmentBreakers() {
  // Not "in" ("leave-in conditioner", "2-in-1") nor "plus" ("SPF 30 Plus").
  static const WordSet kWords = {"for",        "with",      "by",         "from", "featuring",
                                 "includes",   "including", "containing", "w",    "fits",
                                 "compatible", "designed",  "made"};
  return kWords;
}

const WordSet& FunctionWords() {
  static const WordSet kWords = {
      "a",    "an",   "the", "and", "or",  "of",   "for",  "with", "by",    "in",    "on",
      "to",   "from", "at",  "as",  "is",  "your", "you",  "our",  "all",   "it",    "its",
      "this", "that", "my",  "her", "his", "be",   "no",   "not",  "de",    "la",    "le",
      "du",   "des",  "et",  "y",   "el",  "di",   "only", "one",  "two",   "three", "very",
      "so",   "s",    "t",   "up",  "out", "off",  "into", "over", "under", "vs"};
  return kWords;
}

// Packaging words that end many titles without naming the product ("Brush Set", "Starter Kit").
const WordSet& Containers() {
  static const WordSet kWords = {
      "set",        "sets",   "kit",   "kits",   "pack",    "packs",      "bundle",
      "collection", "combo",  "lot",   "value",  "variety", "assortment", "gift",
      "piece",      "pieces", "pc",    "pcs",    "item",    "items",      "product",
      "products",   "women",  "men",   "womens", "mens",    "unisex",     "girls",
      "boys",       "kids",   "adult", "adults", "size",    "sizes",      "inch",
      "large",      "small",  "mini",  "travel", "count",   "refill",     "refills"};
  return kWords;
}

// Each head-like word further left must be this much less head-like... inverted: a candidate one
// place further left is preferred only when its head rate exceeds the right one's by 1/decay.
constexpr double kLeftHeadDecay = 0.6;

bool HasDigit(std::string_view w) {
  return std::any_of(w.begin(), w.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Contains(const WordSet& set, std::string_view w) { return set.count(w) > 0; }

std::string Join(const std::vector<std::string>& words, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out.push_back(' ');
    out += words[i];
  }
  return out;
}

// A token with its segment-break flag: true when punctuation ended the segment right after it.
struct RawToken {
  std::string word;
  bool breaks_after = false;
};

// Tokenises and records where punctuation splits phrases.
std::vector<RawToken> TokenizeWithBreaks(std::string_view text) {
  std::vector<RawToken> out;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) {
      out.push_back({std::move(current), false});
      current.clear();
    }
  };
  auto mark_break = [&] {
    flush();
    if (!out.empty()) out.back().breaks_after = true;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    // HTML entities: "&amp;", "&#9733;", "&#x2605;".
    if (text[pos] == '&') {
      size_t end = pos + 1;
      while (end < text.size() && end - pos <= 10 &&
             (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '#')) {
        ++end;
      }
      if (end < text.size() && text[end] == ';' && end > pos + 1) {
        flush();
        pos = end + 1;
        continue;
      }
    }
    const char32_t cp = DecodeUtf8(text, pos);
    if (IsWordCodePoint(cp)) {
      server::AppendUtf8(server::ToLowerCodePoint(cp), current);
      continue;
    }
    const bool prev_word = !current.empty();
    const bool next_word = pos < text.size() && [&] {
      size_t p = pos;
      return IsWordCodePoint(DecodeUtf8(text, p));
    }();
    if (IsApostrophe(cp) && prev_word && next_word) continue;  // "l'oreal" -> "loreal"
    if (cp == '.' && prev_word && next_word && HasDigit(current) &&
        std::isdigit(static_cast<unsigned char>(text[pos]))) {
      current.push_back('.');  // "0.5"
      continue;
    }
    if (cp == '.' && !prev_word && next_word &&
        std::isdigit(static_cast<unsigned char>(text[pos]))) {
      current.push_back('.');  // ".25 oz"
      continue;
    }
    switch (cp) {
      case ',':
      case ';':
      case ':':
      case '(':
      case ')':
      case '[':
      case ']':
      case '{':
      case '}':
      case '|':
      case '/':
      case '!':
      case '?':
      case '"':
      case '*':
      case '+':
      case 0x2013:  // en dash
      case 0x2014:  // em dash
      case 0xB7:    // middle dot
      case 0x2022:  // bullet
        mark_break();
        break;
      case '-':
        // " - " splits phrases; "anti-aging" and "0.5-fluid" only split words.
        if (start > 0 && text[start - 1] == ' ' && pos < text.size() && text[pos] == ' ') {
          mark_break();
        } else {
          flush();
        }
        break;
      case '.':
        // A sentence-ending period ("Oz. Tube") is not a phrase break: abbreviations are common.
        flush();
        break;
      default:
        flush();
        break;
    }
  }
  flush();
  return out;
}

}  // namespace

std::vector<std::string> TokenizeText(std::string_view text) {
  std::vector<std::string> words;
  for (auto& t : TokenizeWithBreaks(text)) words.push_back(std::move(t.word));
  return words;
}

NormalizedTitle NormalizeTitle(std::string_view title) {
  const std::vector<RawToken> tokens = TokenizeWithBreaks(title);
  const size_t n = tokens.size();
  std::vector<bool> drop(n, false);
  std::vector<bool> numeric(n, false);
  for (size_t i = 0; i < n; ++i) numeric[i] = HasDigit(tokens[i].word);
  for (size_t i = 0; i < n; ++i) {
    const std::string& w = tokens[i].word;
    if (numeric[i]) {
      drop[i] = true;
      // Units after a quantity: "0.5 fluid ounce", "2 x", "4 pack".
      for (size_t j = i + 1; j < n && Contains(Units(), tokens[j].word); ++j) {
        drop[j] = true;
        if (tokens[j].breaks_after) break;
      }
      // Quantity words before it: "pack of 3", "set of 2", "count 120".
      if (i >= 2 && tokens[i - 1].word == "of" && Contains(QuantityHeads(), tokens[i - 2].word)) {
        drop[i - 1] = drop[i - 2] = true;
      }
      continue;
    }
    if (Contains(PureUnits(), w) || Contains(Colours(), w) || Contains(Noise(), w)) drop[i] = true;
  }
  NormalizedTitle out;
  std::vector<std::string> segment;
  auto close_segment = [&] {
    // Function words at the edges of a phrase carry nothing ("and", "of").
    while (!segment.empty() && Contains(FunctionWords(), segment.back())) segment.pop_back();
    size_t lead = 0;
    while (lead < segment.size() && Contains(FunctionWords(), segment[lead])) ++lead;
    segment.erase(segment.begin(), segment.begin() + static_cast<std::ptrdiff_t>(lead));
    if (!segment.empty()) out.segments.push_back(std::move(segment));
    segment.clear();
  };
  std::vector<std::string> kept;
  for (size_t i = 0; i < n; ++i) {
    const std::string& w = tokens[i].word;
    if (!drop[i]) kept.push_back(w);
    if (Contains(SegmentBreakers(), w)) {
      close_segment();
    } else if (!drop[i]) {
      segment.push_back(w);
    }
    if (tokens[i].breaks_after) close_segment();
  }
  close_segment();
  out.stem = Join(kept, 0, kept.size());
  return out;
}

CatalogFeatures DeriveCatalogFeatures(const ItemText& text, const SubcategoryOptions& options) {
  const size_t n_items = std::max(text.titles.size(), text.attributes.size());
  auto title_of = [&](size_t i) {
    return i < text.titles.size() ? std::string_view(text.titles[i]) : std::string_view();
  };
  std::vector<NormalizedTitle> titles(n_items);
  std::vector<std::string> first_words(n_items);
  for (size_t i = 0; i < n_items; ++i) {
    titles[i] = NormalizeTitle(title_of(i));
    const auto words = TokenizeText(title_of(i));
    for (const auto& w : words) {
      if (!HasDigit(w)) {
        first_words[i] = w;
        break;
      }
    }
  }

  // Plurals fold onto a singular the catalog also uses ("heads" -> "head", "lashes" -> "lash"),
  // so "Brush Head" and "Brush Heads" share statistics and a subcategory.
  {
    std::unordered_set<std::string> vocabulary;
    for (const auto& t : titles)
      for (const auto& seg : t.segments) vocabulary.insert(seg.begin(), seg.end());
    std::unordered_map<std::string, std::string> singular;
    for (const auto& w : vocabulary) {
      if (w.size() <= 3 || w.back() != 's' || w[w.size() - 2] == 's') continue;
      if (w.size() > 4 && w.ends_with("es") && vocabulary.count(w.substr(0, w.size() - 2))) {
        singular[w] = w.substr(0, w.size() - 2);
      } else if (vocabulary.count(w.substr(0, w.size() - 1))) {
        singular[w] = w.substr(0, w.size() - 1);
      }
    }
    for (auto& t : titles) {
      for (auto& seg : t.segments) {
        for (auto& w : seg) {
          auto it = singular.find(w);
          if (it != singular.end()) w = it->second;
        }
      }
    }
  }

  // Catalog statistics, each counted once per title.
  std::unordered_map<std::string, int> phrase_titles;  // titles containing the phrase
  std::unordered_map<std::string, int> word_titles;    // titles containing the word (any position)
  std::unordered_map<std::string, int> ends_segment;   // titles where the word ends a segment
  std::unordered_map<std::string, int> opens_title;    // titles whose first word it is
  // Distinct title openers per phrase, capped at min_brands (only "enough or not" matters).
  std::unordered_map<std::string, std::vector<std::string_view>> openers;
  const size_t min_brands = static_cast<size_t>(std::max(1, options.min_brands));
  const size_t max_words = static_cast<size_t>(std::max(1, options.max_words));
  for (size_t i = 0; i < n_items; ++i) {
    std::unordered_set<std::string> phrases;
    std::unordered_set<std::string> words;
    std::unordered_set<std::string> enders;
    for (const auto& seg : titles[i].segments) {
      enders.insert(seg.back());
      for (size_t b = 0; b < seg.size(); ++b) {
        for (size_t len = 1; len <= max_words && b + len <= seg.size(); ++len) {
          phrases.insert(Join(seg, b, b + len));
        }
      }
    }
    for (const auto& w : TokenizeText(title_of(i))) words.insert(w);
    for (const auto& p : phrases) {
      ++phrase_titles[p];
      auto& o = openers[p];
      if (o.size() < min_brands && std::find(o.begin(), o.end(), first_words[i]) == o.end()) {
        o.push_back(first_words[i]);
      }
    }
    for (const auto& w : words) ++word_titles[w];
    for (const auto& w : enders) ++ends_segment[w];
    if (!first_words[i].empty()) ++opens_title[first_words[i]];
  }
  auto count = [](const std::unordered_map<std::string, int>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? 0 : it->second;
  };
  auto brand_like = [&](const std::string& w) {
    const int all = count(word_titles, w);
    return all > 0 && static_cast<double>(count(opens_title, w)) >=
                          options.brand_rate * static_cast<double>(all);
  };
  auto many_brands = [&](const std::string& phrase) {
    auto it = openers.find(phrase);
    return it != openers.end() && it->second.size() >= min_brands;
  };
  // Fraction of the titles containing `w` where it ends a segment; 0 when `w` cannot be a head.
  auto head_rate = [&](const std::string& w) {
    if (Contains(FunctionWords(), w) || Contains(Containers(), w) || brand_like(w)) return 0.0;
    const int df = count(phrase_titles, w);
    if (df < options.min_titles || !many_brands(w)) return 0.0;
    const double rate = static_cast<double>(count(ends_segment, w)) / df;
    return rate >= options.min_head_rate ? rate : 0.0;
  };

  CatalogFeatures f;
  f.stems.resize(n_items);
  f.brands.resize(n_items);
  f.subcategories.resize(n_items);
  for (size_t i = 0; i < n_items; ++i) {
    f.stems[i] = titles[i].stem;
    if (!first_words[i].empty() && brand_like(first_words[i])) f.brands[i] = first_words[i];
    for (const auto& seg : titles[i].segments) {
      // English heads come last, so the rightmost head-like word wins unless one further left is
      // much more head-like: "Polish Remover None Acetone" -> "remover", not "acetone".
      size_t e = seg.size();
      double best = 0;
      double decay = 1;
      for (size_t k = seg.size(); k-- > 0;) {
        const double rate = head_rate(seg[k]);
        if (rate <= 0) continue;
        if (rate * decay > best) {
          best = rate * decay;
          e = k;
        }
        decay *= kLeftHeadDecay;
      }
      bool found = false;
      if (e < seg.size()) {
        size_t begin = e;
        int df = count(phrase_titles, seg[e]);
        while (e + 1 - begin < max_words && begin > 0) {
          const std::string& left = seg[begin - 1];
          if (Contains(FunctionWords(), left) || Contains(Containers(), left) || brand_like(left))
            break;
          const std::string phrase = Join(seg, begin - 1, e + 1);
          const int wider = count(phrase_titles, phrase);
          if (wider < options.min_titles || !many_brands(phrase) ||
              static_cast<double>(wider) < options.min_collocation * df) {
            break;
          }
          --begin;
          df = wider;
        }
        f.subcategories[i] = Join(seg, begin, e + 1);
        found = true;
      }
      if (found) break;
    }
  }

  auto densify = [](const std::vector<std::string>& values, std::vector<int32_t>& ids,
                    std::vector<std::string>* names) {
    std::unordered_map<std::string, int32_t> index;
    ids.assign(values.size(), -1);
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].empty()) continue;
      auto [it, inserted] = index.emplace(values[i], static_cast<int32_t>(index.size()));
      if (inserted && names != nullptr) names->push_back(values[i]);
      ids[i] = it->second;
    }
  };
  densify(f.stems, f.stem_ids, nullptr);
  densify(f.brands, f.brand_ids, nullptr);
  densify(f.subcategories, f.subcategory_ids, &f.subcategory_names);
  std::vector<std::string> attribute_keys(n_items);
  for (size_t i = 0; i < n_items && i < text.attributes.size(); ++i) {
    std::vector<int32_t> attrs = text.attributes[i];
    std::sort(attrs.begin(), attrs.end());
    for (int32_t a : attrs) attribute_keys[i] += std::to_string(a) + ",";
  }
  densify(attribute_keys, f.attribute_set_ids, nullptr);
  return f;
}

bool AreNearDuplicates(const CatalogFeatures& features, ItemIndex a, ItemIndex b) {
  const auto ua = static_cast<size_t>(a);
  const auto ub = static_cast<size_t>(b);
  if (a < 0 || b < 0 || ua >= features.item_count() || ub >= features.item_count()) return false;
  if (features.stem_ids[ua] >= 0 && features.stem_ids[ua] == features.stem_ids[ub]) return true;
  if (features.brand_ids[ua] < 0 || features.brand_ids[ua] != features.brand_ids[ub]) return false;
  const auto same = [&](const std::vector<int32_t>& ids) {
    return ids[ua] >= 0 && ids[ua] == ids[ub];
  };
  return same(features.subcategory_ids) || same(features.attribute_set_ids);
}

std::vector<std::string> ContentTokens(const ItemText& text, ItemIndex item) {
  std::vector<std::string> out;
  const auto i = static_cast<size_t>(item);
  if (item >= 0 && i < text.titles.size()) {
    for (const auto& seg : NormalizeTitle(text.titles[i]).segments) {
      out.insert(out.end(), seg.begin(), seg.end());
    }
  }
  if (item >= 0 && i < text.attributes.size()) {
    for (int32_t a : text.attributes[i]) out.push_back("attr_" + std::to_string(a));
  }
  return out;
}

}  // namespace vitrine::recsys
