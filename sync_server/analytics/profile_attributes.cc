#include "sync_server/analytics/profile_attributes.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "sync_server/analytics/rfm_summary.h"

namespace vitrine::server::analytics {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr double kWeekMs = 7.0 * 86'400'000.0;
constexpr size_t kMaxCategories = 24;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

CivilDay DayOf(int64_t ms) {
  return static_cast<CivilDay>(ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs));
}

// Top `n` keys of a weight map, normalised by the map's total.
std::vector<Affinity> TopShares(const std::map<std::string, double>& weights, int n) {
  double total = 0;
  for (const auto& [k, w] : weights) total += w;
  std::vector<Affinity> all;
  if (total <= 0) return all;
  all.reserve(weights.size());
  for (const auto& [k, w] : weights) all.push_back({k, w / total});
  // Ties by key keep the order deterministic.
  std::sort(all.begin(), all.end(), [](const Affinity& a, const Affinity& b) {
    return a.score != b.score ? a.score > b.score : a.key < b.key;
  });
  if (all.size() > static_cast<size_t>(std::max(n, 0))) all.resize(static_cast<size_t>(n));
  return all;
}

// Score 1..5: the share of the other values strictly worse than `v`, in fifths (the best is 5).
class QuintileScorer {
 public:
  explicit QuintileScorer(std::vector<double> values) : sorted_(std::move(values)) {
    std::sort(sorted_.begin(), sorted_.end());
  }
  int Score(double v, bool lower_is_better) const {
    if (sorted_.empty()) return 0;
    const auto below =
        static_cast<double>(std::lower_bound(sorted_.begin(), sorted_.end(), v) - sorted_.begin());
    const auto above =
        static_cast<double>(sorted_.end() - std::upper_bound(sorted_.begin(), sorted_.end(), v));
    if (sorted_.size() == 1) return 5;
    const double worse =
        (lower_is_better ? above : below) / static_cast<double>(sorted_.size() - 1);
    return std::min(5, 1 + static_cast<int>(worse * 5.0));
  }

 private:
  std::vector<double> sorted_;
};

struct Order {
  int64_t profile_id = 0;
  int64_t time_ms = 0;
  double value = 0;
};

