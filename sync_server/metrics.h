// Process metrics in the Prometheus text format (GET /metrics).
//
// Thread safety: all methods are safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_METRICS_H_
#define VITRINE_SYNC_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace vitrine::server {

class Metrics {
 public:
  void CountRequest(const std::string& route, int status);
  // One accepted batch: latency from receipt to durable commit.
  void ObserveIngest(double ms, uint32_t stored, uint32_t duplicates);
  void CountRejectedBatch(size_t events);
  void CountSnapshot(bool not_modified);
  std::string Render() const;

 private:
  static constexpr std::array<double, 12> kBucketsMs = {1,   2,   5,   10,   25,   50,
                                                        100, 250, 500, 1000, 2500, 5000};

  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;      // guarded by mu_
  std::array<uint64_t, kBucketsMs.size() + 1> ingest_buckets_{};  // guarded by mu_; last = +Inf
  double ingest_sum_ms_ = 0;                                      // guarded by mu_
  uint64_t ingest_count_ = 0;                                     // guarded by mu_
  std::atomic<uint64_t> events_stored_{0};
  std::atomic<uint64_t> events_duplicate_{0};
  std::atomic<uint64_t> batches_rejected_{0};
  std::atomic<uint64_t> events_rejected_{0};
  std::atomic<uint64_t> snapshots_{0};
  std::atomic<uint64_t> snapshots_not_modified_{0};
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_METRICS_H_
