#include "sync_server/analytics/analytics_job.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

#include "sync_server/common/json_text.h"

namespace vitrine::server::analytics {
namespace {

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

std::string JsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::vector<ActivityLine> ActivityFromEvent(int64_t profile_id, const v1::Event& event) {
  std::vector<ActivityLine> out;
  ActivityKind kind;
  if (event.type() == "product_viewed") {
    kind = ActivityKind::kView;
  } else if (event.type() == "product_added_to_cart") {
    kind = ActivityKind::kCart;
  } else if (event.type() == "order_completed") {
    kind = ActivityKind::kOrder;
  } else if (event.type() == "order_refunded") {
    kind = ActivityKind::kRefund;
  } else {
    return out;
  }
  for (const auto& p : event.products()) {
    ActivityLine l;
    l.profile_id = profile_id;
    l.kind = kind;
    l.time_ms = event.occurred_at_ms();
    if (kind == ActivityKind::kOrder || kind == ActivityKind::kRefund)
      l.order_id = event.order().order_id();
    l.product_id = p.product_id();
    l.category = p.category();
    l.brand = p.brand();
    l.unit_price = static_cast<double>(p.price_micros()) / 1e6;
    l.quantity = p.quantity() > 0 ? p.quantity() : 1;
    out.push_back(std::move(l));
  }
  // A refund with no priced lines (an adjustment, a shipping refund) refunds the order's value.
  if (kind == ActivityKind::kRefund && event.order().value_micros() > 0) {
    double lines_value = 0;
    for (const ActivityLine& l : out) lines_value += l.unit_price * static_cast<double>(l.quantity);
    if (lines_value <= 0) {
      ActivityLine l;
      l.profile_id = profile_id;
      l.kind = kind;
      l.time_ms = event.occurred_at_ms();
      l.order_id = event.order().order_id();
      l.unit_price = static_cast<double>(event.order().value_micros()) / 1e6;
      out.clear();
      out.push_back(std::move(l));
    }
  }
  return out;
}

StatusOr<AnalyticsRun> ComputeRun(std::span<const ActivityLine> lines,
                                  const ComputeOptions& options, ComputeReport* report) {
  const auto start = std::chrono::steady_clock::now();
  ProfileOptions profile_options = options.profile;
  if (profile_options.as_of_ms <= 0) {
    for (const auto& l : lines)
      profile_options.as_of_ms = std::max(profile_options.as_of_ms, l.time_ms);
  }
  if (!profile_options.progress) profile_options.progress = options.progress;
  AnalyticsRun run;
  run.computed_at_ms = profile_options.as_of_ms;
  ComputeReport local;
  ComputeReport& r = report ? *report : local;
  if (lines.empty()) {
    r.note = "no events";
    run.models_json = "{\"note\":\"no events\"}";
    return run;
  }
  auto profiles = ComputeProfiles(lines, profile_options);
  if (!profiles.ok()) return profiles.status();
  r.profiles = static_cast<int64_t>(profiles->profiles.size());
  r.note = profiles->model_note;

  const SegmentationBase base = BuildSegmentationBase(*profiles);
  r.buyers = static_cast<int64_t>(base.inputs.size());
  std::vector<int> segment_of(profiles->profiles.size(), -1);
  std::vector<bool> holdout(profiles->profiles.size(), false);
  const int n = static_cast<int>(base.inputs.size());
  auto count = ChooseSegmentCount(n, options.segmentation);
  if (n > 0 && count.ok()) {
    auto features = BuildFeatures(base.inputs, options.features);
    if (!features.ok()) return features.status();
    SegmentationOptions seg_options = options.segmentation;
    if (!seg_options.progress && options.progress) {
      seg_options.progress = [&](int done, int total) { options.progress("segment", done, total); };
    }
    auto seg = SegmentCustomers(*features, seg_options);
    if (!seg.ok()) return seg.status();
    const std::vector<bool> flags =
        AssignHoldout(*seg, options.holdout_fraction, options.holdout_seed);
    for (int i = 0; i < n; ++i) {
      segment_of[base.profile_index[static_cast<size_t>(i)]] =
          seg->assignment[static_cast<size_t>(i)];
      holdout[base.profile_index[static_cast<size_t>(i)]] = flags[static_cast<size_t>(i)];
    }
    r.segments = seg->segments;
    std::vector<double> ltvs;
    for (const auto& in : base.inputs) ltvs.push_back(in.predicted_ltv);
    const double median_ltv = Median(ltvs);
    for (const SegmentDescription& d : DescribeSegments(base.inputs, *seg)) {
      StoredSegment g;
      g.id = SegmentId(d.segment);
      g.size = d.size;
      for (const auto& c : d.top_categories)
        g.top_categories.push_back(
            {profiles->category_vocabulary[static_cast<size_t>(c.category)], c.share});
      g.mean_aov = d.mean_aov;
      g.mean_ltv = d.mean_ltv;
      g.mean_churn = d.mean_churn;
      g.mean_frequency = d.mean_frequency;
      g.mean_recency_weeks = d.mean_recency_weeks;
      g.label = (g.top_categories.empty() ? std::string("mixed") : g.top_categories.front().key) +
                (d.mean_ltv >= median_ltv ? " · higher LTV" : " · lower LTV") +
                (d.mean_churn >= 0.5 ? " · at risk" : " · active");
      run.segments.push_back(std::move(g));
    }
  } else if (n > 0) {
    r.note +=
        std::string(r.note.empty() ? "" : "; ") + "not segmented: " + count.status().message();
  }

  // Propensity: a model that cannot be fitted (too little history for one horizon, no
  // categorised order) leaves the scores empty and says so; the rest of the run stands.
  std::map<int64_t, std::vector<double>> propensity;
  std::vector<std::string> propensity_categories;
  if (options.propensity.categories > 0) {
    auto model = FitPropensity(lines, profile_options.as_of_ms, options.propensity);
    StatusOr<std::map<int64_t, std::vector<double>>> scores =
        model.ok() ? ScorePropensity(*model, lines, profile_options.as_of_ms, options.propensity)
                   : StatusOr<std::map<int64_t, std::vector<double>>>(model.status());
    if (scores.ok()) {
      propensity = std::move(*scores);
      propensity_categories = model->categories;
    } else {
      r.note +=
          std::string(r.note.empty() ? "" : "; ") + "no propensity: " + scores.status().message();
    }
  }

  for (size_t i = 0; i < profiles->profiles.size(); ++i) {
    StoredProfile p;
    p.attributes = std::move(profiles->profiles[i]);
    if (segment_of[i] >= 0) p.segment_id = SegmentId(segment_of[i]);
    p.holdout = holdout[i];
    if (auto it = propensity.find(p.attributes.profile_id); it != propensity.end()) {
      for (size_t c = 0; c < propensity_categories.size(); ++c)
        p.category_propensity.push_back({propensity_categories[c], it->second[c]});
    }
    run.profiles.push_back(std::move(p));
  }
  std::string json = "{\"as_of_ms\":" + std::to_string(run.computed_at_ms);
  if (profiles->bgnbd) {
    const auto& b = *profiles->bgnbd;
    json += ",\"bgnbd\":{\"r\":" + JsonNumber(b.r) + ",\"alpha\":" + JsonNumber(b.alpha) +
            ",\"a\":" + JsonNumber(b.a) + ",\"b\":" + JsonNumber(b.b) + "}";
  }
  if (profiles->gamma_gamma) {
    const auto& g = *profiles->gamma_gamma;
    json += ",\"gamma_gamma\":{\"p\":" + JsonNumber(g.p) + ",\"q\":" + JsonNumber(g.q) +
            ",\"gamma\":" + JsonNumber(g.gamma) + "}";
  }
  json += ",\"time_unit\":\"week\",\"ltv_horizon_weeks\":" +
          JsonNumber(profile_options.ltv.horizon_weeks) +
          ",\"annual_discount_rate\":" + JsonNumber(profile_options.ltv.annual_discount_rate) +
          ",\"propensity_horizon_weeks\":" + JsonNumber(options.propensity.horizon_weeks) +
          ",\"propensity_categories\":" + std::to_string(propensity_categories.size()) +
          ",\"profiles\":" + std::to_string(r.profiles) +
          ",\"buyers\":" + std::to_string(r.buyers) +
          ",\"segments\":" + std::to_string(r.segments) + ",\"note\":" + JsonString(r.note) + "}";
  run.models_json = std::move(json);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return run;
}

StatusOr<ComputeReport> RunCompute(Store& store, ProfileStore& out, ComputeOptions options,
                                   int64_t now_ms) {
  auto catalog = store.ListCatalog();
  if (!catalog.ok()) return catalog.status();
  std::map<std::string, std::pair<std::string, std::string>> catalog_of;
  for (const auto& item : *catalog) catalog_of[item.product_id()] = {item.category(), item.brand()};
  std::vector<ActivityLine> lines;
  ComputeReport report;
  Status s = store.ScanEvents([&](int64_t profile_id, const v1::Event& event) {
    ++report.events;
    for (ActivityLine& l : ActivityFromEvent(profile_id, event)) {
      if (l.category.empty() || l.brand.empty()) {
        if (auto it = catalog_of.find(l.product_id); it != catalog_of.end()) {
          if (l.category.empty()) l.category = it->second.first;
          if (l.brand.empty()) l.brand = it->second.second;
        }
      }
      lines.push_back(std::move(l));
    }
    if (options.progress && report.events % 100000 == 0)
      options.progress("read", report.events, -1);
  });
  if (!s.ok()) return s;
  if (options.progress) options.progress("read", report.events, report.events);
  if (options.profile.as_of_ms <= 0) options.profile.as_of_ms = now_ms;
  auto run = ComputeRun(lines, options, &report);
  if (!run.ok()) return run.status();
  run->computed_at_ms = now_ms;
  s = out.ReplaceAll(*run);
  if (!s.ok()) return s;
  return report;
}

}  // namespace vitrine::server::analytics
