// SyncEngine against a loopback collector through the real native HTTP executor: request shape,
// ack handling, classification of every answer class, Retry-After, 413 shrink, snapshot ETags,
// and a fault-injection run (FaultProxy) that must lose nothing.
#include "sdk/src/core/sync_engine.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/fault_proxy.h"
#include "tests/support/free_port.h"
#include "tests/support/loopback_http_server.h"
#include "vitrine/testing.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::internal {
namespace {

using ::vitrine::testing::Fault;
using ::vitrine::testing::FaultPlan;
using ::vitrine::testing::FaultProxy;
using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::ManualClock;
using ::vitrine::testing::SetWireHeader;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

// In-memory Store: enough of the contract for the engine (queue + dead letters), and it records
// every id the engine asked to remove so tests can check nothing foreign was removed.
class MemoryStore : public Store {
 public:
  StatusOr<size_t> Insert(const std::vector<QueuedEvent>& events) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t added = 0;
    for (const auto& e : events) {
      if (by_id_.count(e.event_id) != 0) continue;
      by_id_[e.event_id] = e.seq;
      queue_[e.seq] = e;
      ++added;
    }
    return added;
  }
  StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t max_bytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<QueuedEvent> out;
    size_t bytes = 0;
    for (const auto& [seq, e] : queue_) {
      if (out.size() >= max_count) break;
      if (!out.empty() && bytes + e.payload.size() > max_bytes) break;
      bytes += e.payload.size();
      out.push_back(e);
    }
    return out;
  }
  StatusOr<size_t> Remove(const std::vector<std::string>& ids) override {
    std::lock_guard<std::mutex> lock(mu_);
    size_t removed = 0;
    for (const auto& id : ids) {
      removed_calls_.push_back(id);
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;
      queue_.erase(it->second);
      by_id_.erase(it);
      ++removed;
    }
    return removed;
  }
  Status DeadLetter(const std::vector<std::string>& ids, const std::string& reason) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& id : ids) {
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;
      queue_.erase(it->second);
      by_id_.erase(it);
      dead_[id] = reason;
    }
    return Status::Ok();
  }
  StatusOr<size_t> Evict(uint64_t, int64_t) override { return size_t{0}; }
  StatusOr<QueueStats> Stats() override {
    std::lock_guard<std::mutex> lock(mu_);
    QueueStats s;
    s.count = queue_.size();
    for (const auto& [seq, e] : queue_) s.bytes += e.payload.size();
    return s;
  }
  Status PurgeQueue() override {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
    by_id_.clear();
    return Status::Ok();
  }
  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kv_.find(std::string(key));
    if (it == kv_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  Status Put(std::string_view key, std::string_view value) override {
    std::lock_guard<std::mutex> lock(mu_);
    kv_[std::string(key)] = std::string(value);
    return Status::Ok();
  }
  Status Delete(std::string_view key) override {
    std::lock_guard<std::mutex> lock(mu_);
    kv_.erase(std::string(key));
    return Status::Ok();
  }
  Status DeletePrefix(std::string_view prefix) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = kv_.begin(); it != kv_.end();) {
      it = it->first.rfind(prefix, 0) == 0 ? kv_.erase(it) : std::next(it);
    }
    return Status::Ok();
  }

  size_t queued() {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }
  std::map<std::string, std::string> dead() {
    std::lock_guard<std::mutex> lock(mu_);
    return dead_;
  }
  std::vector<std::string> removed_calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return removed_calls_;
  }

 private:
  std::mutex mu_;
  std::map<uint64_t, QueuedEvent> queue_;
  std::map<std::string, uint64_t> by_id_;
  std::map<std::string, std::string> dead_;
  std::map<std::string, std::string> kv_;
  std::vector<std::string> removed_calls_;
};

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  char buf[16384];
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END) << "request body is not a complete gzip stream";
  return out;
}

std::string EventId(int i) {
  std::string id(16, '\0');
  id[0] = static_cast<char>(0xA0);  // bytes >= 0x80 and NULs must survive the round trip
  id[15] = static_cast<char>(i & 0xFF);
  id[14] = static_cast<char>((i >> 8) & 0xFF);
  return id;
}

