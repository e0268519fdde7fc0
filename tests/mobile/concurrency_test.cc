// Many threads on one vt_client at once, the way an app's UI thread, background workers and
// lifecycle callbacks use the SDK: typed captures, generic tracks, identify, recommend, stats,
// pending messages, foreground and concurrent blocking flushes. The host HTTP executor is a fake
// server that decodes each batch, records every event and acks it, and answers every fifth batch
// with 503 (nothing recorded), so retries interleave with capture.
// Checks: every captured event arrives exactly once (by a unique marker per call and by event
// id), the client's counters agree, and nothing is left queued. Built in the TSan build of the
// mobile core (scripts/mobile-tsan-test.sh), where it must also report no data race.
//
// Usage: concurrency_test <temp dir> [events per thread]
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vitrine.h"
#include "vitrine/v1/batch.pb.h"

namespace {

int failures = 0;

#define CHECK(cond, ...)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      ++failures;                                                                   \
      std::fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                            \
      std::fprintf(stderr, "\n");                                                   \
    }                                                                               \
  } while (0)

// The fake server behind the host executor. The SDK calls it one request at a time on its
// background thread; the mutex is for the main thread reading the results.
struct FakeServer {
  std::mutex mu;
  std::map<std::string, int> markers;  // marker -> times received
  std::set<std::string> event_ids;
  int duplicate_ids = 0;
  int batch_posts = 0;
  int refused_posts = 0;
  int snapshot_gets = 0;
  std::atomic<int> in_flight{0};
  int max_in_flight = 0;
};

// The marker each capture call carries: products[0].product_id, page_url or query.
std::string MarkerOf(const vitrine::v1::Event& event) {
  if (event.products_size() > 0) return event.products(0).product_id();
  if (!event.page_url().empty()) return event.page_url();
  if (!event.query().empty()) return event.query();
  return "";
}

void Execute(void* user_data, const vt_http_request* request, vt_http_response* response) {
  auto* server = static_cast<FakeServer*>(user_data);
  const int now_in_flight = ++server->in_flight;
  std::lock_guard<std::mutex> lock(server->mu);
  if (now_in_flight > server->max_in_flight) server->max_in_flight = now_in_flight;
  const std::string url = request->url != nullptr ? request->url : "";
  if (url.find("/v1/snapshot") != std::string::npos) {
    ++server->snapshot_gets;
    vt_http_response_set_status(response, 404);
    --server->in_flight;
    return;
  }
  ++server->batch_posts;
  if (server->batch_posts % 5 == 0) {
    ++server->refused_posts;
    vt_http_response_set_status(response, 503);
    --server->in_flight;
    return;
  }
  vitrine::v1::Batch batch;
  if (!batch.ParseFromArray(request->body, static_cast<int>(request->body_size))) {
    vt_http_response_set_status(response, 400);
    --server->in_flight;
    return;
  }
  vitrine::v1::BatchAck ack;
  for (const auto& event : batch.events()) {
    if (!server->event_ids.insert(event.event_id()).second) ++server->duplicate_ids;
    ++server->markers[MarkerOf(event)];
    ack.add_acked_event_ids(event.event_id());
  }
  ack.set_stored(static_cast<uint32_t>(batch.events_size()));
  const std::string body = ack.SerializeAsString();
  vt_http_response_set_status(response, 200);
  vt_http_response_add_header(response, "Content-Type", "application/x-protobuf");
  vt_http_response_set_body(response, reinterpret_cast<const uint8_t*>(body.data()), body.size());
  --server->in_flight;
}

struct Counters {
  std::atomic<int> captured{0};
  std::atomic<int> capture_errors{0};
  std::atomic<int> other_errors{0};
};

