// Fuzz target: everything the SDK decodes from a /v1/batch or /v1/snapshot answer.
//  1. The whole input as vitrine.v1.BatchAck, vitrine.v1.Error and vitrine.v1.Snapshot (lite).
//  2. The whole input as a Retry-After value (delta-seconds, decimals, three HTTP-date forms).
//  3. SyncEngine::SendOnce / FetchSnapshot against a fake executor whose answer is built from the
//     input: byte 0 picks the status, byte 1 the length of a Retry-After header, then that
//     header, then the body. Any answer must be classified (never a crash), and the engine must
//     never remove an id it did not send.
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/src/core/sync_engine.h"
#include "vitrine/testing.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace {

using vitrine::Status;
using vitrine::StatusOr;
using vitrine::internal::QueuedEvent;
using vitrine::internal::QueueStats;

// Holds three events whose ids are "AAAAAAAAAAAAAAA" + {0,1,2}.
class TinyStore : public vitrine::internal::Store {
 public:
  TinyStore() {
    for (int i = 0; i < 3; ++i) {
      vitrine::v1::Event e;
      e.set_event_id(std::string(15, 'A') + static_cast<char>(i));
      e.set_type("page_viewed");
      e.set_seq(static_cast<uint64_t>(i + 1));
      QueuedEvent q;
      q.event_id = e.event_id();
      q.seq = e.seq();
      q.payload = e.SerializeAsString();
      queue_[q.event_id] = q;
    }
  }
  StatusOr<size_t> Insert(const std::vector<QueuedEvent>&) override { return size_t{0}; }
  StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t) override {
    std::vector<QueuedEvent> out;
    for (const auto& [id, e] : queue_) {
      if (out.size() < max_count) out.push_back(e);
    }
    return out;
  }
  StatusOr<size_t> Remove(const std::vector<std::string>& ids) override {
    size_t n = 0;
    for (const auto& id : ids) {
      if (queue_.erase(id) == 0) std::abort();  // removed an id that was never sent
      ++n;
    }
    return n;
  }
  Status DeadLetter(const std::vector<std::string>& ids, const std::string&) override {
    for (const auto& id : ids) queue_.erase(id);
    return Status::Ok();
  }
  StatusOr<size_t> Evict(uint64_t, int64_t) override { return size_t{0}; }
  StatusOr<QueueStats> Stats() override {
    QueueStats s;
    s.count = queue_.size();
    return s;
  }
  Status PurgeQueue() override { return Status::Ok(); }
  StatusOr<std::optional<std::string>> Get(std::string_view) override {
    return std::optional<std::string>();
  }
  Status Put(std::string_view, std::string_view) override { return Status::Ok(); }
  Status Delete(std::string_view) override { return Status::Ok(); }
  Status DeletePrefix(std::string_view) override { return Status::Ok(); }

 private:
  std::map<std::string, QueuedEvent> queue_;
};

class CannedHttp : public vitrine::HttpExecutor {
 public:
  explicit CannedHttp(vitrine::HttpResponse response) : response_(std::move(response)) {}
  vitrine::HttpResponse Execute(const vitrine::HttpRequest&) override { return response_; }

 private:
  vitrine::HttpResponse response_;
};

constexpr int kStatuses[] = {200, 400, 429, 413, 500, 0,   304, 401, 403,
                             408, 415, 503, 204, 302, 425, 404, 599, 100};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Invalid UTF-8 in proto3 strings is logged on every parse; that is expected here.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  const std::string input(reinterpret_cast<const char*>(data), size);
  {
    vitrine::v1::BatchAck ack;
    (void)ack.ParseFromString(input);
    vitrine::v1::Error error;
    (void)error.ParseFromString(input);
    vitrine::v1::Snapshot snapshot;
    if (snapshot.ParseFromString(input)) (void)snapshot.SerializeAsString();
  }
  const int64_t now = 1'700'000'000'000;
  const int64_t ms = vitrine::internal::ParseRetryAfterMs(input, now);
  if (ms < 0 || ms > 24LL * 3600 * 1000) std::abort();

  if (size < 2) return 0;
  vitrine::HttpResponse response;
  response.status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  const size_t header_len = std::min<size_t>(data[1] % 64, size - 2);
  if (header_len > 0) response.headers["retry-after"] = input.substr(2, header_len);
  response.headers["etag"] = "\"e\"";
  response.body = input.substr(2 + header_len);
  if (response.status == 0) response.transport_error = "fuzz";

  vitrine::testing::ManualClock clock(now);
  TinyStore store;
  CannedHttp http(response);
  vitrine::internal::SyncConfig config;
  config.server_url = "http://127.0.0.1:1";
  config.write_key = "wk";
  vitrine::internal::SyncEngine engine(config, store, http, clock);
  for (int i = 0; i < 3; ++i) {
    const vitrine::internal::SendResult r = engine.SendOnce();
    if (r.retry_after_ms < 0) std::abort();
  }
  (void)engine.FetchSnapshot("anon", "user", "\"old\"");
  return 0;
}