QueuedEvent MakeEvent(int i) {
  v1::Event e;
  e.set_event_id(EventId(i));
  e.set_type(i % 3 == 0 ? "product_viewed" : "page_viewed");
  e.set_occurred_at_ms(1'700'000'000'000 + i);
  e.set_seq(static_cast<uint64_t>(i + 1));
  e.set_session_id("sess-1");
  e.set_anonymous_id("anon-1");
  e.set_page_url("https://shop.example/p/" + std::to_string(i));
  QueuedEvent q;
  q.event_id = e.event_id();
  q.seq = e.seq();
  q.occurred_at_ms = e.occurred_at_ms();
  q.payload = e.SerializeAsString();
  return q;
}

// A fake /v1 collector. Stores events by id (counting duplicates), acks what it stored (or what
// ack_filter allows), and answers scripted responses first when any are queued.
class Collector {
 public:
  Collector() : server_([this](const WireRequest& r) { return Handle(r); }) {}

  std::string url() const { return server_.url(); }
  uint16_t port() const { return server_.port(); }

  void Script(WireResponse response) {
    std::lock_guard<std::mutex> lock(mu_);
    scripted_.push_back(std::move(response));
  }
  void set_ack_filter(std::function<bool(const std::string&)> f) {
    std::lock_guard<std::mutex> lock(mu_);
    ack_filter_ = std::move(f);
  }
  void set_extra_ack(std::string id) {
    std::lock_guard<std::mutex> lock(mu_);
    extra_ack_ = std::move(id);
  }
  // Answer 413 when a batch holds more than this many events (0 = never).
  void set_max_events(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    max_events_ = n;
  }
  void set_snapshot(std::string bytes, std::string etag) {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = std::move(bytes);
    etag_ = std::move(etag);
  }

  std::vector<WireRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<v1::Batch> batches() {
    std::lock_guard<std::mutex> lock(mu_);
    return batches_;
  }
  std::map<std::string, int> deliveries() {
    std::lock_guard<std::mutex> lock(mu_);
    return deliveries_;
  }

 private:
  WireResponse Handle(const WireRequest& request) {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    WireResponse response;
    if (!scripted_.empty()) {
      response = scripted_.front();
      scripted_.pop_front();
      return response;
    }
    if (request.Path() == "/v1/snapshot") {
      if (!etag_.empty() && request.Header("if-none-match") == etag_) {
        response.status = 304;
        SetWireHeader(response.headers, "ETag", etag_);
        return response;
      }
      response.status = 200;
      SetWireHeader(response.headers, "ETag", etag_);
      SetWireHeader(response.headers, "Content-Type", "application/x-protobuf");
      response.body = snapshot_;
      return response;
    }
    std::string body = request.body;
    if (request.Header("content-encoding") == "gzip") body = Gunzip(body);
    v1::Batch batch;
    if (!batch.ParseFromString(body)) {
      response.status = 400;
      return response;
    }
    batches_.push_back(batch);
    if (max_events_ != 0 && static_cast<size_t>(batch.events_size()) > max_events_) {
      response.status = 413;
      return response;
    }
    v1::BatchAck ack;
    for (const auto& e : batch.events()) {
      if (ack_filter_ && !ack_filter_(e.event_id())) continue;
      ++deliveries_[e.event_id()];
      ack.add_acked_event_ids(e.event_id());
    }
    if (!extra_ack_.empty()) ack.add_acked_event_ids(extra_ack_);
    response.status = 200;
    SetWireHeader(response.headers, "Content-Type", "application/x-protobuf");
    response.body = ack.SerializeAsString();
    return response;
  }

  std::mutex mu_;
  std::deque<WireResponse> scripted_;
  std::function<bool(const std::string&)> ack_filter_;
  std::string extra_ack_;
  size_t max_events_ = 0;
  std::string snapshot_;
  std::string etag_;
  std::vector<WireRequest> requests_;
  std::vector<v1::Batch> batches_;
  std::map<std::string, int> deliveries_;
  LoopbackHttpServer server_;  // last: destroyed (threads joined) before the state above
};

