#include "sync_server/analytics/synthetic_base.h"

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

namespace vitrine::server::analytics {
namespace {

constexpr double kWeekMs = 7.0 * 86'400'000.0;

// {"item": [attr, ...], ...} as written by S3-Rec: numbers in quotes for keys, plain in lists.
StatusOr<std::map<int, std::vector<int>>> ReadAttributes(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(Status::Kind::kNotFound, "dataset_missing", "no " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::map<int, std::vector<int>> out;
  size_t i = 0;
  while ((i = text.find('"', i)) != std::string::npos) {
    const size_t close = text.find('"', i + 1);
    const size_t open = text.find('[', close);
    const size_t end = text.find(']', open);
    if (close == std::string::npos || open == std::string::npos || end == std::string::npos)
      return Status(Status::Kind::kInvalid, "dataset_malformed", "cannot parse " + path);
    const int item = std::atoi(text.c_str() + i + 1);
    std::vector<int>& attrs = out[item];
    std::stringstream list(text.substr(open + 1, end - open - 1));
    std::string token;
    while (std::getline(list, token, ',')) attrs.push_back(std::atoi(token.c_str()));
    i = end + 1;
  }
  if (out.empty()) return Status(Status::Kind::kInvalid, "dataset_malformed", "empty " + path);
  return out;
}

double ItemPrice(int item) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : std::to_string(item)) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return 4.0 + static_cast<double>(h % 4600) / 100.0;
}

}  // namespace

StatusOr<std::vector<ActivityLine>> BuildBeautyBase(const std::string& amazon_dir,
                                                    const SyntheticBaseOptions& options) {
  std::ifstream seq_in(amazon_dir + "/Beauty.txt");
  if (!seq_in) {
    return Status(Status::Kind::kNotFound, "dataset_missing", "no " + amazon_dir + "/Beauty.txt");
  }
  std::vector<std::vector<int>> sequences;
  for (std::string line; std::getline(seq_in, line);) {
    std::istringstream fields(line);
    int user = 0, item = 0;
    if (!(fields >> user)) continue;
    std::vector<int> items;
    while (fields >> item) items.push_back(item);
    if (!items.empty()) sequences.push_back(std::move(items));
  }
  if (sequences.empty()) return Status(Status::Kind::kInvalid, "dataset_malformed", "no sequences");
  auto attributes = ReadAttributes(amazon_dir + "/Beauty_item2attributes.json");
  if (!attributes.ok()) return attributes.status();
  std::map<int, int> items_with;  // attribute -> number of items carrying it
  for (const auto& [item, attrs] : *attributes)
    for (int a : attrs) ++items_with[a];
  std::map<int, std::pair<std::string, std::string>> names;  // item -> (category, brand)
  for (const auto& [item, attrs] : *attributes) {
    if (attrs.empty()) continue;
    int broad = attrs.front(), narrow = attrs.front();
    for (int a : attrs) {
      if (items_with[a] > items_with[broad] || (items_with[a] == items_with[broad] && a < broad))
        broad = a;
      if (items_with[a] < items_with[narrow] || (items_with[a] == items_with[narrow] && a < narrow))
        narrow = a;
    }
    names[item] = {"cat-" + std::to_string(broad), "brand-" + std::to_string(narrow)};
  }

  const BgNbdParams& t = options.timing;
  std::vector<ActivityLine> lines;
  lines.reserve(static_cast<size_t>(options.customers) * 8);
  const double end_weeks = options.weeks;
  for (int c = 0; c < options.customers; ++c) {
    const auto& seq = sequences[static_cast<size_t>(c) % sequences.size()];
    const size_t copy = static_cast<size_t>(c) / sequences.size();
    std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ULL + static_cast<uint64_t>(c));
    std::gamma_distribution<double> rate(t.r, 1.0 / t.alpha);
    std::gamma_distribution<double> ga(t.a, 1.0), gb(t.b, 1.0);
    const double lambda = rate(rng);
    const double x = ga(rng), y = gb(rng);
    const double p = x / (x + y);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    double week = 12.0 * unit(rng);
    size_t position = copy % seq.size();
    int purchase = 0;
    while (week <= end_weeks) {
      const int item = seq[position % seq.size()];
      auto add = [&](ActivityKind kind, int product, int64_t time_ms) {
        ActivityLine l;
        l.profile_id = c + 1;
        l.kind = kind;
        l.time_ms = time_ms;
        l.product_id = "b" + std::to_string(product);
        const auto n = names.find(product);
        if (n != names.end()) {
          l.category = n->second.first;
          l.brand = n->second.second;
        }
        l.unit_price = ItemPrice(product);
        if (kind == ActivityKind::kOrder)
          l.order_id = "o" + std::to_string(c + 1) + "-" + std::to_string(purchase);
        lines.push_back(std::move(l));
      };
      const auto time_ms = options.start_ms + static_cast<int64_t>(week * kWeekMs);
      add(ActivityKind::kView, item, std::max<int64_t>(options.start_ms, time_ms - 3'600'000));
      if (purchase % 2 == 1) {
        add(ActivityKind::kView, seq[(position + 1) % seq.size()],
            std::max<int64_t>(options.start_ms, time_ms - 1'800'000));
      }
      add(ActivityKind::kOrder, item, time_ms);
      ++purchase;
      ++position;
      // BG/NBD: after a repeat purchase the customer may drop out.
      if (purchase > 1 && unit(rng) < p) break;
      if (!(lambda > 0)) break;
      std::exponential_distribution<double> gap(lambda);
      week += gap(rng);
    }
  }
  return lines;
}

}  // namespace vitrine::server::analytics
