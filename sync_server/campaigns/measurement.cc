#include "sync_server/campaigns/measurement.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>

namespace vitrine::server::campaigns {
namespace {

double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

double Value(const RecipientOutcome& o, UpliftMetric metric) {
  switch (metric) {
    case UpliftMetric::kRevenue:
      return o.revenue;
    case UpliftMetric::kOrders:
      return static_cast<double>(o.orders);
    case UpliftMetric::kConversion:
      return o.orders > 0 ? 1.0 : 0.0;
  }
  return 0;
}

struct Moments {
  int64_t n = 0;
  double mean = 0;
  double m2 = 0;  // Welford's running sum of squared deviations
  void Add(double x) {
    ++n;
    const double d = x - mean;
    mean += d / static_cast<double>(n);
    m2 += d * (x - mean);
  }
  double Variance() const { return n > 1 ? m2 / static_cast<double>(n - 1) : 0.0; }
};

std::string Bar(double fraction, int width) {
  const int n = static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * width));
  return std::string(static_cast<size_t>(n), '#') +
         std::string(static_cast<size_t>(width - n), '.');
}

std::string Fmt(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

}  // namespace

Funnel ComputeFunnel(const std::vector<RecipientOutcome>& outcomes) {
  Funnel f;
  double rev_t = 0, rev_c = 0;
  int64_t ord_t = 0, ord_c = 0, conv_t = 0, conv_c = 0;
  for (const RecipientOutcome& o : outcomes) {
    ++f.audience;
    if (o.held_out) {
      ++f.holdout;
      rev_c += o.revenue;
      ord_c += o.orders;
      conv_c += o.orders > 0;
      continue;
    }
    ++f.treated;
    rev_t += o.revenue;
    ord_t += o.orders;
    conv_t += o.orders > 0;
    if (!o.delivered) continue;
    ++f.delivered;
    const bool opened = o.opened || o.clicked;
    f.opened += opened;
    f.clicked += o.clicked;
    f.converted_openers += opened && o.orders > 0;
  }
  f.open_rate = Ratio(f.opened, f.delivered);
  f.click_rate = Ratio(f.clicked, f.delivered);
  f.click_to_open = Ratio(f.clicked, f.opened);
  f.opener_conversion = Ratio(f.converted_openers, f.opened);
  f.revenue_per_treated = f.treated ? rev_t / static_cast<double>(f.treated) : 0;
  f.revenue_per_holdout = f.holdout ? rev_c / static_cast<double>(f.holdout) : 0;
  f.orders_per_treated = Ratio(ord_t, f.treated);
  f.orders_per_holdout = Ratio(ord_c, f.holdout);
  f.conversion_treated = Ratio(conv_t, f.treated);
  f.conversion_holdout = Ratio(conv_c, f.holdout);
  return f;
}

const char* UpliftMetricName(UpliftMetric metric) {
  switch (metric) {
    case UpliftMetric::kRevenue:
      return "revenue_per_recipient";
    case UpliftMetric::kOrders:
      return "orders_per_recipient";
    case UpliftMetric::kConversion:
      return "conversion";
  }
  return "unknown";
}

double NormalQuantile(double p) {
  // Peter J. Acklam's algorithm.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  if (p <= 0) return -INFINITY;
  if (p >= 1) return INFINITY;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) return -NormalQuantile(1 - p);
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

UpliftEstimate PooledUplift(const std::vector<RecipientOutcome>& outcomes, UpliftMetric metric,
                            double confidence) {
  std::map<std::string, std::pair<Moments, Moments>> strata;  // segment -> (treated, holdout)
  for (const RecipientOutcome& o : outcomes) {
    auto& [t, c] = strata[o.segment];
    (o.held_out ? c : t).Add(Value(o, metric));
  }
  UpliftEstimate est;
  est.metric = metric;
  est.confidence = confidence;
  int64_t total = 0;
  for (const auto& [segment, groups] : strata) {
    if (groups.first.n >= 2 && groups.second.n >= 2) total += groups.first.n + groups.second.n;
  }
  double variance = 0;
  for (const auto& [segment, groups] : strata) {
    const Moments& t = groups.first;
    const Moments& c = groups.second;
    if (t.n < 2 || c.n < 2) {
      ++est.strata_skipped;
      continue;
    }
    ++est.strata_used;
    StratumUplift s;
    s.segment = segment;
    s.n_treated = t.n;
    s.n_holdout = c.n;
    s.mean_treated = t.mean;
    s.mean_holdout = c.mean;
    s.difference = t.mean - c.mean;
    const double v =
        t.Variance() / static_cast<double>(t.n) + c.Variance() / static_cast<double>(c.n);
    s.std_error = std::sqrt(v);
    const double w = static_cast<double>(t.n + c.n) / static_cast<double>(total);
    est.estimate += w * s.difference;
    variance += w * w * v;
    est.strata.push_back(s);
  }
  est.std_error = std::sqrt(variance);
  const double z = NormalQuantile(0.5 + confidence / 2);
  est.ci_low = est.estimate - z * est.std_error;
  est.ci_high = est.estimate + z * est.std_error;
  return est;
}

