#include "sync_server/analytics/propensity.h"

#include <nlopt.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include "sync_server/analytics/clv_models.h"
#include "sync_server/analytics/rfm_summary.h"

namespace vitrine::server::analytics {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr double kWeekMs = 7.0 * 86'400'000.0;
using Features = std::array<double, kPropensityFeatures>;

// Per customer at one cutoff: one feature row and one label per category.
struct Dataset {
  std::vector<int64_t> ids;              // [customer]: profile ids, ascending
  std::vector<std::vector<Features>> x;  // [category][customer]
  std::vector<std::vector<int>> y;       // [category][customer]
};

std::vector<std::string> TopCategories(std::span<const ActivityLine> lines, int64_t cutoff, int n) {
  std::map<std::string, std::set<std::string>> orders;
  for (const auto& l : lines)
    if (l.kind == ActivityKind::kOrder && l.time_ms <= cutoff && !l.category.empty())
      orders[l.category].insert(l.order_id);
  std::vector<std::pair<size_t, std::string>> ranked;
  for (const auto& [c, o] : orders) ranked.push_back({o.size(), c});
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < n; ++i)
    out.push_back(ranked[i].second);
  return out;
}

StatusOr<Dataset> BuildDataset(std::span<const ActivityLine> lines, int64_t cutoff,
                               const std::vector<std::string>& categories,
                               const PropensityOptions& options) {
  const int64_t label_end = cutoff + static_cast<int64_t>(options.horizon_weeks * kWeekMs);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < categories.size(); ++i) index[categories[i]] = i;
  const size_t k = categories.size();
  struct Customer {
    std::vector<double> weight;
    double total_weight = 0;
    std::map<std::string, std::vector<bool>> orders;  // order_id -> categories it contains
    int64_t last_order = 0;
    std::vector<int> label;
  };
  std::map<int64_t, Customer> customers;
  const double half_life_ms = options.half_life_days * static_cast<double>(kDayMs);
  for (const auto& l : lines) {
    // Interest features and labels come from views, carts and orders; refunds carry money only.
    if (l.time_ms > label_end || l.kind == ActivityKind::kRefund) continue;
    Customer& c = customers[l.profile_id];
    if (c.weight.empty()) {
      c.weight.assign(k, 0.0);
      c.label.assign(k, 0);
    }
    const auto it = index.find(l.category);
    if (l.time_ms > cutoff) {
      if (l.kind == ActivityKind::kOrder && it != index.end()) c.label[it->second] = 1;
      continue;
    }
    const double w = (l.kind == ActivityKind::kView   ? 1.0
                      : l.kind == ActivityKind::kCart ? 3.0
                                                      : 5.0) *
                     static_cast<double>(std::max<int64_t>(l.quantity, 1)) *
                     std::exp2(-static_cast<double>(cutoff - l.time_ms) / half_life_ms);
    c.total_weight += w;
    if (it != index.end()) c.weight[it->second] += w;
    if (l.kind == ActivityKind::kOrder) {
      auto& in = c.orders[l.order_id];
      if (in.empty()) in.assign(k, false);
      if (it != index.end()) in[it->second] = true;
      c.last_order = std::max(c.last_order, l.time_ms);
    }
  }
  // BG/NBD on this side of the cutoff: expected orders over the horizon.
  std::vector<Transaction> transactions;
  // One transaction per order, at the time of its first line.
  {
    std::map<std::pair<int64_t, std::string>, int64_t> order_time;
    for (const auto& l : lines)
      if (l.kind == ActivityKind::kOrder && l.time_ms <= cutoff)
        order_time.try_emplace({l.profile_id, l.order_id}, l.time_ms);
    for (const auto& [key, t] : order_time)
      transactions.push_back({std::to_string(key.first), static_cast<CivilDay>(t / kDayMs), 1.0});
  }
  SummaryOptions summary_options;
  summary_options.calibration_end = static_cast<CivilDay>(cutoff / kDayMs);
  auto summaries = BuildSummaries(transactions, summary_options);
  if (!summaries.ok()) return summaries.status();
  std::vector<RfmObservation> rfm;
  for (const auto& s : *summaries) rfm.push_back(s.rfm());
  auto fit = FitBgNbd(rfm);
  if (!fit.ok()) return fit.status();
  std::unordered_map<int64_t, double> expected;
  std::map<std::tuple<double, double, double>, double> cache;  // many customers share (x, t_x, T)
  for (const auto& s : *summaries) {
    auto [it, fresh] = cache.try_emplace({s.frequency, s.recency_weeks, s.age_weeks}, 0.0);
    if (fresh)
      it->second = BgNbdConditionalExpectedPurchases(fit->params, s.rfm(), options.horizon_weeks);
    expected[std::stoll(s.customer_id)] = it->second;
  }

  Dataset d;
  d.x.assign(k, {});
  d.y.assign(k, {});
  for (const auto& [id, c] : customers) {
    if (c.orders.empty()) continue;
    const double weeks_since = static_cast<double>(cutoff - c.last_order) / kWeekMs;
    double e = expected.count(id) ? expected[id] : 0.0;
    if (!std::isfinite(e)) e = 0;
    d.ids.push_back(id);
    for (size_t j = 0; j < k; ++j) {
      int64_t with = 0;
      for (const auto& [order_id, cats] : c.orders) with += cats[j] ? 1 : 0;
      d.x[j].push_back({1.0, c.total_weight > 0 ? c.weight[j] / c.total_weight : 0.0,
                        std::log1p(static_cast<double>(with)),
                        std::log1p(static_cast<double>(c.orders.size())), std::log1p(weeks_since),
                        e});
      d.y[j].push_back(c.label[j]);
    }
  }
  return d;
}

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

