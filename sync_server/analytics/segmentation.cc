#include "sync_server/analytics/segmentation.h"

#include <lemon/network_simplex.h>
#include <lemon/static_graph.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <utility>

namespace vitrine::server::analytics {
namespace {

using Graph = lemon::StaticDigraph;
using Simplex = lemon::NetworkSimplex<Graph, int, long long>;

// Integer costs: the largest candidate squared distance maps to this many units, so rounding
// loses at most 1e-6 of the range; totals stay far below 2^63 even at millions of customers.
constexpr double kCostUnits = 1e6;

// Coarse-to-fine (SegmentationOptions::coarse_levels): each level samples every 5th row of the
// next, and a level is used only when its sample is large enough to say something about k
// centroids.
constexpr int kCoarseStride = 5;
constexpr int kMinCoarseRows = 2000;
constexpr int kMinCoarsePerSegment = 8;

Status Invalid(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_segmentation_input", std::move(message));
}

Status Infeasible(std::string message) {
  return Status(Status::Kind::kInvalid, "segmentation_infeasible", std::move(message));
}

// A uniform double in [0, 1) from the generator's raw bits (std::uniform_real_distribution is
// implementation-defined, which would make results differ between standard libraries).
double Uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// SplitMix64 finaliser: decorrelates seeds derived from (seed, stream).
uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double SquaredDistance(const double* a, const double* b, int dim) {
  double sum = 0;
  for (int d = 0; d < dim; ++d) {
    const double diff = a[d] - b[d];
    sum += diff * diff;
  }
  return sum;
}

size_t Index(int row, int dim) { return static_cast<size_t>(row) * static_cast<size_t>(dim); }

long long ScaledCost(double d2, double scale) { return std::llround(d2 * scale); }

// Rows per chunk of the parallel loops. The split into chunks never depends on the thread
// count, and per-chunk results are combined in chunk order, so the output is bit-identical
// however many threads ran.
constexpr int kChunkRows = 2048;

int ChunkCount(int n) { return (n + kChunkRows - 1) / kChunkRows; }

int ThreadCount(const SegmentationOptions& options) {
  if (options.threads > 0) return options.threads;
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

// Calls body(chunk, begin, end) for every chunk of [0, n), spread over up to `threads` threads
// (the calling thread included). `body` must only write what belongs to its chunk.
template <typename Body>
void ForEachChunk(int n, int threads, const Body& body) {
  const int chunks = ChunkCount(n);
  auto run = [&](int worker) {
    for (int c = worker; c < chunks; c += threads) {
      body(c, c * kChunkRows, std::min(n, (c + 1) * kChunkRows));
    }
  };
  threads = std::clamp(threads, 1, std::max(1, chunks));
  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(threads - 1));
  for (int t = 1; t < threads; ++t) workers.emplace_back(run, t);
  run(0);
  for (std::thread& w : workers) w.join();
}

// Seeding: the first 70% of the centres are customers drawn uniformly, the rest k-means++ (each
// next one with probability proportional to the squared distance to the nearest centre chosen
// so far). Pure k-means++ favours outliers; with segments of bounded size that leaves dense
// regions with too few centres, whose nearest-centroid arcs then cannot hold their customers:
// with 2,858 segments (1M customers) 40% of the customers went through the hub in the first
// round. Uniform draws place centres in proportion to density, as bounded sizes want; the
// k-means++ share still covers the sparse regions. Measured on the 100k base: total squared
// distance 33.5k (33.7k pure k-means++, 36.9k pure uniform); 100k customers in 2,858 segments of
// 20-50: fallback 714 customers in the first round instead of 39.5k, 12.2k instead of 20.3k.
constexpr double kUniformSeedShare = 0.7;

std::vector<double> SeedCentroids(const FeatureMatrix& features, int k, std::mt19937_64& rng) {
  const int n = features.rows();
  const int dim = features.dim;
  std::vector<double> centroids(Index(k, dim));
  std::vector<double> nearest(static_cast<size_t>(n), 0);
  auto copy_row = [&](int customer, int centre) {
    std::copy_n(features.values.begin() + static_cast<std::ptrdiff_t>(Index(customer, dim)), dim,
                centroids.begin() + static_cast<std::ptrdiff_t>(Index(centre, dim)));
  };
  int chosen = static_cast<int>(rng() % static_cast<uint64_t>(n));
  copy_row(chosen, 0);
  for (int i = 0; i < n; ++i) {
    nearest[static_cast<size_t>(i)] =
        SquaredDistance(&features.values[Index(i, dim)], &centroids[0], dim);
  }
  const int uniform = static_cast<int>(kUniformSeedShare * k);
  for (int c = 1; c < k; ++c) {
    const double total = std::accumulate(nearest.begin(), nearest.end(), 0.0);
    if (c < uniform) {
      chosen = static_cast<int>(rng() % static_cast<uint64_t>(n));
    } else if (total > 0) {
      double target = Uniform01(rng) * total;
      chosen = n - 1;
      for (int i = 0; i < n; ++i) {
        target -= nearest[static_cast<size_t>(i)];
        if (target < 0) {
          chosen = i;
          break;
        }
      }
    } else {
      // Every customer sits on a centre already (duplicates): any customer will do.
      chosen = static_cast<int>(rng() % static_cast<uint64_t>(n));
    }
    copy_row(chosen, c);
    const double* centre = &centroids[Index(c, dim)];
    for (int i = 0; i < n; ++i) {
      const double d2 = SquaredDistance(&features.values[Index(i, dim)], centre, dim);
      double& best = nearest[static_cast<size_t>(i)];
      best = std::min(best, d2);
    }
  }
  return centroids;
}

struct Candidate {
  int segment = 0;
  double d2 = 0;
};

struct AssignResult {
  std::vector<int> assignment;
  int fallback_customers = 0;
};

// Dense transportation problem for the customers the main flow routed through the hub: each
// goes to one segment, segment j takes exactly demand[j] of them, total distance minimal.
StatusOr<std::vector<int>> AssignFallback(const FeatureMatrix& features,
                                          const std::vector<double>& centroids,
                                          const std::vector<int>& customers,
                                          const std::vector<int>& demand) {
  const int m = static_cast<int>(customers.size());
  const int k = static_cast<int>(demand.size());
  const int dim = features.dim;
  std::vector<int> open;  // segments that take some fallback customers
  for (int j = 0; j < k; ++j) {
    if (demand[static_cast<size_t>(j)] > 0) open.push_back(j);
  }
  const int q = static_cast<int>(open.size());
  std::vector<double> d2(static_cast<size_t>(m) * static_cast<size_t>(q));
  double max_d2 = 0;
  for (int i = 0; i < m; ++i) {
    const double* x = &features.values[Index(customers[static_cast<size_t>(i)], dim)];
    for (int s = 0; s < q; ++s) {
      const double v =
          SquaredDistance(x, &centroids[Index(open[static_cast<size_t>(s)], dim)], dim);
      d2[Index(i, q) + static_cast<size_t>(s)] = v;
      max_d2 = std::max(max_d2, v);
    }
  }
  const double scale = max_d2 > 0 ? kCostUnits / max_d2 : 1.0;
  std::vector<std::pair<int, int>> arcs;
  arcs.reserve(d2.size());
  for (int i = 0; i < m; ++i) {
    for (int s = 0; s < q; ++s) arcs.emplace_back(i, m + s);
  }
  Graph graph;
  graph.build(m + q, arcs.begin(), arcs.end());
  Graph::ArcMap<long long> cost(graph);
  for (size_t a = 0; a < arcs.size(); ++a)
    cost[graph.arc(static_cast<int>(a))] = ScaledCost(d2[a], scale);
  Graph::NodeMap<int> supply(graph, 0);
  for (int i = 0; i < m; ++i) supply[graph.node(i)] = 1;
  for (int s = 0; s < q; ++s) {
    supply[graph.node(m + s)] = -demand[static_cast<size_t>(open[static_cast<size_t>(s)])];
  }
  Simplex simplex(graph);
  simplex.costMap(cost).supplyMap(supply);
  if (simplex.run() != Simplex::OPTIMAL) {
    return Status(Status::Kind::kInternal, "segmentation_solver", "fallback assignment failed");
  }
  std::vector<int> result(static_cast<size_t>(m), -1);
  for (size_t a = 0; a < arcs.size(); ++a) {
    if (simplex.flow(graph.arc(static_cast<int>(a))) > 0) {
      result[static_cast<size_t>(arcs[a].first)] = open[static_cast<size_t>(arcs[a].second - m)];
    }
  }
  return result;
}

// The size-bounded assignment step (see the header for the network).
StatusOr<AssignResult> Assign(const FeatureMatrix& features, const std::vector<double>& centroids,
                              int k, const SegmentationOptions& options) {
  const int n = features.rows();
  const int dim = features.dim;
  const int neighbours = std::min(options.neighbours, k);
  const int threads = ThreadCount(options);

  // Each customer's nearest centroids (the distance computations are most of a round outside the
  // solver, hence the threads). Ties (duplicate centroids) are broken by a per-customer rotation
  // of segment ids, so identical customers do not all name the same few segments.
  std::vector<Candidate> candidates(Index(n, neighbours));
  std::vector<int> nearest(static_cast<size_t>(n));
  std::vector<double> chunk_max(static_cast<size_t>(ChunkCount(n)), 0.0);
  ForEachChunk(n, threads, [&](int chunk, int begin, int end) {
    std::vector<double> d2(static_cast<size_t>(k));
    // The `neighbours` best so far, ascending by (distance, rotated id): a strict total order, so
    // the set kept is the same as a full sort's. Most centroids fail the first comparison with
    // the worst kept one, which makes this O(k) per customer where a partial sort of thousands
    // of centroids (1M customers) is not.
    std::vector<Candidate> row(static_cast<size_t>(neighbours));
    double max_d2 = 0;
    for (int i = begin; i < end; ++i) {
      const double* x = &features.values[Index(i, dim)];
      for (int j = 0; j < k; ++j) {
        d2[static_cast<size_t>(j)] = SquaredDistance(x, &centroids[Index(j, dim)], dim);
      }
      auto rotated = [i, k](int j) { return (j - i % k + k) % k; };
      auto before = [&](const Candidate& a, const Candidate& b) {
        if (a.d2 != b.d2) return a.d2 < b.d2;
        return rotated(a.segment) < rotated(b.segment);
      };
      int kept = 0;
      for (int j = 0; j < k; ++j) {
        const Candidate c{j, d2[static_cast<size_t>(j)]};
        if (kept == neighbours && !before(c, row[static_cast<size_t>(kept) - 1])) continue;
        int at = kept < neighbours ? kept++ : kept - 1;
        for (; at > 0 && before(c, row[static_cast<size_t>(at) - 1]); --at) {
          row[static_cast<size_t>(at)] = row[static_cast<size_t>(at) - 1];
        }
        row[static_cast<size_t>(at)] = c;
      }
      nearest[static_cast<size_t>(i)] = row[0].segment;
      max_d2 = std::max(max_d2, row[static_cast<size_t>(neighbours) - 1].d2);
      // StaticDigraph wants each node's arcs in target order.
      std::sort(row.begin(), row.end(),
                [](const Candidate& a, const Candidate& b) { return a.segment < b.segment; });
      std::copy(row.begin(), row.end(),
                candidates.begin() + static_cast<std::ptrdiff_t>(Index(i, neighbours)));
    }
    chunk_max[static_cast<size_t>(chunk)] = max_d2;
  });
  const double max_d2 = *std::max_element(chunk_max.begin(), chunk_max.end());
  const double scale = max_d2 > 0 ? kCostUnits / max_d2 : 1.0;
  // Above any nearest-centroid arc, so the hub is used only when the bounds need it.
  const long long fallback_cost = 2 * static_cast<long long>(kCostUnits) + 1;

  // Nodes: customers [0, n) in the order `order`, segments [n, n + k), hub n + k, sink n + k + 1.
  // Customers are numbered grouped by their nearest centroid: the simplex's block pivot search
  // scans arcs in node order, and with neighbours adjacent it settles each segment's customers
  // together (about 3x fewer pivot steps on a 100k base than in input order).
  std::vector<int> order(static_cast<size_t>(n));
  {
    std::vector<int> start(static_cast<size_t>(k) + 1, 0);
    for (int j : nearest) ++start[static_cast<size_t>(j) + 1];
    for (int j = 0; j < k; ++j) start[static_cast<size_t>(j) + 1] += start[static_cast<size_t>(j)];
    for (int i = 0; i < n; ++i)
      order[static_cast<size_t>(start[static_cast<size_t>(nearest[static_cast<size_t>(i)])]++)] = i;
  }
  const int hub = n + k;
  const int sink = n + k + 1;
  std::vector<std::pair<int, int>> arcs;
  std::vector<long long> arc_cost;  // customer arcs, in arc order
  arcs.reserve(candidates.size() + static_cast<size_t>(n) + 2 * static_cast<size_t>(k));
  arc_cost.reserve(candidates.size() + static_cast<size_t>(n));
  for (int node = 0; node < n; ++node) {
    const size_t i = static_cast<size_t>(order[static_cast<size_t>(node)]);
    for (size_t c = Index(static_cast<int>(i), neighbours);
         c < Index(static_cast<int>(i) + 1, neighbours); ++c) {
      arcs.emplace_back(node, n + candidates[c].segment);
      arc_cost.push_back(ScaledCost(candidates[c].d2, scale));
    }
    arcs.emplace_back(node, hub);
    arc_cost.push_back(fallback_cost);
  }
  const size_t first_sink_arc = arcs.size();
  for (int j = 0; j < k; ++j) arcs.emplace_back(n + j, sink);
  const size_t first_hub_arc = arcs.size();
  for (int j = 0; j < k; ++j) arcs.emplace_back(hub, n + j);

  Graph graph;
  graph.build(n + k + 2, arcs.begin(), arcs.end());
  Graph::ArcMap<int> lower(graph, 0);
  Graph::ArcMap<int> upper(graph, 1);
  Graph::ArcMap<long long> cost(graph, 0);
  for (size_t a = 0; a < arc_cost.size(); ++a) cost[graph.arc(static_cast<int>(a))] = arc_cost[a];
  for (int j = 0; j < k; ++j) {
    const Graph::Arc to_sink = graph.arc(static_cast<int>(first_sink_arc) + j);
    lower[to_sink] = options.min_size;
    upper[to_sink] = options.max_size;
    upper[graph.arc(static_cast<int>(first_hub_arc) + j)] = n;
  }
  Graph::NodeMap<int> supply(graph, 0);
  for (int i = 0; i < n; ++i) supply[graph.node(i)] = 1;
  supply[graph.node(sink)] = -n;

  Simplex simplex(graph);
  simplex.lowerMap(lower).upperMap(upper).costMap(cost).supplyMap(supply);
  if (simplex.run() != Simplex::OPTIMAL) {
    // Cannot happen when k * min_size <= n <= k * max_size (checked before): the hub makes
    // every split of customers over segments reachable.
    return Status(Status::Kind::kInternal, "segmentation_solver", "size-bounded flow infeasible");
  }

  AssignResult result;
  result.assignment.assign(static_cast<size_t>(n), -1);
  std::vector<int> fallback;
  int arc = 0;
  for (int node = 0; node < n; ++node) {
    const size_t i = static_cast<size_t>(order[static_cast<size_t>(node)]);
    for (size_t c = Index(static_cast<int>(i), neighbours);
         c < Index(static_cast<int>(i) + 1, neighbours); ++c, ++arc) {
      if (simplex.flow(graph.arc(arc)) > 0) result.assignment[i] = candidates[c].segment;
    }
    ++arc;  // the hub arc
    if (result.assignment[i] < 0) fallback.push_back(static_cast<int>(i));
  }
  std::sort(fallback.begin(), fallback.end());  // customer order, as before the renumbering
  result.fallback_customers = static_cast<int>(fallback.size());
  if (!fallback.empty()) {
    std::vector<int> demand(static_cast<size_t>(k));
    for (int j = 0; j < k; ++j) {
      demand[static_cast<size_t>(j)] = simplex.flow(graph.arc(static_cast<int>(first_hub_arc) + j));
    }
    auto placed = AssignFallback(features, centroids, fallback, demand);
    if (!placed.ok()) return placed.status();
    for (size_t f = 0; f < fallback.size(); ++f) {
      result.assignment[static_cast<size_t>(fallback[f])] = (*placed)[f];
    }
  }
  return result;
}

// Centroids become the means of their members; an empty segment (possible only with
// min_size = 0) keeps its centroid.
void UpdateCentroids(const FeatureMatrix& features, const std::vector<int>& assignment, int k,
                     std::vector<double>& centroids, std::vector<int>& sizes) {
  const int dim = features.dim;
  std::vector<double> sums(Index(k, dim), 0.0);
  sizes.assign(static_cast<size_t>(k), 0);
  for (size_t i = 0; i < assignment.size(); ++i) {
    const int j = assignment[i];
    ++sizes[static_cast<size_t>(j)];
    const double* x = &features.values[Index(static_cast<int>(i), dim)];
    double* sum = &sums[Index(j, dim)];
    for (int d = 0; d < dim; ++d) sum[d] += x[d];
  }
  for (int j = 0; j < k; ++j) {
    const int size = sizes[static_cast<size_t>(j)];
    if (size == 0) continue;
    for (int d = 0; d < dim; ++d) {
      centroids[Index(j, dim) + static_cast<size_t>(d)] =
          sums[Index(j, dim) + static_cast<size_t>(d)] / size;
    }
  }
}

double TotalSquaredDistance(const FeatureMatrix& features, const Segmentation& s, int threads) {
  const int n = features.rows();
  std::vector<double> chunk_total(static_cast<size_t>(ChunkCount(n)), 0.0);
  ForEachChunk(n, threads, [&](int chunk, int begin, int end) {
    double total = 0;
    for (int i = begin; i < end; ++i) {
      total += SquaredDistance(
          &features.values[Index(i, features.dim)],
          &s.centroids[Index(s.assignment[static_cast<size_t>(i)], features.dim)], features.dim);
    }
    chunk_total[static_cast<size_t>(chunk)] = total;
  });
  return std::accumulate(chunk_total.begin(), chunk_total.end(), 0.0);
}

// Size-bounded Lloyd rounds on `features` from `result.centroids` (already k rows): assignment,
// then update, until `options.iterations` rounds, a repeated assignment or a relative
// improvement below `options.tolerance`. `round` counts rounds across levels for progress.
Status Refine(const FeatureMatrix& features, int k, const SegmentationOptions& options,
              int total_rounds, int& round, Segmentation& result) {
  result.assignment.clear();
  result.total_squared_distance = 0;
  for (int it = 0; it < options.iterations; ++it) {
    auto assigned = Assign(features, result.centroids, k, options);
    if (!assigned.ok()) return assigned.status();
    result.fallback_customers = assigned->fallback_customers;
    result.iterations_run = it + 1;
    const bool stable = assigned->assignment == result.assignment;
    result.assignment = std::move(assigned->assignment);
    UpdateCentroids(features, result.assignment, k, result.centroids, result.sizes);
    const double previous = result.total_squared_distance;
    result.total_squared_distance = TotalSquaredDistance(features, result, ThreadCount(options));
    if (options.progress) options.progress(++round, total_rounds);
    if (stable ||
        (it > 0 && previous - result.total_squared_distance < options.tolerance * previous)) {
      break;
    }
  }
  return Status::Ok();
}

// Every stride-th row of `features`, from row 0.
FeatureMatrix Subsample(const FeatureMatrix& features, int stride) {
  FeatureMatrix out;
  out.dim = features.dim;
  for (int i = 0; i < features.rows(); i += stride) {
    const auto row = features.row(i);
    out.values.insert(out.values.end(), row.begin(), row.end());
  }
  return out;
}

}  // namespace

StatusOr<FeatureMatrix> BuildFeatures(std::span<const CustomerInput> customers,
                                      const FeatureOptions& options) {
  const size_t n = customers.size();
  const size_t categories = n == 0 ? 0 : customers[0].category_shares.size();
  constexpr int kScalars = 5;
  const int dim = static_cast<int>(categories) + kScalars;
  FeatureMatrix out;
  out.dim = dim;
  out.values.assign(n * static_cast<size_t>(dim), 0.0);
  if (n == 0) return out;

  const double weights[kScalars] = {options.aov_weight, options.ltv_weight, options.churn_weight,
                                    options.frequency_weight, options.recency_weight};
  for (size_t i = 0; i < n; ++i) {
    const CustomerInput& c = customers[i];
    if (c.category_shares.size() != categories) {
      return Invalid("customer " + std::to_string(i) + " has " +
                     std::to_string(c.category_shares.size()) + " category shares, expected " +
                     std::to_string(categories));
    }
    const double scalars[kScalars] = {c.average_order_value, c.predicted_ltv, c.p_alive,
                                      c.frequency, c.recency_weeks};
    for (double v : scalars) {
      if (!std::isfinite(v) || v < 0) {
        return Invalid("customer " + std::to_string(i) + " has a negative or non-finite value");
      }
    }
    if (c.p_alive > 1) return Invalid("customer " + std::to_string(i) + " has p_alive > 1");
    double* row = &out.values[i * static_cast<size_t>(dim)];
    for (size_t k = 0; k < categories; ++k) {
      const double share = c.category_shares[k];
      if (!std::isfinite(share) || share < 0) {
        return Invalid("customer " + std::to_string(i) + " has a negative or non-finite share");
      }
      row[k] = share;
    }
    // Heavy-tailed money and counts on a log scale; churn = 1 - P(alive).
    row[categories + 0] = std::log1p(c.average_order_value);
    row[categories + 1] = std::log1p(c.predicted_ltv);
    row[categories + 2] = 1.0 - c.p_alive;
    row[categories + 3] = std::log1p(c.frequency);
    row[categories + 4] = c.recency_weeks;
  }

  const double count = static_cast<double>(n);
  std::vector<double> mean(static_cast<size_t>(dim), 0.0), var(static_cast<size_t>(dim), 0.0);
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < static_cast<size_t>(dim); ++d)
      mean[d] += out.values[i * static_cast<size_t>(dim) + d];
  }
  for (double& m : mean) m /= count;
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < static_cast<size_t>(dim); ++d) {
      const double diff = out.values[i * static_cast<size_t>(dim) + d] - mean[d];
      var[d] += diff * diff;
    }
  }
  for (double& v : var) v /= count;

  // Scalars: z-score times weight (a constant column carries no information: 0).
  // Category block: centred, one common factor so its total variance is category_weight.
  double block_variance = 0;
  for (size_t k = 0; k < categories; ++k) block_variance += var[k];
  const double block_factor =
      block_variance > 1e-24 ? std::sqrt(options.category_weight / block_variance) : 0.0;
  std::vector<double> factor(static_cast<size_t>(dim), block_factor);
  for (int s = 0; s < kScalars; ++s) {
    const double sd = std::sqrt(var[categories + static_cast<size_t>(s)]);
    factor[categories + static_cast<size_t>(s)] = sd > 1e-12 ? weights[s] / sd : 0.0;
  }
  for (size_t i = 0; i < n; ++i) {
    for (size_t d = 0; d < static_cast<size_t>(dim); ++d) {
      double& v = out.values[i * static_cast<size_t>(dim) + d];
      v = (v - mean[d]) * factor[d];
    }
  }
  return out;
}

