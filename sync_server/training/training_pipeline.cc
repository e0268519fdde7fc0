#include "sync_server/training/training_pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <span>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "sync_server/recsys/fbt.h"
#include "sync_server/recsys/item_knn.h"
#include "sync_server/recsys/text_features.h"

#ifdef VITRINE_HAVE_CONTENT
#include "sync_server/recsys/content/content_model.h"
#endif
#ifdef VITRINE_HAVE_TRANSFORMER
#include "sync_server/recsys/transformer/sasrec.h"
#endif

namespace vitrine::training {
namespace {

using recsys::ItemIndex;

// Strength of each action as evidence of interest; one table for popularity and item-item.
float ActionWeight(const std::string& type) {
  // A click on a recommendation is a click like any other: what we showed feeds the next model.
  if (type == "product_viewed" || type == "product_clicked" || type == "recommendation_clicked") {
    return 1.0f;
  }
  if (type == "product_added_to_wishlist") return 2.0f;
  if (type == "product_added_to_cart") return 3.0f;
  if (type == "order_completed") return 5.0f;
  return 0.0f;
}

std::string TopCategory(const std::string& category) {
  return category.substr(0, category.find('/'));
}

bool Cancelled(const recsys::TrainOptions& control) {
  return control.cancel != nullptr && control.cancel->load(std::memory_order_relaxed);
}

void Report(const recsys::TrainOptions& control, std::string_view stage, double fraction,
            std::string detail) {
  if (control.progress) control.progress(recsys::TrainProgress{stage, fraction, std::move(detail)});
}

// Maps a sub-model's progress into [begin, end) of the whole run.
recsys::TrainOptions Sub(const recsys::TrainOptions& control, double begin, double end) {
  recsys::TrainOptions sub = control;
  if (control.progress) {
    sub.progress = [&control, begin, end](const recsys::TrainProgress& p) {
      control.progress(
          recsys::TrainProgress{p.stage, begin + (end - begin) * p.fraction, p.detail});
    };
  }
  return sub;
}

void TopN(std::vector<vitrine::v1::ScoredItem>& items, size_t n) {
  auto better = [](const vitrine::v1::ScoredItem& a, const vitrine::v1::ScoredItem& b) {
    return a.score() != b.score() ? a.score() > b.score() : a.product_id() < b.product_id();
  };
  if (items.size() > n) {
    std::partial_sort(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(n), items.end(),
                      better);
    items.resize(n);
  } else {
    std::sort(items.begin(), items.end(), better);
  }
}

}  // namespace

bool SequentialAvailable() {
#ifdef VITRINE_HAVE_TRANSFORMER
  return true;
#else
  return false;
#endif
}

StatusOr<v1::ModelArtifact> Train(const EventFeed& feed,
                                  const std::vector<vitrine::v1::CatalogItem>& catalog,
                                  const std::string& version, int64_t now_ms,
                                  const TrainingOptions& options,
                                  const recsys::TrainOptions& control) {
  const auto started = std::chrono::steady_clock::now();
  if (options.sequential && !SequentialAvailable()) {
    return Status(Status::Kind::kInvalid, "sequential_unavailable",
                  "this build has no libtorch: the sequential model cannot be trained");
  }
  // Catalog items come first so their indices are stable and text is known for them.
  std::unordered_map<std::string, int32_t> index;
  std::vector<std::string> ids;
  std::vector<std::string> categories;
  auto intern = [&](const std::string& id, const std::string& category) {
    auto [it, inserted] = index.emplace(id, static_cast<int32_t>(ids.size()));
    if (inserted) {
      ids.push_back(id);
      categories.push_back(category);
    } else if (categories[static_cast<size_t>(it->second)].empty() && !category.empty()) {
      categories[static_cast<size_t>(it->second)] = category;
    }
    return it->second;
  };
  for (const auto& item : catalog) intern(item.product_id(), item.category());

  struct Touch {
    ItemIndex item;
    float weight;
  };
  std::unordered_map<int64_t, std::vector<Touch>> by_profile;
  std::vector<std::vector<ItemIndex>> baskets;
  std::vector<double> popularity;
  // Per segment: decayed popularity of each item among the segment's members.
  std::unordered_map<int64_t, std::string> segment_cache;
  std::unordered_map<std::string, std::unordered_map<ItemIndex, double>> segment_popularity;
  auto segment_of = [&](int64_t profile_id) -> const std::string& {
    auto [it, inserted] = segment_cache.try_emplace(profile_id);
    if (inserted) it->second = options.segment_of(profile_id);
    return it->second;
  };
  const double half_life_ms = options.half_life_days * 86'400'000.0;
  int64_t events = 0;
  Status scan = feed([&](int64_t profile_id, const vitrine::v1::Event& event) {
    ++events;
    if (events % 200'000 == 0) {
      Report(control, "events", 0.0, std::to_string(events) + " events read");
    }
    const float w = ActionWeight(event.type());
    if (w <= 0) return;
    const bool order = event.type() == "order_completed";
    std::vector<ItemIndex> basket;
    const double age = static_cast<double>(std::max<int64_t>(0, now_ms - event.occurred_at_ms()));
    const double decay = half_life_ms > 0 ? std::exp2(-age / half_life_ms) : 1.0;
    auto& touches = by_profile[profile_id];
    const std::string* segment = options.segment_of ? &segment_of(profile_id) : nullptr;
    if (segment && segment->empty()) segment = nullptr;
    for (const auto& line : event.products()) {
      if (line.product_id().empty()) continue;
      const ItemIndex item = intern(line.product_id(), line.category());
      if (popularity.size() < ids.size()) popularity.resize(ids.size(), 0.0);
      popularity[static_cast<size_t>(item)] += w * decay;
      if (segment) segment_popularity[*segment][item] += w * decay;
      touches.push_back({item, w});
      if (order) basket.push_back(item);
    }
    // Single-line orders too: they count towards each item's orders and the total (lift).
    if (!basket.empty()) baskets.push_back(std::move(basket));
  });
  if (!scan.ok()) return scan;
  if (Cancelled(control))
    return Status(Status::Kind::kUnavailable, "cancelled", "training cancelled");
  popularity.resize(ids.size(), 0.0);
  const auto item_count = static_cast<int32_t>(ids.size());
  Report(control, "events", 0.1,
         std::to_string(events) + " events, " + std::to_string(by_profile.size()) + " profiles, " +
             std::to_string(ids.size()) + " items, " + std::to_string(baskets.size()) + " baskets");

  v1::ModelArtifact artifact;
  artifact.set_format(1);
  artifact.set_version(version);
  artifact.set_trained_at_ms(now_ms);

  // Popularity, global and per top-level category.
  {
    std::vector<vitrine::v1::ScoredItem> all;
    std::unordered_map<std::string, std::vector<vitrine::v1::ScoredItem>> per_category;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (popularity[i] <= 0) continue;
      vitrine::v1::ScoredItem s;
      s.set_product_id(ids[i]);
      s.set_score(static_cast<float>(popularity[i]));
      if (!categories[i].empty()) per_category[TopCategory(categories[i])].push_back(s);
      all.push_back(std::move(s));
    }
    TopN(all, options.popular_items);
    for (auto& s : all) *artifact.add_popular() = std::move(s);
    std::vector<std::string> names;
    for (const auto& [name, items] : per_category) names.push_back(name);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      auto& items = per_category[name];
      TopN(items, options.category_popular_items);
      auto* c = artifact.add_category_popular();
      c->set_category(name);
      for (auto& s : items) *c->add_items() = std::move(s);
    }
    std::vector<std::string> segments;
    for (const auto& [segment, items] : segment_popularity) segments.push_back(segment);
    std::sort(segments.begin(), segments.end());
    for (const auto& segment : segments) {
      std::vector<vitrine::v1::ScoredItem> items;
      for (const auto& [item, score] : segment_popularity[segment]) {
        vitrine::v1::ScoredItem s;
        s.set_product_id(ids[static_cast<size_t>(item)]);
        s.set_score(static_cast<float>(score));
        items.push_back(std::move(s));
      }
      TopN(items, options.segment_popular_items);
      auto* c = artifact.add_segment_popular();
      c->set_segment_id(segment);
      for (auto& s : items) *c->add_items() = std::move(s);
    }
  }

  // Sequences in profile order (sorted ids: deterministic whatever the hash map did).
  std::vector<int64_t> profiles;
  profiles.reserve(by_profile.size());
  for (const auto& [p, touches] : by_profile) profiles.push_back(p);
  std::sort(profiles.begin(), profiles.end());
  std::vector<std::vector<std::pair<ItemIndex, float>>> weighted;
  weighted.reserve(profiles.size());
  for (int64_t p : profiles) {
    auto& touches = by_profile[p];
    std::vector<std::pair<ItemIndex, float>> seq;
    seq.reserve(touches.size());
    for (const auto& t : touches) {
      // Repeated touches of one item in a row (view, then cart) merge into the strongest one.
      if (!seq.empty() && seq.back().first == t.item) {
        seq.back().second = std::max(seq.back().second, t.weight);
      } else {
        seq.emplace_back(t.item, t.weight);
      }
    }
    weighted.push_back(std::move(seq));
  }
  decltype(by_profile)().swap(by_profile);

  // Item-item.
  recsys::ItemKnnOptions knn_options;
  knn_options.neighbours = static_cast<int>(options.neighbours_per_item);
  recsys::ItemKnnModel knn(knn_options);
  if (Status s = knn.FitWeighted(item_count, weighted, Sub(control, 0.1, 0.4)); !s.ok()) return s;
  // Frequently bought together and the cold-start neighbours read the catalog titles.
  recsys::ItemText text;
  text.titles.assign(ids.size(), std::string());
  for (const auto& item : catalog) {
    text.titles[static_cast<size_t>(index[item.product_id()])] = item.title();
  }

  // Cold start: catalog items nobody touched yet get neighbours by text similarity, and appear
  // at the tail of the lists of their closest touched items, so "similar" shows new products.
  std::vector<std::vector<recsys::ScoredNeighbour>> cold_lists(ids.size());
  std::vector<std::vector<recsys::ScoredNeighbour>> cold_tails(ids.size());
  int64_t cold_items = 0;
