// The server's SQLite store on a real file: what the services rely on beyond plain reads/writes.
#include "sync_server/storage/sqlite_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "tests/sync_server/test_server.h"

namespace vitrine::server {
namespace {

using testing::ProductEvent;
using testing::TempDir;

TEST(SqliteStoreTest, ReadsGoOnWhileATrainingScanIsInProgress) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("vitrine.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  {
    auto txn = (*store)->BeginWrite();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*txn)->CreateProfile(1, "").ok());
    ASSERT_TRUE((*txn)->LinkAnonymous("shopper", 1).ok());
    for (uint64_t n = 1; n <= 3; ++n) {
      ASSERT_TRUE(
          (*txn)->InsertEvent(ProductEvent(n, "product_viewed", "shopper", "p"), nullptr, 1).ok());
    }
    ASSERT_TRUE((*txn)->Commit().ok());
  }
  // The scan's callback blocks until a concurrent reader has finished: if the scan held the
  // shared reader connection, that read could never finish and the scan would time out.
  std::promise<void> read_done;
  auto read_finished = read_done.get_future();
  std::thread reader;
  int scanned = 0;
  bool read_in_time = false;
  const Status scan = (*store)->ScanEvents([&](int64_t, const v1::Event&) {
    if (scanned++ > 0) return;
    reader = std::thread([&] {
      auto profile = (*store)->FindProfileByAnonymous("shopper");
      auto events = (*store)->ListProfileEvents(1, 10);
      if (profile.ok() && profile->has_value() && events.ok() && events->size() == 3) {
        read_done.set_value();
      }
    });
    read_in_time = read_finished.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  });
  reader.join();
  EXPECT_TRUE(scan.ok()) << scan.ToString();
  EXPECT_EQ(scanned, 3);
  EXPECT_TRUE(read_in_time);
}

TEST(SqliteStoreTest, ModelArtifactsKeepTheNewestVersions) {
  TempDir dir;
  auto store = OpenSqliteStore(dir.File("vitrine.db"));
  ASSERT_TRUE(store.ok());
  auto none = (*store)->LatestModelArtifact();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  for (int v = 1; v <= 4; ++v) {
    ASSERT_TRUE((*store)
                    ->PutModelArtifact("m-" + std::to_string(v), v, "bytes" + std::to_string(v), 2)
                    .ok());
  }
  auto latest = (*store)->LatestModelArtifact();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ(**latest, "bytes4");
  // The same version twice is refused and changes nothing.
  EXPECT_FALSE((*store)->PutModelArtifact("m-4", 5, "other", 2).ok());
  EXPECT_EQ(**(*store)->LatestModelArtifact(), "bytes4");
}

}  // namespace
}  // namespace vitrine::server