StatusOr<int> ChooseSegmentCount(int n, const SegmentationOptions& options) {
  if (options.min_size < 0 || options.max_size < 1 || options.min_size > options.max_size) {
    return Invalid("need 0 <= min_size <= max_size and max_size >= 1, got [" +
                   std::to_string(options.min_size) + ", " + std::to_string(options.max_size) +
                   "]");
  }
  if (n < 0) return Invalid("negative customer count");
  if (n == 0) return 0;
  const long long count = n;
  const long long lo = (count + options.max_size - 1) / options.max_size;
  const long long hi = options.min_size == 0 ? count : count / options.min_size;
  if (lo > hi) {
    return Infeasible(std::to_string(n) + " customers cannot form segments of " +
                      std::to_string(options.min_size) + " to " + std::to_string(options.max_size));
  }
  if (options.segments > 0) {
    if (options.segments < lo || options.segments > hi) {
      return Infeasible(
          std::to_string(options.segments) + " segments of " + std::to_string(options.min_size) +
          " to " + std::to_string(options.max_size) + " cannot hold " + std::to_string(n) +
          " customers (possible: " + std::to_string(lo) + " to " + std::to_string(hi) + ")");
    }
    return options.segments;
  }
  if (options.segments < 0) return Invalid("negative segment count");
  constexpr long long kMinSegmentsWhenPossible = 150;
  const long long mid2 = options.min_size + options.max_size;  // twice the mid size
  long long k = (2 * count + mid2 - 1) / mid2;
  if (kMinSegmentsWhenPossible * options.min_size <= count) {
    k = std::max(k, kMinSegmentsWhenPossible);
  }
  return static_cast<int>(std::clamp(k, lo, hi));
}