WireResponse Answer(int status, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  WireResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::string ErrorBody(const std::string& code, const std::string& message, int32_t index) {
  v1::Error e;
  e.set_code(code);
  e.set_message(message);
  e.set_event_index(index);
  return e.SerializeAsString();
}

class SyncEngineTest : public ::testing::Test {
 protected:
  SyncConfig Config(const std::string& url) {
    SyncConfig c;
    c.server_url = url;
    c.write_key = "wk_test";
    c.request_timeout_ms = 5000;
    c.sdk_platform = "linux";
    c.app_version = "9.9.9";
    return c;
  }
  void Enqueue(int from, int to) {
    std::vector<QueuedEvent> events;
    for (int i = from; i < to; ++i) events.push_back(MakeEvent(i));
    ASSERT_TRUE(store_.Insert(events).ok());
  }

  ManualClock clock_;
  MemoryStore store_;
  std::unique_ptr<HttpExecutor> http_ = NewDefaultHttpExecutor();
  Collector collector_;
};

TEST_F(SyncEngineTest, IdleWhenNothingQueued) {
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kIdle);
  EXPECT_TRUE(collector_.requests().empty());
}

TEST_F(SyncEngineTest, HappyPathSendsGzippedBatchAndRemovesAckedIds) {
  Enqueue(0, 5);
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  ASSERT_EQ(r.outcome, SendOutcome::kAcked) << r.status.ToString();
  EXPECT_EQ(r.acked, 5u);
  EXPECT_FALSE(r.more_pending);
  EXPECT_EQ(store_.queued(), 0u);

  const auto requests = collector_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const WireRequest& req = requests[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/v1/batch");
  EXPECT_EQ(req.Header("authorization"), "Bearer wk_test");
  EXPECT_EQ(req.Header("content-type"), "application/x-protobuf");
  EXPECT_EQ(req.Header("content-encoding"), "gzip");
  EXPECT_EQ(r.wire_bytes, req.body.size());

  // The gzip body decodes back to exactly the queued events.
  v1::Batch batch;
  ASSERT_TRUE(batch.ParseFromString(Gunzip(req.body)));
  EXPECT_EQ(batch.sent_at_ms(), clock_.NowMs());
  EXPECT_EQ(batch.context().sdk_name(), "vitrine-cpp");
  EXPECT_EQ(batch.context().platform(), "linux");
  EXPECT_EQ(batch.context().app_version(), "9.9.9");
  ASSERT_EQ(batch.events_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(batch.events(i).SerializeAsString(), MakeEvent(i).payload);
  }
}

TEST_F(SyncEngineTest, UncompressedWhenDisabled) {
  Enqueue(0, 2);
  SyncConfig config = Config(collector_.url());
  config.compress = false;
  SyncEngine engine(config, store_, *http_, clock_);
  ASSERT_EQ(engine.SendOnce().outcome, SendOutcome::kAcked);
  const auto requests = collector_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].Header("content-encoding"), "");
  v1::Batch batch;
  ASSERT_TRUE(batch.ParseFromString(requests[0].body));
  EXPECT_EQ(batch.events_size(), 2);
}

TEST_F(SyncEngineTest, BatchLimitsAreHonouredOldestFirst) {
  Enqueue(0, 7);
  SyncConfig config = Config(collector_.url());
  config.max_batch_events = 3;
  SyncEngine engine(config, store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  ASSERT_EQ(r.outcome, SendOutcome::kAcked);
  EXPECT_EQ(r.acked, 3u);
  EXPECT_TRUE(r.more_pending);
  const auto batches = collector_.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].events(0).event_id(), EventId(0));
  EXPECT_EQ(batches[0].events(2).event_id(), EventId(2));
  EXPECT_EQ(store_.queued(), 4u);
}

