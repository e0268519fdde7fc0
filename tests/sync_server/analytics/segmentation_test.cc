#include "sync_server/analytics/segmentation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

namespace vitrine::server::analytics {
namespace {

// Deterministic uniform in [0, 1) from raw engine bits (portable across standard libraries).
double U(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Synthetic shop: `groups` customer types, each preferring two of `categories` categories and
// having its own spend/LTV/churn level, with noise.
std::vector<CustomerInput> SyntheticCustomers(int n, int categories, int groups, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<CustomerInput> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int g = static_cast<int>(rng() % static_cast<uint64_t>(groups));
    CustomerInput& c = out[static_cast<size_t>(i)];
    c.category_shares.assign(static_cast<size_t>(categories), 0.0);
    double total = 0;
    for (int k = 0; k < categories; ++k) {
      double w = U(rng) * 0.2;
      if (k == g % categories || k == (g * 7 + 3) % categories) w += 1.0 + U(rng);
      c.category_shares[static_cast<size_t>(k)] = w;
      total += w;
    }
    for (double& s : c.category_shares) s /= total;
    c.average_order_value = 20.0 * (1 + g % 5) * (0.7 + 0.6 * U(rng));
    c.frequency = std::floor(U(rng) * 10 * (1 + g % 3));
    c.predicted_ltv = c.average_order_value * (1 + c.frequency) * (0.5 + U(rng));
    c.p_alive = std::clamp(0.2 + 0.15 * (g % 4) + 0.2 * U(rng), 0.0, 1.0);
    c.recency_weeks = U(rng) * 52;
  }
  return out;
}

FeatureMatrix Features(const std::vector<CustomerInput>& customers) {
  auto f = BuildFeatures(customers);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : FeatureMatrix{};
}

void ExpectValid(const Segmentation& s, int n, const SegmentationOptions& o) {
  ASSERT_EQ(s.assignment.size(), static_cast<size_t>(n));
  std::vector<int> counted(static_cast<size_t>(s.segments), 0);
  for (int a : s.assignment) {
    ASSERT_GE(a, 0);
    ASSERT_LT(a, s.segments);
    ++counted[static_cast<size_t>(a)];
  }
  EXPECT_EQ(counted, s.sizes);
  for (int size : counted) {
    EXPECT_GE(size, o.min_size);
    EXPECT_LE(size, o.max_size);
  }
}

TEST(SegmentationTest, ChoosesCountFromBounds) {
  SegmentationOptions o;
  EXPECT_EQ(*ChooseSegmentCount(20000, o), 58);    // ceil(20000 / 350)
  EXPECT_EQ(*ChooseSegmentCount(30000, o), 150);   // raised to 150 (86 by size alone)
  EXPECT_EQ(*ChooseSegmentCount(100000, o), 286);  // ceil(100000 / 350)
  EXPECT_EQ(*ChooseSegmentCount(29999, o), 86);    // 150 x 200 does not fit
  EXPECT_EQ(*ChooseSegmentCount(0, o), 0);
  EXPECT_EQ(*ChooseSegmentCount(450, o), 2);  // ceil(450 / 350)
  EXPECT_EQ(*ChooseSegmentCount(600, o), 2);  // ceil(600/350)
  o.segments = 3;
  EXPECT_EQ(*ChooseSegmentCount(600, o), 3);
}

TEST(SegmentationTest, TwentyThousandCustomersAllInBounds) {
  const int n = 20000;
  const auto customers = SyntheticCustomers(n, 12, 40, 7);
  const FeatureMatrix f = Features(customers);
  SegmentationOptions o;
  o.seed = 42;
  auto s = SegmentCustomers(f, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->segments, 58);
  ExpectValid(*s, n, o);
  EXPECT_GE(s->iterations_run, 1);
  EXPECT_LE(s->iterations_run, o.iterations);
}

TEST(SegmentationTest, CoarseLevelsAndThreadsKeepBoundsAndDeterminism) {
  // 12,000 customers and 35 segments: one coarse level (every 5th customer) runs before the
  // full base. The thread count must not change a bit of the result.
  const int n = 12000;
  const FeatureMatrix f = Features(SyntheticCustomers(n, 12, 40, 7));
  SegmentationOptions o;
  o.seed = 3;
  o.iterations = 3;
  int last_total = 0, calls = 0;
  o.progress = [&](int done, int total) {
    ++calls;
    EXPECT_EQ(done, calls);
    last_total = total;
  };
  o.threads = 1;
  auto one = SegmentCustomers(f, o);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(last_total, 6);               // (1 coarse level + the full base) x 3 rounds at most
  EXPECT_GT(calls, one->iterations_run);  // the coarse level reported its rounds too
  ExpectValid(*one, n, o);
  o.progress = nullptr;
  o.threads = 3;
  auto three = SegmentCustomers(f, o);
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(one->assignment, three->assignment);
  EXPECT_EQ(one->centroids, three->centroids);
  EXPECT_EQ(one->total_squared_distance, three->total_squared_distance);

  // Without coarse levels: still valid, and the coarse start is no worse a clustering.
  o.coarse_levels = 0;
  auto flat = SegmentCustomers(f, o);
  ASSERT_TRUE(flat.ok());
  ExpectValid(*flat, n, o);
  EXPECT_LE(one->total_squared_distance, flat->total_squared_distance * 1.02);

  o.threads = -1;
  EXPECT_EQ(SegmentCustomers(f, o).status().code(), "invalid_segmentation_input");
}

TEST(SegmentationTest, TightBoundsStillFeasibleThroughFallback) {
  // Sizes forced to exactly 100 each with one neighbour per customer: the nearest-centroid arcs
  // alone cannot balance the segments, so the hub path must carry the rest.
  const int n = 2000;
  const FeatureMatrix f = Features(SyntheticCustomers(n, 6, 5, 11));
  SegmentationOptions o;
  o.min_size = 100;
  o.max_size = 100;
  o.neighbours = 1;
  auto s = SegmentCustomers(f, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->segments, 20);
  EXPECT_GT(s->fallback_customers, 0);
  ExpectValid(*s, n, o);
}

TEST(SegmentationTest, SameSeedSameAssignment) {
  const FeatureMatrix f = Features(SyntheticCustomers(5000, 8, 20, 3));
  SegmentationOptions o;
  o.seed = 9;
  auto a = SegmentCustomers(f, o);
  auto b = SegmentCustomers(f, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->assignment, b->assignment);
  EXPECT_EQ(a->centroids, b->centroids);
  o.seed = 10;
  auto c = SegmentCustomers(f, o);
  ASSERT_TRUE(c.ok());
  ExpectValid(*c, 5000, o);
  EXPECT_NE(a->assignment, c->assignment);
}

TEST(SegmentationTest, ReportsProgressAndStopsOnTolerance) {
  const FeatureMatrix f = Features(SyntheticCustomers(3000, 8, 20, 3));
  SegmentationOptions o;
  o.iterations = 10;
  o.tolerance = 0;  // only an exactly repeated assignment stops early
  std::vector<int> seen;
  o.progress = [&](int done, int total) {
    EXPECT_EQ(total, 10);
    seen.push_back(done);
  };
  auto exact = SegmentCustomers(f, o);
  ASSERT_TRUE(exact.ok());
  ASSERT_EQ(seen.size(), static_cast<size_t>(exact->iterations_run));
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], static_cast<int>(i) + 1);