StatusOr<Segmentation> SegmentCustomers(const FeatureMatrix& features,
                                        const SegmentationOptions& options) {
  if (options.iterations < 1) return Invalid("iterations must be >= 1");
  if (options.neighbours < 1) return Invalid("neighbours must be >= 1");
  if (options.coarse_levels < 0) return Invalid("coarse_levels must be >= 0");
  if (options.threads < 0) return Invalid("threads must be >= 0");
  if (!(options.tolerance >= 0)) return Invalid("tolerance must be >= 0");
  if (features.dim < 0 ||
      (features.dim > 0 && features.values.size() % static_cast<size_t>(features.dim) != 0)) {
    return Invalid("feature values are not a whole number of rows");
  }
  if (features.dim == 0 && !features.values.empty()) return Invalid("feature dim is 0");
  for (double v : features.values) {
    if (!std::isfinite(v)) return Invalid("non-finite feature value");
  }
  const int n = features.rows();
  auto chosen = ChooseSegmentCount(n, options);
  if (!chosen.ok()) return chosen.status();
  const int k = *chosen;
  Segmentation result;
  result.segments = k;
  if (n == 0) return result;

  // Coarse levels: strides kCoarseStride^L, ..., kCoarseStride, kept while the sample has at
  // least kMinCoarseRows rows and kMinCoarsePerSegment per segment.
  std::vector<int> strides;
  for (int level = 0, stride = kCoarseStride; level < options.coarse_levels;
       ++level, stride *= kCoarseStride) {
    const int m = (n + stride - 1) / stride;
    if (m < kMinCoarseRows || m < kMinCoarsePerSegment * k) break;
    strides.insert(strides.begin(), stride);
  }
  const int total_rounds = (static_cast<int>(strides.size()) + 1) * options.iterations;
  int round = 0;
  std::mt19937_64 rng(MixSeed(options.seed, 0));
  for (size_t level = 0; level < strides.size(); ++level) {
    const FeatureMatrix sample = Subsample(features, strides[level]);
    const long long m = sample.rows();
    // Bounds scaled to the sample, rounded outwards: k * min <= n <= k * max carries over.
    SegmentationOptions scaled = options;
    scaled.min_size = static_cast<int>(options.min_size * m / n);
    scaled.max_size = static_cast<int>((options.max_size * m + n - 1) / n);
    if (level == 0) result.centroids = SeedCentroids(sample, k, rng);
    if (Status s = Refine(sample, k, scaled, total_rounds, round, result); !s.ok()) return s;
  }
  if (strides.empty()) result.centroids = SeedCentroids(features, k, rng);
  if (Status s = Refine(features, k, options, total_rounds, round, result); !s.ok()) return s;
  return result;
}

