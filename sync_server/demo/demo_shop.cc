#include "sync_server/demo/demo_shop.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

// How the history is made: every customer is simulated on its own (its own RNG stream derived
// from the seed and its index) into compact RawEvents; all of them are then sorted by time and
// turned into protobuf events batch by batch. Event ids and order ids are drawn in that global
// order from one more seeded stream, so the same options give byte-identical batches. No
// std::*_distribution is used: their output differs between standard libraries.

namespace vitrine::demo {
namespace {

constexpr int64_t kSecondMs = 1000;
constexpr int64_t kMinuteMs = 60 * kSecondMs;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kMicros = 1'000'000;
constexpr size_t kMaxBatchEvents = 500;
// A new visit starts only after the SDK's 30-minute session timeout has passed.
constexpr int64_t kSessionGapMs = 31 * kMinuteMs;
// No visit starts later than this before end_ms, so that the longest visit still ends before it.
constexpr int64_t kLastVisitMarginMs = 3 * kHourMs;
constexpr int kMaxVisitsPerCustomer = 40;
// Products a list view reports (the first screen of the category page).
constexpr size_t kListImpressions = 4;
constexpr const char* kCurrency = "EUR";

// Independent RNG streams (mixed with the seed) so that changing one part of the generator does
// not reshuffle the others.
enum Stream : uint64_t {
  kStreamCatalog = 1,
  kStreamCustomer = 2,
  kStreamEventIds = 3,
  kStreamAmazon = 4,
};

uint64_t Mix(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t Hash(uint64_t a, uint64_t b) { return Mix(a ^ Mix(b)); }
uint64_t Hash(uint64_t a, uint64_t b, uint64_t c) { return Hash(Hash(a, b), c); }

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n), n > 0 (modulo bias is below 2^-40 for the n used here).
  size_t Index(size_t n) { return static_cast<size_t>(Next() % n); }
  // Uniform in [lo, hi].
  int Int(int lo, int hi) { return lo + static_cast<int>(Index(static_cast<size_t>(hi - lo + 1))); }
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  double Exp(double mean) { return -mean * std::log(1.0 - Unit()); }
  int64_t Between(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t state_;
};

// ---------------------------------------------------------------------------------------------
// The shop's shape: categories, brands, lines.

enum Domain : uint8_t { kSkin, kHair, kMakeup, kFragrance, kHealth, kOral, kBath, kTools };

struct CategorySpec {
  std::string_view path;
  Domain domain;
  double weight;   // share of the generated catalog and of shoppers' interest; 0: Amazon only
  double min_eur;  // typical shelf price range
  double max_eur;
  int replenish_days;  // consumables are bought again after about this long; 0: not consumable
  std::vector<std::string_view> types;
  std::vector<std::string_view> variants;  // sizes, shades, packs
};

const std::vector<std::string_view> kShades = {"Porcelain", "Ivory",   "Sand",    "Beige",
                                               "Honey",     "Caramel", "Espresso"};

const std::vector<CategorySpec>& Categories() {
  static const std::vector<CategorySpec> kCategories = {
      {"Skin Care/Face/Serums",
       kSkin,
       5,
       14,
       79,
       60,
       {"Vitamin C Serum", "Hyaluronic Acid Serum", "Niacinamide Serum", "Retinol Night Serum",
        "Peptide Firming Serum"},
       {"15 ml", "30 ml", "50 ml"}},
      {"Skin Care/Face/Moisturizers",
       kSkin,
       6,
       12,
       69,
       60,
       {"Day Cream", "Night Cream", "Gel Moisturizer", "Barrier Repair Cream",
        "Tinted Moisturizer SPF 30"},
       {"50 ml", "75 ml"}},
      {"Skin Care/Face/Cleansers",
       kSkin,
       5,
       7,
       29,
       45,
       {"Foaming Cleanser", "Cleansing Balm", "Micellar Water", "Gentle Gel Cleanser",
        "Exfoliating Toner"},
       {"150 ml", "200 ml", "400 ml"}},
      {"Skin Care/Face/Masks",
       kSkin,
       3,
       6,
       35,
       45,
       {"Clay Mask", "Sheet Mask", "Overnight Sleeping Mask", "Peel-Off Mask"},
       {"5-Pack", "75 ml", "100 ml"}},
      {"Skin Care/Eyes/Eye Creams",
       kSkin,
       3,
       15,
       65,
       75,
       {"Eye Cream", "Depuffing Eye Gel", "Brightening Eye Serum"},
       {"15 ml", "20 ml"}},
      {"Skin Care/Body/Lotions",
       kSkin,
       4,
       6,
       29,
       45,
       {"Body Lotion", "Body Butter", "Firming Body Milk", "Shea Body Cream"},
       {"200 ml", "400 ml"}},
      {"Skin Care/Sun/Sunscreen",
       kSkin,
       4,
       9,
       35,
       60,
       {"Sun Fluid SPF 50", "Sun Lotion SPF 30", "Mineral Sunscreen SPF 50", "After-Sun Gel"},
       {"50 ml", "100 ml", "200 ml"}},
      {"Hair Care/Shampoo",
       kHair,
       6,
       4,
       26,
       40,
       {"Repair Shampoo", "Volume Shampoo", "Anti-Dandruff Shampoo", "Colour Protect Shampoo",
        "Moisture Shampoo"},
       {"250 ml", "300 ml", "500 ml"}},
      {"Hair Care/Conditioner",
       kHair,
       5,
       4,
       26,
       40,
       {"Repair Conditioner", "Volume Conditioner", "Colour Protect Conditioner",
        "Moisture Conditioner"},
       {"200 ml", "250 ml", "500 ml"}},
      {"Hair Care/Treatments",
       kHair,
       3,
       9,
       39,
       60,
       {"Hair Mask", "Argan Hair Oil", "Leave-In Spray", "Scalp Serum"},
       {"100 ml", "150 ml", "200 ml"}},
      {"Hair Care/Styling",
       kHair,
       3,
       5,
       24,
       60,
       {"Styling Mousse", "Texture Spray", "Strong Hold Hairspray", "Curl Cream"},
       {"150 ml", "250 ml", "300 ml"}},
      {"Hair Care/Colour",
       kHair,
       2,
       6,
       19,
       50,
       {"Permanent Hair Colour", "Root Touch-Up", "Colour Gloss"},
       {"Light Blonde", "Dark Blonde", "Chestnut", "Dark Brown", "Black", "Copper"}},
      {"Makeup/Face/Foundation",
       kMakeup,
       4,
       11,
       49,
       90,
       {"Liquid Foundation", "Serum Foundation", "Matte Foundation", "Cushion Foundation"},
       kShades},
      {"Makeup/Face/Concealer",
       kMakeup,
       2,
       8,
       32,
       90,
       {"Concealer", "Brightening Concealer"},
       kShades},
      {"Makeup/Eyes/Mascara",
       kMakeup,
       4,
       7,
       32,
       90,
       {"Volume Mascara", "Lengthening Mascara", "Waterproof Mascara"},
       {"Black", "Brown-Black"}},
      {"Makeup/Eyes/Eyeliner",
       kMakeup,
       2,
       5,
       24,
       90,
       {"Liquid Eyeliner", "Gel Eyeliner Pencil", "Brow Pencil"},
       {"Black", "Brown", "Taupe"}},
      {"Makeup/Eyes/Eyeshadow Palettes",
       kMakeup,
       2,
       12,
       59,
       0,
       {"Eyeshadow Palette"},
       {"Nude 12", "Smoky 9", "Sunset 12", "Rose 6"}},
      {"Makeup/Eyes/Lashes",
       kMakeup,
       1,
       4,
       19,
       0,
       {"False Lashes", "Lash Glue", "Lash Serum"},
       {"Natural", "Volume", "Clear"}},
      {"Makeup/Lips/Lipstick",
       kMakeup,
       4,
       8,
       36,
       120,
       {"Satin Lipstick", "Matte Lipstick", "Cream Lipstick"},
       {"Rosewood", "Classic Red", "Nude Petal", "Berry", "Coral", "Mauve"}},
      {"Makeup/Lips/Lip Balm",
       kMakeup,
       2,
       3,
       14,
       45,
       {"Lip Balm", "Tinted Lip Balm", "Lip Oil"},
       {"Original", "Cherry", "Mint", "Vanilla"}},
      {"Makeup/Nails/Nail Polish",
       kMakeup,
       2,
       4,
       18,
       0,
       {"Nail Lacquer", "Gel-Effect Nail Polish", "Top Coat"},
       {"Ballet Pink", "Cherry Red", "Midnight", "Clear", "Coral"}},
      {"Fragrance/Women",
       kFragrance,
       4,
       24,
       129,
       0,
       {"Eau de Parfum", "Eau de Toilette", "Body Mist"},
       {"30 ml", "50 ml", "100 ml"}},
      {"Fragrance/Men",
       kFragrance,
       3,
       22,
       109,
       0,
       {"Eau de Parfum", "Eau de Toilette", "Aftershave Balm"},
       {"50 ml", "100 ml"}},
      {"Health/Vitamins",
       kHealth,
       5,
       5,
       29,
       45,
       {"Vitamin D3 1000 IU", "Multivitamin", "Vitamin C 500 mg", "Magnesium Complex",
        "Iron + B12"},
       {"60 Capsules", "90 Tablets", "120 Capsules"}},
      {"Health/Supplements",
       kHealth,
       4,
       11,
       45,
       45,
       {"Collagen Powder", "Omega-3 Fish Oil", "Biotin Hair Skin Nails", "Probiotic Complex"},
       {"30 Servings", "60 Capsules", "90 Capsules"}},
      {"Oral Care/Electric Toothbrushes",
       kOral,
       2,
       29,
       189,
       0,
       {"Sonic Toothbrush", "Rotating Electric Toothbrush", "Kids Electric Toothbrush"},
       {"Series 3", "Series 5", "Series 7", "Travel Edition"}},
      {"Oral Care/Replacement Heads",
       kOral,
       2,
       11,
       34,
       90,
       {"Replacement Brush Heads"},
       {"2-Pack", "4-Pack", "8-Pack"}},
      {"Oral Care/Toothpaste",
       kOral,
       3,
       2,
       10,
       30,
       {"Whitening Toothpaste", "Sensitive Toothpaste", "Herbal Toothpaste"},
       {"75 ml", "100 ml"}},
      {"Bath & Body/Shower Gel",
       kBath,
       4,
       3,
       15,
       30,
       {"Shower Gel", "Shower Oil", "Body Wash"},
       {"250 ml", "400 ml", "750 ml"}},
      {"Bath & Body/Bath Soaks",
       kBath,
       2,
       4,
       25,
       60,
       {"Bath Salts", "Bath Bomb Set", "Bubble Bath"},
       {"3-Pack", "500 g", "500 ml"}},
      {"Bath & Body/Hand Care",
       kBath,
       2,
       3,
       19,
       45,
       {"Hand Cream", "Hand Wash", "Cuticle Oil"},
       {"30 ml", "75 ml", "300 ml"}},
      {"Tools & Accessories/Brushes & Tools",
       kTools,
       2,
       5,
       49,
       0,
       {"Makeup Brush Set", "Blending Sponge", "Paddle Hair Brush", "Jade Facial Roller"},
       {"Rose Gold", "Black", "Pearl"}},
      // Amazon titles that match no rule land here; never generated.
      {"Beauty/Other", kTools, 0, 4, 29, 0, {}, {}},
  };
  return kCategories;
}

int CategoryIndex(std::string_view path) {
  const auto& cats = Categories();
  for (size_t i = 0; i < cats.size(); ++i) {
    if (cats[i].path == path) return static_cast<int>(i);
  }
  return -1;
}

struct BrandSpec {
  std::string_view name;
  uint32_t domains;  // bit mask of Domain
  int tier;          // 0 budget, 1 mid, 2 premium: where its prices sit in the category range
};

constexpr uint32_t Bit(Domain d) { return 1u << d; }

// Invented names; any resemblance to a real trademark is unintended.
const std::vector<BrandSpec>& Brands() {
  static const std::vector<BrandSpec> kBrands = {
      {"Luma Botanics", Bit(kSkin) | Bit(kBath), 1},
      {"Nordlys Skin", Bit(kSkin), 2},
      {"Aurelle Atelier", Bit(kSkin) | Bit(kMakeup) | Bit(kFragrance), 2},
      {"Mira Moss", Bit(kSkin) | Bit(kBath), 1},
      {"Kiyo Labs", Bit(kSkin), 1},
      {"Dermaveil", Bit(kSkin), 2},
      {"Pure Tide", Bit(kSkin) | Bit(kBath) | Bit(kHair), 0},
      {"Sable & Salt", Bit(kSkin) | Bit(kBath), 1},
      {"Clarisse Maison", Bit(kSkin) | Bit(kFragrance), 2},
      {"Okra Naturals", Bit(kSkin) | Bit(kHair), 0},
      {"Tressa", Bit(kHair), 1},
      {"Crown & Comb", Bit(kHair) | Bit(kTools), 1},
      {"Hairloom", Bit(kHair), 0},
      {"Sylvan Roots", Bit(kHair) | Bit(kSkin), 1},
      {"Maren Salon", Bit(kHair), 2},
      {"Fennel & Fig", Bit(kHair) | Bit(kBath), 0},
      {"Rouge Atelier", Bit(kMakeup), 2},
      {"Petal Theory", Bit(kMakeup), 1},
      {"Inkwell Beauty", Bit(kMakeup) | Bit(kTools), 1},
      {"Velvet Fern", Bit(kMakeup) | Bit(kSkin), 1},
      {"Cinder & Rose", Bit(kMakeup), 0},
      {"Lacquerie", Bit(kMakeup), 0},
      {"Halo Hue", Bit(kMakeup) | Bit(kTools), 1},
      {"Maison Orrery", Bit(kFragrance), 2},
      {"Orris & Oak", Bit(kFragrance), 2},
      {"Amberwick", Bit(kFragrance) | Bit(kBath), 1},
      {"Solenne", Bit(kFragrance), 2},
      {"Cedar Vale", Bit(kFragrance), 1},
      {"VitaNord", Bit(kHealth), 1},
      {"Green Alder", Bit(kHealth), 0},
      {"Corvita", Bit(kHealth), 1},
      {"Sunvale Nutrition", Bit(kHealth), 0},
      {"Helix Well", Bit(kHealth), 2},
      {"Dentiva", Bit(kOral), 1},
      {"Brightline Dental", Bit(kOral), 0},
      {"Sonora Smile", Bit(kOral), 2},
      {"Pearlwise", Bit(kOral), 0},
      {"Brisa Verde", Bit(kBath) | Bit(kSkin), 0},
      {"Hollis & Wren", Bit(kBath) | Bit(kFragrance), 1},
      {"Saffron Hill", Bit(kBath), 1},
      {"Tallow & Thyme", Bit(kBath) | Bit(kTools), 0},
  };
  return kBrands;
}

const std::vector<std::string_view>& Lines(Domain d) {
  static const std::array<std::vector<std::string_view>, 8> kLines = {{
      {"Hydra Glow", "Pure Calm", "Age Defy", "Daily Balance", "Clear Skin", "Radiance Boost",
       "Barrier Care", "Velvet Touch"},
      {"Deep Repair", "Silk Shine", "Volume Lift", "Scalp Care", "Colour Guard", "Curl Define"},
      {"Soft Focus", "Luxe", "Everyday", "Studio Pro", "Glow Up", "Stay All Day"},
      {"Midnight Iris", "Amber Bloom", "Citrus Drift", "Velvet Oud", "White Tea", "Cedar Smoke"},
      {"Daily Essentials", "Active", "Immune", "Beauty From Within", "Pure", "Balance"},
      {"Ultra Clean", "Fresh Mint", "Gum Care", "Pro White", "Sensitive Care"},
      {"Lavender Dream", "Ocean Mist", "Honey Oat", "Wild Fig", "Coconut Milk", "Eucalyptus"},
      {"Essentials", "Pro", "Travel", "Signature"},
  }};
  return kLines[d];
}

// Complementary categories: whoever puts the first in the cart often adds the second (same brand
// where the shop has it), so co-purchase data has structure a recommender can find.
struct ComplementRule {
  std::string_view from;
  std::string_view to;
  double probability;
};
const std::vector<ComplementRule>& ComplementRules() {
  static const std::vector<ComplementRule> kRules = {
      {"Oral Care/Electric Toothbrushes", "Oral Care/Replacement Heads", 0.6},
      {"Hair Care/Shampoo", "Hair Care/Conditioner", 0.5},
      {"Skin Care/Face/Serums", "Skin Care/Face/Moisturizers", 0.45},
      {"Skin Care/Face/Cleansers", "Skin Care/Face/Moisturizers", 0.2},
      {"Makeup/Face/Foundation", "Makeup/Face/Concealer", 0.3},
      {"Skin Care/Sun/Sunscreen", "Skin Care/Body/Lotions", 0.2},
  };
  return kRules;
}

const std::vector<std::string_view> kFirstNames = {
    "Anna",  "Sofia", "Emma",  "Mia",    "Lena",  "Clara",  "Julia", "Laura",  "Marie", "Elena",
    "Sara",  "Nora",  "Ida",   "Chloe",  "Lucia", "Amelie", "Hanna", "Olivia", "Maya",  "Zoe",
    "Alice", "Ines",  "Greta", "Paula",  "Nina",  "Eva",    "Lea",   "Lukas",  "Noah",  "Elias",
    "Jonas", "Leon",  "Finn",  "Matteo", "Hugo",  "Louis",  "David", "Tom",    "Milan", "Oskar"};
const std::vector<std::string_view> kLastNames = {
    "Schmidt", "Muller",    "Rossi",   "Dubois",   "Jansen", "Novak",    "Garcia",  "Martin",
    "Bianchi", "Lindqvist", "Weber",   "Kowalski", "Moreau", "Fischer",  "Hansen",  "Costa",
    "Bauer",   "Ricci",     "Petit",   "Nilsson",  "Meyer",  "Fontaine", "Silva",   "Horvat",
    "Keller",  "Romano",    "Laurent", "Berg",     "Wagner", "Esposito", "Leroy",   "Olsen",
    "Wolf",    "Marino",    "Girard",  "Dahl",     "Koch",   "Greco",    "Lambert", "Nowak"};

const std::vector<std::string_view> kReferrers = {"",  // direct
                                                  "https://www.google.com/",
                                                  "https://www.instagram.com/",
                                                  "https://mail.example.com/",
                                                  "https://www.pinterest.com/",
                                                  "https://www.bing.com/"};

// ---------------------------------------------------------------------------------------------
// The catalog as the generator uses it.

struct Product {
  std::string id;   // "p-00042"
  std::string sku;  // "VT-00042"
  std::string title;
  std::string brand;
  int category = 0;
  int brand_index = -1;  // generated catalog only
  int line = -1;         // generated catalog only
  int64_t price_micros = 0;
  int stock = 0;
  int rank = 0;         // popularity rank within its category, 0 = most popular
  int complement = -1;  // product often bought with this one, or -1
  std::array<uint32_t, 3> queries = {0, 0, 0};  // search queries that find it (query pool ids)
};

struct Catalog {
  std::vector<Product> products;
  // Per category: product indices by popularity rank, and the Zipf cumulative weights.
  std::vector<std::vector<uint32_t>> by_rank;
  std::vector<std::vector<double>> cumulative;
  std::vector<int> active;                // categories that have products
  std::vector<double> active_cumulative;  // their interest weights, cumulative
  std::vector<std::string> queries;       // search query pool
  std::unordered_map<std::string, uint32_t> query_ids;

