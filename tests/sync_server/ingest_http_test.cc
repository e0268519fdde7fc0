// POST /v1/batch over a real loopback listener and a real SQLite file.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::Gzip;
using testing::HttpCall;
using testing::kAdminKey;
using testing::kWriteKey;
using testing::MakeEvent;
using testing::OrderEvent;
using testing::ProductEvent;
using testing::TestServer;

google::protobuf::Struct ParseJson(const std::string& body) {
  google::protobuf::Struct s;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &s).ok()) << body;
  return s;
}

double Field(const google::protobuf::Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? -1 : it->second.number_value();
}

struct Stats {
  double events, profiles, orders;
};
Stats GetStats(TestServer& server) {
  auto r = server.Get("/v1/admin/stats");
  EXPECT_EQ(r.status, 200) << r.body;
  auto s = ParseJson(r.body);
  return {Field(s, "events"), Field(s, "profiles"), Field(s, "orders")};
}

v1::Batch ViewBatch(uint64_t first_id, int n, const std::string& anon) {
  v1::Batch b;
  for (int i = 0; i < n; ++i) {
    *b.add_events() = ProductEvent(first_id + static_cast<uint64_t>(i), "product_viewed", anon,
                                   "p" + std::to_string(i % 7));
  }
  return b;
}

v1::BatchAck ParseAck(const testing::HttpResponse& r) {
  v1::BatchAck ack;
  EXPECT_EQ(r.Header("content-type"), "application/x-protobuf");
  EXPECT_TRUE(ack.ParseFromString(r.body));
  return ack;
}

v1::Error ParseError(const testing::HttpResponse& r) {
  v1::Error error;
  if (r.Header("content-type") == "application/json") {
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &error).ok()) << r.body;
  } else {
    EXPECT_TRUE(error.ParseFromString(r.body));
  }
  return error;
}

TEST(IngestHttpTest, ProtobufBatchIsStoredAndAckedById) {
  TestServer server;
  v1::Batch batch = ViewBatch(1, 50, "anon-1");
  auto r = server.PostBatch(batch);
  ASSERT_EQ(r.status, 200) << r.body;
  v1::BatchAck ack = ParseAck(r);
  EXPECT_EQ(ack.stored(), 50u);
  EXPECT_EQ(ack.duplicates(), 0u);
  ASSERT_EQ(ack.acked_event_ids_size(), 50);
  EXPECT_EQ(ack.acked_event_ids(7), batch.events(7).event_id());
  EXPECT_EQ(GetStats(server).events, 50);
  EXPECT_EQ(GetStats(server).profiles, 1);
}

TEST(IngestHttpTest, JsonBatchGetsAJsonAck) {
  TestServer server;
  const std::string json = R"({"events": [{"event_id": "AAAAAAAAAAAAAAAAAAAAAQ==",
    "type": "product_viewed", "occurred_at_ms": 1700000000000, "anonymous_id": "a",
    "products": [{"product_id": "p", "sku": "s", "price_micros": 100, "currency": "EUR"}]}]})";
  auto r = HttpCall(server.port(), "POST", "/v1/batch",
                    {{"Authorization", std::string("Bearer ") + kWriteKey},
                     {"Content-Type", "application/json; charset=utf-8"}},
                    json);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  v1::BatchAck ack;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.body, &ack).ok()) << r.body;
  EXPECT_EQ(ack.stored(), 1u);
  EXPECT_EQ(ack.acked_event_ids(0).size(), 16u);
}