std::vector<SegmentDescription> DescribeSegments(std::span<const CustomerInput> customers,
                                                 const Segmentation& segmentation,
                                                 int top_categories) {
  const int k = segmentation.segments;
  const size_t categories = customers.empty() ? 0 : customers[0].category_shares.size();
  std::vector<SegmentDescription> out(static_cast<size_t>(k));
  std::vector<double> shares(static_cast<size_t>(k) * categories, 0.0);
  std::vector<double> base(categories, 0.0);
  for (size_t i = 0; i < customers.size() && i < segmentation.assignment.size(); ++i) {
    const CustomerInput& c = customers[i];
    const int j = segmentation.assignment[i];
    SegmentDescription& s = out[static_cast<size_t>(j)];
    ++s.size;
    s.mean_aov += c.average_order_value;
    s.mean_ltv += c.predicted_ltv;
    s.mean_churn += 1.0 - c.p_alive;
    s.mean_frequency += c.frequency;
    s.mean_recency_weeks += c.recency_weeks;
    for (size_t cat = 0; cat < categories && cat < c.category_shares.size(); ++cat) {
      shares[static_cast<size_t>(j) * categories + cat] += c.category_shares[cat];
      base[cat] += c.category_shares[cat];
    }
  }
  if (!customers.empty()) {
    for (double& b : base) b /= static_cast<double>(customers.size());
  }
  const size_t top = static_cast<size_t>(std::max(0, top_categories));
  for (int j = 0; j < k; ++j) {
    SegmentDescription& s = out[static_cast<size_t>(j)];
    s.segment = j;
    if (s.size == 0) continue;
    const double size = s.size;
    s.mean_aov /= size;
    s.mean_ltv /= size;
    s.mean_churn /= size;
    s.mean_frequency /= size;
    s.mean_recency_weeks /= size;
    std::vector<CategoryShare> all;
    all.reserve(categories);
    for (size_t cat = 0; cat < categories; ++cat) {
      const double share = shares[static_cast<size_t>(j) * categories + cat] / size;
      all.push_back({static_cast<int>(cat), share, base[cat] > 0 ? share / base[cat] : 0.0});
    }
    std::stable_sort(all.begin(), all.end(), [](const CategoryShare& a, const CategoryShare& b) {
      return a.share > b.share;
    });
    all.resize(std::min(top, all.size()));
    s.top_categories = std::move(all);
  }
  return out;
}

