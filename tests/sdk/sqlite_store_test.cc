// The native SQLite store on real files: queue order and limits, dedup, dead letters, eviction
// order and age rule, key-value state, and the failure modes a host app must survive (database
// full, database locked by another connection).
#include "sdk/src/platform/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sdk/src/core/storage.h"
#include "tests/support/temp_dir.h"

namespace vitrine::internal {
namespace {

QueuedEvent MakeEvent(uint64_t seq, EventPriority priority = EventPriority::kBrowsing,
                      size_t payload_bytes = 100, int64_t occurred_at_ms = 0) {
  QueuedEvent e;
  e.event_id = "id-" + std::to_string(seq);
  e.event_id.resize(16, '\0');
  e.seq = seq;
  e.occurred_at_ms = occurred_at_ms != 0 ? occurred_at_ms : 1'000'000 + static_cast<int64_t>(seq);
  e.priority = priority;
  e.payload = std::string(payload_bytes, static_cast<char>('a' + seq % 26));
  return e;
}

std::vector<uint64_t> Seqs(const std::vector<QueuedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

std::unique_ptr<Store> Open(const std::string& path, SqliteStoreOptions options = {}) {
  auto s = OpenSqliteStore(path, options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<QueuedEvent> AllQueued(Store& store) {
  auto all = store.ReadOldest(1'000'000, SIZE_MAX);
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  return all.ok() ? *all : std::vector<QueuedEvent>{};
}

// A second, independent connection: what another process holding the database looks like.
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawConnection() { sqlite3_close(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  int64_t Count(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteStoreTest, InsertReadRoundTripKeepsEveryFieldInSeqOrder) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  QueuedEvent binary = MakeEvent(3, EventPriority::kNeverEvict, 50);
  binary.payload[10] = '\0';
  binary.event_id[0] = '\xff';
  auto added = store->Insert({MakeEvent(5), binary, MakeEvent(4, EventPriority::kPageView, 0)});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, 3u);
  auto all = AllQueued(*store);
  ASSERT_EQ(Seqs(all), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(all[0].event_id, binary.event_id);
  EXPECT_EQ(all[0].payload, binary.payload);
  EXPECT_EQ(all[0].priority, EventPriority::kNeverEvict);
  EXPECT_EQ(all[0].occurred_at_ms, binary.occurred_at_ms);
  EXPECT_EQ(all[1].payload, "");
  EXPECT_EQ(all[1].priority, EventPriority::kPageView);
}

TEST(SqliteStoreTest, ReinsertingTheSameIdsIsANoOp) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(*store->Insert({MakeEvent(1), MakeEvent(2)}), 2u);
  QueuedEvent changed = MakeEvent(2);
  changed.payload = "different";
  auto again = store->Insert({MakeEvent(1), changed, MakeEvent(3)});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1u);
  auto all = AllQueued(*store);
  ASSERT_EQ(Seqs(all), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(all[1].payload, MakeEvent(2).payload);  // the first copy wins
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 3u);
  EXPECT_EQ(stats->bytes, 300u);
}

TEST(SqliteStoreTest, ADifferentEventReusingASeqIsAnErrorNotASilentDrop) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(*store->Insert({MakeEvent(1)}), 1u);
  QueuedEvent clash = MakeEvent(2);
  clash.seq = 1;
  auto result = store->Insert({MakeEvent(3), clash});
  if (result.ok()) {
    // A schema that keys rows by event_id alone keeps both events.
    EXPECT_EQ(*result, 2u);
    EXPECT_EQ(AllQueued(*store).size(), 3u);
  } else {
    EXPECT_EQ(result.status().code(), StatusCode::kStorageError) << result.status().ToString();
    // The whole batch was rolled back; nothing half-inserted.
    EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{1}));
    EXPECT_EQ(store->Stats()->count, 1u);
  }
}

TEST(SqliteStoreTest, ReadOldestHonoursCountAndByteLimits) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  std::vector<QueuedEvent> events;
  for (uint64_t i = 1; i <= 10; ++i) events.push_back(MakeEvent(i));
  ASSERT_TRUE(store->Insert(events).ok());
  EXPECT_EQ(Seqs(*store->ReadOldest(3, SIZE_MAX)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(Seqs(*store->ReadOldest(100, 250)), (std::vector<uint64_t>{1, 2}));
  // One event is returned even when it alone is larger than max_bytes.
  EXPECT_EQ(Seqs(*store->ReadOldest(100, 10)), (std::vector<uint64_t>{1}));
  EXPECT_TRUE(store->ReadOldest(0, SIZE_MAX)->empty());
}

TEST(SqliteStoreTest, RemoveDeletesOnlyTheGivenIdsAndSurvivesReopen) {
  testing::TempDir dir;
  {
    auto store = Open(dir.File("queue.db"));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Insert({MakeEvent(1), MakeEvent(2), MakeEvent(3)}).ok());
    auto removed = store->Remove({MakeEvent(1).event_id, MakeEvent(3).event_id, "unknown"});
    ASSERT_TRUE(removed.ok());
    EXPECT_EQ(*removed, 2u);
  }
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{2}));
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 1u);
  EXPECT_EQ(stats->bytes, 100u);
  EXPECT_EQ(stats->max_seq, 2u);
  EXPECT_EQ(stats->max_occurred_at_ms, MakeEvent(2).occurred_at_ms);
}

