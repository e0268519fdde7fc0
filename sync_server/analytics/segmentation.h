// Size-bounded customer micro-segmentation: k-means whose assignment step is a min-cost flow, so
// every segment holds between `min_size` and `max_size` customers (default 200-500).
//
// Pipeline: per-customer inputs (CustomerInput) -> BuildFeatures (standardised feature rows) ->
// SegmentCustomers (assignment) -> DescribeSegments (marketer-facing summary) and
// AssignHoldout (stratified holdout flag for uplift measurement).
//
// Algorithm (SegmentCustomers):
//  1. Initialisation: 70% of the centres uniform draws, the rest k-means++ (segmentation.cc says
//     why), from a seeded std::mt19937_64 (uniforms are built from its raw
//     bits, not std::uniform_real_distribution, whose output is implementation-defined).
//  2. Assignment: a min-cost flow solved by LEMON's NetworkSimplex on
//       customer (supply 1) -> its `neighbours` nearest centroids (cost = squared distance scaled
//       to integers) -> segment node -> sink (lower bound min_size, capacity max_size).
//     Restricting each customer to its nearest centroids keeps the graph at n * neighbours arcs,
//     but on its own could make the bounds unsatisfiable (a segment nobody lists among its
//     nearest). So every customer also has a fallback arc to one hub node, priced above any
//     nearest-centroid arc, and the hub feeds every segment at no cost: the problem is feasible
//     whenever k * min_size <= n <= k * max_size. The flow through the hub says only how many
//     fallback customers each segment takes; which ones is settled by a second, dense min-cost
//     flow (fallback customers x all segments, exact distances, the hub's per-segment counts as
//     demands). Fallback customers are rare in practice (a handful per iteration).
//  3. Update: each centroid becomes the mean of its members.
//  Steps 2-3 repeat `iterations` times, or until the assignment stops changing or the total
//  squared distance improves by less than `tolerance` (relative).
//  Coarse to fine (`coarse_levels`): on large bases, steps 1-3 run first on every 25th customer,
//  then every 5th, with the size bounds scaled to the sample, and each level starts from the
//  centroids of the one before; the full base then starts from nearly settled centroids. The
//  solver's time grows faster than linearly in the customers and a first round from seeded
//  centroids is its worst case, so this is what makes 100k customers take seconds, not a minute.
//  In the network, customers are numbered grouped by their nearest centroid (the simplex's pivot
//  search goes through arcs in node order; grouped, it needs far fewer steps).
// The same inputs and options give the same assignment: the distance computations run on
// `threads` threads over a fixed split into chunks whose results are combined in chunk order
// (so the thread count does not change a bit), no unordered containers, and LEMON's simplex is
// deterministic for a given graph.
//
// Errors: kInvalid (code "segmentation_infeasible" or "invalid_segmentation_input") for bounds
// no assignment can satisfy, ragged or non-finite features, bad options. Never throws.
// Thread safety: every function is pure over its arguments and safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_SEGMENTATION_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_SEGMENTATION_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

// What the segmentation knows about one customer (from the CLV models and profile attributes).
struct CustomerInput {
  // Share of the customer's spend per category (same length for every customer; sums to 1 or 0).
  std::vector<double> category_shares;
  double average_order_value = 0;
  double predicted_ltv = 0;
  double p_alive = 1;  // churn probability = 1 - p_alive
  double frequency = 0;
  double recency_weeks = 0;
};

struct FeatureOptions {
  // The category-share block is scaled so that its total variance equals this many standardised
  // scalar features (shares are not z-scored one by one: a rare category would dominate).
  double category_weight = 3.0;
  // Weights of the standardised scalar features.
  double aov_weight = 1.0;
  double ltv_weight = 1.0;
  double churn_weight = 1.0;
  double frequency_weight = 1.0;
  double recency_weight = 1.0;
};