  o.progress = nullptr;
  o.tolerance = 0.5;  // any round after the first improves by less than half: stop at 2
  auto loose = SegmentCustomers(f, o);
  ASSERT_TRUE(loose.ok());
  EXPECT_EQ(loose->iterations_run, 2);
  EXPECT_LE(exact->total_squared_distance, loose->total_squared_distance);
}

TEST(SegmentationTest, SeparatedClustersAreNotMixed) {
  // Four tight blobs of 600 customers far apart; segments of 200-300 must split blobs, never
  // straddle two.
  std::mt19937_64 rng(5);
  const int per_blob = 600, blobs = 4, dim = 3;
  FeatureMatrix f;
  f.dim = dim;
  std::vector<int> blob_of;
  for (int b = 0; b < blobs; ++b) {
    for (int i = 0; i < per_blob; ++i) {
      for (int d = 0; d < dim; ++d)
        f.values.push_back((d == b % dim ? 100.0 * (1 + b) : 0) + U(rng));
      blob_of.push_back(b);
    }
  }
  // Shuffle rows so blobs are not contiguous in input order.
  std::vector<int> order(blob_of.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  FeatureMatrix shuffled;
  shuffled.dim = dim;
  std::vector<int> shuffled_blob;
  for (int idx : order) {
    auto row = f.row(idx);
    shuffled.values.insert(shuffled.values.end(), row.begin(), row.end());
    shuffled_blob.push_back(blob_of[static_cast<size_t>(idx)]);
  }
  SegmentationOptions o;
  o.min_size = 200;
  o.max_size = 300;
  o.segments = 8;
  auto s = SegmentCustomers(shuffled, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectValid(*s, per_blob * blobs, o);
  std::vector<std::set<int>> blobs_in(8);
  for (size_t i = 0; i < shuffled_blob.size(); ++i) {
    blobs_in[static_cast<size_t>(s->assignment[i])].insert(shuffled_blob[i]);
  }
  for (const auto& set : blobs_in) EXPECT_EQ(set.size(), 1u);
}

TEST(SegmentationTest, HoldoutIsTenPercentPerSegment) {
  const int n = 20000;
  const FeatureMatrix f = Features(SyntheticCustomers(n, 12, 40, 7));
  auto s = SegmentCustomers(f, {});
  ASSERT_TRUE(s.ok());
  const std::vector<bool> h = AssignHoldout(*s, 0.1, 77);
  ASSERT_EQ(h.size(), static_cast<size_t>(n));
  std::vector<int> held(static_cast<size_t>(s->segments), 0);
  for (int i = 0; i < n; ++i)
    held[static_cast<size_t>(s->assignment[static_cast<size_t>(i)])] += h[static_cast<size_t>(i)];
  for (int j = 0; j < s->segments; ++j) {
    EXPECT_NEAR(held[static_cast<size_t>(j)], 0.1 * s->sizes[static_cast<size_t>(j)], 1.0);
  }
  EXPECT_EQ(AssignHoldout(*s, 0.1, 77), h);
  EXPECT_NE(AssignHoldout(*s, 0.1, 78), h);
}

TEST(SegmentationTest, DescribesSegments) {
  const int n = 3000;
  const auto customers = SyntheticCustomers(n, 10, 12, 21);
  auto s = SegmentCustomers(Features(customers), {});
  ASSERT_TRUE(s.ok());
  const auto d = DescribeSegments(customers, *s, 3);
  ASSERT_EQ(d.size(), static_cast<size_t>(s->segments));
  int total = 0;
  for (size_t j = 0; j < d.size(); ++j) {
    EXPECT_EQ(d[j].segment, static_cast<int>(j));
    EXPECT_EQ(d[j].size, s->sizes[j]);
    total += d[j].size;
    ASSERT_EQ(d[j].top_categories.size(), 3u);
    EXPECT_GE(d[j].top_categories[0].share, d[j].top_categories[1].share);
    EXPECT_GT(d[j].top_categories[0].lift, 1.0);  // a segment over-indexes on its top category
    EXPECT_GT(d[j].mean_aov, 0);
    EXPECT_GE(d[j].mean_churn, 0);
    EXPECT_LE(d[j].mean_churn, 1);
  }
  EXPECT_EQ(total, n);
}

TEST(SegmentationTest, EdgeCases) {
  // No customers: no segments, not an error.
  auto empty = SegmentCustomers(Features({}), {});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->segments, 0);
  EXPECT_TRUE(empty->assignment.empty());

  // Fewer customers than one segment's minimum.
  auto small = SegmentCustomers(Features(SyntheticCustomers(150, 4, 3, 1)), {});
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), "segmentation_infeasible");

  // A count the bounds cannot hold.
  SegmentationOptions o;
  o.segments = 10;
  auto too_many = SegmentCustomers(Features(SyntheticCustomers(1000, 4, 3, 1)), o);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), "segmentation_infeasible");

  // No count fits: 501..599 customers with [300, 500].
  o = {};
  o.min_size = 300;
  auto gap = SegmentCustomers(Features(SyntheticCustomers(550, 4, 3, 1)), o);
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(gap.status().code(), "segmentation_infeasible");

  o = {};
  o.min_size = 600;  // > max_size
  EXPECT_EQ(SegmentCustomers(Features(SyntheticCustomers(1000, 4, 3, 1)), o).status().code(),
            "invalid_segmentation_input");

  // Bad features.
  std::vector<CustomerInput> ragged = SyntheticCustomers(10, 4, 3, 1);
  ragged[3].category_shares.pop_back();
  EXPECT_FALSE(BuildFeatures(ragged).ok());
  std::vector<CustomerInput> nan = SyntheticCustomers(10, 4, 3, 1);
  nan[2].predicted_ltv = std::nan("");
  EXPECT_FALSE(BuildFeatures(nan).ok());
  FeatureMatrix bad;
  bad.dim = 3;
  bad.values = {1, 2, 3, 4};
  EXPECT_FALSE(SegmentCustomers(bad, {}).ok());
}