TEST_F(SyncEngineTest, PartialAckKeepsTheRestAndIgnoresForeignIds) {
  Enqueue(0, 6);
  const std::string even_ids[] = {EventId(0), EventId(2), EventId(4)};
  collector_.set_ack_filter([&](const std::string& id) {
    return std::find(std::begin(even_ids), std::end(even_ids), id) != std::end(even_ids);
  });
  const std::string foreign = EventId(999);
  collector_.set_extra_ack(foreign);
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  ASSERT_EQ(r.outcome, SendOutcome::kAcked);
  EXPECT_EQ(r.acked, 3u);
  EXPECT_TRUE(r.more_pending);
  EXPECT_EQ(store_.queued(), 3u);
  const auto removed = store_.removed_calls();
  EXPECT_EQ(std::set<std::string>(removed.begin(), removed.end()),
            std::set<std::string>(std::begin(even_ids), std::end(even_ids)));
  // The unacked ones are what goes next.
  collector_.set_ack_filter(nullptr);
  collector_.set_extra_ack("");
  const SendResult second = engine.SendOnce();
  ASSERT_EQ(second.outcome, SendOutcome::kAcked);
  EXPECT_EQ(second.acked, 3u);
  EXPECT_EQ(collector_.batches().back().events(0).event_id(), EventId(1));
  EXPECT_EQ(store_.queued(), 0u);
}

TEST_F(SyncEngineTest, AckCoveringNothingIsARetry) {
  Enqueue(0, 2);
  collector_.set_ack_filter([](const std::string&) { return false; });
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(store_.queued(), 2u);
}

TEST_F(SyncEngineTest, ServerErrorIsRetryAndKeepsEvents) {
  Enqueue(0, 3);
  collector_.Script(Answer(500, "boom"));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.retry_after_ms, 0);
  EXPECT_TRUE(r.more_pending);
  EXPECT_EQ(store_.queued(), 3u);
  EXPECT_TRUE(store_.dead().empty());
}

TEST_F(SyncEngineTest, RetryableStatusesAreRetries) {
  Enqueue(0, 1);
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  for (int status : {408, 425, 502, 503, 504}) {
    collector_.Script(Answer(status));
    EXPECT_EQ(engine.SendOnce().outcome, SendOutcome::kRetry) << status;
  }
  EXPECT_EQ(store_.queued(), 1u);
}

TEST_F(SyncEngineTest, RateLimitHonoursRetryAfterSeconds) {
  Enqueue(0, 3);
  collector_.Script(Answer(429, "", {{"Retry-After", "7"}}));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.status.code(), StatusCode::kRateLimited);
  EXPECT_EQ(r.retry_after_ms, 7000);
  EXPECT_EQ(store_.queued(), 3u);
  Backoff backoff(100, 1000, 42);
  for (int i = 0; i < 50; ++i) EXPECT_GE(backoff.NextDelayMs(r.retry_after_ms), 7000);
}

TEST_F(SyncEngineTest, RateLimitHonoursRetryAfterHttpDate) {
  Enqueue(0, 1);
  clock_.SetMs(1'700'000'000'000);  // 2023-11-14T22:13:20Z
  collector_.Script(Answer(429, "", {{"Retry-After", "Tue, 14 Nov 2023 22:14:05 GMT"}}));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.retry_after_ms, 45'000);
}

