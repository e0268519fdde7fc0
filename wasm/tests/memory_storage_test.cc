// The wasm build's in-memory storage edges keep the contract of storage.h that the native
// SQLite store and mmap journal keep (dedup by event_id, order by seq, byte limits, eviction by
// class then age, journal seal/clear), and a Client reopened on the same data_dir finds its
// queue and state again.
#include "wasm/src/memory_storage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sdk/src/core/storage.h"

namespace vitrine::internal {
namespace {

QueuedEvent Ev(uint64_t seq, EventPriority priority = EventPriority::kBrowsing, size_t bytes = 10,
               int64_t at_ms = 1000) {
  QueuedEvent e;
  e.event_id = "id-" + std::to_string(seq);
  e.seq = seq;
  e.occurred_at_ms = at_ms;
  e.priority = priority;
  e.payload = std::string(bytes, 'p');
  return e;
}

std::vector<uint64_t> Seqs(const std::vector<QueuedEvent>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

TEST(MemoryStoreTest, InsertIgnoresKnownIdsAndReadsOldestFirstWithinLimits) {
  auto store = NewMemoryStore();
  auto added = store->Insert({Ev(3), Ev(1), Ev(2)});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 3u);
  added = store->Insert({Ev(2), Ev(4)});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 1u) << "id-2 is already queued";

  auto two = store->ReadOldest(2, 1 << 20);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(Seqs(*two), (std::vector<uint64_t>{1, 2}));
  auto by_bytes = store->ReadOldest(100, 25);
  ASSERT_TRUE(by_bytes.ok());
  EXPECT_EQ(Seqs(*by_bytes), (std::vector<uint64_t>{1, 2})) << "10 + 10 <= 25 < 30";
  auto at_least_one = store->ReadOldest(100, 1);
  ASSERT_TRUE(at_least_one.ok());
  EXPECT_EQ(Seqs(*at_least_one), (std::vector<uint64_t>{1}));

  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 4u);
  EXPECT_EQ(stats->bytes, 40u);
  EXPECT_EQ(stats->max_seq, 4u);
}

TEST(MemoryStoreTest, ReusedSeqFailsTheWholeInsert) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->Insert({Ev(1)}).ok());
  QueuedEvent clash = Ev(1);
  clash.event_id = "other";
  auto added = store->Insert({Ev(2), clash});
  EXPECT_FALSE(added.ok());
  auto stats = store->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 1u) << "all or nothing, like one SQLite transaction";
}

TEST(MemoryStoreTest, RemoveAndDeadLetterTakeEventsOutOfTheQueue) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->Insert({Ev(1), Ev(2), Ev(3)}).ok());
  auto removed = store->Remove({"id-1", "id-9"});
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);
  ASSERT_TRUE(store->DeadLetter({"id-2"}, "invalid_event").ok());
  auto left = store->ReadOldest(10, 1 << 20);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Seqs(*left), (std::vector<uint64_t>{3}));
  // A dead-lettered id is gone from the queue, so it can be queued again.
  auto added = store->Insert({Ev(2)});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 1u);
}

TEST(MemoryStoreTest, EvictsByClassThenAgeAndNeverOrders) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store
                  ->Insert({Ev(1, EventPriority::kCartIntent), Ev(2, EventPriority::kPageView),
                            Ev(3, EventPriority::kNeverEvict), Ev(4, EventPriority::kPageView),
                            Ev(5, EventPriority::kBrowsing)})
                  .ok());
  auto dropped = store->Evict(30, 0);  // 50 bytes -> 30: the two page views go
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  auto left = store->ReadOldest(10, 1 << 20);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Seqs(*left), (std::vector<uint64_t>{1, 3, 5}));

  dropped = store->Evict(0, 0);  // everything evictable
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 2u);
  left = store->ReadOldest(10, 1 << 20);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Seqs(*left), (std::vector<uint64_t>{3})) << "orders are never evicted";
}

