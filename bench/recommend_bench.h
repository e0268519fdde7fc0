// Micro-benchmark of local recommendation serving (Recommender::Recommend), the SDK's hottest
// read path: a synthetic, deterministic 10k-item snapshot (~20 neighbours per item, personal
// list of 100, popular list of 200), a session of 20 product views folded through OnEvent, then
// 20,000 Recommend("product_page", {product_id = a neighbour of a viewed item}, 10) calls,
// each timed on its own with steady_clock.
//
// Thread safety: runs on the caller's thread; not meant to run concurrently with itself.
#ifndef VITRINE_BENCH_RECOMMEND_BENCH_H_
#define VITRINE_BENCH_RECOMMEND_BENCH_H_

struct RecommendBenchResult {
  double p50_us;  // median single-call latency, microseconds
  double p99_us;
};

// Takes well under a second on a laptop core (most of it building the snapshot).
RecommendBenchResult RunRecommendBench();

#endif  // VITRINE_BENCH_RECOMMEND_BENCH_H_
