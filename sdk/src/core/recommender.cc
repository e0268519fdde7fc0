// Local recommendation serving. See recommender.h for the contract.
//
// Shape of the work:
//  - SetSnapshot (rare, scheduler thread) turns the snapshot into an immutable Index: catalog
//    items get dense integer ids, neighbour lists become one CSR array of (id, score), list
//    scores are normalised to [0, 1] so that the blend weights below mean the same thing for
//    every model version. Building happens outside the lock; only the pointer swap (plus a remap
//    of the small session state) happens under it.
//  - OnEvent (capture path) touches only the products in the event: decayed interest per item and
//    per category, the cart and purchase sets, and a per-item "blocked" flag array.
//  - Recommend (host's thread, hot) scores a few hundred candidates in thread_local scratch
//    arrays indexed by item id, picks the top with nth_element + a small sort, and only
//    allocates for the strings it returns.
//
// Locking: one shared_mutex guards the index pointer and the session state together, so a
// Recommend call always sees an index and a blocked-flag array that belong to each other.
// Recommend holds it shared for its ~microseconds; OnEvent/SetSnapshot hold it exclusively.
//
// Semantics (relied on by tests and by the Client):
//  - No snapshot yet (first run offline): Recommend returns OK and an empty list.
//  - Candidates: neighbours of context.product_id, of this session's viewed/clicked/carted items
//    (weighted by decayed interest), of cart items, the personal list and the popular list.
//    Items in none of those lists are never returned (no catalog scan on the hot path).
//  - Never returned: cart items, purchased items (snapshot or local orders), the context item,
//    out-of-stock items. An out-of-stock candidate hands its slot (and score) to its best
//    in-stock neighbour that is not already in the list and passes the same filters.
//  - Viewed/clicked items may be returned, damped by kViewedDamping.
//  - context.category keeps items whose category starts with it (plain prefix match).
//  - placement does not change the ranking yet.
//  - Durable state is the cart and the locally purchased ids; an empty or foreign blob is
//    rejected with kInvalidArgument and changes nothing.
#include "sdk/src/core/recommender.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace vitrine::internal {
namespace {

// --- Tuning. Relative weights of the blended score; list scores are normalised to [0, 1]. ---
constexpr float kContextNeighbourWeight = 2.0f;  // "similar to the item on this page"
constexpr float kSessionNeighbourWeight = 1.5f;  // neighbours of what was viewed this session
constexpr float kCartNeighbourWeight = 0.8f;     // complements of what is in the cart
// Frequently bought together (snapshot.frequently_bought_together): partners of the page's item
// and of the cart. On the "cart" and "frequently_bought_together" placements they lead; elsewhere
// they are one more signal.
constexpr float kContextFbtWeight = 3.0f;
constexpr float kCartFbtWeight = 2.0f;
constexpr float kOtherPlacementFbtWeight = 0.5f;
constexpr float kPersonalWeight = 1.0f;              // the server's list for this user
constexpr float kPopularWeight = 0.3f;               // fallback
constexpr float kCategoryAffinityWeight = 0.5f;      // session interest in the item's category
constexpr float kTopCategoryAffinityWeight = 0.25f;  // ... and in its top-level category
constexpr float kViewedDamping = 0.85f;              // already seen this session: keep, but lower
constexpr float kMinSessionWeight = 0.05f;           // ignore session items decayed below this
// Interest halves every 15 minutes of session time (event time, not wall time: the recommender
// has no clock, and event timestamps are what the session is made of).
constexpr double kInterestHalfLifeMs = 15.0 * 60 * 1000;
constexpr size_t kMaxSessionItems = 64;
constexpr size_t kMaxSessionCategories = 32;
constexpr size_t kMaxRecommendations = 100;

// Event weights for interest.
constexpr float kViewInterest = 1.0f;
constexpr float kClickInterest = 0.6f;
constexpr float kCartInterest = 1.0f;
constexpr float kWishlistInterest = 0.8f;
constexpr float kListCategoryInterest = 0.1f;

// Heterogeneous lookup so string_view keys need no temporary std::string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdMap = std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>>;

constexpr uint32_t kNoId = std::numeric_limits<uint32_t>::max();

struct Item {
  std::string product_id;
  std::string title;
  std::string currency;
  std::string image_url;
  std::string url;
  std::string category;
  std::string brand;
  double price = 0;
  bool in_stock = false;
  bool purchased = false;  // per the snapshot
  uint32_t category_id = kNoId;
  uint32_t top_category_id = kNoId;
};

struct Scored {
  uint32_t id;
  float score;  // normalised to [0, 1]
};

// Immutable once built; shared by every Recommend call that started while it was current.
struct Index {
  std::vector<Item> items;
  IdMap item_ids;
  IdMap category_ids;  // full categories and their top-level parts share one id space
  // Neighbours in CSR form: items [nb_begin[i], nb_begin[i+1]) of nb are item i's neighbours.
  std::vector<uint32_t> nb_begin;
  std::vector<Scored> nb;
  // Frequently-bought-together partners, same CSR layout.
  std::vector<uint32_t> fbt_begin;
  std::vector<Scored> fbt;
  std::vector<Scored> personal;
  std::vector<Scored> popular;
  std::vector<std::string> segment_ids;