TEST(MemoryStoreTest, AgeEvictionSparesNeverEvict) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store
                  ->Insert({Ev(1, EventPriority::kCartIntent, 10, 100),
                            Ev(2, EventPriority::kNeverEvict, 10, 100),
                            Ev(3, EventPriority::kBrowsing, 10, 5000)})
                  .ok());
  auto dropped = store->Evict(1 << 20, 1000);
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, 1u);
  auto left = store->ReadOldest(10, 1 << 20);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(Seqs(*left), (std::vector<uint64_t>{2, 3}));
}

TEST(MemoryStoreTest, KeyValueWithPrefixDelete) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->Put("cap/a", "1").ok());
  ASSERT_TRUE(store->Put("cap/b", std::string("\x00\xff", 2)).ok());
  ASSERT_TRUE(store->Put("capx", "3").ok());
  auto v = store->Get("cap/b");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, std::string("\x00\xff", 2)) << "values are bytes";
  ASSERT_TRUE(store->DeletePrefix("cap/").ok());
  v = store->Get("cap/a");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
  v = store->Get("capx");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->has_value());
  ASSERT_TRUE(store->Delete("capx").ok());
  v = store->Get("capx");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->has_value());
}

TEST(MemoryJournalTest, SealHandsOverUntilClearedAndFullSegmentIsAnError) {
  auto journal = NewMemoryJournal(25);
  ASSERT_TRUE(journal->Append(Ev(1)).ok());
  ASSERT_TRUE(journal->Append(Ev(2)).ok());
  EXPECT_EQ(journal->Append(Ev(3)).code(), StatusCode::kStorageFull);

  auto sealed = journal->Seal();
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Seqs(*sealed), (std::vector<uint64_t>{1, 2}));
  ASSERT_TRUE(journal->Append(Ev(3)).ok()) << "the active segment is empty again";
  // Not cleared (the store commit failed): the same records come again, nothing new yet.
  sealed = journal->Seal();
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Seqs(*sealed), (std::vector<uint64_t>{1, 2}));
  auto all = journal->ReadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Seqs(*all), (std::vector<uint64_t>{1, 2, 3}));

  ASSERT_TRUE(journal->ClearSealed().ok());
  sealed = journal->Seal();
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(Seqs(*sealed), (std::vector<uint64_t>{3}));
  ASSERT_TRUE(journal->Purge().ok());
  EXPECT_EQ(journal->bytes_used(), 0u);
}

TEST(MemoryStorageRegistryTest, SamePathReopensTheSameState) {
  ResetMemoryStorageRegistry();
  {
    auto store = OpenSqliteStore("/sdk/queue.db");
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Insert({Ev(1)}).ok());
    ASSERT_TRUE((*store)->Put("k", "v").ok());
    auto journal = OpenMmapJournal("/sdk", 1024);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE((*journal)->Append(Ev(2)).ok());
  }
  auto store = OpenSqliteStore("/sdk/queue.db");
  ASSERT_TRUE(store.ok());
  auto stats = (*store)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->count, 1u);
  auto journal = OpenMmapJournal("/sdk", 1024);
  ASSERT_TRUE(journal.ok());
  auto all = (*journal)->ReadAll();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(Seqs(*all), (std::vector<uint64_t>{2}));

  auto other = OpenSqliteStore("/elsewhere/queue.db");
  ASSERT_TRUE(other.ok());
  auto other_stats = (*other)->Stats();
  ASSERT_TRUE(other_stats.ok());
  EXPECT_EQ(other_stats->count, 0u);

  ResetMemoryStorageRegistry();
  auto fresh = OpenSqliteStore("/sdk/queue.db");
  ASSERT_TRUE(fresh.ok());
  auto fresh_stats = (*fresh)->Stats();
  ASSERT_TRUE(fresh_stats.ok());
  EXPECT_EQ(fresh_stats->count, 0u);
  EXPECT_FALSE(OpenMmapJournal("/sdk", 0).ok());
}

}  // namespace
}  // namespace vitrine::internal