#ifdef VITRINE_HAVE_CONTENT
  if (options.content_cold_start) {
    std::vector<bool> touched(ids.size(), false);
    for (const auto& seq : weighted) {
      for (const auto& [item, w] : seq) touched[static_cast<size_t>(item)] = true;
    }
    std::vector<ItemIndex> cold;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!touched[i] && !text.titles[i].empty()) cold.push_back(static_cast<ItemIndex>(i));
    }
    if (!cold.empty()) {
      recsys::ContentModel content(text);
      recsys::SequenceSet shape;
      shape.item_count = item_count;
      if (Status s = content.Fit(shape, Sub(control, 0.4, 0.45)); !s.ok()) return s;
      for (ItemIndex c : cold) {
        std::vector<recsys::ScoredNeighbour> best;
        for (ItemIndex j = 0; j < item_count; ++j) {
          if (j == c || text.titles[static_cast<size_t>(j)].empty()) continue;
          const float sim = content.Similarity(c, j);
          if (sim > 0) best.push_back({j, sim});
        }
        const size_t k = std::min(best.size(), options.neighbours_per_item);
        std::partial_sort(best.begin(), best.begin() + static_cast<std::ptrdiff_t>(k), best.end(),
                          [](const auto& a, const auto& b) {
                            return a.score != b.score ? a.score > b.score : a.item < b.item;
                          });
        best.resize(k);
        size_t tails = 0;
        for (const auto& b : best) {
          if (tails >= 3) break;
          if (!touched[static_cast<size_t>(b.item)]) continue;
          cold_tails[static_cast<size_t>(b.item)].push_back({c, b.score});
          ++tails;
        }
        cold_lists[static_cast<size_t>(c)] = std::move(best);
        ++cold_items;
      }
    }
  }