  uint32_t Query(std::string q) {
    auto [it, inserted] = query_ids.emplace(q, static_cast<uint32_t>(queries.size()));
    if (inserted) queries.push_back(std::move(q));
    return it->second;
  }
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Padded(const char* prefix, uint64_t n, int width) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%0*llu", prefix, width, static_cast<unsigned long long>(n));
  return buf;
}

// A shelf price inside the category range: `position` in [0, 1] from cheap to dear (log scale,
// as price ranges in a category are), ending in .99 or .49 like real price tags.
int64_t ShelfPrice(const CategorySpec& cat, double position, bool ends_49) {
  double eur = cat.min_eur * std::pow(cat.max_eur / cat.min_eur, std::clamp(position, 0.0, 1.0));
  int64_t whole = std::max<int64_t>(1, static_cast<int64_t>(std::floor(eur)));
  return whole * kMicros + (ends_49 ? 490'000 : 990'000);
}

// Units in stock: a few percent sold out, most with a healthy shelf, a few nearly gone.
int StockLevel(uint64_t h) {
  uint64_t r = h % 1000;
  if (r < 40) return 0;                                     // 4% out of stock
  if (r < 120) return static_cast<int>(1 + (h >> 20) % 5);  // 8% low stock
  return static_cast<int>(10 + (h >> 20) % 240);
}

void RankAndIndex(Catalog* catalog, uint64_t seed) {
  const auto& cats = Categories();
  Rng rng(Hash(seed, kStreamCatalog, 7));
  catalog->by_rank.assign(cats.size(), {});
  for (uint32_t i = 0; i < catalog->products.size(); ++i) {
    catalog->by_rank[static_cast<size_t>(catalog->products[i].category)].push_back(i);
  }
  catalog->cumulative.assign(cats.size(), {});
  catalog->active.clear();
  catalog->active_cumulative.clear();
  double interest = 0;
  for (size_t c = 0; c < cats.size(); ++c) {
    auto& ranked = catalog->by_rank[c];
    // Popularity rank: a seeded shuffle (Fisher-Yates), so ids say nothing about popularity.
    for (size_t i = ranked.size(); i > 1; --i) std::swap(ranked[i - 1], ranked[rng.Index(i)]);
    double total = 0;
    for (size_t r = 0; r < ranked.size(); ++r) {
      catalog->products[ranked[r]].rank = static_cast<int>(r);
      total += 1.0 / std::pow(static_cast<double>(r) + 1.0, 1.1);  // Zipf, s = 1.1
      catalog->cumulative[c].push_back(total);
    }
    if (!ranked.empty()) {
      catalog->active.push_back(static_cast<int>(c));
      // Amazon-only categories have weight 0 but real items: give them a little interest.
      interest +=
          std::max(cats[c].weight, 0.5) * (1.0 + std::log1p(static_cast<double>(ranked.size())));
      catalog->active_cumulative.push_back(interest);
    }
  }
}

void LinkComplements(Catalog* catalog) {
  for (const ComplementRule& rule : ComplementRules()) {
    int from = CategoryIndex(rule.from);
    int to = CategoryIndex(rule.to);
    const auto& targets = catalog->by_rank[static_cast<size_t>(to)];
    if (targets.empty()) continue;
    for (uint32_t src : catalog->by_rank[static_cast<size_t>(from)]) {
      Product& p = catalog->products[src];
      // Same brand (and same line if possible) first, else one of the category's best sellers.
      int best = -1;
      int best_score = -1;
      for (uint32_t t : targets) {
        const Product& q = catalog->products[t];
        int score = (q.brand == p.brand ? 2 : 0) + (q.line >= 0 && q.line == p.line ? 1 : 0);
        if (score > best_score) {  // targets are in rank order: ties keep the more popular
          best_score = score;
          best = static_cast<int>(t);
        }
      }
      if (best_score <= 0) {
        size_t top = std::min<size_t>(5, targets.size());
        best = static_cast<int>(targets[Hash(src, 11) % top]);
      }
      p.complement = best;
    }
  }
}

Catalog GenerateCatalog(const DemoOptions& options) {
  const auto& cats = Categories();
  const auto& brands = Brands();
  Rng rng(Hash(options.seed, kStreamCatalog));
  Catalog catalog;
  size_t n = std::max<size_t>(options.products, 1);

  std::vector<int> generated;  // categories a generated shop stocks
  double total_weight = 0;
  for (size_t c = 0; c < cats.size(); ++c) {
    if (cats[c].weight > 0) {
      generated.push_back(static_cast<int>(c));
      total_weight += cats[c].weight;
    }
  }
  // Every category gets two products first (when there are enough), the rest by weight.
  std::vector<int> assignment;
  for (size_t i = 0; i < n; ++i) {
    if (i < 2 * generated.size()) {
      assignment.push_back(generated[i % generated.size()]);
      continue;
    }
    double x = rng.Unit() * total_weight;
    int chosen = generated.back();
    for (int c : generated) {
      x -= cats[static_cast<size_t>(c)].weight;
      if (x < 0) {
        chosen = c;
        break;
      }
    }
    assignment.push_back(chosen);
  }
  for (size_t i = assignment.size(); i > 1; --i) {
    std::swap(assignment[i - 1], assignment[rng.Index(i)]);
  }

  std::unordered_set<std::string> titles;
  for (size_t i = 0; i < n; ++i) {
    const int c = assignment[i];
    const CategorySpec& cat = cats[static_cast<size_t>(c)];
    std::vector<int> eligible;
    for (size_t b = 0; b < brands.size(); ++b) {
      if (brands[b].domains & Bit(cat.domain)) eligible.push_back(static_cast<int>(b));
    }
    Product p;
    p.category = c;
    const auto& lines = Lines(cat.domain);
    std::string title;
    for (int attempt = 0;; ++attempt) {
      p.brand_index = eligible[rng.Index(eligible.size())];
      p.line = static_cast<int>(rng.Index(lines.size()));
      std::string_view type = cat.types[rng.Index(cat.types.size())];
      std::string_view variant = cat.variants[rng.Index(cat.variants.size())];
      std::string_view line = lines[static_cast<size_t>(p.line)];
      title = std::string(brands[static_cast<size_t>(p.brand_index)].name) + " " +
              std::string(line) + " " + std::string(type) + " " + std::string(variant);
      if (attempt >= 12) title += " Edition " + std::to_string(attempt - 11);
      if (titles.insert(title).second) {
        // Queries that find it: the product type, the brand, the line.
        p.queries = {catalog.Query(Lower(type)),
                     catalog.Query(Lower(brands[static_cast<size_t>(p.brand_index)].name)),
                     catalog.Query(Lower(line))};
        break;
      }
    }
    const BrandSpec& brand = brands[static_cast<size_t>(p.brand_index)];
    p.title = std::move(title);
    p.brand = std::string(brand.name);
    p.id = Padded("p-", i + 1, 5);
    p.sku = Padded("VT-", i + 1, 5);
    double position = 0.1 + 0.35 * brand.tier + 0.3 * rng.Unit() - 0.1;
    p.price_micros = ShelfPrice(cat, position, rng.Chance(0.3));
    p.stock = StockLevel(rng.Next());
    catalog.products.push_back(std::move(p));
  }
  RankAndIndex(&catalog, options.seed);
  LinkComplements(&catalog);
  return catalog;
}

// ---------------------------------------------------------------------------------------------
// Amazon Beauty mode: real titles and sequences; category, brand, price and stock derived.

struct KeywordRule {
  std::string_view category;
  // Lower-case words or word beginnings ("exfoliat"); a trailing space asks for the whole word.
  // The first rule with a match wins.
  std::vector<std::string_view> keywords;
};

// Ordered from specific to general: "vitamin c serum" is a serum, "eye gel" an eye cream,
// "shower gel" a shower gel and only then "gel" a styling product.
const std::vector<KeywordRule>& KeywordRules() {
  static const std::vector<KeywordRule> kRules = {
      {"Oral Care/Replacement Heads", {"brush head", "replacement head", "refill head"}},
      {"Oral Care/Electric Toothbrushes", {"toothbrush", "tooth brush"}},
      {"Oral Care/Toothpaste", {"toothpaste", "whitening strip", "mouthwash", "teeth whitening"}},
      // Storage and displays name the products they hold ("Lipstick Organizer").
      {"Tools & Accessories/Brushes & Tools",
       {"organizer", "display", "holder", "storage", "cosmetic bag", "makeup bag", "pouch"}},
      {"Hair Care/Shampoo", {"shampoo"}},
      {"Hair Care/Conditioner", {"conditioner"}},
      {"Hair Care/Colour",
       {"hair color", "hair colour", "hair dye", "henna", "bleach", "touch-up"}},
      {"Makeup/Eyes/Lashes", {"eyelash", "lash"}},
      {"Makeup/Eyes/Mascara", {"mascara"}},
      {"Makeup/Eyes/Eyeliner",
       {"eyeliner", "eye liner", "eyebrow", "brow ", "brows", "eye pencil", "kohl", "eye marker"}},
      {"Makeup/Eyes/Eyeshadow Palettes", {"eyeshadow", "eye shadow", "palette"}},
      {"Makeup/Lips/Lip Balm", {"lip balm", "chapstick", "lip butter", "lip scrub", "lip oil"}},
      {"Makeup/Lips/Lipstick",
       {"lipstick", "lip color", "lip colour", "lip gloss", "lipgloss", "lip stain", "lipstain",
        "lip liner", "lip crayon", "lip"}},
      {"Makeup/Nails/Nail Polish",
       {"nail", "lacquer", "polish", "manicure", "cuticle", "top coat", "base coat", "glaze"}},
      {"Makeup/Face/Concealer", {"conceal", "corrector"}},
      {"Makeup/Face/Foundation",
       {"foundation", "bb cream", "cc cream", "powder", "blush", "bronzer", "highlighter", "primer",
        "contour"}},
      {"Fragrance/Men", {"for men", "cologne", "homme", "aftershave", "after shave"}},
      {"Fragrance/Women",
       {"eau de parfum", "eau de toilette", "perfume", "parfum", "fragrance", "body mist", "edp",
        "edt"}},
      {"Skin Care/Sun/Sunscreen",
       {"sunscreen", "spf", "sunblock", "sun screen", "tanning", "self tan", "self-tan",
        "bronzing"}},
      {"Skin Care/Eyes/Eye Creams", {"eye cream", "eye gel", "under eye", "eye serum", "eye mask"}},
      {"Skin Care/Face/Serums", {"serum", "ampoule", "essence"}},
      {"Skin Care/Face/Masks", {"mask", "peel", "clay"}},
      {"Skin Care/Face/Cleansers",
       {"cleanser", "face wash", "facial wash", "cleansing", "micellar", "toner", "makeup remover",
        "exfoliat", "scrub"}},
      {"Bath & Body/Hand Care", {"hand cream", "hand wash", "hand soap", "hand lotion"}},
      {"Bath & Body/Bath Soaks",
       {"bath salt", "bath bomb", "bubble bath", "bath soak", "epsom", "paraffin", "foot"}},
      {"Bath & Body/Shower Gel", {"shower", "body wash", "soap"}},
      {"Skin Care/Body/Lotions", {"lotion", "body butter", "body cream", "body oil", "shea"}},
      {"Hair Care/Treatments",
       {"hair mask", "hair oil", "argan", "keratin", "hair treatment", "leave-in", "leave in"}},
      {"Hair Care/Styling",
       {"hairspray", "hair spray", "mousse", "pomade", "gel", "curl", "wax", "styling"}},
      {"Health/Supplements", {"collagen", "biotin", "omega", "probiotic", "supplement"}},
      {"Health/Vitamins", {"vitamin", "capsule", "tablet", "softgel"}},
      {"Tools & Accessories/Brushes & Tools",
       {"brush", "sponge", "tweezer", "mirror", "curler", "comb", "dryer", "straightener",
        "flat iron", "clipper", "razor", "roller", "applicator", "wig", "extension", "hair clip",
        "bag", "case", "organizer"}},
      // Late, general words: after every rule that could claim the product more precisely.
      {"Tools & Accessories/Brushes & Tools",
       {"clip", "iron", "straighten", "haircutter", "epilator", "remover", "sauna", "mitt",
        "headband", "microdermabrasion", "massage", "heating cap", "tool"}},
      {"Skin Care/Face/Serums",
       {"retinol", "acne", "wrinkle", "anti-aging", "anti aging", "pore", "blemish"}},
      {"Hair Care/Treatments", {"hair"}},
      {"Hair Care/Styling", {"spray", "waver", "curling"}},
      {"Skin Care/Eyes/Eye Creams", {"eye"}},
      // Late, general words: after every rule that could claim the product more precisely.
      {"Tools & Accessories/Brushes & Tools",
       {"clip", "iron", "straighten", "haircutter", "epilator", "remover", "sauna", "mitt",
        "headband", "microdermabrasion", "massage", "heating cap", "tool"}},
      {"Skin Care/Face/Serums",
       {"retinol", "acne", "wrinkle", "anti-aging", "anti aging", "pore", "blemish"}},
      {"Hair Care/Treatments", {"hair"}},
      {"Hair Care/Styling", {"spray", "waver", "curling"}},
      {"Skin Care/Eyes/Eye Creams", {"eye"}},
      {"Skin Care/Face/Moisturizers",
       {"moisturizer", "moisturiser", "cream", "creme", "face oil", "facial oil", "oil"}},
  };
  return kRules;
}

// True when `keyword` starts a word of `text` ("lip" is in "lip gloss", not in "hair clip").
bool HasWord(std::string_view text, std::string_view keyword) {
  for (size_t pos = text.find(keyword); pos != std::string_view::npos;
       pos = text.find(keyword, pos + 1)) {
    if (pos == 0 || !std::isalnum(static_cast<unsigned char>(text[pos - 1]))) return true;
  }
  return false;
}

int CategoryFromTitle(std::string_view lower_title) {
  std::string text = std::string(lower_title) + " ";  // so that "brow " matches at the end too
  for (const KeywordRule& rule : KeywordRules()) {
    for (std::string_view k : rule.keywords) {
      if (HasWord(text, k)) return CategoryIndex(rule.category);
    }
  }
  return CategoryIndex("Beauty/Other");
}

// The brand is the title's first word (Amazon titles lead with it: "OPI Nail Lacquer ...").
std::string BrandFromTitle(std::string_view title) {
  size_t end = title.find(' ');
  std::string word(title.substr(0, end));
  while (!word.empty() && !std::isalnum(static_cast<unsigned char>(word.back()))) word.pop_back();
  bool has_alpha = std::any_of(word.begin(), word.end(),
                               [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  return has_alpha && word.size() >= 2 ? word : "Unbranded";
}

// Collapses runs of spaces (the source turned "&amp;" into "  and  ") and shortens very long
// marketing titles at a word boundary so that they fit on a product card.
std::string CleanTitle(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  constexpr size_t kMaxTitle = 120;
  if (out.size() > kMaxTitle) {
    size_t cut = out.rfind(' ', kMaxTitle);
    out.resize(cut == std::string::npos || cut < 40 ? kMaxTitle : cut);
    while (!out.empty() &&
           (out.back() == ',' || out.back() == '-' || out.back() == ' ' || out.back() == '+')) {
      out.pop_back();
    }
    out += "...";
  }
  return out;
}

bool ReadAmazonCatalog(const std::string& dir, uint64_t seed, Catalog* catalog,
                       std::unordered_map<uint64_t, uint32_t>* by_item_id) {
  std::ifstream in(dir + "/beauty_s3rec_id_asin_title.tsv");
  if (!in) return false;
  const auto& cats = Categories();
  std::string line;
  std::getline(in, line);  // header: s3rec_item_id, asin, title
  while (std::getline(in, line)) {
    size_t tab1 = line.find('\t');
    size_t tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) continue;
    uint64_t item_id = std::strtoull(line.c_str(), nullptr, 10);
    if (item_id == 0 || by_item_id->count(item_id)) continue;
    Product p;
    p.title = CleanTitle(std::string_view(line).substr(tab2 + 1));
    if (p.title.empty()) p.title = line.substr(tab1 + 1, tab2 - tab1 - 1);  // the ASIN
    std::string lower = Lower(p.title);
    p.category = CategoryFromTitle(lower);
    p.brand = BrandFromTitle(p.title);
    p.id = Padded("p-", item_id, 5);
    p.sku = line.substr(tab1 + 1, tab2 - tab1 - 1);  // the ASIN is the SKU
    // Price and stock are not in the data: synthesised from the item id, within the derived
    // category's usual range, so they are stable across runs and seeds.
    uint64_t h = Hash(item_id, 0x5eed);
    p.price_micros = ShelfPrice(cats[static_cast<size_t>(p.category)],
                                static_cast<double>(h % 1000) / 999.0, (h >> 10) % 10 < 3);
    p.stock = StockLevel(Hash(item_id, 0x570c));
    p.queries = {catalog->Query(Lower(p.brand)), catalog->Query(Lower(p.brand)),
                 catalog->Query(Lower(
                     std::string_view(cats[static_cast<size_t>(p.category)].path)
                         .substr(cats[static_cast<size_t>(p.category)].path.rfind('/') + 1)))};
    (*by_item_id)[item_id] = static_cast<uint32_t>(catalog->products.size());
    catalog->products.push_back(std::move(p));
  }
  if (catalog->products.empty()) return false;
  RankAndIndex(catalog, seed);
  // Popularity among Amazon items comes from the sequences themselves; the Zipf ranks only guide
  // the generated browsing around the real purchases.
  LinkComplements(catalog);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The history: compact events, then protobuf.

enum class Kind : uint8_t {
  kPageViewed,
  kListViewed,
  kProductViewed,
  kSearch,
  kAddToCart,
  kRemoveFromCart,
  kCartViewed,
  kCheckoutStarted,
  kCheckoutStep,
  kOrder,
  kIdentify,
};
constexpr std::array<const char*, 11> kTypeNames = {"page_viewed",
                                                    "product_list_viewed",
                                                    "product_viewed",
                                                    "search_submitted",
                                                    "product_added_to_cart",
                                                    "product_removed_from_cart",
                                                    "cart_viewed",
                                                    "checkout_started",
                                                    "checkout_step_completed",
                                                    "order_completed",
                                                    "identify"};

struct Line {
  uint32_t product;
  uint16_t quantity;
  uint16_t position;
};

struct RawEvent {
  int64_t at_ms;
  uint32_t customer;
  uint32_t seq;          // per customer (= per anonymous id), from 1
  uint32_t lines_begin;  // into History::lines
  uint32_t arg;          // page: category+1 | referrer << 16; list: category; search: query id;
                         // checkout step: step
  uint16_t visit;        // per customer, from 0
  uint16_t lines_count;
  Kind kind;
  bool identified;
};

struct History {
  std::vector<RawEvent> events;
  std::vector<Line> lines;
};

struct Shopper {
  std::vector<int> preferred;  // category indices
  int tier = 1;                // 0 budget, 1 mid, 2 premium
};

// Writes one customer's visits into the history with strictly increasing times and seq.
class CustomerWriter {
 public:
  CustomerWriter(History* history, uint32_t customer, Rng* rng)
      : history_(history), customer_(customer), rng_(rng) {}

  bool identified() const { return identified_; }
  // The earliest moment a new visit may start (after the session timeout).
  int64_t NextVisitEarliest() const { return last_ms_ == 0 ? 0 : last_ms_ + kSessionGapMs; }

  void BeginVisit(int64_t at_ms) {
    if (visits_ > 0) ++visit_;
    ++visits_;
    now_ms_ = std::max(at_ms, NextVisitEarliest());
    first_in_visit_ = true;
  }

  void Emit(Kind kind, const std::vector<Line>& lines = {}, uint32_t arg = 0) {
    if (!first_in_visit_) now_ms_ += rng_->Between(8 * kSecondMs, 150 * kSecondMs);
    first_in_visit_ = false;
    if (kind == Kind::kIdentify) identified_ = true;
    RawEvent e;
    e.at_ms = now_ms_;
    e.customer = customer_;
    e.seq = ++seq_;
    e.lines_begin = static_cast<uint32_t>(history_->lines.size());
    e.arg = arg;
    e.visit = visit_;
    e.lines_count = static_cast<uint16_t>(lines.size());
    e.kind = kind;
    e.identified = identified_;
    history_->lines.insert(history_->lines.end(), lines.begin(), lines.end());
    history_->events.push_back(e);
    last_ms_ = now_ms_;
  }

 private:
  History* history_;
  uint32_t customer_;
  Rng* rng_;
  int64_t now_ms_ = 0;
  int64_t last_ms_ = 0;
  uint32_t seq_ = 0;
  uint16_t visit_ = 0;
  int visits_ = 0;
  bool first_in_visit_ = true;
  bool identified_ = false;
};

class Simulator {
 public:
  Simulator(const Catalog& catalog, History* history) : catalog_(catalog), history_(history) {}

  int PickCategory(const Shopper& s, Rng& rng) const {
    if (!s.preferred.empty() && rng.Chance(0.8)) return s.preferred[rng.Index(s.preferred.size())];
    double x = rng.Unit() * catalog_.active_cumulative.back();
    auto it =
        std::upper_bound(catalog_.active_cumulative.begin(), catalog_.active_cumulative.end(), x);
    size_t i = std::min(static_cast<size_t>(it - catalog_.active_cumulative.begin()),
                        catalog_.active.size() - 1);
    return catalog_.active[i];
  }

  uint32_t ZipfProduct(int category, Rng& rng) const {
    const auto& cum = catalog_.cumulative[static_cast<size_t>(category)];
    double x = rng.Unit() * cum.back();
    size_t r =
        std::min(static_cast<size_t>(std::upper_bound(cum.begin(), cum.end(), x) - cum.begin()),
                 cum.size() - 1);
    return catalog_.by_rank[static_cast<size_t>(category)][r];
  }

  // Popular items first, bent towards the shopper's price tier: of two popularity draws a
  // budget shopper looks at the cheaper, a premium shopper at the dearer.
  uint32_t PickProduct(const Shopper& s, int category, Rng& rng) const {
    uint32_t a = ZipfProduct(category, rng);
    if (s.tier == 1) return a;
    uint32_t b = ZipfProduct(category, rng);
    bool a_cheaper = catalog_.products[a].price_micros <= catalog_.products[b].price_micros;
    return (s.tier == 0) == a_cheaper ? a : b;
  }

  bool InStock(uint32_t p) const { return catalog_.products[p].stock > 0; }

  std::vector<int> PickPreferred(Rng& rng) const {
    std::vector<int> out;
    int want = rng.Int(1, 3);
    for (int tries = 0; static_cast<int>(out.size()) < want && tries < 20; ++tries) {
      Shopper nobody;
      int c = PickCategory(nobody, rng);
      if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    }
    return out;
  }

  // One visit. `due`: products the shopper came back to buy again (replenishment); `buy`: the
  // visit is meant to end in an order. Returns the ordered lines (empty if none).
  std::vector<Line> Visit(CustomerWriter& w, const Shopper& s, Rng& rng, int64_t at_ms, bool buy,
                          const std::vector<uint32_t>& due, bool sign_in) {
    w.BeginVisit(at_ms);
    const bool landing_on_category = due.empty() && rng.Chance(0.4);
    const int landing_category = landing_on_category ? PickCategory(s, rng) : -1;
    uint32_t referrer = static_cast<uint32_t>(rng.Index(kReferrers.size()));
    w.Emit(Kind::kPageViewed, {}, static_cast<uint32_t>(landing_category + 1) | (referrer << 16));
    if (!w.identified() && sign_in) w.Emit(Kind::kIdentify);

    std::vector<uint32_t> viewed;
    auto view = [&](uint32_t p) {
      w.Emit(Kind::kProductViewed, {{p, 1, 0}});
      viewed.push_back(p);
    };
    for (uint32_t p : due) {
      if (rng.Chance(0.3)) w.Emit(Kind::kSearch, {}, catalog_.products[p].queries[1]);
      view(p);
    }
    int lists = due.empty() ? rng.Int(1, 2) : rng.Int(0, 1);
    for (int l = 0; l < lists; ++l) {
      int c = (l == 0 && landing_category >= 0) ? landing_category : PickCategory(s, rng);
      const auto& ranked = catalog_.by_rank[static_cast<size_t>(c)];
      std::vector<Line> shown;
      for (size_t r = 0; r < std::min<size_t>(kListImpressions, ranked.size()); ++r) {
        shown.push_back({ranked[r], 1, static_cast<uint16_t>(r + 1)});
      }
      w.Emit(Kind::kListViewed, shown, static_cast<uint32_t>(c));
      int views = rng.Int(1, 3);
      for (int v = 0; v < views; ++v) view(PickProduct(s, c, rng));
    }
    if (rng.Chance(0.25)) {
      uint32_t p = PickProduct(s, PickCategory(s, rng), rng);
      w.Emit(Kind::kSearch, {}, catalog_.products[p].queries[rng.Index(3)]);
      view(p);
    }

    const bool browse_cart = !buy && due.empty() && rng.Chance(0.12);
    if (!buy && due.empty() && !browse_cart) return {};
    std::vector<Line> cart;
    auto in_cart = [&](uint32_t p) {
      return std::any_of(cart.begin(), cart.end(), [p](const Line& l) { return l.product == p; });
    };
    auto add = [&](uint32_t p, uint16_t qty) {
      if (!InStock(p) || in_cart(p)) return;
      cart.push_back({p, qty, 0});
      w.Emit(Kind::kAddToCart, {cart.back()});
    };
    for (uint32_t p : due) add(p, rng.Chance(0.2) ? 2 : 1);
    if (due.empty() || rng.Chance(0.3)) {
      int picks = rng.Chance(0.35) ? 2 : 1;
      for (int i = 0; i < picks && !viewed.empty(); ++i) {
        uint32_t p = viewed[rng.Index(viewed.size())];
        bool consumable =
            Categories()[static_cast<size_t>(catalog_.products[p].category)].replenish_days > 0;
        add(p, consumable && rng.Chance(0.15) ? 2 : 1);
      }
    }
    // Complements: a toothbrush brings its brush heads, a shampoo its conditioner.
    const size_t before_complements = cart.size();
    for (size_t i = 0; i < before_complements; ++i) {
      const Product& p = catalog_.products[cart[i].product];
      if (p.complement < 0) continue;
      double prob = 0;
      for (const ComplementRule& rule : ComplementRules()) {
        if (Categories()[static_cast<size_t>(p.category)].path == rule.from) {
          prob = rule.probability;
        }
      }
      uint32_t c = static_cast<uint32_t>(p.complement);
      if (rng.Chance(prob) && InStock(c) && !in_cart(c)) {
        view(c);
        add(c, 1);
      }
    }
    if (cart.size() >= 2 && rng.Chance(0.12)) {
      size_t i = rng.Index(cart.size());
      w.Emit(Kind::kRemoveFromCart, {cart[i]});
      cart.erase(cart.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (cart.empty() || browse_cart) return {};  // browsing carts are abandoned
    return Checkout(w, rng, cart);
  }

  std::vector<Line> Checkout(CustomerWriter& w, Rng& rng, const std::vector<Line>& cart) {
    if (!w.identified()) w.Emit(Kind::kIdentify);  // signs in to check out
    if (rng.Chance(0.4)) w.Emit(Kind::kCartViewed, cart);
    w.Emit(Kind::kCheckoutStarted, cart);
    if (rng.Chance(0.06)) return {};  // abandoned at checkout
    w.Emit(Kind::kCheckoutStep, {}, 1);
    w.Emit(Kind::kCheckoutStep, {}, 2);
    w.Emit(Kind::kOrder, cart);
    return cart;
  }

  void GeneratedCustomer(uint32_t index, const DemoOptions& options, uint64_t seed) {
    Rng rng(Hash(seed, kStreamCustomer, index));
    CustomerWriter w(history_, index, &rng);
    Shopper s;
    s.preferred = PickPreferred(rng);
    double t = rng.Unit();
    s.tier = t < 0.35 ? 0 : (t < 0.8 ? 1 : 2);

    enum { kBrowser, kOneTime, kRepeat } kind;
    double k = rng.Unit();
    kind = k < 0.22 ? kBrowser : (k < 0.5 ? kOneTime : kRepeat);
    const bool churned = kind == kRepeat && rng.Chance(0.3);

    const int64_t window_start = options.end_ms - options.history_days * kDayMs;
    const int64_t last_visit = options.end_ms - kLastVisitMarginMs;
    const int64_t span = last_visit - window_start;
    // First visits lean to the start of the window: most of the base was acquired earlier.
    const int64_t start = window_start + static_cast<int64_t>(std::pow(rng.Unit(), 1.4) *
                                                              static_cast<double>(span) * 0.97);
    const int64_t stop =
        churned ? start + static_cast<int64_t>(rng.Unit() * static_cast<double>(last_visit - start))
                : last_visit;
    const double mean_gap_days = kind == kBrowser ? 25 : (kind == kOneTime ? 30 : 10 + rng.Exp(12));
    const int first_buy_visit = rng.Chance(0.6) ? 0 : 1;
    const double sign_in_chance = kind == kBrowser ? 0.25 : 0.4;

    struct Due {
      int64_t at_ms;
      uint32_t product;
    };
    std::vector<Due> replenish;
    int64_t next_browse = start;
    int orders = 0;
    for (int visit = 0; visit < kMaxVisitsPerCustomer; ++visit) {
      auto first_due =
          std::min_element(replenish.begin(), replenish.end(),
                           [](const Due& a, const Due& b) { return a.at_ms < b.at_ms; });
      const bool is_replenish = first_due != replenish.end() && first_due->at_ms < next_browse;
      int64_t at = std::max(is_replenish ? first_due->at_ms : next_browse, w.NextVisitEarliest());
      if (at >= stop) break;
      std::vector<uint32_t> due;
      if (is_replenish) {
        // Everything that runs out within a week is bought in the same visit.
        for (auto it = replenish.begin(); it != replenish.end();) {
          if (it->at_ms <= at + 7 * kDayMs) {
            if (std::find(due.begin(), due.end(), it->product) == due.end()) {
              due.push_back(it->product);
            }
            it = replenish.erase(it);
          } else {
            ++it;
          }
        }
      } else {
        next_browse = at + kHourMs + static_cast<int64_t>(rng.Exp(mean_gap_days) * kDayMs);
      }
      bool buy = false;
      if (due.empty()) {
        if (kind == kOneTime) buy = orders == 0 && visit >= first_buy_visit;
        if (kind == kRepeat) buy = orders == 0 ? visit >= first_buy_visit : rng.Chance(0.25);
      }
      std::vector<Line> ordered = Visit(w, s, rng, at, buy, due, rng.Chance(sign_in_chance));
      if (ordered.empty()) continue;
      ++orders;
      if (kind != kRepeat) continue;
      for (const Line& l : ordered) {
        const Product& p = catalog_.products[l.product];
        int days = Categories()[static_cast<size_t>(p.category)].replenish_days;
        if (days == 0 || !rng.Chance(0.75)) continue;
        // A bigger pack lasts longer; people run out at different speeds.
        double lasts = days * l.quantity * (0.8 + 0.45 * rng.Unit());
        replenish.push_back(
            {w.NextVisitEarliest() + static_cast<int64_t>(lasts * kDayMs), l.product});
      }
    }
  }

  // An Amazon reviewer: the sequence's items are what the customer bought, in order; each order
  // visit views the items first. One to three consecutive items share an order.
  void AmazonCustomer(uint32_t index, const std::vector<uint32_t>& items,
                      const DemoOptions& options, uint64_t seed) {
    Rng rng(Hash(seed, kStreamAmazon, index));
    CustomerWriter w(history_, index, &rng);
    Shopper s;
    s.tier = rng.Int(0, 2);
    for (uint32_t p : items) {
      int c = catalog_.products[p].category;
      if (s.preferred.size() < 3 &&
          std::find(s.preferred.begin(), s.preferred.end(), c) == s.preferred.end()) {
        s.preferred.push_back(c);
      }
    }
    std::vector<std::vector<uint32_t>> orders;
    for (uint32_t p : items) {
      if (orders.empty() || orders.back().size() >= 3 || !rng.Chance(0.25)) orders.emplace_back();
      orders.back().push_back(p);
    }
    const int64_t window_start = options.end_ms - options.history_days * kDayMs;
    const int64_t last_visit = options.end_ms - kLastVisitMarginMs;
    const int64_t start =
        window_start + static_cast<int64_t>(std::pow(rng.Unit(), 1.3) *
                                            static_cast<double>(last_visit - window_start) * 0.7);
    // Spread the orders over a random share of the remaining window, with random gaps.
    std::vector<double> gaps(orders.size());
    double total = 0;
    for (double& g : gaps) total += (g = rng.Exp(1.0));
    const double room = static_cast<double>(last_visit - start) * (0.3 + 0.7 * rng.Unit());
    int64_t at = start;
    for (size_t o = 0; o < orders.size(); ++o) {
      if (o > 0) at += static_cast<int64_t>(gaps[o] / total * room);
      at = std::max(at, w.NextVisitEarliest());
      if (at >= last_visit) break;
      w.BeginVisit(at);
      uint32_t referrer = static_cast<uint32_t>(rng.Index(kReferrers.size()));
      w.Emit(Kind::kPageViewed, {}, referrer << 16);
      if (!w.identified()) w.Emit(Kind::kIdentify);
      if (rng.Chance(0.3)) {
        int c = PickCategory(s, rng);
        const auto& ranked = catalog_.by_rank[static_cast<size_t>(c)];
        std::vector<Line> shown;
        for (size_t r = 0; r < std::min<size_t>(kListImpressions, ranked.size()); ++r) {
          shown.push_back({ranked[r], 1, static_cast<uint16_t>(r + 1)});
        }
        w.Emit(Kind::kListViewed, shown, static_cast<uint32_t>(c));
        w.Emit(Kind::kProductViewed, {{PickProduct(s, c, rng), 1, 0}});
      }
      std::vector<Line> cart;
      for (uint32_t p : orders[o]) {
        if (rng.Chance(0.2)) w.Emit(Kind::kSearch, {}, catalog_.products[p].queries[rng.Index(3)]);
        w.Emit(Kind::kProductViewed, {{p, 1, 0}});
        cart.push_back({p, 1, 0});
        w.Emit(Kind::kAddToCart, {cart.back()});
      }
      w.Emit(Kind::kCheckoutStarted, cart);
      w.Emit(Kind::kCheckoutStep, {}, 1);
      w.Emit(Kind::kCheckoutStep, {}, 2);
      w.Emit(Kind::kOrder, cart);
    }
  }

 private:
  const Catalog& catalog_;
  History* history_;
};

std::string Hex(uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 15];
  return out;
}

DemoCustomer MakeCustomer(uint64_t seed, uint64_t number) {
  DemoCustomer c;
  c.user_id = Padded("cust-", number, 6);
  uint64_t a = Hash(seed, number, 0xa11d);
  uint64_t b = Hash(seed, number, 0xb11d);
  // A v4-UUID-shaped device id, as the SDK makes.
  c.anonymous_id = Hex(a >> 32, 8) + "-" + Hex(a >> 16, 4) + "-4" + Hex(a, 3) + "-" +
                   Hex(0x8000 | (b >> 48 & 0x3fff), 4) + "-" + Hex(b, 12);
  uint64_t n = Hash(seed, number, 0x4a3e);
  c.first_name = std::string(kFirstNames[n % kFirstNames.size()]);
  c.last_name = std::string(kLastNames[(n >> 20) % kLastNames.size()]);
  c.email = Lower(c.first_name) + "." + Lower(c.last_name) + "." + std::to_string(number) +
            "@example.com";
  return c;
}

std::string Slug(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (c == '/') {
      out.push_back('/');
    } else if (!out.empty() && out.back() != '-' && out.back() != '/') {
      out.push_back('-');
    }
  }
  return out;
}

// Turns the sorted compact history into protobuf batches.
class Materializer {
 public:
  Materializer(const Catalog& catalog, const std::vector<DemoCustomer>& customers,
               const History& history, uint64_t seed)
      : catalog_(catalog),
        customers_(customers),
        history_(history),
        seed_(seed),
        ids_(Hash(seed, kStreamEventIds)) {
    const auto& cats = Categories();
    for (const auto& c : cats) slugs_.push_back(Slug(c.path));
  }

  void Fill(const RawEvent& raw, v1::Event* e) {
    std::string id(16, '\0');
    uint64_t hi = ids_.Next();
    uint64_t lo = ids_.Next();
    for (int i = 0; i < 8; ++i) {
      id[static_cast<size_t>(i)] = static_cast<char>(hi >> (8 * i));
      id[static_cast<size_t>(8 + i)] = static_cast<char>(lo >> (8 * i));
    }
    id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);  // UUID version 4
    id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
    e->set_event_id(std::move(id));
    e->set_type(kTypeNames[static_cast<size_t>(raw.kind)]);
    e->set_occurred_at_ms(raw.at_ms);
    e->set_seq(raw.seq);
    const DemoCustomer& c = customers_[raw.customer];
    e->set_session_id("s-" + Hex(Hash(seed_, raw.customer, raw.visit), 16));
    e->set_anonymous_id(c.anonymous_id);
    if (raw.identified) e->set_user_id(c.user_id);
    e->set_consent(v1::CONSENT_STATE_GRANTED);

    const Line* lines = history_.lines.data() + raw.lines_begin;
    const bool full_lines = raw.kind != Kind::kListViewed;
    int64_t value = 0;
    for (uint16_t i = 0; i < raw.lines_count; ++i) {
      const Line& l = lines[i];
      const Product& p = catalog_.products[l.product];
      v1::ProductLine* pl = e->add_products();
      pl->set_product_id(p.id);
      pl->set_sku(p.sku);
      pl->set_price_micros(p.price_micros);
      pl->set_currency(kCurrency);
      pl->set_quantity(l.quantity);
      if (l.position > 0) pl->set_position(l.position);
      // Names, brands and categories only where a storefront shows the product itself: list
      // impressions stay small (the server has the catalog), which matters at 100,000 customers.
      if (full_lines) {
        pl->set_name(p.title);
        pl->set_brand(p.brand);
        pl->set_category(std::string(Categories()[static_cast<size_t>(p.category)].path));
      }
      value += p.price_micros * l.quantity;
    }
    switch (raw.kind) {
      case Kind::kPageViewed: {
        uint32_t page = raw.arg & 0xffff;
        e->set_page_url(page == 0 ? "/" : "/c/" + slugs_[page - 1]);
        e->set_referrer(std::string(kReferrers[raw.arg >> 16]));
        break;
      }
      case Kind::kListViewed:
        e->set_list_id("cat:" + slugs_[raw.arg]);
        e->set_list_name(std::string(Categories()[raw.arg].path));
        e->set_page_url("/c/" + slugs_[raw.arg]);
        break;
      case Kind::kProductViewed:
        e->set_page_url("/p/" + catalog_.products[lines[0].product].id);
        break;
      case Kind::kSearch:
        e->set_query(catalog_.queries[raw.arg]);
        e->set_page_url("/search");
        break;
      case Kind::kCheckoutStep:
        e->set_checkout_step(static_cast<int32_t>(raw.arg));
        break;
      case Kind::kOrder: {
        v1::OrderInfo* o = e->mutable_order();
        o->set_order_id(Padded("ORD-", 1'000'000 + next_order_++, 7));
        o->set_value_micros(value);
        o->set_currency(kCurrency);
        // Prices include VAT; shipping is free from 29 EUR and charged on top below that.
        if (value < 29 * kMicros) o->set_shipping_micros(4'990'000);
        break;
      }
      case Kind::kIdentify: {
        auto& traits = *e->mutable_traits();
        traits["email"] = c.email;
        traits["first_name"] = c.first_name;
        traits["last_name"] = c.last_name;
        break;
      }
      default:
        break;
    }
  }

  // Batches of at most 500 events in history order, handed to `sink`.
  void Run(const std::function<void(v1::Batch&&)>& sink) {
    const auto& events = history_.events;
    for (size_t begin = 0; begin < events.size(); begin += kMaxBatchEvents) {
      size_t end = std::min(events.size(), begin + kMaxBatchEvents);
      v1::Batch batch;
      batch.mutable_events()->Reserve(static_cast<int>(end - begin));
      for (size_t i = begin; i < end; ++i) Fill(events[i], batch.add_events());
      // As if replayed by a device shortly after the last event in the batch.
      batch.set_sent_at_ms(events[end - 1].at_ms + 1500);
      v1::ClientContext* ctx = batch.mutable_context();
      ctx->set_sdk_name("vitrine-demo");
      ctx->set_sdk_version("0.1.0");
      ctx->set_platform("web");
      ctx->set_locale("en-GB");
      sink(std::move(batch));
    }
  }

 private:
  const Catalog& catalog_;
  const std::vector<DemoCustomer>& customers_;
  const History& history_;
  uint64_t seed_;
  Rng ids_;
  uint64_t next_order_ = 1;
  std::vector<std::string> slugs_;
};

v1::CatalogItem ToCatalogItem(const Product& p) {
  v1::CatalogItem item;
  item.set_product_id(p.id);
  item.set_title(p.title);
  item.set_price_micros(p.price_micros);
  item.set_currency(kCurrency);
  item.set_image_url("/img/p/" + p.id + ".svg");
  item.set_url("/p/" + p.id);
  item.set_category(std::string(Categories()[static_cast<size_t>(p.category)].path));
  item.set_brand(p.brand);
  item.set_stock(p.stock);
  return item;
}

std::vector<std::vector<uint32_t>> ReadAmazonSequences(
    const std::string& dir, size_t max_users,
    const std::unordered_map<uint64_t, uint32_t>& by_item_id, std::vector<uint64_t>* user_ids) {
  std::vector<std::vector<uint32_t>> out;
  std::ifstream in(dir + "/Beauty.txt");
  std::string line;
  while (out.size() < max_users && std::getline(in, line)) {
    std::istringstream words(line);
    uint64_t user = 0;
    if (!(words >> user)) continue;
    std::vector<uint32_t> items;
    uint64_t item = 0;
    while (words >> item) {
      auto it = by_item_id.find(item);
      if (it != by_item_id.end()) items.push_back(it->second);
    }
    if (items.empty()) continue;
    user_ids->push_back(user);
    out.push_back(std::move(items));
  }
  return out;
}

DemoShop Generate(const DemoOptions& raw_options, const std::function<void(v1::Batch&&)>* sink) {
  DemoOptions options = raw_options;
  options.history_days = std::max(options.history_days, 1);
  DemoShop shop;
  History history;
  Catalog catalog;
  std::unordered_map<uint64_t, uint32_t> by_item_id;
  if (!options.amazon_dir.empty()) {
    if (!ReadAmazonCatalog(options.amazon_dir, options.seed, &catalog, &by_item_id)) return shop;
    std::vector<uint64_t> user_ids;
    auto sequences =
        ReadAmazonSequences(options.amazon_dir, options.customers, by_item_id, &user_ids);
    Simulator sim(catalog, &history);
    for (size_t i = 0; i < sequences.size(); ++i) {
      shop.customers.push_back(MakeCustomer(options.seed, user_ids[i]));
      sim.AmazonCustomer(static_cast<uint32_t>(i), sequences[i], options, options.seed);
    }
  } else {
    catalog = GenerateCatalog(options);
    Simulator sim(catalog, &history);
    shop.customers.reserve(options.customers);
    history.events.reserve(options.customers * 30);
    history.lines.reserve(options.customers * 30);
    for (size_t i = 0; i < options.customers; ++i) {
      shop.customers.push_back(MakeCustomer(options.seed, i + 1));
      sim.GeneratedCustomer(static_cast<uint32_t>(i), options, options.seed);
    }
  }
  shop.catalog.reserve(catalog.products.size());
  for (const Product& p : catalog.products) shop.catalog.push_back(ToCatalogItem(p));

  std::sort(history.events.begin(), history.events.end(), [](const RawEvent& a, const RawEvent& b) {
    if (a.at_ms != b.at_ms) return a.at_ms < b.at_ms;
    if (a.customer != b.customer) return a.customer < b.customer;
    return a.seq < b.seq;
  });
  Materializer materializer(catalog, shop.customers, history, options.seed);
  if (sink != nullptr) {
    materializer.Run(*sink);
  } else {
    shop.batches.reserve(history.events.size() / kMaxBatchEvents + 1);
    materializer.Run([&shop](v1::Batch&& b) { shop.batches.push_back(std::move(b)); });
  }
  return shop;
}

}  // namespace

DemoShop GenerateDemoShop(const DemoOptions& options) { return Generate(options, nullptr); }

DemoShop StreamDemoShop(const DemoOptions& options, const std::function<void(v1::Batch&&)>& sink) {
  return Generate(options, &sink);
}

}  // namespace vitrine::demo