TEST(IngestHttpTest, GzipBatch) {
  TestServer server;
  v1::Batch batch = ViewBatch(100, 20, "anon-gz");
  auto r = HttpCall(server.port(), "POST", "/v1/batch",
                    {{"Authorization", std::string("Bearer ") + kWriteKey},
                     {"Content-Type", "application/x-protobuf"},
                     {"Content-Encoding", "gzip"}},
                    Gzip(batch.SerializeAsString()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ParseAck(r).stored(), 20u);
  EXPECT_EQ(GetStats(server).events, 20);
}

TEST(IngestHttpTest, DedupByEventIdAndByOrderId) {
  TestServer server;
  v1::Batch batch = ViewBatch(1, 10, "anon-1");
  *batch.add_events() = OrderEvent(500, "anon-1", "order-1", "p1");
  ASSERT_EQ(server.PostBatch(batch).status, 200);
  // The retry: every id acked, nothing stored again.
  auto r = server.PostBatch(batch);
  ASSERT_EQ(r.status, 200);
  v1::BatchAck ack = ParseAck(r);
  EXPECT_EQ(ack.stored(), 0u);
  EXPECT_EQ(ack.duplicates(), 11u);
  EXPECT_EQ(ack.acked_event_ids_size(), 11);
  // The same order under another event id (a webhook, an import): acked as a duplicate.
  v1::Batch webhook;
  *webhook.add_events() = OrderEvent(501, "anon-1", "order-1", "p1");
  r = server.PostBatch(webhook);
  ASSERT_EQ(r.status, 200);
  ack = ParseAck(r);
  EXPECT_EQ(ack.duplicates(), 1u);
  EXPECT_EQ(ack.stored(), 0u);
  ASSERT_EQ(ack.acked_event_ids_size(), 1);
  const Stats s = GetStats(server);
  EXPECT_EQ(s.events, 11);
  EXPECT_EQ(s.orders, 1);
}

TEST(IngestHttpTest, IdentifyMergesSessionsIntoOneProfile) {
  TestServer server;
  uint64_t id = 1;
  int sent = 0;
  // Three sessions on one device; identify in the middle one; a second device of the same user.
  for (int session = 0; session < 3; ++session) {
    v1::Batch b;
    for (int i = 0; i < 40; ++i) {
      v1::Event e = ProductEvent(id++, "product_viewed", "device-1", "p" + std::to_string(i % 5));
      e.set_session_id("session-" + std::to_string(session));
      if (session == 2) e.set_user_id("user-42");
      *b.add_events() = e;
      if (session == 1 && i == 20) {
        v1::Event identify = testing::MakeEvent(id++, "identify", "device-1");
        identify.set_user_id("user-42");
        *b.add_events() = identify;
      }
    }
    sent += b.events_size();
    ASSERT_EQ(server.PostBatch(b).status, 200);
  }
  // Another device, anonymous first, then the same user signs in there: merged too.
  v1::Batch other = ViewBatch(10000, 5, "device-2");
  sent += other.events_size();
  ASSERT_EQ(server.PostBatch(other).status, 200);
  auto r = server.PostJson(
      "/v1/identify",
      R"({"anonymous_id": "device-2", "user_id": "user-42", "traits": {"tier": "gold"}})",
      kWriteKey);
  ASSERT_EQ(r.status, 200) << r.body;
  ++sent;  // the identify call stores an identify event

  const Stats s = GetStats(server);
  EXPECT_EQ(s.events, sent);
  EXPECT_EQ(s.profiles, 1);
  r = server.Get("/v1/admin/profiles?user_id=user-42");
  ASSERT_EQ(r.status, 200) << r.body;
  auto profile = ParseJson(r.body);
  EXPECT_EQ(Field(profile, "event_count"), sent);
  EXPECT_EQ(profile.fields().at("anonymous_ids").list_value().values_size(), 2);
  r = server.Get("/v1/admin/profiles?anonymous_id=device-1");
  EXPECT_EQ(ParseJson(r.body).fields().at("user_id").string_value(), "user-42");
  const std::string profile_id = profile.fields().at("profile_id").string_value();
  r = server.Get("/v1/admin/events?profile_id=" + profile_id + "&limit=5");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(ParseJson(r.body).fields().at("events").list_value().values_size(), 5);
}

TEST(IngestHttpTest, BadInputGetsTheRightStatusAndStoresNothing) {
  ServerConfig config;
  config.limits.max_body_bytes = 64 * 1024;
  config.limits.max_inflated_bytes = 256 * 1024;
  config.limits.max_events = 100;
  TestServer server(config);
  const auto post = [&](const std::string& body, const std::string& type,
                        std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> headers = {
        {"Authorization", std::string("Bearer ") + kWriteKey}, {"Content-Type", type}};
    for (auto& [k, v] : extra) headers[k] = v;
    if (headers["Authorization"].empty()) headers.erase("Authorization");
    return HttpCall(server.port(), "POST", "/v1/batch", headers, body);
  };
  v1::Batch good = ViewBatch(1, 10, "anon-x");
  v1::Batch one_bad = good;
  one_bad.mutable_events(6)->mutable_products(0)->set_currency("euro");
  v1::Batch unknown_type = good;
  unknown_type.mutable_events(3)->set_type("product_levitated");
  v1::Batch too_many = ViewBatch(1000, 101, "anon-x");

  struct Case {
    std::string name;
    testing::HttpResponse response;
    int status;
    std::string code;
  };
  std::vector<Case> cases = {
      {"malformed protobuf", post("\x0a\xff\xff\xff\xff garbage", "application/x-protobuf"), 400,
       "malformed_protobuf"},
      {"malformed json", post("{\"events\": [{", "application/json"), 400, "malformed_json"},
      {"bad gzip",
       post("definitely not gzip", "application/x-protobuf", {{"Content-Encoding", "gzip"}}), 400,
       "malformed_gzip"},
      {"gzip bomb",
       post(Gzip(std::string(1 << 20, '\0')), "application/x-protobuf",
            {{"Content-Encoding", "gzip"}}),
       413, "body_too_large"},
      {"body too large", post(std::string(100 * 1024, 'x'), "application/x-protobuf"), 413,
       "body_too_large"},
      {"too many events", post(too_many.SerializeAsString(), "application/x-protobuf"), 413,
       "too_many_events"},
      {"unknown event type", post(unknown_type.SerializeAsString(), "application/x-protobuf"), 400,
       "invalid_event"},
      {"one invalid event", post(one_bad.SerializeAsString(), "application/x-protobuf"), 400,
       "invalid_event"},
      {"unsupported type", post(good.SerializeAsString(), "text/plain"), 415,
       "unsupported_media_type"},
      {"wrong key",
       post(good.SerializeAsString(), "application/x-protobuf", {{"Authorization", "Bearer nope"}}),
       401, "unauthorized"},
      {"missing key",
       post(good.SerializeAsString(), "application/x-protobuf", {{"Authorization", ""}}), 401,
       "unauthorized"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.response.status, c.status) << c.name << ": " << c.response.body;
    const v1::Error error = ParseError(c.response);
    EXPECT_EQ(error.code(), c.code) << c.name;
    EXPECT_FALSE(error.message().empty()) << c.name;
  }
  EXPECT_EQ(ParseError(cases[7].response).event_index(), 6);
  EXPECT_NE(ParseError(cases[6].response).message().find("product_levitated"), std::string::npos);

  // A write key on an admin endpoint.
  auto r = server.Get("/v1/admin/stats", kWriteKey);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ParseError(r).code(), "forbidden");
  EXPECT_EQ(HttpCall(server.port(), "GET", "/v1/batch").status, 405);
  EXPECT_EQ(HttpCall(server.port(), "GET", "/v1/nothing").status, 404);

  // Nothing from any refused batch was stored, and the server still serves.
  EXPECT_EQ(GetStats(server).events, 0);
  EXPECT_EQ(GetStats(server).profiles, 0);
  r = server.PostBatch(good);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(ParseAck(r).stored(), 10u);
  EXPECT_EQ(GetStats(server).events, 10);
}

