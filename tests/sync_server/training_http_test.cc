// Trained models end to end over a real listener and a real SQLite file: POST /v1/admin/train,
// the snapshot served from the trained model (version, neighbours, frequently bought together),
// a failed training that keeps the old model serving, and a restart that serves the stored one.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <set>
#include <thread>

#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::kWriteKey;
using testing::Line;
using testing::OrderEvent;
using testing::ProductEvent;
using testing::TestServer;

v1::Snapshot GetSnapshot(TestServer& server, const std::string& query) {
  auto r = server.Get("/v1/snapshot?" + query, kWriteKey);
  EXPECT_EQ(r.status, 200) << r.body;
  v1::Snapshot snap;
  EXPECT_TRUE(snap.ParseFromString(r.body));
  return snap;
}

const v1::Neighbours* Find(const google::protobuf::RepeatedPtrField<v1::Neighbours>& lists,
                           const std::string& id) {
  for (const auto& n : lists) {
    if (n.product_id() == id) return &n;
  }
  return nullptr;
}

// Polish is bought with remover (different top categories: complements); shoppers who view the
// polish go on to view the top coat.
void IngestShop(TestServer& server) {
  ASSERT_EQ(server
                .PostJson("/v1/admin/catalog", R"({"items": [
      {"product_id": "polish", "title": "Glossy Nail Polish Red", "category": "Nails/Polish",
       "price_micros": 9000000, "currency": "EUR", "stock": 5},
      {"product_id": "topcoat", "title": "Quick Dry Top Coat", "category": "Nails/Care",
       "price_micros": 7000000, "currency": "EUR", "stock": 5},
      {"product_id": "remover", "title": "Gentle Polish Remover", "category": "Removers",
       "price_micros": 4000000, "currency": "EUR", "stock": 5},
      {"product_id": "soldout", "title": "Nail File", "category": "Tools",
       "price_micros": 3000000, "currency": "EUR", "stock": 0}]})")
                .status,
            200);
  v1::Batch b;
  uint64_t id = 1;
  const int64_t t = 1'767'000'000'000;
  for (int shopper = 0; shopper < 6; ++shopper) {
    const std::string anon = "shopper-" + std::to_string(shopper);
    const int64_t at = t + shopper * 3'600'000;
    *b.add_events() = ProductEvent(id++, "product_viewed", anon, "polish", at);
    *b.add_events() = ProductEvent(id++, "product_viewed", anon, "topcoat", at + 1000);
    *b.add_events() = ProductEvent(id++, "product_viewed", anon, "soldout", at + 2000);
    if (shopper < 4) {
      v1::Event order = OrderEvent(id++, anon, "o-" + std::to_string(shopper), "polish", at + 5000);
      *order.add_products() = Line("remover");
      *b.add_events() = std::move(order);
    } else {
      *b.add_events() =
          OrderEvent(id++, anon, "o-" + std::to_string(shopper), "topcoat", at + 5000);
    }
  }
  *b.add_events() = ProductEvent(id++, "product_viewed", "newcomer", "polish", t + 86'400'000);
  ASSERT_EQ(server.PostBatch(b).status, 200);
}

TrainingStatus WaitForTraining(TestServer& server) {
  // The training runs on its own thread; wait for it to finish (bounded), not for a duration.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (server.app().models().status().running && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return server.app().models().status();
}

TEST(TrainingHttpTest, TrainedModelServesSnapshotsAndSurvivesFailureAndRestart) {
  ServerConfig config;
  config.retrain_interval_s = 0;
  auto server = std::make_unique<TestServer>(config);
  IngestShop(*server);
  // Before any training: the live model's version.
  EXPECT_EQ(GetSnapshot(*server, "anonymous_id=newcomer").model_version(), "popularity-cooc-1");

  auto r = server->PostJson("/v1/admin/train", "");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(server->PostJson("/v1/admin/train", "", kWriteKey).status, 403);  // admin only
  const TrainingStatus done = WaitForTraining(*server);
  ASSERT_FALSE(done.running);
  ASSERT_TRUE(done.last_error.empty()) << done.last_error;
  ASSERT_FALSE(done.version.empty());
  r = server->Get("/v1/admin/train");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"version\":\"" + done.version + "\""), std::string::npos) << r.body;

  v1::Snapshot snap = GetSnapshot(*server, "anonymous_id=newcomer");
  EXPECT_EQ(snap.model_version(), done.version);
  const v1::Neighbours* nb = Find(snap.neighbours(), "polish");
  ASSERT_NE(nb, nullptr);
  ASSERT_GE(nb->items_size(), 2);
  std::set<std::string> near = {nb->items(0).product_id(), nb->items(1).product_id()};
  EXPECT_TRUE(near.count("topcoat") && near.count("remover")) << nb->DebugString();
  const v1::Neighbours* fbt = Find(snap.frequently_bought_together(), "polish");
  ASSERT_NE(fbt, nullptr);
  ASSERT_GE(fbt->items_size(), 1);
  EXPECT_EQ(fbt->items(0).product_id(), "remover");
  // Personal list from the trained model: next items after polish, sold-out ones left out.
  ASSERT_GE(snap.personal_size(), 2);
  std::set<std::string> top = {snap.personal(0).product_id(), snap.personal(1).product_id()};
  EXPECT_TRUE(top.count("topcoat") && top.count("remover")) << snap.DebugString();
  // Viewed with polish as often as the top coat, but out of stock.
  for (const auto& s : snap.personal()) EXPECT_NE(s.product_id(), "soldout");

  // A real storage fault at publish time: the artifact cannot be written.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(server->app().config().db.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER full_disk BEFORE INSERT ON model_artifacts BEGIN "
                           "SELECT RAISE(ABORT, 'database or disk is full'); END;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  const Status failed = server->app().models().TrainNow();
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("disk is full"), std::string::npos) << failed.ToString();
  const TrainingStatus after = server->app().models().status();
  EXPECT_EQ(after.version, done.version);
  EXPECT_EQ(after.failures, 1);
  EXPECT_NE(after.last_error.find("disk is full"), std::string::npos);
  EXPECT_EQ(GetSnapshot(*server, "anonymous_id=newcomer").model_version(), done.version);

  // A fresh App on the same file (what a restart does): the stored model serves at once.
  ServerConfig reopened = config;
  reopened.db = server->app().config().db;
  auto second = App::Open(reopened);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_NE((*second)->models().Current(), nullptr);
  EXPECT_EQ((*second)->models().Current()->version(), done.version);
  (*second)->ingest().Stop();
}