TEST(ParseRetryAfterTest, FormsAndGarbage) {
  const int64_t now = 1'700'000'000'000;  // Tue, 14 Nov 2023 22:13:20 GMT
  EXPECT_EQ(ParseRetryAfterMs("120", now), 120'000);
  EXPECT_EQ(ParseRetryAfterMs(" 2 ", now), 2'000);
  EXPECT_EQ(ParseRetryAfterMs("1.5", now), 1'500);
  EXPECT_EQ(ParseRetryAfterMs("0.25", now), 250);
  EXPECT_EQ(ParseRetryAfterMs("0", now), 0);
  EXPECT_EQ(ParseRetryAfterMs("Tue, 14 Nov 2023 22:13:30 GMT", now), 10'000);
  EXPECT_EQ(ParseRetryAfterMs("Tuesday, 14-Nov-23 22:13:30 GMT", now), 10'000);
  EXPECT_EQ(ParseRetryAfterMs("Tue Nov 14 22:13:30 2023", now), 10'000);
  EXPECT_EQ(ParseRetryAfterMs("Tue, 14 Nov 2023 22:13:00 GMT", now), 0);          // in the past
  EXPECT_EQ(ParseRetryAfterMs("99999999999999999999", now), 24LL * 3600 * 1000);  // capped
  for (const char* garbage : {"", "-5", "abc", "1.", "1.5s", "12 34", "Tue, 99 Nov 2023 x GMT",
                              "Tue, 14 Foo 2023 22:13:30 GMT", "1e3"}) {
    EXPECT_EQ(ParseRetryAfterMs(garbage, now), 0) << garbage;
  }
}

TEST(BackoffTest, FullJitterWithinExponentialCap) {
  Backoff backoff(100, 1600, 7);
  int64_t max_seen[6] = {};
  for (int round = 0; round < 200; ++round) {
    backoff.Reset();
    for (int attempt = 0; attempt < 6; ++attempt) {
      const int64_t d = backoff.NextDelayMs(0);
      const int64_t cap = std::min<int64_t>(1600, 100LL << attempt);
      ASSERT_GE(d, 0);
      ASSERT_LE(d, cap) << "attempt " << attempt;
      max_seen[attempt] = std::max(max_seen[attempt], d);
    }
  }
  // Jitter spreads over the range: the largest draw of the last attempts nears the cap.
  EXPECT_GT(max_seen[5], 1200);
  EXPECT_EQ(backoff.attempt(), 6);
  // Far past the cap and still no overflow.
  for (int i = 0; i < 100; ++i) ASSERT_LE(backoff.NextDelayMs(0), 1600);
  EXPECT_EQ(backoff.NextDelayMs(5000), 5000);  // the floor (Retry-After) wins
}

TEST_F(SyncEngineTest, BadRequestDeadLettersWithServerReason) {
  Enqueue(0, 3);
  collector_.Script(Answer(400, ErrorBody("invalid_event", "unknown event type", -1),
                           {{"Content-Type", "application/x-protobuf"}}));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.dead_lettered, 3u);
  EXPECT_EQ(r.status.code(), StatusCode::kRejected);
  EXPECT_EQ(store_.queued(), 0u);
  const auto dead = store_.dead();
  ASSERT_EQ(dead.size(), 3u);
  const std::string& reason = dead.at(EventId(1));
  EXPECT_NE(reason.find("400"), std::string::npos) << reason;
  EXPECT_NE(reason.find("invalid_event"), std::string::npos) << reason;
  EXPECT_NE(reason.find("unknown event type"), std::string::npos) << reason;
}

TEST_F(SyncEngineTest, BadRequestNamingOneEventDeadLettersOnlyThatOne) {
  Enqueue(0, 3);
  collector_.Script(Answer(400, ErrorBody("invalid_event", "price must be >= 0", 1)));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.dead_lettered, 1u);
  EXPECT_TRUE(r.more_pending);
  EXPECT_EQ(store_.dead().count(EventId(1)), 1u);
  EXPECT_EQ(store_.queued(), 2u);
  ASSERT_EQ(engine.SendOnce().outcome, SendOutcome::kAcked);
  EXPECT_EQ(store_.queued(), 0u);
}

TEST_F(SyncEngineTest, UnauthorizedDeadLettersWholeBatchEvenWithoutProtobufBody) {
  Enqueue(0, 2);
  collector_.Script(Answer(401, "{\"code\":\"unauthorized\"}"));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.dead_lettered, 2u);
  const auto dead = store_.dead();
  ASSERT_EQ(dead.size(), 2u);
  EXPECT_NE(dead.begin()->second.find("unauthorized"), std::string::npos);
}

TEST_F(SyncEngineTest, PayloadTooLargeShrinksBatchesThenDeadLettersSingles) {
  Enqueue(0, 8);
  collector_.set_max_events(2);
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.dead_lettered, 0u);
  EXPECT_EQ(engine.SendOnce().outcome, SendOutcome::kRetry);  // 4 -> still too many
  for (int i = 0; i < 4; ++i) {
    r = engine.SendOnce();
    ASSERT_EQ(r.outcome, SendOutcome::kAcked) << i;
    EXPECT_EQ(r.acked, 2u);
  }
  EXPECT_EQ(store_.queued(), 0u);
  std::vector<int> sizes;
  for (const auto& b : collector_.batches()) sizes.push_back(b.events_size());
  EXPECT_EQ(sizes, (std::vector<int>{8, 4, 2, 2, 2, 2}));
  EXPECT_TRUE(store_.dead().empty());

  // A single event the server still refuses as too large is dead-lettered, not retried forever.
  Enqueue(100, 101);
  collector_.Script(Answer(413, ErrorBody("too_large", "event exceeds 1 MiB", -1)));
  r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRejected);
  EXPECT_EQ(r.dead_lettered, 1u);
  EXPECT_EQ(store_.dead().count(EventId(100)), 1u);
}

TEST_F(SyncEngineTest, MalformedAckIsRetryNotDataLoss) {
  Enqueue(0, 3);
  collector_.Script(Answer(200, std::string("\xff\xff\xff\xff garbage", 12)));
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(store_.queued(), 3u);
  EXPECT_TRUE(store_.dead().empty());
}

TEST_F(SyncEngineTest, CorruptLocalPayloadIsDeadLetteredAndTheRestSent) {
  Enqueue(0, 2);
  QueuedEvent bad = MakeEvent(50);
  bad.seq = 0;  // oldest
  bad.payload = std::string("\xff\xff\xff", 3);
  ASSERT_TRUE(store_.Insert({bad}).ok());
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kAcked);
  EXPECT_EQ(r.acked, 2u);
  EXPECT_EQ(r.dead_lettered, 1u);
  EXPECT_EQ(store_.dead().count(EventId(50)), 1u);
}