  uint32_t Find(std::string_view product_id) const {
    auto it = item_ids.find(product_id);
    return it == item_ids.end() ? kNoId : it->second;
  }
  uint32_t FindCategory(std::string_view category) const {
    auto it = category_ids.find(category);
    return it == category_ids.end() ? kNoId : it->second;
  }
  size_t num_categories() const { return category_ids.size(); }
};

std::string_view TopLevel(std::string_view category) {
  return category.substr(0, category.find('/'));
}

float Sanitize(float s) { return std::isfinite(s) && s > 0 ? s : 0.0f; }

// Normalises a best-first list to [0, 1]. Lists without usable scores fall back to rank order
// so that an unscored list still ranks its head first.
template <typename Src>
void AppendNormalised(const Src& src, const Index& index, std::vector<Scored>* out) {
  float max_score = 0;
  for (const auto& s : src) max_score = std::max(max_score, Sanitize(s.score()));
  const size_t begin = out->size();
  size_t rank = 0;
  for (const auto& s : src) {
    const uint32_t id = index.Find(s.product_id());
    ++rank;
    if (id == kNoId) continue;  // cannot be rendered without its catalog entry
    bool duplicate = false;
    for (size_t k = begin; k < out->size(); ++k) {
      if ((*out)[k].id == id) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) continue;
    float score;
    if (max_score > 0) {
      score = Sanitize(s.score()) / max_score;
    } else {
      score = 1.0f - 0.5f * static_cast<float>(rank) / static_cast<float>(src.size() + 1);
    }
    out->push_back({id, score});
  }
}

// Dedup in AppendNormalised is quadratic in the list length; neighbour lists are ~20 and the
// personal/popular lists a few hundred, so that stays well under a millisecond per snapshot.
// Longer lists are cut: nobody renders the 1000th popular item.
constexpr int kMaxListLength = 1000;
constexpr int kMaxNeighbours = 100;

// `Repeated` is protobuf's RepeatedPtrField natively and a std::vector in the browser build.
template <typename Repeated>
struct Head {
  const Repeated& r;
  int limit;
  int count() const { return std::min(static_cast<int>(r.size()), limit); }
  auto begin() const { return r.begin(); }
  auto end() const { return r.begin() + count(); }
  size_t size() const { return static_cast<size_t>(count()); }
};
template <typename Repeated>
Head<Repeated> HeadOf(const Repeated& r, int limit) {
  return Head<Repeated>{r, limit};
}

std::shared_ptr<const Index> BuildIndex(const v1::Snapshot& snapshot) {
  auto index = std::make_shared<Index>();
  index->items.reserve(static_cast<size_t>(snapshot.catalog_size()));
  index->item_ids.reserve(static_cast<size_t>(snapshot.catalog_size()));
  auto intern_category = [&](std::string_view category) {
    auto [it, inserted] = index->category_ids.try_emplace(
        std::string(category), static_cast<uint32_t>(index->category_ids.size()));
    return it->second;
  };
  for (const auto& c : snapshot.catalog()) {
    if (c.product_id().empty()) continue;
    const auto next = static_cast<uint32_t>(index->items.size());
    if (!index->item_ids.try_emplace(c.product_id(), next).second) continue;  // first wins
    Item item;
    item.product_id = c.product_id();
    item.title = c.title();
    item.currency = c.currency();
    item.image_url = c.image_url();
    item.url = c.url();
    item.category = c.category();
    item.brand = c.brand();
    item.price = static_cast<double>(c.price_micros()) / 1e6;
    item.in_stock = c.stock() > 0;
    if (!item.category.empty()) {
      item.category_id = intern_category(item.category);
      item.top_category_id = intern_category(TopLevel(item.category));
    }
    index->items.push_back(std::move(item));
  }
  const size_t n = index->items.size();

  // Item -> item lists: collect per item (first list per product wins), then lay out as CSR.
  auto build_csr = [&](const auto& lists,  // repeated v1::Neighbours
                       std::vector<uint32_t>* begin, std::vector<Scored>* flat) {
    std::vector<int> list_of(n, -1);
    for (int k = 0; k < static_cast<int>(lists.size()); ++k) {
      const uint32_t id = index->Find(lists[k].product_id());
      if (id != kNoId && list_of[id] < 0) list_of[id] = k;
    }
    begin->resize(n + 1, 0);
    std::vector<Scored> tmp;
    for (size_t i = 0; i < n; ++i) {
      (*begin)[i] = static_cast<uint32_t>(flat->size());
      if (list_of[i] < 0) continue;
      tmp.clear();
      AppendNormalised(HeadOf(lists[list_of[i]].items(), kMaxNeighbours), *index, &tmp);
      for (const Scored& s : tmp) {
        if (s.id != i) flat->push_back(s);  // an item is not its own partner
      }
    }
    (*begin)[n] = static_cast<uint32_t>(flat->size());
  };
  build_csr(snapshot.neighbours(), &index->nb_begin, &index->nb);
  build_csr(snapshot.frequently_bought_together(), &index->fbt_begin, &index->fbt);

  AppendNormalised(HeadOf(snapshot.personal(), kMaxListLength), *index, &index->personal);
  AppendNormalised(HeadOf(snapshot.popular(), kMaxListLength), *index, &index->popular);
  for (const auto& p : snapshot.purchased_product_ids()) {
    const uint32_t id = index->Find(p);
    if (id != kNoId) index->items[id].purchased = true;
  }
  index->segment_ids.assign(snapshot.segment_ids().begin(), snapshot.segment_ids().end());
  return index;
}

// Decayed interest: `value` as of `t_ms`.
struct Interest {
  float value = 0;
  int64_t t_ms = 0;