#endif

  int64_t links = 0;
  for (int32_t i = 0; i < item_count; ++i) {
    const auto learned = knn.Neighbours(i);
    const auto& tail = cold_tails[static_cast<size_t>(i)];
    const std::span<const recsys::ScoredNeighbour> head =
        learned.empty()
            ? std::span<const recsys::ScoredNeighbour>(cold_lists[static_cast<size_t>(i)])
            : learned;
    if (head.empty() && tail.empty()) continue;
    auto* n = artifact.add_neighbours();
    n->set_product_id(ids[static_cast<size_t>(i)]);
    float last = 1.0f;
    for (const auto& x : head) {
      auto* s = n->add_items();
      s->set_product_id(ids[static_cast<size_t>(x.item)]);
      s->set_score(x.score);
      last = x.score;
      ++links;
    }
    // New products ride at the tail, scored below every learned neighbour.
    for (const auto& x : tail) {
      auto* s = n->add_items();
      s->set_product_id(ids[static_cast<size_t>(x.item)]);
      s->set_score(last * 0.5f * x.score);
      ++links;
    }
  }

  std::vector<int32_t> broad(ids.size(), -1);
  {
    std::unordered_map<std::string, int32_t> broad_ids;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (categories[i].empty()) continue;
      broad[i] =
          broad_ids.emplace(TopCategory(categories[i]), static_cast<int32_t>(broad_ids.size()))
              .first->second;
    }
  }
  recsys::FbtOptions fbt_options;
  fbt_options.window = 0;  // each sequence is one order
  fbt_options.top_k = static_cast<int>(options.fbt_per_item);
  recsys::FbtModel fbt(recsys::DeriveCatalogFeatures(text), broad, fbt_options);
  recsys::SequenceSet basket_set;
  basket_set.item_count = item_count;
  basket_set.sequences = std::move(baskets);
  if (Status s = fbt.Fit(basket_set, Sub(control, 0.4, 0.5)); !s.ok()) return s;
  int64_t fbt_pairs = 0;
  for (int32_t i = 0; i < item_count; ++i) {
    const auto pairs = fbt.Pairs(i);
    if (pairs.empty()) continue;
    auto* n = artifact.add_frequently_bought_together();
    n->set_product_id(ids[static_cast<size_t>(i)]);
    for (const auto& p : pairs) {
      auto* s = n->add_items();
      s->set_product_id(ids[static_cast<size_t>(p.item)]);
      s->set_score(p.score);
      ++fbt_pairs;
    }
  }

  // The sequential transformer over the unweighted product sequences.
