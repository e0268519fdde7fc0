#include "sync_server/services/snapshot_service.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace vitrine::server {
namespace {

double AffinityWeight(const std::string& type) {
  if (type == "product_viewed" || type == "product_clicked") return 1.0;
  if (type == "product_added_to_cart" || type == "product_added_to_wishlist") return 3.0;
  if (type == "order_completed") return 5.0;
  return 0.0;
}

// "Skin Care/Face/Serums" -> "Skin Care"
std::string TopCategory(const std::string& category) {
  return category.substr(0, category.find('/'));
}

}  // namespace

namespace {

std::string EtagOfBytes(const std::string& bytes) {
  // Two FNV-1a 64 lanes with different offsets: a 128-bit content hash, stable across restarts,
  // with no library state (OpenSSL's per-thread state would outlive cpprest's pool threads).
  uint64_t a = 0xcbf29ce484222325ULL;
  uint64_t b = 0x84222325cbf29ce4ULL;
  for (unsigned char c : bytes) {
    a = (a ^ c) * 0x100000001b3ULL;
    b = (b ^ static_cast<unsigned char>(c + 0x5b)) * 0x100000001b3ULL;
  }
  b ^= bytes.size();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (uint64_t lane : {a, b}) {
    for (int shift = 60; shift >= 0; shift -= 4) tag.push_back(kHex[(lane >> shift) & 15]);
  }
  tag.push_back('"');
  return tag;
}

}  // namespace

std::string SnapshotEtag(const v1::Snapshot& snapshot) {
  v1::Snapshot copy = snapshot;
  copy.set_generated_at_ms(0);
  return EtagOfBytes(copy.SerializeAsString());
}

SnapshotService::SnapshotService(Store* store, RecoModel* model, CatalogService* catalog,
                                 MessageService* messages, SnapshotOptions options, Clock clock,
                                 ModelRegistry* trained)
    : store_(store),
      model_(model),
      catalog_(catalog),
      messages_(messages),
      options_(std::move(options)),
      clock_(std::move(clock)),
      trained_(trained) {}