// The first t in (0, horizon] with E[Y(t)] >= 1, by bisection (E[Y(t)] increases with t).
std::optional<double> WeeksToFirstExpectedPurchase(const BgNbdParams& p, const RfmObservation& o,
                                                   double horizon) {
  const double at_horizon = BgNbdConditionalExpectedPurchases(p, o, horizon);
  if (!(at_horizon >= 1.0)) return std::nullopt;
  double lo = 0, hi = horizon;
  // To within half a day: the date is shown in days.
  for (int i = 0; i < 40 && hi - lo > 1.0 / 14; ++i) {
    const double mid = 0.5 * (lo + hi);
    (BgNbdConditionalExpectedPurchases(p, o, mid) >= 1.0 ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace

StatusOr<ProfilesResult> ComputeProfiles(std::span<const ActivityLine> lines,
                                         const ProfileOptions& options) {
  if (options.as_of_ms <= 0 || !(options.half_life_days > 0)) {
    return Status(Status::Kind::kInvalid, "invalid_profile_options",
                  "as_of_ms and half_life_days must be positive");
  }
  auto progress = [&](std::string_view stage, int64_t done, int64_t total) {
    if (options.progress) options.progress(stage, done, total);
  };
  const double half_life_ms = options.half_life_days * static_cast<double>(kDayMs);
  auto decay = [&](int64_t t) {
    return std::exp2(-static_cast<double>(options.as_of_ms - t) / half_life_ms);
  };
  auto kind_weight = [&](ActivityKind k) {
    return k == ActivityKind::kView   ? options.view_weight
           : k == ActivityKind::kCart ? options.cart_weight
                                      : options.order_weight;
  };

  // Order identity: the first (profile, time) an order_id is seen with owns it; its lines seen
  // again at another time or under another profile are a second copy of the order (SDK + CRM).
  std::vector<const ActivityLine*> used;
  used.reserve(lines.size());
  std::unordered_map<std::string, Order> orders;
  std::unordered_map<std::string, double> refunded;  // order_id -> amount
  for (const ActivityLine& line : lines) {
    if (line.time_ms > options.as_of_ms) continue;
    if (line.kind == ActivityKind::kRefund) {
      // Money only: a refund does not make a product less liked or less popular.
      if (!line.order_id.empty())
        refunded[line.order_id] += line.unit_price * static_cast<double>(line.quantity);
      continue;
    }
    if (line.kind == ActivityKind::kOrder) {
      if (line.order_id.empty()) continue;
      auto [it, fresh] = orders.try_emplace(line.order_id, Order{line.profile_id, line.time_ms, 0});
      if (!fresh &&
          (it->second.profile_id != line.profile_id || it->second.time_ms != line.time_ms))
        continue;
      it->second.value += line.unit_price * static_cast<double>(line.quantity);
    }
    used.push_back(&line);
  }
  // A refund of an order never seen (bought before the data starts) changes nothing.
  for (const auto& [order_id, amount] : refunded) {
    if (auto it = orders.find(order_id); it != orders.end())
      it->second.value = std::max(0.0, it->second.value - amount);
  }
  std::stable_sort(used.begin(), used.end(), [](const ActivityLine* a, const ActivityLine* b) {
    return a->profile_id < b->profile_id;
  });

  // Catalogue-wide figures: latest price per product, decayed popularity, category spend.
  std::map<std::string, std::pair<int64_t, double>> price_of;  // product -> (time, price)
  std::map<std::string, double> popularity;
  std::map<std::string, std::string> category_of;
  std::map<std::string, double> category_spend;
  for (const ActivityLine* l : used) {
    auto& p = price_of[l->product_id];
    if (l->time_ms >= p.first && l->unit_price > 0) p = {l->time_ms, l->unit_price};
    popularity[l->product_id] +=
        kind_weight(l->kind) * static_cast<double>(l->quantity) * decay(l->time_ms);
    if (!l->category.empty()) category_of[l->product_id] = l->category;
    if (l->kind == ActivityKind::kOrder && !l->category.empty())
      category_spend[l->category] += l->unit_price * static_cast<double>(l->quantity);
  }
  std::vector<double> product_prices;
  for (const auto& [id, p] : price_of)
    if (p.second > 0) product_prices.push_back(p.second);
  std::sort(product_prices.begin(), product_prices.end());
  auto tercile = [&](double q) {
    return product_prices.empty() ? 0.0
                                  : product_prices[static_cast<size_t>(
                                        q * static_cast<double>(product_prices.size() - 1))];
  };
  const double low_cut = tercile(1.0 / 3), high_cut = tercile(2.0 / 3);
  // Per category, products by popularity (best products are drawn from here).
  std::map<std::string, std::vector<std::pair<double, std::string>>> by_category;
  for (const auto& [product, category] : category_of)
    by_category[category].push_back({popularity[product], product});
  for (auto& [c, list] : by_category) {
    std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    if (list.size() > 50) list.resize(50);
  }
  ProfilesResult result;
  {
    std::vector<std::pair<double, std::string>> spend;
    for (const auto& [c, s] : category_spend) spend.push_back({s, c});
    std::sort(spend.begin(), spend.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (size_t i = 0; i < spend.size() && i < kMaxCategories; ++i)
      result.category_vocabulary.push_back(spend[i].second);
  }
  std::map<std::string, size_t> category_index;
  for (size_t i = 0; i < result.category_vocabulary.size(); ++i)
    category_index[result.category_vocabulary[i]] = i;

  // Per profile.
  std::vector<Transaction> transactions;
  size_t begin = 0;
  int64_t done = 0;
  while (begin < used.size()) {
    size_t end = begin;
    while (end < used.size() && used[end]->profile_id == used[begin]->profile_id) ++end;
    ProfileAttributes a;
    a.profile_id = used[begin]->profile_id;
    std::map<std::string, double> cat_w, brand_w, product_w;
    std::map<std::string, bool> ordered;
    double priced_qty = 0, priced_sum = 0, viewed_qty = 0, viewed_sum = 0;
    std::map<std::string, int64_t> own_orders;  // order_id -> time
    a.category_spend_shares.assign(result.category_vocabulary.size(), 0.0);
    double vocab_spend = 0;
    for (size_t i = begin; i < end; ++i) {
      const ActivityLine& l = *used[i];
      const double qty = static_cast<double>(l.quantity);
      const double w = kind_weight(l.kind) * qty * decay(l.time_ms);
      if (!l.category.empty()) cat_w[l.category] += w;
      if (!l.brand.empty()) brand_w[l.brand] += w;
      product_w[l.product_id] += w;
      if (l.kind == ActivityKind::kOrder) {
        ordered[l.product_id] = true;
        own_orders[l.order_id] = l.time_ms;
        if (l.unit_price > 0) priced_qty += qty, priced_sum += qty * l.unit_price;
        if (auto it = category_index.find(l.category); it != category_index.end()) {
          a.category_spend_shares[it->second] += qty * l.unit_price;
          vocab_spend += qty * l.unit_price;
        }
      } else if (l.unit_price > 0) {
        viewed_qty += qty, viewed_sum += qty * l.unit_price;
      }
    }
    if (vocab_spend > 0)
      for (double& s : a.category_spend_shares) s /= vocab_spend;
    for (const auto& [order_id, t] : own_orders) {
      const Order& o = orders.at(order_id);
      if (o.value <= 0 && refunded.count(order_id)) continue;  // refunded in full
      ++a.order_count;
      a.total_spend += o.value;
      a.first_order_ms = a.first_order_ms == 0 ? t : std::min(a.first_order_ms, t);
      a.last_order_ms = std::max(a.last_order_ms, t);
      transactions.push_back({std::to_string(a.profile_id), DayOf(t), o.value});
    }
    if (a.order_count > 0)
      a.average_order_value = a.total_spend / static_cast<double>(a.order_count);
    a.categories = TopShares(cat_w, options.top_affinities);
    a.brands = TopShares(brand_w, options.top_affinities);
    const double mean_price = priced_qty > 0   ? priced_sum / priced_qty
                              : viewed_qty > 0 ? viewed_sum / viewed_qty
                                               : 0;
    if (mean_price > 0)
      a.price_tier = mean_price < low_cut ? "budget" : mean_price <= high_cut ? "mid" : "premium";
    for (const auto& f : TopShares(product_w, options.favourites)) a.favourites.push_back(f.key);
    // Best products: popular in the profile's top categories, not yet ordered by it.
    std::vector<std::pair<double, std::string>> candidates;
    for (size_t c = 0; c < a.categories.size() && c < 3; ++c) {
      const auto& list = by_category[a.categories[c].key];
      const double top = list.empty() ? 1.0 : std::max(list.front().first, 1e-12);
      for (const auto& [pop, product] : list)
        if (!ordered.count(product))
          candidates.push_back({a.categories[c].score * pop / top, product});
    }
    std::sort(candidates.begin(), candidates.end(), [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    for (const auto& [score, product] : candidates) {
      if (a.best_products.size() >= static_cast<size_t>(std::max(options.best_products, 0))) break;
      if (std::find(a.best_products.begin(), a.best_products.end(), product) ==
          a.best_products.end())
        a.best_products.push_back(product);
    }
    a.p_alive = a.churn_probability = a.expected_purchases_52w = a.ltv = kNaN;
    result.profiles.push_back(std::move(a));
    begin = end;
    if (++done % 20000 == 0) progress("profiles", done, -1);
  }
  progress("profiles", done, done);

  // RFM scores among buyers.
  std::vector<double> recency_days, counts, spends;
  for (const auto& a : result.profiles) {
    if (a.order_count == 0) continue;
    recency_days.push_back(static_cast<double>(DayOf(options.as_of_ms) - DayOf(a.last_order_ms)));
    counts.push_back(static_cast<double>(a.order_count));
    spends.push_back(a.total_spend);
  }
  const QuintileScorer r_score(std::move(recency_days)), f_score(std::move(counts)),
      m_score(std::move(spends));
  for (auto& a : result.profiles) {
    if (a.order_count == 0) continue;
    a.recency_score =
        r_score.Score(static_cast<double>(DayOf(options.as_of_ms) - DayOf(a.last_order_ms)), true);
    a.frequency_score = f_score.Score(static_cast<double>(a.order_count), false);
    a.monetary_score = m_score.Score(a.total_spend, false);
  }

  // Models: BG/NBD over every buyer, Gamma-Gamma over repeat buyers.
  SummaryOptions summary_options;
  summary_options.calibration_end = DayOf(options.as_of_ms);
  auto summaries = BuildSummaries(transactions, summary_options);
  if (!summaries.ok()) return summaries.status();
  std::unordered_map<int64_t, const CustomerSummary*> summary_of;
  std::vector<RfmObservation> rfm;
  std::vector<SpendObservation> spend;
  for (const auto& s : *summaries) {
    summary_of[std::stoll(s.customer_id)] = &s;
    rfm.push_back(s.rfm());
    if (s.frequency >= 1 && s.mean_repeat_spend > 0)
      spend.push_back({s.frequency, s.mean_repeat_spend});
  }
  progress("fit", 0, 2);
  if (rfm.size() >= 2) {
    auto fit = FitBgNbd(rfm, options.fit);
    if (fit.ok()) {
      result.bgnbd = fit->params;
    } else {
      result.model_note = "BG/NBD not fitted: " + fit.status().ToString();
    }
  } else {
    result.model_note = "BG/NBD not fitted: fewer than 2 buyers";
  }
  progress("fit", 1, 2);
  if (spend.size() >= 10) {
    auto fit = FitGammaGamma(spend, options.fit);
    if (fit.ok() && fit->params.q > 1) {
      result.gamma_gamma = fit->params;
    } else {
      result.model_note +=
          std::string(result.model_note.empty() ? "" : "; ") +
          "Gamma-Gamma not fitted: " + (fit.ok() ? std::string("q <= 1") : fit.status().ToString());
    }
  } else {
    result.model_note += std::string(result.model_note.empty() ? "" : "; ") +
                         "Gamma-Gamma not fitted: fewer than 10 repeat buyers";
  }
  progress("fit", 2, 2);

  // Customers share (x, t_x, T) often (every one-time buyer born the same day), and the model
  // outputs depend on nothing else; LTV is linear in the expected spend, so each distinct
  // observation keeps its discounted expected purchases. The distinct observations are computed
  // on two threads (pure functions, each writing its own slot: the same results either way).
  struct ModelOutputs {
    double p_alive = 0, expected_52w = 0, discounted_purchases = 0;
    std::optional<double> weeks_to_next;
  };
  std::map<std::tuple<double, double, double>, size_t> curve_of;
  std::vector<RfmObservation> distinct;
  if (result.bgnbd) {
    for (const auto& s : *summaries) {
      const RfmObservation o = s.rfm();
      if (curve_of.try_emplace(std::make_tuple(o.x, o.t_x, o.T), distinct.size()).second)
        distinct.push_back(o);
    }
  }
  std::vector<ModelOutputs> curves(distinct.size());
  {
    const BgNbdParams p = result.bgnbd.value_or(BgNbdParams{});
    std::atomic<int64_t> computed{0};
    auto compute = [&](size_t first, size_t step) {
      for (size_t i = first; i < distinct.size(); i += step) {
        const RfmObservation& o = distinct[i];
        ModelOutputs& m = curves[i];
        m.p_alive = BgNbdProbabilityAlive(p, o);
        m.expected_52w = BgNbdConditionalExpectedPurchases(p, o, 52);
        m.weeks_to_next = WeeksToFirstExpectedPurchase(p, o, options.next_order_horizon_weeks);
        m.discounted_purchases = LifetimeValue(
            [&](double t) { return BgNbdConditionalExpectedPurchases(p, o, t); }, 1.0, options.ltv);
        ++computed;
        // Progress from the calling thread only (compute(0, ...) below).
        if (first == 0 && i % 20000 == 0) {
          progress("ltv", computed.load(), static_cast<int64_t>(distinct.size()));
        }
      }
    };
    std::thread helper(compute, 1, 2);
    compute(0, 2);
    helper.join();
    progress("ltv", computed.load(), static_cast<int64_t>(distinct.size()));
  }
  for (auto& a : result.profiles) {
    auto it = summary_of.find(a.profile_id);
    if (it == summary_of.end()) continue;
    const CustomerSummary& s = *it->second;
    a.frequency = s.frequency;
    a.recency_weeks = s.recency_weeks;
    a.age_weeks = s.age_weeks;
    if (result.bgnbd) {
      const RfmObservation o = s.rfm();
      const ModelOutputs& m = curves[curve_of.at(std::make_tuple(o.x, o.t_x, o.T))];
      a.p_alive = m.p_alive;
      a.churn_probability = 1.0 - a.p_alive;
      a.expected_purchases_52w = m.expected_52w;
      // Weeks are counted from the end of the calibration day.
      if (m.weeks_to_next) {
        a.expected_next_order_ms = (static_cast<int64_t>(DayOf(options.as_of_ms)) + 1) * kDayMs +
                                   static_cast<int64_t>(*m.weeks_to_next * kWeekMs);
      }
      const double expected_spend =
          result.gamma_gamma ? GammaGammaConditionalExpectedSpend(
                                   *result.gamma_gamma, {s.frequency, s.mean_repeat_spend})
                             : a.average_order_value;
      a.ltv = m.discounted_purchases * expected_spend;
    }
  }
  return result;
}

SegmentationBase BuildSegmentationBase(const ProfilesResult& result) {
  SegmentationBase base;
  for (size_t i = 0; i < result.profiles.size(); ++i) {
    const ProfileAttributes& a = result.profiles[i];
    if (a.order_count == 0) continue;
    CustomerInput in;
    in.category_shares = a.category_spend_shares;
    in.average_order_value = a.average_order_value;
    // Without a fitted model the value-based features fall back to neutral constants (they are
    // z-scored, so a constant column carries no weight).
    in.predicted_ltv = std::isfinite(a.ltv) ? std::max(a.ltv, 0.0) : 0.0;
    in.p_alive = std::isfinite(a.p_alive) ? a.p_alive : 1.0;
    in.frequency = a.frequency;
    in.recency_weeks = a.recency_weeks;
    base.inputs.push_back(std::move(in));
    base.profile_index.push_back(i);
  }
  return base;
}

}  // namespace vitrine::server::analytics