// Row-major n x dim matrix of features.
struct FeatureMatrix {
  int dim = 0;
  std::vector<double> values;  // size n * dim
  int rows() const { return dim == 0 ? 0 : static_cast<int>(values.size()) / dim; }
  std::span<const double> row(int i) const {
    return {values.data() + static_cast<size_t>(i) * static_cast<size_t>(dim),
            static_cast<size_t>(dim)};
  }
};

// Standardises the inputs: AOV, LTV and frequency through log1p (they are heavy-tailed), then
// every scalar z-scored (a constant column becomes 0) and weighted; category shares scaled as a
// block (see FeatureOptions). kInvalid for ragged category vectors or non-finite values.
StatusOr<FeatureMatrix> BuildFeatures(std::span<const CustomerInput> customers,
                                      const FeatureOptions& options = {});

struct SegmentationOptions {
  int min_size = 200;
  int max_size = 500;
  // 0: ceil(n / ((min_size + max_size) / 2)), raised to 150 when 150 * min_size <= n, then clamped
  // into [ceil(n / max_size), floor(n / min_size)].
  int segments = 0;
  uint64_t seed = 1;
  int iterations = 6;  // assignment/update rounds at most, per level
  // Stop early when an update lowers the total squared distance by less than this fraction
  // (0: only when the assignment repeats exactly).
  double tolerance = 1e-3;
  int neighbours = 16;  // nearest centroids each customer may join (plus the fallback)
  // Coarse levels before the full base (each a 1/5 sample of the next); a level is skipped when
  // its sample would have fewer than 2000 customers or 8 per segment, so small bases run as if 0.
  int coarse_levels = 2;
  // Threads for the distance computations; 0: std::thread::hardware_concurrency(). The result
  // does not depend on it.
  int threads = 0;
  // Called after each round with (rounds done, rounds at most over all levels) for CLI
  // progress; may be empty. Runs on the calling thread.
  std::function<void(int done, int total)> progress;
};

struct Segmentation {
  int segments = 0;
  std::vector<int> assignment;        // per customer: segment in [0, segments)
  std::vector<int> sizes;             // per segment
  std::vector<double> centroids;      // segments x dim, row-major
  double total_squared_distance = 0;  // of the final assignment to the final centroids
  int iterations_run = 0;             // rounds on the full base (coarse levels not counted)
  int fallback_customers = 0;         // routed through the hub in the last assignment
};

// The number of segments the defaults pick for n customers, or kInvalid when no count fits.
StatusOr<int> ChooseSegmentCount(int n, const SegmentationOptions& options);

// n = 0 gives an empty Segmentation (no segments). kInvalid when the bounds cannot be met
// (e.g. 0 < n < min_size, or segments * min_size > n) or the options are malformed.
StatusOr<Segmentation> SegmentCustomers(const FeatureMatrix& features,
                                        const SegmentationOptions& options = {});

struct CategoryShare {
  int category = 0;  // index into CustomerInput::category_shares
  double share = 0;  // mean share among the segment's members
  double lift = 0;   // share / mean share over all customers (0 when the base share is 0)
};

struct SegmentDescription {
  int segment = 0;
  int size = 0;
  std::vector<CategoryShare> top_categories;  // by share, descending, at most `top_categories`
  double mean_aov = 0;
  double mean_ltv = 0;
  double mean_churn = 0;  // mean of 1 - p_alive
  double mean_frequency = 0;
  double mean_recency_weeks = 0;
};

// One description per segment, in segment order. REQUIRES: customers.size() ==
// segmentation.assignment.size().
std::vector<SegmentDescription> DescribeSegments(std::span<const CustomerInput> customers,
                                                 const Segmentation& segmentation,
                                                 int top_categories = 3);

// Per customer: true when held out. In each segment, round(fraction * size) members are picked by
// a shuffle seeded with (seed, segment), so the flag is deterministic and stratified by segment.
std::vector<bool> AssignHoldout(const Segmentation& segmentation, double fraction = 0.1,
                                uint64_t seed = 1);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_SEGMENTATION_H_
