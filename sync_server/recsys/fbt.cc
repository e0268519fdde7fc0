#include "sync_server/recsys/fbt.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace vitrine::recsys {
namespace {

constexpr uint64_t PairKey(ItemIndex a, ItemIndex b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

Status Cancelled() { return Status(Status::Kind::kUnavailable, "cancelled", "cancelled"); }

}  // namespace

FbtModel::FbtModel(CatalogFeatures features, std::vector<int32_t> broad_categories,
                   FbtOptions options)
    : features_(std::move(features)), broad_(std::move(broad_categories)), options_(options) {}

bool FbtModel::MayPair(ItemIndex a, ItemIndex b) const {
  if (a == b) return false;
  const size_t n = features_.item_count();
  const auto ua = static_cast<size_t>(a);
  const auto ub = static_cast<size_t>(b);
  if (n == 0) return true;  // no text: statistics alone decide
  if (a < 0 || b < 0 || ua >= n || ub >= n) return false;
  if (AreNearDuplicates(features_, a, b)) return false;
  // Unknown broad categories count as the same one: the cautious reading.
  const bool same_broad = broad_.empty() || ua >= broad_.size() || ub >= broad_.size() ||
                          broad_[ua] < 0 || broad_[ub] < 0 || broad_[ua] == broad_[ub];
  if (!same_broad) return true;
  const int32_t sa = features_.subcategory_ids[ua];
  const int32_t sb = features_.subcategory_ids[ub];
  if (sa < 0 || sb < 0) return false;  // cannot tell a complement from a substitute
  return sa != sb || options_.allow_substitutes;
}

Status FbtModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  if (train.item_count < 0) {
    return Status(Status::Kind::kInvalid, "invalid_dataset", "negative item_count");
  }
  if (features_.item_count() != 0 &&
      features_.item_count() != static_cast<size_t>(train.item_count)) {
    return Status(Status::Kind::kInvalid, "invalid_dataset",
                  "text features describe " + std::to_string(features_.item_count()) +
                      " items, the sequences " + std::to_string(train.item_count));
  }
  item_count_ = train.item_count;
  const auto n_items = static_cast<size_t>(item_count_);
  std::vector<int64_t> item_sequences(n_items, 0);
  std::vector<uint64_t> keys;  // one (a < b) key per sequence containing the pair
  std::vector<uint64_t> local;
  std::vector<ItemIndex> unique;
  const size_t window = options_.window > 0 ? static_cast<size_t>(options_.window) : 0;
  const size_t n_seq = train.sequences.size();
  for (size_t s = 0; s < n_seq; ++s) {
    if (options.cancel != nullptr && (s & 1023) == 0 && options.cancel->load()) return Cancelled();
    const auto& seq = train.sequences[s];
    for (ItemIndex it : seq) {
      if (it < 0 || it >= item_count_) {
        return Status(Status::Kind::kInvalid, "invalid_dataset",
                      "sequence " + std::to_string(s) + " has item " + std::to_string(it) +
                          " outside 0.." + std::to_string(item_count_ - 1));
      }
    }
    unique.assign(seq.begin(), seq.end());
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    for (ItemIndex it : unique) ++item_sequences[static_cast<size_t>(it)];
    local.clear();
    if (window == 0) {
      for (size_t x = 0; x < unique.size(); ++x)
        for (size_t y = x + 1; y < unique.size(); ++y)
          local.push_back(PairKey(unique[x], unique[y]));
    } else {
      for (size_t x = 0; x < seq.size(); ++x) {
        for (size_t y = x + 1; y < seq.size() && y - x <= window; ++y) {
          if (seq[x] == seq[y]) continue;
          local.push_back(PairKey(std::min(seq[x], seq[y]), std::max(seq[x], seq[y])));
        }
      }
      std::sort(local.begin(), local.end());
      local.erase(std::unique(local.begin(), local.end()), local.end());
    }
    keys.insert(keys.end(), local.begin(), local.end());
    if (options.progress && (s & 4095) == 0) {
      options.progress({"pairs", 0.5 * static_cast<double>(s) / static_cast<double>(n_seq),
                        "sequence " + std::to_string(s) + "/" + std::to_string(n_seq)});
    }
  }
  std::sort(keys.begin(), keys.end());
  if (options.cancel != nullptr && options.cancel->load()) return Cancelled();

  pairs_.assign(n_items, {});
  const double n_total = static_cast<double>(std::max<size_t>(1, n_seq));
  const double damping = std::clamp(options_.damping, 0.0, 1.0);
  for (size_t k = 0; k < keys.size();) {
    size_t end = k;
    while (end < keys.size() && keys[end] == keys[k]) ++end;
    const auto support = static_cast<int32_t>(end - k);
    const auto a = static_cast<ItemIndex>(keys[k] >> 32);
    const auto b = static_cast<ItemIndex>(keys[k] & 0xFFFFFFFFu);
    k = end;
    if (support < options_.min_support) continue;
    const double na = static_cast<double>(item_sequences[static_cast<size_t>(a)]);
    const double nb = static_cast<double>(item_sequences[static_cast<size_t>(b)]);
    const double lift = support * n_total / (na * nb);
    if (lift <= options_.min_lift) continue;
    auto add = [&](ItemIndex from, ItemIndex to, double n_from, double n_to) {
      if (!MayPair(from, to)) return;
      FbtPair p;
      p.item = to;
      p.support = support;
      p.confidence = static_cast<float>(support / n_from);
      p.lift = static_cast<float>(lift);
      p.score =
          static_cast<float>(support / (std::pow(n_from, 1.0 - damping) * std::pow(n_to, damping)));
      pairs_[static_cast<size_t>(from)].push_back(p);
    };
    add(a, b, na, nb);
    add(b, a, nb, na);
  }
  const size_t top_k = static_cast<size_t>(std::max(0, options_.top_k));
  for (auto& list : pairs_) {
    // Ties broken by item index so results do not depend on the input order.
    auto better = [](const FbtPair& x, const FbtPair& y) {
      return x.score != y.score ? x.score > y.score : x.item < y.item;
    };
    if (list.size() > top_k) {
      std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(top_k), list.end(),
                        better);
      list.resize(top_k);
    } else {
      std::sort(list.begin(), list.end(), better);
    }
    list.shrink_to_fit();
  }
  if (options.progress) options.progress({"pairs", 1.0, "done"});
  return Status::Ok();
}

std::span<const FbtPair> FbtModel::Pairs(ItemIndex item) const {
  if (item < 0 || static_cast<size_t>(item) >= pairs_.size()) return {};
  return pairs_[static_cast<size_t>(item)];
}

void FbtModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  const size_t keep = static_cast<size_t>(std::max(1, options_.history_items));
  const size_t first = history.size() > keep ? history.size() - keep : 0;
  float weight = 1.0f;
  for (size_t h = history.size(); h-- > first;) {
    for (const FbtPair& p : Pairs(history[h])) {
      if (static_cast<size_t>(p.item) < out.size())
        out[static_cast<size_t>(p.item)] += weight * p.score;
    }
    weight *= 0.5f;  // the newest item says most about what goes with the basket now
  }
}

}  // namespace vitrine::recsys
