// One send attempt and one snapshot fetch (internal). The Client decides when to call them
// (cadence, backoff); this class builds the request, classifies the answer and applies acks.
//
// Thread safety: not thread-safe; used from the scheduler thread only.
#ifndef VITRINE_SDK_CORE_SYNC_ENGINE_H_
#define VITRINE_SDK_CORE_SYNC_ENGINE_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sdk/src/core/storage.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"

namespace vitrine::internal {

struct SyncConfig {
  std::string server_url;  // without trailing slash
  std::string write_key;
  size_t max_batch_events = 500;
  size_t max_batch_bytes = 512 * 1024;
  int64_t request_timeout_ms = 10'000;
  bool compress = true;
  std::string sdk_platform = "linux";
  std::string app_version;
};

enum class SendOutcome {
  kIdle,      // nothing queued
  kAcked,     // server acked (some or all); more may be pending
  kRetry,     // transient failure: back off (retry_after_ms set when the server asked)
  kRejected,  // permanent 4xx: the batch was dead-lettered
};

struct SendResult {
  SendOutcome outcome = SendOutcome::kIdle;
  size_t acked = 0;
  size_t dead_lettered = 0;
  bool more_pending = false;
  int64_t retry_after_ms = 0;  // from Retry-After (seconds or HTTP date), 0 when absent
  Status status;               // why, when not OK
  size_t wire_bytes = 0;       // request body bytes actually sent
};

struct SnapshotResult {
  Status status;
  bool not_modified = false;  // 304
  std::string etag;
  std::string snapshot_bytes;  // serialized vitrine.v1.Snapshot when 200
};

// Exponential backoff with full jitter: uniform in [0, min(max, initial * 2^attempt)], but never
// below `floor_ms` (Retry-After).
class Backoff {
 public:
  Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed);
  int64_t NextDelayMs(int64_t floor_ms);
  void Reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int attempt_ = 0;
  std::mt19937_64 rng_;
};

// A send split around the HTTP call, for executors that answer asynchronously: Prepare reads the
// batch and builds the request; Complete classifies the answer and applies it to the store.
struct PreparedSend {
  bool has_request = false;  // false: `result` is final (idle, or a local error)
  HttpRequest request;
  SendResult result;
  std::vector<std::string> batch_ids;
  std::vector<size_t> payload_sizes;  // of the events in the batch, in order
};

class SyncEngine {
 public:
  SyncEngine(SyncConfig config, Store& store, HttpExecutor& http, const Clock& clock);
  // Reads the oldest batch from the store, POSTs it to /v1/batch, removes exactly the acked ids.
  // Uses HttpExecutor::Execute (blocking).
  SendResult SendOnce();
  PreparedSend PrepareSend();
  // Only the acked ids that are still queued are removed, so completing a send after other
  // sends (or a purge) is safe.
  SendResult CompleteSend(PreparedSend prepared, const HttpResponse& response);
  // GET /v1/snapshot?anonymous_id=..&user_id=.. with If-None-Match: etag.
  SnapshotResult FetchSnapshot(const std::string& anonymous_id, const std::string& user_id,
                               const std::string& etag);
  HttpRequest SnapshotRequest(const std::string& anonymous_id, const std::string& user_id,
                              const std::string& etag) const;
  SnapshotResult CompleteSnapshot(HttpResponse response, const std::string& etag) const;

 private:
  SyncConfig config_;
  Store& store_;
  HttpExecutor& http_;
  const Clock& clock_;
};

// "120" -> 120000; an HTTP-date -> ms from now_ms; garbage -> 0.
int64_t ParseRetryAfterMs(std::string_view value, int64_t now_ms);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_SYNC_ENGINE_H_