TEST(SqliteStoreTest, DeadLetterMovesEventsOutOfTheQueueWithAReason) {
  testing::TempDir dir;
  const std::string path = dir.File("queue.db");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert({MakeEvent(1), MakeEvent(2)}).ok());
  ASSERT_TRUE(store->DeadLetter({MakeEvent(1).event_id}, "schema: missing product_id").ok());
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{2}));
  EXPECT_EQ(store->Stats()->count, 1u);
  RawConnection raw(path);
  EXPECT_EQ(raw.Count("SELECT COUNT(*) FROM dead_letter WHERE reason = "
                      "'schema: missing product_id' AND seq = 1"),
            1);
}

TEST(SqliteStoreTest, EvictionDropsPageViewsFirstAndNeverOrders) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  // Interleaved classes; each payload is 100 bytes.
  ASSERT_TRUE(store
                  ->Insert({MakeEvent(1, EventPriority::kNeverEvict),
                            MakeEvent(2, EventPriority::kCartIntent),
                            MakeEvent(3, EventPriority::kPageView),
                            MakeEvent(4, EventPriority::kProductInterest),
                            MakeEvent(5, EventPriority::kPageView),
                            MakeEvent(6, EventPriority::kNeverEvict),
                            MakeEvent(7, EventPriority::kBrowsing)})
                  .ok());
  // 700 bytes, bound 450: page views 3 and 5, then browsing 7 go.
  auto dropped = store->Evict(450, 0);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 3u);
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{1, 2, 4, 6}));
  // A bound below what orders alone take: everything evictable goes, orders stay.
  ASSERT_EQ(*store->Evict(0, 0), 2u);
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{1, 6}));
  EXPECT_EQ(store->Stats()->bytes, 200u);
}

TEST(SqliteStoreTest, EvictionOldestFirstWithinAClass) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(
      store
          ->Insert({MakeEvent(3, EventPriority::kPageView), MakeEvent(1, EventPriority::kPageView),
                    MakeEvent(2, EventPriority::kPageView)})
          .ok());
  ASSERT_EQ(*store->Evict(200, 0), 1u);
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{2, 3}));
}

TEST(SqliteStoreTest, AgeRuleDropsOldEventsExceptNeverEvict) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store
                  ->Insert({MakeEvent(1, EventPriority::kNeverEvict, 100, 1000),
                            MakeEvent(2, EventPriority::kCartIntent, 100, 1000),
                            MakeEvent(3, EventPriority::kPageView, 100, 5000),
                            MakeEvent(4, EventPriority::kBrowsing, 100, 999)})
                  .ok());
  auto dropped = store->Evict(UINT64_MAX, 2000);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(store->Stats()->count, 2u);
}

TEST(SqliteStoreTest, PurgeQueueEmptiesQueueAndDeadLettersButKeepsKv) {
  testing::TempDir dir;
  const std::string path = dir.File("queue.db");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert({MakeEvent(1), MakeEvent(2)}).ok());
  ASSERT_TRUE(store->DeadLetter({MakeEvent(1).event_id}, "x").ok());
  ASSERT_TRUE(store->Put("anonymous_id", "a-1").ok());
  ASSERT_TRUE(store->PurgeQueue().ok());
  EXPECT_TRUE(AllQueued(*store).empty());
  EXPECT_EQ(store->Stats()->count, 0u);
  EXPECT_EQ(store->Stats()->max_seq, 0u);
  EXPECT_EQ(**store->Get("anonymous_id"), "a-1");
  RawConnection raw(path);
  EXPECT_EQ(raw.Count("SELECT COUNT(*) FROM dead_letter"), 0);
}

TEST(SqliteStoreTest, KeyValueGetPutDeleteAndPrefix) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  auto missing = store->Get("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(store->Put("snapshot", std::string("\0bin\xff", 5)).ok());
  ASSERT_TRUE(store->Put("snapshot", std::string("v2\0", 3)).ok());
  EXPECT_EQ(**store->Get("snapshot"), std::string("v2\0", 3));
  ASSERT_TRUE(store->Put("empty", "").ok());
  auto empty = store->Get("empty");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ(**empty, "");
  ASSERT_TRUE(store->Put("cap/m1", "1").ok());
  ASSERT_TRUE(store->Put("cap/m2", "2").ok());
  ASSERT_TRUE(store->Put("cap%", "not a wildcard").ok());
  ASSERT_TRUE(store->Put("ca", "shorter").ok());
  ASSERT_TRUE(store->DeletePrefix("cap/").ok());
  EXPECT_FALSE(store->Get("cap/m1")->has_value());
  EXPECT_FALSE(store->Get("cap/m2")->has_value());
  EXPECT_TRUE(store->Get("cap%")->has_value());
  EXPECT_TRUE(store->Get("ca")->has_value());
  ASSERT_TRUE(store->Delete("snapshot").ok());
  EXPECT_FALSE(store->Get("snapshot")->has_value());
  EXPECT_TRUE(store->Delete("snapshot").ok());  // deleting a missing key is fine
}