std::vector<bool> AssignHoldout(const Segmentation& segmentation, double fraction, uint64_t seed) {
  fraction = std::isfinite(fraction) ? std::clamp(fraction, 0.0, 1.0) : 0.0;
  std::vector<std::vector<int>> members(static_cast<size_t>(segmentation.segments));
  for (size_t i = 0; i < segmentation.assignment.size(); ++i) {
    members[static_cast<size_t>(segmentation.assignment[i])].push_back(static_cast<int>(i));
  }
  std::vector<bool> holdout(segmentation.assignment.size(), false);
  for (size_t j = 0; j < members.size(); ++j) {
    std::vector<int>& list = members[j];
    std::mt19937_64 rng(MixSeed(seed, j + 1));
    // Fisher-Yates with raw bits (std::shuffle's use of the engine is implementation-defined).
    for (size_t i = list.size(); i > 1; --i) {
      const size_t pick = static_cast<size_t>(rng() % i);
      std::swap(list[i - 1], list[pick]);
    }
    const size_t take =
        static_cast<size_t>(std::llround(fraction * static_cast<double>(list.size())));
    for (size_t i = 0; i < take; ++i) holdout[static_cast<size_t>(list[i])] = true;
  }
  return holdout;
}

}  // namespace vitrine::server::analytics