TEST(SegmentationTest, FeaturesAreStandardised) {
  const auto customers = SyntheticCustomers(2000, 5, 10, 4);
  const FeatureMatrix f = Features(customers);
  ASSERT_EQ(f.dim, 10);
  ASSERT_EQ(f.rows(), 2000);
  // Scalar columns: mean 0, variance 1 (weights 1).
  for (int d = 5; d < 10; ++d) {
    double sum = 0, sq = 0;
    for (int i = 0; i < f.rows(); ++i) {
      sum += f.row(i)[static_cast<size_t>(d)];
      sq += f.row(i)[static_cast<size_t>(d)] * f.row(i)[static_cast<size_t>(d)];
    }
    EXPECT_NEAR(sum / 2000, 0, 1e-9);
    EXPECT_NEAR(sq / 2000, 1, 1e-9);
  }
  // Category block: total variance = category_weight (3).
  double block = 0;
  for (int d = 0; d < 5; ++d) {
    double sum = 0, sq = 0;
    for (int i = 0; i < f.rows(); ++i) {
      sum += f.row(i)[static_cast<size_t>(d)];
      sq += f.row(i)[static_cast<size_t>(d)] * f.row(i)[static_cast<size_t>(d)];
    }
    block += sq / 2000 - (sum / 2000) * (sum / 2000);
  }
  EXPECT_NEAR(block, 3.0, 1e-9);
}

}  // namespace
}  // namespace vitrine::server::analytics