double Predict(const Features& w, const Features& x) {
  double z = 0;
  for (int i = 0; i < kPropensityFeatures; ++i)
    z += w[static_cast<size_t>(i)] * x[static_cast<size_t>(i)];
  return Sigmoid(z);
}

struct LogisticData {
  const std::vector<Features>* x;
  const std::vector<int>* y;
  double l2;
};

double LogLoss(unsigned n, const double* w, double* grad, void* data) {
  const auto* d = static_cast<const LogisticData*>(data);
  const double m = static_cast<double>(d->x->size());
  double loss = 0;
  std::array<double, kPropensityFeatures> g{};
  for (size_t i = 0; i < d->x->size(); ++i) {
    const Features& x = (*d->x)[i];
    double z = 0;
    for (unsigned j = 0; j < n; ++j) z += w[j] * x[j];
    const double yi = (*d->y)[i];
    // log(1 + e^z) - y z, computed stably.
    loss += (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - yi * z;
    const double r = Sigmoid(z) - yi;
    for (unsigned j = 0; j < n; ++j) g[j] += r * x[j];
  }
  loss /= m;
  for (unsigned j = 1; j < n; ++j) loss += d->l2 * w[j] * w[j];
  if (grad) {
    for (unsigned j = 0; j < n; ++j) grad[j] = g[j] / m + (j > 0 ? 2 * d->l2 * w[j] : 0.0);
  }
  return loss;
}

}  // namespace

double Auc(std::span<const double> scores, std::span<const int> labels) {
  std::vector<size_t> order(scores.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  int64_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = 0.5 * static_cast<double>(i + 1 + j);  // ties share their mean rank
    for (size_t t = i; t < j; ++t) {
      if (labels[order[t]]) {
        rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const auto n = static_cast<int64_t>(scores.size());
  const int64_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2) / (p * static_cast<double>(negatives));
}

StatusOr<PropensityModel> FitPropensity(std::span<const ActivityLine> lines, int64_t t1_ms,
                                        const PropensityOptions& options) {
  const int64_t cutoff = t1_ms - static_cast<int64_t>(options.horizon_weeks * kWeekMs);
  PropensityModel model;
  model.categories = TopCategories(lines, cutoff, options.categories);
  if (model.categories.empty())
    return Status(Status::Kind::kInvalid, "no_categories", "no categorised order before period 1");
  auto data = BuildDataset(lines, cutoff, model.categories, options);
  if (!data.ok()) return data.status();
  for (size_t c = 0; c < model.categories.size(); ++c) {
    LogisticData d{&data->x[c], &data->y[c], options.l2};
    nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, kPropensityFeatures);
    if (!opt) return Status(Status::Kind::kInternal, "optimiser_unavailable", "nlopt_create");
    nlopt_set_min_objective(opt, &LogLoss, &d);
    nlopt_set_ftol_rel(opt, 1e-10);
    nlopt_set_maxeval(opt, 500);
    Features w{};
    double value = 0;
    const nlopt_result r = nlopt_optimize(opt, w.data(), &value);
    nlopt_destroy(opt);
    if (r < 0 && r != NLOPT_ROUNDOFF_LIMITED) {
      return Status(
          Status::Kind::kInternal, "fit_failed",
          "logistic fit of " + model.categories[c] + " failed (" + std::to_string(r) + ")");
    }
    model.weights.push_back(w);
  }
  return model;
}

StatusOr<std::vector<CategoryEvaluation>> EvaluatePropensity(const PropensityModel& model,
                                                             std::span<const ActivityLine> lines,
                                                             int64_t t1_ms,
                                                             const PropensityOptions& options) {
  auto data = BuildDataset(lines, t1_ms, model.categories, options);
  if (!data.ok()) return data.status();
  std::vector<CategoryEvaluation> out;
  for (size_t c = 0; c < model.categories.size(); ++c) {
    const auto& x = data->x[c];
    const auto& y = data->y[c];
    CategoryEvaluation e;
    e.category = model.categories[c];
    e.customers = static_cast<int64_t>(x.size());
    std::vector<double> predicted, affinity;
    std::array<double, 10> bin_p{}, bin_y{}, bin_n{};
    for (size_t i = 0; i < x.size(); ++i) {
      const double p = Predict(model.weights[c], x[i]);
      predicted.push_back(p);
      affinity.push_back(x[i][1]);
      e.positives += y[i];
      e.mean_predicted += p;
      const auto bin = std::min<size_t>(9, static_cast<size_t>(p * 10));
      bin_p[bin] += p;
      bin_y[bin] += y[i];
      bin_n[bin] += 1;
    }
    const double n = static_cast<double>(std::max<int64_t>(e.customers, 1));
    e.mean_predicted /= n;
    e.actual_rate = static_cast<double>(e.positives) / n;
    for (size_t b = 0; b < 10; ++b) e.calibration_error += std::abs(bin_p[b] - bin_y[b]) / n;
    e.auc = Auc(predicted, y);
    e.affinity_auc = Auc(affinity, y);
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::map<int64_t, std::vector<double>>> ScorePropensity(
    const PropensityModel& model, std::span<const ActivityLine> lines, int64_t as_of_ms,
    const PropensityOptions& options) {
  // Only activity up to as_of is features; later lines would only be labels, which scoring
  // ignores.
  auto data = BuildDataset(lines, as_of_ms, model.categories, options);
  if (!data.ok()) return data.status();
  std::map<int64_t, std::vector<double>> out;
  for (size_t i = 0; i < data->ids.size(); ++i) {
    std::vector<double>& scores = out[data->ids[i]];
    for (size_t c = 0; c < model.categories.size(); ++c)
      scores.push_back(Predict(model.weights[c], data->x[c][i]));
  }
  return out;
}

}  // namespace vitrine::server::analytics