  // Adds `w` observed at `t`, keeping the reference time the later of the two.
  void Add(float w, int64_t t) {
    if (t >= t_ms) {
      value = value * Decay(t, t_ms) + w;
      t_ms = t;
    } else {
      value += w * Decay(t_ms, t);
    }
  }
  float At(int64_t now) const { return now >= t_ms ? value * Decay(now, t_ms) : value; }
  static float Decay(int64_t later, int64_t earlier) {
    // In double: timestamps come from the host and may be arbitrary.
    const double dt = static_cast<double>(later) - static_cast<double>(earlier);
    return static_cast<float>(std::exp2(-dt / kInterestHalfLifeMs));
  }
};

struct SessionItem {
  std::string product_id;
  uint32_t id = kNoId;  // in the current index; kNoId when not in the catalog slice
  Interest interest;
  bool seen = false;  // viewed or clicked: damped, not removed
};

struct SessionCategory {
  std::string category;
  uint32_t id = kNoId;
  Interest interest;
};

// Per-thread scratch for Recommend, indexed by item id. Sized to the largest index seen on this
// thread; only touched entries are reset after each call.
struct Scratch {
  std::vector<float> score;
  std::vector<uint8_t> flags;
  std::vector<uint32_t> touched;
  std::vector<float> category_affinity;
  std::vector<uint32_t> touched_categories;
  std::vector<std::pair<float, uint32_t>> candidates;
  std::vector<std::pair<uint32_t, float>> session;  // (item id, weight)
};

constexpr uint8_t kTouched = 1;
constexpr uint8_t kCandidate = 2;
constexpr uint8_t kSeen = 4;
constexpr uint8_t kChosen = 8;

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Length-prefixed durable format:
//   "VTRD" u8 version(1) | u32 cart count | (u32 len, bytes)* | u32 purchased count | (...)*
// Little-endian. Strings are product ids (at most kMaxIdBytes each).
constexpr char kDurableMagic[4] = {'V', 'T', 'R', 'D'};
constexpr uint8_t kDurableVersion = 1;
constexpr uint32_t kMaxIdBytes = 4096;
constexpr uint32_t kMaxDurableIds = 1'000'000;

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool U8(uint8_t* v) {
    if (data_.size() < 1) return false;
    *v = static_cast<uint8_t>(data_[0]);
    data_.remove_prefix(1);
    return true;
  }
  bool U32(uint32_t* v) {
    if (data_.size() < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; ++i) {
      r |= static_cast<uint32_t>(static_cast<uint8_t>(data_[static_cast<size_t>(i)])) << (8 * i);
    }
    data_.remove_prefix(4);
    *v = r;
    return true;
  }
  bool Bytes(size_t len, std::string_view* v) {
    if (data_.size() < len) return false;
    *v = data_.substr(0, len);
    data_.remove_prefix(len);
    return true;
  }
  size_t remaining() const { return data_.size(); }