TEST_F(SyncEngineTest, TransportErrorIsRetry) {
  Enqueue(0, 2);
  // Nothing listens on a freshly released port.
  const std::string url = "http://127.0.0.1:" + std::to_string(vitrine::testing::FreePort());
  SyncEngine engine(Config(url), store_, *http_, clock_);
  const SendResult r = engine.SendOnce();
  EXPECT_EQ(r.outcome, SendOutcome::kRetry);
  EXPECT_EQ(r.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_.queued(), 2u);
}

TEST_F(SyncEngineTest, SnapshotFetchWithEtagRevalidation) {
  v1::Snapshot snapshot;
  snapshot.set_profile_id("p-1");
  snapshot.set_ttl_seconds(900);
  snapshot.add_personal()->set_product_id("sku-1");
  collector_.set_snapshot(snapshot.SerializeAsString(), "\"v1\"");
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);

  const SnapshotResult first = engine.FetchSnapshot("anon 1&x=é", "user/7", "");
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_FALSE(first.not_modified);
  EXPECT_EQ(first.etag, "\"v1\"");
  v1::Snapshot got;
  ASSERT_TRUE(got.ParseFromString(first.snapshot_bytes));
  EXPECT_EQ(got.personal(0).product_id(), "sku-1");

  const SnapshotResult second = engine.FetchSnapshot("anon 1&x=é", "user/7", first.etag);
  ASSERT_TRUE(second.status.ok());
  EXPECT_TRUE(second.not_modified);
  EXPECT_EQ(second.etag, "\"v1\"");
  EXPECT_TRUE(second.snapshot_bytes.empty());

  const auto requests = collector_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/snapshot?anonymous_id=anon%201%26x%3D%C3%A9&user_id=user%2F7");
  EXPECT_EQ(requests[0].Header("accept"), "application/x-protobuf");
  EXPECT_EQ(requests[0].Header("authorization"), "Bearer wk_test");
  EXPECT_EQ(requests[0].Header("if-none-match"), "");
  EXPECT_EQ(requests[1].Header("if-none-match"), "\"v1\"");
}

TEST_F(SyncEngineTest, SnapshotErrorsMapToStatusCodes) {
  SyncEngine engine(Config(collector_.url()), store_, *http_, clock_);
  collector_.Script(Answer(429, "", {{"Retry-After", "3"}}));
  EXPECT_EQ(engine.FetchSnapshot("a", "", "").status.code(), StatusCode::kRateLimited);
  collector_.Script(Answer(503));
  EXPECT_EQ(engine.FetchSnapshot("a", "", "").status.code(), StatusCode::kUnavailable);
  collector_.Script(Answer(403, ErrorBody("forbidden", "wrong key", -1)));
  const SnapshotResult rejected = engine.FetchSnapshot("a", "", "");
  EXPECT_EQ(rejected.status.code(), StatusCode::kRejected);
  EXPECT_NE(rejected.status.message().find("wrong key"), std::string::npos);

  const std::string url = "http://127.0.0.1:" + std::to_string(vitrine::testing::FreePort());
  SyncEngine offline(Config(url), store_, *http_, clock_);
  EXPECT_EQ(offline.FetchSnapshot("a", "", "").status.code(), StatusCode::kUnavailable);
}