void Worker(vt_client* client, int thread_index, int events, Counters* counters) {
  for (int i = 0; i < events; ++i) {
    const std::string marker = "t" + std::to_string(thread_index) + "-" + std::to_string(i);
    vt_status st = VT_OK;
    char* error = nullptr;
    switch (i % 4) {
      case 0: {
        vt_product p;
        std::memset(&p, 0, sizeof(p));
        p.product_id = marker.c_str();
        p.sku = "sku-1";
        p.price = 9.5;
        p.currency = "EUR";
        st = vt_product_viewed(client, &p, &error);
        break;
      }
      case 1:
        st = vt_page_viewed(client, marker.c_str(), nullptr, &error);
        break;
      case 2:
        st = vt_search_submitted(client, marker.c_str(), &error);
        break;
      default: {
        vt_product p;
        std::memset(&p, 0, sizeof(p));
        p.product_id = marker.c_str();
        p.sku = "sku-1";
        p.quantity = 2;
        p.price = 4.25;
        p.currency = "EUR";
        vt_property prop = {"thread", "worker"};
        vt_event event;
        std::memset(&event, 0, sizeof(event));
        event.struct_size = sizeof(event);
        event.type = "product_added_to_cart";
        event.products = &p;
        event.product_count = 1;
        event.properties = &prop;
        event.property_count = 1;
        st = vt_track(client, &event, &error);
        break;
      }
    }
    if (st == VT_OK) {
      ++counters->captured;
    } else if (++counters->capture_errors == 1) {
      std::fprintf(stderr, "capture %s failed: %s (%s)\n", marker.c_str(), vt_status_name(st),
                   error != nullptr ? error : "");
    }
    vt_free_string(error);
    // Reads and lifecycle calls interleaved with capture, as a UI does.
    if (i % 16 == 0) {
      vt_recommendation* recs = nullptr;
      size_t count = 0;
      if (vt_recommend(client, "home", nullptr, nullptr, 4, &recs, &count, nullptr) != VT_OK) {
        ++counters->other_errors;
      }
      vt_free_recommendations(recs, count);
      vt_stats stats;
      if (vt_get_stats(client, &stats, nullptr) != VT_OK) ++counters->other_errors;
      vt_free_stats(&stats);
      vt_message* messages = nullptr;
      size_t message_count = 0;
      if (vt_pending_messages(client, &messages, &message_count, nullptr) != VT_OK) {
        ++counters->other_errors;
      }
      vt_free_messages(messages, message_count);
    }
    if (i % 64 == 0) vt_on_foreground(client);
    // A background flush from several threads at once; failures (the 503s) are expected.
    if (i % 97 == 50) vt_flush(client, nullptr);
  }
}

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "mkdir %s: %s\n", path.c_str(), std::strerror(errno));
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <temp dir> [events per thread]\n", argv[0]);
    return 2;
  }
  const int per_thread = argc > 2 ? std::atoi(argv[2]) : 400;
  constexpr int kThreads = 8;
  MakeDir(argv[1]);
  const std::string data_dir = std::string(argv[1]) + "/run-" + std::to_string(getpid());
  MakeDir(data_dir);

  FakeServer server;
  vt_options options;
  vt_options_init(&options);
  options.data_dir = data_dir.c_str();
  options.server_url = "https://sync.invalid";
  options.write_key = "wk_test";
  options.compress = 0;  // the fake server reads raw protobuf
  options.max_batch_events = 100;
  options.flush_interval_ms = 5;
  options.persist_interval_ms = 2;
  options.backoff_initial_ms = 1;
  options.backoff_max_ms = 4;
  options.http_execute = Execute;
  options.http_user_data = &server;
  vt_client* client = nullptr;
  char* err = nullptr;
  vt_status st = vt_client_open(&options, &client, &err);
  if (st != VT_OK) {
    std::fprintf(stderr, "open: %s (%s)\n", vt_status_name(st), err != nullptr ? err : "");
    vt_free_string(err);
    return 1;
  }

  Counters counters;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(Worker, client, t, per_thread, &counters);
  }
  // Identity changes from yet another thread while the workers capture.
  std::thread identity([client] {
    for (int k = 0; k < 5; ++k) {
      const std::string user = "user-" + std::to_string(k);
      vt_property trait = {"tier", k % 2 == 0 ? "gold" : "silver"};
      vt_identify(client, user.c_str(), &trait, 1, nullptr);
    }
  });
  for (auto& t : threads) t.join();
  identity.join();

  // Drain: flush until nothing is queued (the fake server refuses every fifth batch).
  vt_stats stats;
  std::memset(&stats, 0, sizeof(stats));
  for (int attempt = 0; attempt < 500; ++attempt) {
    vt_flush(client, nullptr);
    vt_free_stats(&stats);
    CHECK(vt_get_stats(client, &stats, nullptr) == VT_OK, "stats");
    if (stats.queued == 0) break;
  }
  const int expected = kThreads * per_thread;
  CHECK(counters.capture_errors.load() == 0, "%d captures failed", counters.capture_errors.load());
  CHECK(counters.other_errors.load() == 0, "%d reads failed", counters.other_errors.load());
  CHECK(counters.captured.load() == expected, "captured %d of %d", counters.captured.load(),
        expected);
  CHECK(stats.queued == 0, "%llu events still queued",
        static_cast<unsigned long long>(stats.queued));
  // Every call's event exactly once; the identify events (5) carry no marker.
  {
    std::lock_guard<std::mutex> lock(server.mu);
    int missing = 0;
    int repeated = 0;
    for (int t = 0; t < kThreads; ++t) {
      for (int i = 0; i < per_thread; ++i) {
        auto it = server.markers.find("t" + std::to_string(t) + "-" + std::to_string(i));
        if (it == server.markers.end()) {
          ++missing;
        } else if (it->second != 1) {
          ++repeated;
        }
      }
    }
    CHECK(missing == 0, "%d events never reached the server", missing);
    CHECK(repeated == 0, "%d events reached the server more than once", repeated);
    CHECK(server.duplicate_ids == 0, "%d event ids received twice", server.duplicate_ids);
    CHECK(server.event_ids.size() == static_cast<size_t>(expected + 5),
          "server stored %zu events, expected %d", server.event_ids.size(), expected + 5);
    CHECK(stats.acked == server.event_ids.size(), "client acked %llu, server stored %zu",
          static_cast<unsigned long long>(stats.acked), server.event_ids.size());
    CHECK(stats.tracked == static_cast<uint64_t>(expected + 5), "client tracked %llu",
          static_cast<unsigned long long>(stats.tracked));
    CHECK(server.refused_posts > 0, "the 503 path was never exercised");
    CHECK(server.max_in_flight == 1, "executor called concurrently (%d at once)",
          server.max_in_flight);
    std::printf("concurrency_test: %d threads x %d events, %d batches (%d refused), %zu stored\n",
                kThreads, per_thread, server.batch_posts, server.refused_posts,
                server.event_ids.size());
  }
  vt_free_stats(&stats);
  vt_client_close(client);
  if (failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  std::printf("OK\n");
  return 0;
}