// The registry reads the segments afresh for each training: segment lists appear in the served
// model; a failing segment source only costs the segment lists, never the training.
TEST(TrainingHttpTest, TrainingReadsSegmentsForPerSegmentPopularity) {
  TestServer server;
  IngestShop(server);
  auto profile_of = [&](const std::string& anon) -> int64_t {
    auto id = server.app().store().FindProfileByAnonymous(anon);
    EXPECT_TRUE(id.ok() && id->has_value()) << anon;
    return id.ok() && id->has_value() ? **id : -1;
  };
  const int64_t polish_buyer = profile_of("shopper-0");
  const int64_t topcoat_buyer = profile_of("shopper-5");
  int reads = 0;
  server.app().models().SetSegmentSource([&]() -> StatusOr<std::map<int64_t, std::string>> {
    ++reads;
    return std::map<int64_t, std::string>{{polish_buyer, "seg-001"}, {topcoat_buyer, "seg-002"}};
  });
  ASSERT_TRUE(server.app().models().TrainNow().ok());
  auto model = server.app().models().Current();
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(reads, 1);
  const auto* first = model->SegmentPopular("seg-001");
  const auto* second = model->SegmentPopular("seg-002");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->Get(0).product_id(), "polish");  // bought polish + remover
  EXPECT_EQ(second->Get(0).product_id(), "topcoat");

  server.app().models().SetSegmentSource([]() -> StatusOr<std::map<int64_t, std::string>> {
    return Status(Status::Kind::kUnavailable, "busy", "segments table locked");
  });
  ASSERT_TRUE(server.app().models().TrainNow().ok());
  ASSERT_NE(server.app().models().Current(), nullptr);
  EXPECT_EQ(server.app().models().Current()->artifact().segment_popular_size(), 0);
}

// A shopper with no product history gets popularity in "for you"; in a segment, the segment's
// own favourites lead it. The topcoat buyers (shopper-4, shopper-5) form seg-002; globally polish
// is the bestseller.
TEST(TrainingHttpTest, SnapshotFillPrefersTheSegmentsFavourites) {
  TestServer server;
  IngestShop(server);
  v1::Batch b;
  *b.add_events() = testing::MakeEvent(900, "page_viewed", "seg-newbie", 1'767'100'000'000);
  *b.add_events() = testing::MakeEvent(901, "page_viewed", "loner", 1'767'100'000'000);
  ASSERT_EQ(server.PostBatch(b).status, 200);
  auto profile_of = [&](const std::string& anon) -> int64_t {
    auto id = server.app().store().FindProfileByAnonymous(anon);
    EXPECT_TRUE(id.ok() && id->has_value()) << anon;
    return id.ok() && id->has_value() ? **id : -1;
  };
  const int64_t newbie = profile_of("seg-newbie");
  std::map<int64_t, std::string> segments = {{profile_of("shopper-4"), "seg-002"},
                                             {profile_of("shopper-5"), "seg-002"},
                                             {newbie, "seg-002"}};
  server.app().models().SetSegmentSource(
      [&]() -> StatusOr<std::map<int64_t, std::string>> { return segments; });
  server.app().snapshots().SetProfileDecorator([&](int64_t id, v1::Snapshot& snap) {
    auto it = segments.find(id);
    if (it != segments.end()) snap.add_segment_ids(it->second);
  });
  ASSERT_TRUE(server.app().models().TrainNow().ok());

  const v1::Snapshot in_segment = GetSnapshot(server, "anonymous_id=seg-newbie");
  const v1::Snapshot alone = GetSnapshot(server, "anonymous_id=loner");
  ASSERT_EQ(in_segment.segment_ids_size(), 1);
  ASSERT_GT(in_segment.personal_size(), 1);
  ASSERT_GT(alone.personal_size(), 1);
  EXPECT_EQ(alone.personal(0).product_id(), "polish");
  EXPECT_EQ(in_segment.personal(0).product_id(), "topcoat");
  for (const auto& s : in_segment.personal()) EXPECT_NE(s.product_id(), "soldout");
}

}  // namespace
}  // namespace vitrine::server