 private:
  std::string_view data_;
};

// Ids the durable format can hold; events with others (empty, absurdly long) do not change the
// cart or purchase sets, so that what is serialized always restores.
bool IsDurableId(std::string_view id) { return !id.empty() && id.size() <= kMaxIdBytes; }

bool ReadIdSet(Reader* r, std::set<std::string, std::less<>>* out) {
  uint32_t count = 0;
  if (!r->U32(&count) || count > kMaxDurableIds) return false;
  // Each entry needs at least its 4-byte length: reject counts the blob cannot hold before
  // doing any work for them.
  if (static_cast<uint64_t>(count) * 4 > r->remaining()) return false;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0;
    std::string_view id;
    if (!r->U32(&len) || len == 0 || len > kMaxIdBytes || !r->Bytes(len, &id)) return false;
    out->emplace(id);
  }
  return true;
}

}  // namespace

class Recommender::Impl {
 public:
  void SetSnapshot(const v1::Snapshot& snapshot) {
    std::shared_ptr<const Index> fresh = BuildIndex(snapshot);
    std::shared_ptr<const Index> old;
    {
      std::unique_lock lock(mu_);
      old = std::move(index_);
      index_ = std::move(fresh);
      RemapLocked();
    }
    // `old` is destroyed here, outside the lock (it may be the last reference to 10k items).
  }

  void OnEvent(const v1::Event& event) {
    std::unique_lock lock(mu_);
    const std::string& type = event.type();
    int64_t t = event.occurred_at_ms();
    if (t <= 0) t = session_now_ms_;
    session_now_ms_ = std::max(session_now_ms_, t);
    if (type == "product_viewed") {
      for (const auto& p : event.products()) AddInterestLocked(p, kViewInterest, t, true);
    } else if (type == "product_clicked" || type == "recommendation_clicked") {
      for (const auto& p : event.products()) AddInterestLocked(p, kClickInterest, t, true);
    } else if (type == "product_added_to_wishlist") {
      for (const auto& p : event.products()) AddInterestLocked(p, kWishlistInterest, t, false);
    } else if (type == "product_list_viewed") {
      for (const auto& p : event.products()) {
        AddCategoryInterestLocked(CategoryOf(p), kListCategoryInterest, t);
      }
    } else if (type == "product_added_to_cart") {
      for (const auto& p : event.products()) {
        if (!IsDurableId(p.product_id())) continue;
        AddInterestLocked(p, kCartInterest, t, false);
        cart_.emplace(p.product_id());
        SetBlockedLocked(p.product_id());
      }
      ResolveCartLocked();
    } else if (type == "product_removed_from_cart") {
      for (const auto& p : event.products()) {
        auto it = cart_.find(p.product_id());
        if (it == cart_.end()) continue;
        cart_.erase(it);
        RefreshBlockedLocked(p.product_id());
      }
      ResolveCartLocked();
    } else if (type == "order_completed") {
      for (const auto& p : event.products()) {
        if (IsDurableId(p.product_id())) purchased_.emplace(p.product_id());
      }
      // The order empties the cart, lines or not (a shop's cart is checked out as a whole).
      std::vector<std::string> was_in_cart(cart_.begin(), cart_.end());
      cart_.clear();
      for (const auto& id : was_in_cart) RefreshBlockedLocked(id);
      for (const auto& p : event.products()) SetBlockedLocked(p.product_id());
      cart_ids_.clear();
    }
  }

