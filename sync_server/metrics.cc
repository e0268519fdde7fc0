#include "sync_server/metrics.h"

#include <sstream>

namespace vitrine::server {

void Metrics::CountRequest(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
}

void Metrics::ObserveIngest(double ms, uint32_t stored, uint32_t duplicates) {
  events_stored_ += stored;
  events_duplicate_ += duplicates;
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < kBucketsMs.size() && ms > kBucketsMs[i]) ++i;
  ++ingest_buckets_[i];
  ingest_sum_ms_ += ms;
  ++ingest_count_;
}

void Metrics::CountRejectedBatch(size_t events) {
  ++batches_rejected_;
  events_rejected_ += events;
}

void Metrics::CountSnapshot(bool not_modified) {
  ++snapshots_;
  if (not_modified) ++snapshots_not_modified_;
}

std::string Metrics::Render() const {
  std::ostringstream out;
  out << "# HELP vitrine_http_requests_total HTTP requests by route and status.\n"
         "# TYPE vitrine_http_requests_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [key, n] : requests_) {
    out << "vitrine_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
        << "\"} " << n << "\n";
  }
  out << "# HELP vitrine_events_ingested_total Events newly stored.\n"
         "# TYPE vitrine_events_ingested_total counter\n"
      << "vitrine_events_ingested_total " << events_stored_.load() << "\n"
      << "# HELP vitrine_events_duplicate_total Events acked as already stored (event_id or "
         "order_id).\n"
         "# TYPE vitrine_events_duplicate_total counter\n"
      << "vitrine_events_duplicate_total " << events_duplicate_.load() << "\n"
      << "# HELP vitrine_batches_rejected_total Batches refused with a 4xx.\n"
         "# TYPE vitrine_batches_rejected_total counter\n"
      << "vitrine_batches_rejected_total " << batches_rejected_.load() << "\n"
      << "# HELP vitrine_events_rejected_total Events in refused batches (when decodable).\n"
         "# TYPE vitrine_events_rejected_total counter\n"
      << "vitrine_events_rejected_total " << events_rejected_.load() << "\n"
      << "# HELP vitrine_ingest_latency_ms Batch latency from receipt to durable commit.\n"
         "# TYPE vitrine_ingest_latency_ms histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBucketsMs.size(); ++i) {
    cumulative += ingest_buckets_[i];
    out << "vitrine_ingest_latency_ms_bucket{le=\"" << kBucketsMs[i] << "\"} " << cumulative
        << "\n";
  }
  cumulative += ingest_buckets_.back();
  out << "vitrine_ingest_latency_ms_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "vitrine_ingest_latency_ms_sum " << ingest_sum_ms_ << "\n"
      << "vitrine_ingest_latency_ms_count " << ingest_count_ << "\n";
  const uint64_t snaps = snapshots_.load();
  const uint64_t not_modified = snapshots_not_modified_.load();
  out << "# HELP vitrine_snapshot_requests_total Snapshot requests answered.\n"
         "# TYPE vitrine_snapshot_requests_total counter\n"
      << "vitrine_snapshot_requests_total " << snaps << "\n"
      << "# HELP vitrine_snapshot_not_modified_total Snapshot requests answered 304.\n"
         "# TYPE vitrine_snapshot_not_modified_total counter\n"
      << "vitrine_snapshot_not_modified_total " << not_modified << "\n"
      << "# HELP vitrine_snapshot_not_modified_ratio Share of snapshot requests answered 304.\n"
         "# TYPE vitrine_snapshot_not_modified_ratio gauge\n"
      << "vitrine_snapshot_not_modified_ratio "
      << (snaps ? static_cast<double>(not_modified) / static_cast<double>(snaps) : 0.0) << "\n";
  return out.str();
}

}  // namespace vitrine::server