std::vector<RecipientOutcome> BuildOutcomes(const std::vector<SendRecord>& sends,
                                            const std::vector<Engagement>& engagements,
                                            const std::vector<OrderRecord>& orders,
                                            int64_t window_ms) {
  std::vector<RecipientOutcome> out;
  std::unordered_map<std::string, size_t> index;
  for (const SendRecord& s : sends) {
    RecipientOutcome o;
    o.recipient_id = s.recipient_id;
    o.segment = s.segment;
    o.held_out = s.held_out;
    o.delivered = s.status == SendStatus::kSent;
    index[s.recipient_id] = out.size();
    out.push_back(o);
  }
  for (const Engagement& e : engagements) {
    auto it = index.find(e.recipient_id);
    if (it == index.end() || !e.human()) continue;
    RecipientOutcome& o = out[it->second];
    if (e.kind == Engagement::Kind::kOpen) o.opened = true;
    if (e.kind == Engagement::Kind::kClick) o.clicked = o.opened = true;
  }
  for (const OrderRecord& order : orders) {
    auto it = index.find(order.recipient_id);
    if (it == index.end()) continue;
    const int64_t sent_at = sends[it->second].at_ms;
    if (order.at_ms < sent_at || order.at_ms > sent_at + window_ms) continue;
    RecipientOutcome& o = out[it->second];
    ++o.orders;
    o.revenue += order.value;
  }
  return out;
}

std::string RenderTextReport(const std::string& title, const Funnel& f,
                             const std::vector<UpliftEstimate>& uplifts) {
  std::string out = title + "\n" + std::string(title.size(), '=') + "\n";
  out += "audience " + std::to_string(f.audience) + "  treated " + std::to_string(f.treated) +
         "  holdout " + std::to_string(f.holdout) + "\n\nFunnel (human events only)\n";
  const double base = f.delivered > 0 ? static_cast<double>(f.delivered) : 1.0;
  auto row = [&](const char* name, int64_t n, const std::string& rate) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-18s %8lld  %s  %s\n", name, static_cast<long long>(n),
                  Bar(static_cast<double>(n) / base, 40).c_str(), rate.c_str());
    out += buf;
  };
  row("delivered", f.delivered, "");
  row("opened", f.opened, Fmt("open rate %.1f%%", 100 * f.open_rate));
  row("clicked", f.clicked, Fmt("CTOR %.1f%%", 100 * f.click_to_open));
  row("openers who bought", f.converted_openers,
      Fmt("opener conversion %.1f%%", 100 * f.opener_conversion));
  out += "\nUplift vs holdout (pooled across segments)\n";
  for (const UpliftEstimate& u : uplifts) {
    // The interval drawn on a shared axis from min(low, 0) to max(high, 0): '|' marks zero.
    const double lo = std::min(u.ci_low, 0.0), hi = std::max(u.ci_high, 0.0);
    const double span = hi > lo ? hi - lo : 1.0;
    constexpr int kWidth = 40;
    std::string axis(kWidth + 1, ' ');
    auto pos = [&](double v) { return static_cast<size_t>(std::lround((v - lo) / span * kWidth)); };
    for (size_t i = pos(u.ci_low); i <= pos(u.ci_high); ++i) axis[i] = '-';
    axis[pos(0.0)] = '|';
    axis[pos(u.estimate)] = '*';
    char buf[256];
    std::snprintf(buf, sizeof buf, "  %-22s %+10.4f  [%+.4f, %+.4f] %2.0f%%  %s\n",
                  UpliftMetricName(u.metric), u.estimate, u.ci_low, u.ci_high, 100 * u.confidence,
                  axis.c_str());
    out += buf;
  }
  return out;
}

std::string RenderJsonReport(const std::string& campaign_id, const Funnel& f,
                             const std::vector<UpliftEstimate>& uplifts) {
  auto num = [](double v) { return Fmt("%.6g", std::isfinite(v) ? v : 0.0); };
  std::string id;
  for (char c : campaign_id) {
    if (c == '"' || c == '\\') id.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) id.push_back(c);
  }
  std::string out = "{\"campaign_id\":\"" + id + "\",\"funnel\":{";
  out += "\"audience\":" + std::to_string(f.audience) +
         ",\"treated\":" + std::to_string(f.treated) + ",\"holdout\":" + std::to_string(f.holdout) +
         ",\"delivered\":" + std::to_string(f.delivered) +
         ",\"opened\":" + std::to_string(f.opened) + ",\"clicked\":" + std::to_string(f.clicked) +
         ",\"converted_openers\":" + std::to_string(f.converted_openers) +
         ",\"open_rate\":" + num(f.open_rate) + ",\"click_to_open\":" + num(f.click_to_open) +
         ",\"opener_conversion\":" + num(f.opener_conversion) +
         ",\"revenue_per_treated\":" + num(f.revenue_per_treated) +
         ",\"revenue_per_holdout\":" + num(f.revenue_per_holdout) + "},\"uplift\":[";
  for (size_t i = 0; i < uplifts.size(); ++i) {
    const UpliftEstimate& u = uplifts[i];
    if (i) out += ",";
    out += std::string("{\"metric\":\"") + UpliftMetricName(u.metric) +
           "\",\"estimate\":" + num(u.estimate) + ",\"std_error\":" + num(u.std_error) +
           ",\"ci_low\":" + num(u.ci_low) + ",\"ci_high\":" + num(u.ci_high) +
           ",\"confidence\":" + num(u.confidence) +
           ",\"strata_used\":" + std::to_string(u.strata_used) +
           ",\"strata_skipped\":" + std::to_string(u.strata_skipped) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace vitrine::server::campaigns