  void NewSession() {
    std::unique_lock lock(mu_);
    session_items_.clear();
    session_categories_.clear();
  }

  void Clear() {
    std::shared_ptr<const Index> old;
    {
      std::unique_lock lock(mu_);
      old = std::move(index_);
      index_.reset();
      session_items_.clear();
      session_categories_.clear();
      cart_.clear();
      cart_ids_.clear();
      purchased_.clear();
      blocked_.clear();
      session_now_ms_ = 0;
    }
  }

  StatusOr<std::vector<Recommendation>> Recommend(std::string_view placement,
                                                  const RecommendContext& context, size_t n) const {
    if (n > kMaxRecommendations) {
      return Status(StatusCode::kInvalidArgument, "n must be <= 100");
    }
    std::vector<Recommendation> out;
    if (n == 0) return out;
    std::shared_lock lock(mu_);
    if (!index_ || index_->items.empty()) return out;  // offline before the first snapshot
    const Index& index = *index_;
    Scratch& s = ThreadScratch();
    Prepare(index, &s);

    const uint32_t context_id = context.product_id.empty() ? kNoId : index.Find(context.product_id);
    auto add = [&](const Scored& c, float weight) {
      uint8_t& f = s.flags[c.id];
      if (!(f & kTouched)) s.touched.push_back(c.id);
      f |= kTouched | kCandidate;
      s.score[c.id] += weight * c.score;
    };
    auto add_neighbours = [&](uint32_t id, float weight) {
      const uint32_t end = index.nb_begin[id + 1];
      for (uint32_t k = index.nb_begin[id]; k < end; ++k) add(index.nb[k], weight);
    };

    auto add_partners = [&](uint32_t id, float weight) {
      const uint32_t end = index.fbt_begin[id + 1];
      for (uint32_t k = index.fbt_begin[id]; k < end; ++k) add(index.fbt[k], weight);
    };

    // 1. Candidates and base scores.
    const bool complements = placement == "cart" || placement == "frequently_bought_together";
    const float fbt_scale = complements ? 1.0f : kOtherPlacementFbtWeight;
    if (context_id != kNoId) add_partners(context_id, kContextFbtWeight * fbt_scale);
    for (uint32_t id : cart_ids_) add_partners(id, kCartFbtWeight * fbt_scale);
    // "Bought together" is a strict list: complements, or else what is similar to the item.
    const bool strict = placement == "frequently_bought_together";
    if (!strict || s.touched.empty()) {
      if (context_id != kNoId) add_neighbours(context_id, kContextNeighbourWeight);
    }
    if (!strict) {
      CollectSession(index, &s);
      for (const auto& [id, w] : s.session) add_neighbours(id, kSessionNeighbourWeight * w);
      for (uint32_t id : cart_ids_) add_neighbours(id, kCartNeighbourWeight);
      for (const Scored& c : index.personal) add(c, kPersonalWeight);
      for (const Scored& c : index.popular) add(c, kPopularWeight);
    }

    // 2. Session boosts, filters, damping.
    s.candidates.clear();
    const std::string_view prefix = context.category;
    for (uint32_t id : s.touched) {
      const uint8_t f = s.flags[id];
      if (!(f & kCandidate) || !Eligible(index, id, context_id, prefix)) continue;
      const Item& item = index.items[id];
      float score = s.score[id];
      if (item.category_id != kNoId) {
        score += kCategoryAffinityWeight * s.category_affinity[item.category_id] +
                 kTopCategoryAffinityWeight * s.category_affinity[item.top_category_id];
      }
      if (f & kSeen) score *= kViewedDamping;
      s.candidates.emplace_back(score, id);
    }

    // 3. Top n; out-of-stock items hand their slot to their best in-stock neighbour.
    auto better = [](const std::pair<float, uint32_t>& a, const std::pair<float, uint32_t>& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    auto& cand = s.candidates;
    size_t sorted = 0;
    size_t pos = 0;
    out.reserve(n);
    while (out.size() < n) {
      if (pos == sorted) {
        if (sorted == cand.size()) break;
        // Sort the next chunk only; usually the first chunk is all that is ever looked at.
        const size_t chunk = std::min(cand.size() - sorted, 2 * n + 8);
        auto first = cand.begin() + static_cast<std::ptrdiff_t>(sorted);
        auto mid = first + static_cast<std::ptrdiff_t>(chunk);
        std::nth_element(first, mid - 1, cand.end(), better);
        std::sort(first, mid, better);
        sorted += chunk;
      }
      const auto [score, id] = cand[pos++];
      if (s.flags[id] & kChosen) continue;
      uint32_t pick = id;
      if (!index.items[id].in_stock) {
        pick = kNoId;
        const uint32_t end = index.nb_begin[id + 1];
        for (uint32_t k = index.nb_begin[id]; k < end; ++k) {
          const uint32_t alt = index.nb[k].id;
          if (index.items[alt].in_stock && !(s.flags[alt] & kChosen) &&
              Eligible(index, alt, context_id, prefix)) {
            pick = alt;
            break;
          }
        }
        if (pick == kNoId) continue;
        if (!(s.flags[pick] & kTouched)) s.touched.push_back(pick);  // so it gets reset
      }
      s.flags[pick] |= kTouched | kChosen;
      out.push_back(ToRecommendation(index.items[pick], score));
    }

    Reset(&s);
    return out;
  }

  std::optional<Recommendation> InStockItem(std::string_view product_id) const {
    std::shared_lock lock(mu_);
    if (!index_) return std::nullopt;
    const uint32_t id = index_->Find(product_id);
    if (id == kNoId || !index_->items[id].in_stock) return std::nullopt;
    return ToRecommendation(index_->items[id], 0);
  }

  std::vector<std::string> SegmentIds() const {
    std::shared_lock lock(mu_);
    if (!index_) return {};
    return index_->segment_ids;
  }

  std::string SerializeDurableState() const {
    std::shared_lock lock(mu_);
    std::string out(kDurableMagic, sizeof(kDurableMagic));
    out.push_back(static_cast<char>(kDurableVersion));
    for (const auto* set : {&cart_, &purchased_}) {
      PutU32(&out, static_cast<uint32_t>(set->size()));
      for (const auto& id : *set) {
        PutU32(&out, static_cast<uint32_t>(id.size()));
        out += id;
      }
    }
    return out;
  }

  Status RestoreDurableState(std::string_view blob) {
    Reader r(blob);
    std::string_view magic;
    uint8_t version = 0;
    if (!r.Bytes(sizeof(kDurableMagic), &magic) ||
        std::memcmp(magic.data(), kDurableMagic, sizeof(kDurableMagic)) != 0 || !r.U8(&version)) {
      return Status(StatusCode::kInvalidArgument, "recommender state: bad header");
    }
    if (version != kDurableVersion) {
      return Status(StatusCode::kInvalidArgument, "recommender state: unknown version");
    }
    std::set<std::string, std::less<>> cart;
    std::set<std::string, std::less<>> purchased;
    if (!ReadIdSet(&r, &cart) || !ReadIdSet(&r, &purchased) || r.remaining() != 0) {
      return Status(StatusCode::kInvalidArgument, "recommender state: truncated or corrupt");
    }
    std::unique_lock lock(mu_);
    cart_ = std::move(cart);
    purchased_ = std::move(purchased);
    RemapLocked();
    return Status::Ok();
  }

 private:
  static Recommendation ToRecommendation(const Item& item, float score) {
    Recommendation r;
    r.product_id = item.product_id;
    r.title = item.title;
    r.price = item.price;
    r.currency = item.currency;
    r.image_url = item.image_url;
    r.url = item.url;
    r.category = item.category;
    r.brand = item.brand;
    r.score = score;
    return r;
  }

  // REQUIRES: mu_ held (shared).
  bool Eligible(const Index& index, uint32_t id, uint32_t context_id,
                std::string_view prefix) const {
    if (id == context_id || blocked_[id]) return false;
    return prefix.empty() || std::string_view(index.items[id].category).starts_with(prefix);
  }

  static void Prepare(const Index& index, Scratch* s) {
    const size_t n = index.items.size();
    if (s->score.size() < n) {
      s->score.resize(n, 0.0f);
      s->flags.resize(n, 0);
    }
    if (s->category_affinity.size() < index.num_categories()) {
      s->category_affinity.resize(index.num_categories(), 0.0f);
    }
    s->touched.clear();
    s->touched_categories.clear();
    s->session.clear();
  }

  static void Reset(Scratch* s) {
    for (uint32_t id : s->touched) {
      s->score[id] = 0;
      s->flags[id] = 0;
    }
    for (uint32_t c : s->touched_categories) s->category_affinity[c] = 0;
    s->touched.clear();
    s->touched_categories.clear();
  }

  // Session items -> (id, recency weight in [0, 1]) and category affinities in [0, 1].
  // REQUIRES: mu_ held (shared).
  void CollectSession(const Index& index, Scratch* s) const {
    float max_item = 0;
    for (const SessionItem& it : session_items_) {
      max_item = std::max(max_item, it.interest.At(session_now_ms_));
    }
    for (const SessionItem& it : session_items_) {
      if (it.id == kNoId || it.id >= index.items.size() || max_item <= 0) continue;
      const float w = it.interest.At(session_now_ms_) / max_item;
      if (it.seen) {
        uint8_t& f = s->flags[it.id];
        if (!(f & kTouched)) s->touched.push_back(it.id);
        f |= kTouched | kSeen;
      }
      if (w >= kMinSessionWeight) s->session.emplace_back(it.id, w);
    }
    float max_cat = 0;
    for (const SessionCategory& c : session_categories_) {
      max_cat = std::max(max_cat, c.interest.At(session_now_ms_));
    }
    if (max_cat <= 0) return;
    for (const SessionCategory& c : session_categories_) {
      if (c.id == kNoId || c.id >= s->category_affinity.size()) continue;
      const float w = c.interest.At(session_now_ms_) / max_cat;
      if (w < kMinSessionWeight) continue;
      s->category_affinity[c.id] = w;
      s->touched_categories.push_back(c.id);
    }
  }

  // The product's category per the catalog when known (the server's taxonomy), else as sent.
  std::string_view CategoryOf(const v1::ProductLine& p) const {
    if (index_) {
      const uint32_t id = index_->Find(p.product_id());
      if (id != kNoId && !index_->items[id].category.empty()) return index_->items[id].category;
    }
    return p.category();
  }

  void AddInterestLocked(const v1::ProductLine& p, float w, int64_t t, bool seen) {
    if (p.product_id().empty()) return;
    SessionItem* item = nullptr;
    for (SessionItem& it : session_items_) {
      if (it.product_id == p.product_id()) {
        item = &it;
        break;
      }
    }
    if (item == nullptr) {
      if (session_items_.size() >= kMaxSessionItems) {
        // Evict the weakest interest: the session keeps what matters now.
        auto weakest = std::min_element(
            session_items_.begin(), session_items_.end(), [&](const auto& a, const auto& b) {
              return a.interest.At(session_now_ms_) < b.interest.At(session_now_ms_);
            });
        session_items_.erase(weakest);
      }
      item = &session_items_.emplace_back();
      item->product_id = p.product_id();
      item->id = index_ ? index_->Find(p.product_id()) : kNoId;
      item->interest.t_ms = t;
    }
    item->interest.Add(w, t);
    item->seen = item->seen || seen;
    AddCategoryInterestLocked(CategoryOf(p), w, t);
  }

  void AddCategoryInterestLocked(std::string_view category, float w, int64_t t) {
    if (category.empty()) return;
    AddOneCategoryLocked(category, w, t);
    const std::string_view top = TopLevel(category);
    if (top.size() != category.size()) AddOneCategoryLocked(top, w, t);
  }

  void AddOneCategoryLocked(std::string_view category, float w, int64_t t) {
    for (SessionCategory& c : session_categories_) {
      if (c.category == category) {
        c.interest.Add(w, t);
        return;
      }
    }
    if (session_categories_.size() >= kMaxSessionCategories) {
      auto weakest =
          std::min_element(session_categories_.begin(), session_categories_.end(),
                           [&](const auto& a, const auto& b) {
                             return a.interest.At(session_now_ms_) < b.interest.At(session_now_ms_);
                           });
      session_categories_.erase(weakest);
    }
    SessionCategory& c = session_categories_.emplace_back();
    c.category = std::string(category);
    c.id = index_ ? index_->FindCategory(category) : kNoId;
    c.interest.t_ms = t;
    c.interest.Add(w, t);
  }

  void SetBlockedLocked(std::string_view product_id) {
    if (!index_) return;
    const uint32_t id = index_->Find(product_id);
    if (id != kNoId) blocked_[id] = 1;
  }

  void RefreshBlockedLocked(std::string_view product_id) {
    if (!index_) return;
    const uint32_t id = index_->Find(product_id);
    if (id == kNoId) return;
    blocked_[id] = (index_->items[id].purchased || cart_.count(product_id) > 0 ||
                    purchased_.count(product_id) > 0)
                       ? 1
                       : 0;
  }

  void ResolveCartLocked() {
    cart_ids_.clear();
    if (!index_) return;
    for (const auto& p : cart_) {
      const uint32_t id = index_->Find(p);
      if (id != kNoId) cart_ids_.push_back(id);
    }
  }

  // Re-resolves string-keyed local state against the current index.
  void RemapLocked() {
    ResolveCartLocked();
    blocked_.assign(index_ ? index_->items.size() : 0, 0);
    if (!index_) {
      for (SessionItem& it : session_items_) it.id = kNoId;
      for (SessionCategory& c : session_categories_) c.id = kNoId;
      return;
    }
    for (size_t i = 0; i < index_->items.size(); ++i) {
      if (index_->items[i].purchased) blocked_[i] = 1;
    }
    for (const auto* set : {&cart_, &purchased_}) {
      for (const auto& p : *set) SetBlockedLocked(p);
    }
    for (SessionItem& it : session_items_) it.id = index_->Find(it.product_id);
    for (SessionCategory& c : session_categories_) c.id = index_->FindCategory(c.category);
  }

  mutable std::shared_mutex mu_;
  std::shared_ptr<const Index> index_;               // guarded by mu_
  std::vector<uint8_t> blocked_;                     // per item of index_: cart or purchased
  std::vector<SessionItem> session_items_;           // small (<= kMaxSessionItems)
  std::vector<SessionCategory> session_categories_;  // small (<= kMaxSessionCategories)
  std::set<std::string, std::less<>> cart_;          // durable
  std::vector<uint32_t> cart_ids_;                   // cart_ resolved against index_
  std::set<std::string, std::less<>> purchased_;     // durable (local orders)
  int64_t session_now_ms_ = 0;                       // latest event time seen
};

Recommender::Recommender() : impl_(std::make_unique<Impl>()) {}
Recommender::~Recommender() = default;

void Recommender::SetSnapshot(const v1::Snapshot& snapshot) { impl_->SetSnapshot(snapshot); }
void Recommender::OnEvent(const v1::Event& event) { impl_->OnEvent(event); }
void Recommender::NewSession() { impl_->NewSession(); }
void Recommender::Clear() { impl_->Clear(); }

// `placement` does not change the ranking yet: context and session already carry what differs
// between a product page and a cart page. It is accepted so that per-placement models can be
// added without an API change.
StatusOr<std::vector<Recommendation>> Recommender::Recommend(std::string_view placement,
                                                             const RecommendContext& context,
                                                             size_t n) const {
  return impl_->Recommend(placement, context, n);
}

std::optional<Recommendation> Recommender::InStockItem(std::string_view product_id) const {
  return impl_->InStockItem(product_id);
}

std::vector<std::string> Recommender::SegmentIds() const { return impl_->SegmentIds(); }

std::string Recommender::SerializeDurableState() const { return impl_->SerializeDurableState(); }

Status Recommender::RestoreDurableState(std::string_view blob) {
  return impl_->RestoreDurableState(blob);
}

}  // namespace vitrine::internal