StatusOr<SnapshotResult> SnapshotService::Build(const std::string& anonymous_id,
                                                const std::string& user_id) {
  const int64_t now = clock_();
  std::optional<int64_t> profile;
  if (!user_id.empty()) {
    auto found = store_->FindProfileByUser(user_id);
    if (!found.ok()) return found.status();
    profile = *found;
  }
  if (!profile && !anonymous_id.empty()) {
    auto found = store_->FindProfileByAnonymous(anonymous_id);
    if (!found.ok()) return found.status();
    profile = *found;
  }

  // The profile's own signal: recent items, category affinity, purchases.
  std::vector<std::string> recent;  // newest first, distinct
  std::unordered_map<std::string, double> affinity;
  double affinity_total = 0;
  std::set<std::string> purchased;
  if (profile) {
    auto events = store_->ListProfileEvents(*profile, options_.profile_events);
    if (!events.ok()) return events.status();
    std::unordered_set<std::string> seen;
    for (const auto& e : *events) {
      const double w = AffinityWeight(e.type());
      for (const auto& line : e.products()) {
        if (e.type() == "order_completed") purchased.insert(line.product_id());
        if (w <= 0) continue;
        if (seen.insert(line.product_id()).second && recent.size() < options_.recent_items) {
          recent.push_back(line.product_id());
        }
        std::string category = line.category();
        if (category.empty()) {
          catalog_->Read(line.product_id(),
                         [&](const v1::CatalogItem& item) { category = item.category(); });
        }
        if (!category.empty()) {
          affinity[TopCategory(category)] += w;
          affinity_total += w;
        }
      }
    }
  }

  auto view = model_->CurrentView(now);
  const std::shared_ptr<const training::TrainedModel> trained =
      trained_ ? trained_->Current() : nullptr;
  v1::Snapshot snap;
  snap.set_profile_id(profile ? std::to_string(*profile) : std::string());
  snap.set_model_version(trained ? trained->version() : options_.model_version);
  snap.set_generated_at_ms(now);
  snap.set_ttl_seconds(options_.ttl_seconds);
  // Segments and analytics attributes first: the popularity fill below reads the segment.
  if (profile && decorate_profile_) decorate_profile_(*profile, snap);

  std::vector<std::string> referenced;  // catalog slice, in first-reference order
  std::unordered_set<std::string> referenced_set;
  auto reference = [&](const std::string& id) {
    if (referenced_set.insert(id).second) referenced.push_back(id);
  };

  const size_t n_popular = std::min(options_.popular_items, view->popular.size());
  for (size_t i = 0; i < n_popular; ++i) {
    *snap.add_popular() = view->popular[i];
    reference(view->popular[i].product_id());
  }

  // Category of an item, from the catalog first, then from event lines.
  auto category_of = [&](const std::string& id) -> std::string {
    std::string category;
    if (catalog_->Read(id, [&](const v1::CatalogItem& item) { category = item.category(); })) {
      return category;
    }
    if (auto item = model_->ItemFromEvents(id)) return item->category();
    return {};
  };

  auto in_stock = [&](const std::string& id) {
    bool available = true;  // unknown to the catalog: nothing says it is sold out
    catalog_->Read(id, [&](const v1::CatalogItem& item) { available = item.stock() > 0; });
    return available;
  };

  // Personal, from the trained model: the sequential model (or item-item votes) over the
  // profile's history, purchases and sold-out items excluded.
  if (profile && trained && !recent.empty()) {
    std::vector<std::string> history(recent.rbegin(), recent.rend());  // oldest first
    std::vector<std::string> exclude(purchased.begin(), purchased.end());
    for (auto& s : trained->Personal(history, exclude, 2 * options_.personal_items)) {
      if (snap.personal_size() >= static_cast<int>(options_.personal_items)) break;
      if (!in_stock(s.product_id())) continue;
      reference(s.product_id());
      *snap.add_personal() = std::move(s);
    }
  }
  // Otherwise (or to fill up): popularity (global, and the profile's segment's) re-ranked by the
  // profile's category affinity.
  if (profile && snap.personal_size() < static_cast<int>(options_.personal_items)) {
    std::unordered_set<std::string> listed;
    for (const auto& s : snap.personal()) listed.insert(s.product_id());
    std::vector<v1::ScoredItem> personal;
    // Below every trained score: the fill never outranks the model's own picks.
    const float ceiling =
        snap.personal_size() > 0 ? snap.personal(snap.personal_size() - 1).score() : 0.0f;
    // Candidates: global popularity, plus what the profile's segment buys (the trained model's
    // per-segment popularity), each scaled to its own top item; the segment counts double, since
    // it says what shoppers like this one pick rather than what everyone does.
    std::vector<std::pair<std::string, double>> candidates;
    std::unordered_map<std::string, size_t> candidate_at;
    auto add_candidates = [&](const auto& items, double weight) {
      double top = 0;
      for (const auto& item : items) top = std::max(top, static_cast<double>(item.score()));
      if (top <= 0) return;
      for (const auto& item : items) {
        const double score = weight * item.score() / top;
        auto [it, inserted] = candidate_at.emplace(item.product_id(), candidates.size());
        if (inserted) {
          candidates.emplace_back(item.product_id(), score);
        } else {
          candidates[it->second].second += score;
        }
      }
    };
    add_candidates(view->popular, 1.0);
    if (trained && snap.segment_ids_size() > 0) {
      if (const auto* segment = trained->SegmentPopular(snap.segment_ids(0))) {
        add_candidates(*segment, 2.0);
      }
    }
    for (const auto& [id, score] : candidates) {
      if (purchased.count(id) || listed.count(id) || !in_stock(id)) continue;
      double boost = 1.0;
      if (affinity_total > 0) {
        auto it = affinity.find(TopCategory(category_of(id)));
        if (it != affinity.end()) boost += 2.0 * it->second / affinity_total;
      }
      v1::ScoredItem s;
      s.set_product_id(id);
      s.set_score(static_cast<float>(score * boost));
      personal.push_back(std::move(s));
    }
    std::stable_sort(personal.begin(), personal.end(), [](const auto& a, const auto& b) {
      if (a.score() != b.score()) return a.score() > b.score();
      return a.product_id() < b.product_id();
    });
    const size_t room = options_.personal_items - static_cast<size_t>(snap.personal_size());
    if (personal.size() > room) personal.resize(room);
    const bool fill = snap.personal_size() > 0;
    const float top = personal.empty() ? 1.0f : std::max(personal.front().score(), 1e-9f);
    for (auto& s : personal) {
      if (fill) s.set_score(ceiling * 0.5f * s.score() / top);
      reference(s.product_id());
      *snap.add_personal() = std::move(s);
    }
  } else if (!profile) {
    for (const auto& p : snap.popular()) {
      if (snap.personal_size() >= static_cast<int>(options_.personal_items)) break;
      *snap.add_personal() = p;
    }
  }

  // Neighbours: the profile's own items first, then the top popular ones.
  std::vector<std::string> anchors = recent;
  for (size_t i = 0; i < std::min(options_.popular_with_neighbours, view->popular.size()); ++i) {
    anchors.push_back(view->popular[i].product_id());
  }
  std::unordered_set<std::string> anchored;
  for (size_t a = 0; a < anchors.size(); ++a) {
    const std::string& id = anchors[a];
    if (!anchored.insert(id).second) continue;
    // The shopper's own items get full lists; popular items a short one (they are a fallback, and
    // every neighbour drags its catalog entry into the snapshot).
    const size_t limit =
        a < recent.size() ? options_.neighbours_per_item : options_.popular_neighbours_per_item;
    std::vector<v1::ScoredItem> items;
    if (const auto* learned = trained ? trained->NeighboursOf(id) : nullptr) {
      for (const auto& s : learned->items()) {
        if (items.size() >= limit) break;
        items.push_back(s);
      }
    } else {
      items = model_->Neighbours(id, limit);
    }
    if (items.empty()) continue;
    reference(id);
    v1::Neighbours* n = snap.add_neighbours();
    n->set_product_id(id);
    for (auto& s : items) {
      reference(s.product_id());
      *n->add_items() = std::move(s);
    }
  }

  // Frequently bought together: partners of the profile's newest items (cart adds among them).
  if (trained) {
    size_t anchored_fbt = 0;
    for (const auto& id : recent) {
      if (anchored_fbt >= options_.fbt_anchors) break;
      const auto* partners = trained->FrequentlyBoughtWith(id);
      if (partners == nullptr) continue;
      ++anchored_fbt;
      v1::Neighbours* n = snap.add_frequently_bought_together();
      n->set_product_id(id);
      reference(id);
      for (const auto& s : partners->items()) {
        if (n->items_size() >= static_cast<int>(options_.fbt_per_item)) break;
        if (purchased.count(s.product_id()) || !in_stock(s.product_id())) continue;
        reference(s.product_id());
        *n->add_items() = s;
      }
    }
  }

  for (const auto& id : purchased) {
    snap.add_purchased_product_ids(id);
    reference(id);
  }
  for (auto& m : messages_->Active(now)) {
    for (const auto& id : m.content().product_ids()) reference(id);
    *snap.add_messages() = std::move(m);
  }
  for (const auto& id : referenced) {
    if (auto item = catalog_->Get(id)) {
      *snap.add_catalog() = std::move(*item);
    } else if (auto seen = model_->ItemFromEvents(id)) {
      *snap.add_catalog() = std::move(*seen);
    }
  }

  SnapshotResult result;
  // SnapshotEtag without its copy: hash the content with generated_at_ms cleared, then restore.
  snap.set_generated_at_ms(0);
  result.etag = EtagOfBytes(snap.SerializeAsString());
  snap.set_generated_at_ms(now);
  result.snapshot = std::move(snap);
  return result;
}

}  // namespace vitrine::server
