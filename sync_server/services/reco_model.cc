#include "sync_server/services/reco_model.h"

#include <algorithm>
#include <cmath>

namespace vitrine::server {
namespace {

double EventWeight(const std::string& type) {
  if (type == "product_viewed" || type == "product_clicked") return 1.0;
  if (type == "product_added_to_cart") return 3.0;
  if (type == "order_completed") return 5.0;
  return 0.0;
}

bool IsCoEvent(const std::string& type) {
  return type == "product_viewed" || type == "product_clicked" || type == "product_added_to_cart";
}

// Exponents above this are folded into a new frame so doubles never overflow.
constexpr double kMaxExponent = 400.0;

bool BetterScored(const v1::ScoredItem& a, const v1::ScoredItem& b) {
  if (a.score() != b.score()) return a.score() > b.score();
  return a.product_id() < b.product_id();
}

}  // namespace

RecoModel::RecoModel(RecoModelOptions options)
    : options_(options),
      half_life_ms_(std::max(1.0, options.half_life_days * 24.0 * 3600.0 * 1000.0)) {}

uint32_t RecoModel::InternLocked(const v1::ProductLine& line) {
  auto [it, inserted] = index_.try_emplace(line.product_id(), static_cast<uint32_t>(items_.size()));
  if (inserted) {
    items_.emplace_back();
    items_.back().product_id = line.product_id();
  }
  v1::CatalogItem& c = items_[it->second].from_events;
  // The latest line wins: prices and titles change.
  c.set_product_id(line.product_id());
  if (!line.name().empty()) c.set_title(line.name());
  c.set_price_micros(line.price_micros());
  c.set_currency(line.currency());
  if (!line.category().empty()) c.set_category(line.category());
  if (!line.brand().empty()) c.set_brand(line.brand());
  if (!line.url().empty()) c.set_url(line.url());
  if (!line.image_url().empty()) c.set_image_url(line.image_url());
  return it->second;
}

void RecoModel::AddPopularityLocked(uint32_t item, double weight, int64_t at_ms) {
  if (!has_t0_) {
    t0_ms_ = at_ms;
    has_t0_ = true;
  }
  double exponent = static_cast<double>(at_ms - t0_ms_) / half_life_ms_;
  if (exponent > kMaxExponent) {
    // Move the frame forward: scale every score down by the same factor.
    const double scale = std::exp2(-exponent);
    for (Item& i : items_) i.popularity *= scale;
    t0_ms_ = at_ms;
    exponent = 0;
  }
  items_[item].popularity += weight * std::exp2(exponent);
}

void RecoModel::Observe(int64_t profile_id, const v1::Event& event) {
  const double weight = EventWeight(event.type());
  if (weight <= 0 || event.products_size() == 0) return;
  std::lock_guard lock(mu_);
  ++changes_;
  const int64_t at = event.occurred_at_ms();
  max_event_ms_ = std::max(max_event_ms_, at);
  const bool co = IsCoEvent(event.type());
  auto& recent = recent_[profile_id];
  for (const auto& line : event.products()) {
    const uint32_t item = InternLocked(line);
    AddPopularityLocked(item, weight, at);
    if (!co) continue;
    const float w = static_cast<float>(weight);
    items_[item].interactions += w;
    for (const Recent& r : recent) {
      if (r.item == item || std::llabs(at - r.at_ms) > options_.cooc_window_ms) continue;
      const float pair = std::min(w, r.weight);
      items_[item].cooc[r.item] += pair;
      items_[r.item].cooc[item] += pair;
    }
    recent.push_back({item, at, w});
    while (recent.size() > options_.recent_per_profile) recent.pop_front();
  }
}

void RecoModel::ForgetProfile(int64_t profile_id) {
  std::lock_guard lock(mu_);
  recent_.erase(profile_id);
}

uint64_t RecoModel::Announce() {
  std::lock_guard lock(mu_);
  return ++announced_;
}

void RecoModel::Applied(uint64_t ticket) {
  {
    std::lock_guard lock(mu_);
    applied_ = std::max(applied_, ticket);
  }
  applied_cv_.notify_all();
}

std::shared_ptr<const RecoModel::View> RecoModel::CurrentView(int64_t now_ms) {
  std::unique_lock lock(mu_);
  const uint64_t wanted = announced_;
  applied_cv_.wait(lock, [&] { return applied_ >= wanted; });
  if (view_ && (view_changes_ == changes_ || now_ms - view_->built_at_ms < options_.refresh_ms)) {
    return view_;
  }
  auto view = std::make_shared<View>();
  view->built_at_ms = now_ms;
  view->version = view_ ? view_->version + 1 : 1;
  // Normalise to the latest event, but never past now: a store whose history ended long ago
  // (an import, the demo shop) keeps readable scores instead of underflowing to zero, and device
  // clocks ahead of ours cannot push the reference into the future.
  const int64_t ref = has_t0_ ? std::min(now_ms, max_event_ms_) : now_ms;
  const double scale = std::exp2(-static_cast<double>(ref - t0_ms_) / half_life_ms_);
  std::vector<v1::ScoredItem> all;
  all.reserve(items_.size());
  view->popularity.reserve(items_.size());
  for (const Item& i : items_) {
    if (i.popularity <= 0) continue;
    const auto score = static_cast<float>(i.popularity * scale);
    view->popularity.emplace(i.product_id, score);
    v1::ScoredItem s;
    s.set_product_id(i.product_id);
    s.set_score(score);
    all.push_back(std::move(s));
  }
  const size_t n = std::min(options_.popular_size, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    BetterScored);
  all.resize(n);
  view->popular = std::move(all);
  view_ = std::move(view);
  view_changes_ = changes_;
  return view_;
}

std::vector<v1::ScoredItem> RecoModel::Neighbours(const std::string& product_id, size_t n) {
  std::lock_guard lock(mu_);
  std::vector<v1::ScoredItem> out;
  auto it = index_.find(product_id);
  if (it == index_.end()) return out;
  const Item& item = items_[it->second];
  out.reserve(item.cooc.size());
  for (const auto& [other, count] : item.cooc) {
    const double denom =
        std::sqrt(std::max(1.0, item.interactions) * std::max(1.0, items_[other].interactions));
    v1::ScoredItem s;
    s.set_product_id(items_[other].product_id);
    s.set_score(static_cast<float>(count / denom));
    out.push_back(std::move(s));
  }
  const size_t k = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end(),
                    BetterScored);
  out.resize(k);
  return out;
}

std::optional<v1::CatalogItem> RecoModel::ItemFromEvents(const std::string& product_id) {
  std::lock_guard lock(mu_);
  auto it = index_.find(product_id);
  if (it == index_.end()) return std::nullopt;
  return items_[it->second].from_events;
}

size_t RecoModel::item_count() {
  std::lock_guard lock(mu_);
  return items_.size();
}

}  // namespace vitrine::server