TEST(SqliteStoreTest, DatabaseFullIsStorageFullAndTheStoreStaysUsable) {
  testing::TempDir dir;
  SqliteStoreOptions options;
  options.max_page_count = 64;  // 256 KiB with 4 KiB pages
  auto store = Open(dir.File("queue.db"), options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Insert({MakeEvent(1), MakeEvent(2)}).ok());
  std::vector<QueuedEvent> big;
  for (uint64_t i = 100; i < 1100; ++i) big.push_back(MakeEvent(i, EventPriority::kBrowsing, 1000));
  auto full = store->Insert(big);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kStorageFull) << full.status().ToString();
  EXPECT_NE(full.status().message().find("full"), std::string::npos);
  // The failed batch was rolled back as a whole; the store still reads, writes and deletes.
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(store->Stats()->count, 2u);
  EXPECT_EQ(*store->Insert({MakeEvent(3)}), 1u);
  EXPECT_EQ(*store->Remove({MakeEvent(1).event_id}), 1u);
  EXPECT_TRUE(store->Put("k", "v").ok());
  EXPECT_EQ(Seqs(AllQueued(*store)), (std::vector<uint64_t>{2, 3}));
}

TEST(SqliteStoreTest, LockedDatabaseIsStorageBusyQuicklyAndWorksAfterCommit) {
  testing::TempDir dir;
  const std::string path = dir.File("queue.db");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("k", "v0").ok());
  RawConnection other(path);
  ASSERT_EQ(other.Exec("BEGIN EXCLUSIVE"), SQLITE_OK);
  ASSERT_EQ(other.Exec("INSERT INTO kv(key, value) VALUES('other', x'00')"), SQLITE_OK);

  const auto start = std::chrono::steady_clock::now();
  auto inserted = store->Insert({MakeEvent(1)});
  Status put = store->Put("k", "v1");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(inserted.ok());
  EXPECT_EQ(inserted.status().code(), StatusCode::kStorageBusy) << inserted.status().ToString();
  EXPECT_NE(inserted.status().message().find("locked"), std::string::npos);
  EXPECT_EQ(put.code(), StatusCode::kStorageBusy) << put.ToString();
  // Two calls with a 100 ms busy timeout each; a hang would be far longer.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // Reads still work in WAL mode while the writer holds its lock.
  EXPECT_EQ(**store->Get("k"), "v0");

  ASSERT_EQ(other.Exec("COMMIT"), SQLITE_OK);
  EXPECT_EQ(*store->Insert({MakeEvent(1)}), 1u);
  EXPECT_TRUE(store->Put("k", "v1").ok());
  EXPECT_EQ(**store->Get("k"), "v1");
  EXPECT_EQ(store->Stats()->count, 1u);
}

TEST(SqliteStoreTest, UsesWalMode) {
  testing::TempDir dir;
  const std::string path = dir.File("queue.db");
  auto store = Open(path);
  ASSERT_NE(store, nullptr);
  sqlite3* probe = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &probe), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(probe, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(probe);
}

TEST(SqliteStoreTest, UnopenablePathIsAnErrorValue) {
  testing::TempDir dir;
  auto store = OpenSqliteStore(dir.File("missing-dir/queue.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kStorageError);
}

TEST(SqliteStoreTest, FileThatIsNotADatabaseIsAnErrorValue) {
  testing::TempDir dir;
  const std::string path = dir.File("queue.db");
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string junk(8192, 'J');
    ASSERT_EQ(std::fwrite(junk.data(), 1, junk.size(), f), junk.size());
    std::fclose(f);
  }
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kStorageError) << store.status().ToString();
  EXPECT_NE(store.status().message().find("sqlite"), std::string::npos);
}

TEST(SqliteStoreTest, InsertThroughputOfThousandRowBatches) {
  testing::TempDir dir;
  auto store = Open(dir.File("queue.db"));
  ASSERT_NE(store, nullptr);
  constexpr int kBatches = 20;
  std::vector<std::vector<QueuedEvent>> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    for (uint64_t i = 0; i < 1000; ++i) {
      batches[static_cast<size_t>(b)].push_back(
          MakeEvent(static_cast<uint64_t>(b) * 1000 + i, EventPriority::kBrowsing, 150));
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& batch : batches) ASSERT_EQ(*store->Insert(batch), 1000u);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sqlite insert: %.0f rows/s\n", kBatches * 1000 / secs);
  EXPECT_EQ(store->Stats()->count, static_cast<uint64_t>(kBatches) * 1000);
}

}  // namespace
}  // namespace vitrine::internal