// The whole loop under ~30% injected faults. The driver does what the Client does: send, and on
// kRetry wait Backoff::NextDelayMs(retry_after) on the (manual) clock. At the end every event
// reached the collector at least once, the queue is empty, and no request came in before the
// Retry-After of the 429 preceding it had elapsed.
TEST_F(SyncEngineTest, NoEventLostThroughFaultProxy) {
  constexpr int kEvents = 120;
  Enqueue(0, kEvents);
  FaultPlan plan;
  plan.seed = 20240601;
  plan.p_error_500 = 0.08;
  plan.p_rate_limit_429 = 0.08;
  plan.p_reset_before = 0.05;
  plan.p_reset_after = 0.06;
  plan.p_hang = 0.03;
  plan.retry_after_min_s = 1;
  plan.retry_after_max_s = 9;
  plan.max_hang_ms = 3000;
  FaultProxy proxy("127.0.0.1", collector_.port(), plan, [this] { return clock_.NowMs(); });
  // Every fault kind at least once, whatever the random draws do.
  for (Fault f : {Fault::kResetAfterForward, Fault::kRateLimit429, Fault::kHang,
                  Fault::kResetBeforeForward, Fault::kError500}) {
    proxy.ForceNext(f);
  }

  SyncConfig config = Config(proxy.url());
  config.max_batch_events = 10;
  config.request_timeout_ms = 500;  // real time: bounds each hang
  SyncEngine engine(config, store_, *http_, clock_);
  Backoff backoff(200, 30'000, 99);
  int sends = 0;
  for (; sends < 400; ++sends) {
    const SendResult r = engine.SendOnce();
    if (r.outcome == SendOutcome::kIdle) break;
    if (r.outcome == SendOutcome::kRetry) {
      clock_.AdvanceMs(backoff.NextDelayMs(r.retry_after_ms));
    } else {
      ASSERT_EQ(r.outcome, SendOutcome::kAcked) << r.status.ToString();
      backoff.Reset();
      clock_.AdvanceMs(5);
    }
  }
  ASSERT_LT(sends, 400) << "did not converge";

  EXPECT_EQ(store_.queued(), 0u);
  EXPECT_TRUE(store_.dead().empty());
  const auto deliveries = collector_.deliveries();
  int lost = 0;
  int duplicates = 0;
  for (int i = 0; i < kEvents; ++i) {
    auto it = deliveries.find(EventId(i));
    if (it == deliveries.end()) {
      ++lost;
    } else {
      duplicates += it->second - 1;
    }
  }
  EXPECT_EQ(lost, 0);
  // A reset after forwarding means the collector stored a batch the SDK had to send again.
  EXPECT_GT(duplicates, 0);

  const auto log = proxy.Log();
  std::map<Fault, int> seen;
  for (const auto& e : log) ++seen[e.fault];
  for (Fault f : {Fault::kResetAfterForward, Fault::kRateLimit429, Fault::kHang,
                  Fault::kResetBeforeForward, Fault::kError500, Fault::kNone}) {
    EXPECT_GT(seen[f], 0) << FaultName(f);
  }
  int faults = 0;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].fault != Fault::kNone) ++faults;
    if (log[i].fault == Fault::kRateLimit429 && i + 1 < log.size()) {
      EXPECT_GE(log[i + 1].at_ms - log[i].at_ms, log[i].retry_after_s * 1000LL)
          << "request " << i + 1 << " came before Retry-After " << log[i].retry_after_s << "s";
    }
  }
  EXPECT_GE(faults * 100, static_cast<int>(log.size()) * 15) << "too few faults to mean much";
}

}  // namespace
}  // namespace vitrine::internal