#ifdef VITRINE_HAVE_TRANSFORMER
  if (options.sequential) {
    recsys::SequenceSet seqs;
    seqs.item_count = item_count;
    seqs.sequences.reserve(weighted.size());
    for (const auto& w : weighted) {
      std::vector<ItemIndex> s;
      s.reserve(w.size());
      for (const auto& [item, weight] : w) s.push_back(item);
      seqs.sequences.push_back(std::move(s));
    }
    recsys::SasRecOptions sasrec_options;
    if (options.sequential_epochs > 0) sasrec_options.max_epochs = options.sequential_epochs;
    recsys::SasRecModel sasrec(sasrec_options);
    recsys::TrainOptions sub = Sub(control, 0.5, 0.98);
    sub.seed = options.seed;
    sub.threads = options.threads;
    if (Status s = sasrec.Fit(seqs, sub); !s.ok()) return s;
    std::ostringstream out;
    if (Status s = sasrec.Save(out); !s.ok()) return s;
    artifact.set_sequential_kind("sasrec");
    artifact.set_sequential_model(out.str());
  }
#endif

  for (const auto& id : ids) artifact.add_product_ids(id);
  auto* stats = artifact.mutable_stats();
  stats->set_events(events);
  stats->set_profiles(static_cast<int64_t>(profiles.size()));
  stats->set_items(item_count);
  stats->set_baskets(static_cast<int64_t>(basket_set.sequences.size()));
  stats->set_neighbour_links(links);
  stats->set_fbt_pairs(fbt_pairs);
  stats->set_cold_items(cold_items);
  stats->set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  Report(control, "done", 1.0,
         "trained " + version + " in " + std::to_string(stats->seconds()) + " s");
  return artifact;
}

}  // namespace vitrine::training