TEST(IngestHttpTest, ConcurrentClientsAllGetDurableAcks) {
  TestServer server;
  constexpr int kThreads = 8;
  constexpr int kBatches = 10;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        const uint64_t first = static_cast<uint64_t>((t * kBatches + b) * 50);
        auto r = server.PostBatch(ViewBatch(first, 50, "anon-" + std::to_string(t)));
        if (r.status == 200 && ParseAck(r).stored() == 50u) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kBatches);
  EXPECT_EQ(GetStats(server).events, kThreads * kBatches * 50);
  EXPECT_EQ(GetStats(server).profiles, kThreads);
}

TEST(IngestHttpTest, DataAndDedupStateSurviveARestart) {
  testing::TempDir dir;
  ServerConfig config;
  config.db = dir.File("vitrine.db");
  {
    auto app = App::Open(config);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    v1::Batch b = ViewBatch(1, 5, "anon-r");
    v1::Event identify = MakeEvent(99, "identify", "anon-r");
    identify.set_user_id("user-r");
    *b.add_events() = identify;
    ASSERT_TRUE((*app)->ingest().Ingest(b).ok());
  }
  auto app = App::Open(config);
  ASSERT_TRUE(app.ok()) << app.status().ToString();
  auto stats = (*app)->admin().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, 6);
  // Dedup state came back: the retry is a duplicate.
  auto again = (*app)->ingest().Ingest(ViewBatch(1, 5, "anon-r"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->duplicates, 5u);
  // So did the identity graph: the user's new device joins the same profile.
  v1::Batch later;
  v1::Event e = ProductEvent(200, "product_viewed", "anon-r2", "p1");
  e.set_user_id("user-r");
  *later.add_events() = e;
  ASSERT_TRUE((*app)->ingest().Ingest(later).ok());
  EXPECT_EQ((*app)->admin().Stats()->profiles, 1);
}

}  // namespace
}  // namespace vitrine::server
