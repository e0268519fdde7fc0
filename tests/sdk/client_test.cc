// vitrine::Client with injected clock, scheduler and an in-process HTTP executor double (no
// network): capture validation, sessions, consent, local serving, in-app messages across a
// restart, and storage faults. The same paths against a real server on loopback live in
// tests/integration/.
#include "vitrine/client.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <mutex>
#include <set>

#include "tests/support/temp_dir.h"
#include "vitrine/testing.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine {
namespace {

using testing::ManualClock;
using testing::ManualScheduler;
using testing::TempDir;

std::string HeaderValue(const std::map<std::string, std::string>& headers, std::string name) {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(k[i])) !=
          std::tolower(static_cast<unsigned char>(name[i]))) {
        same = false;
      }
    }
    if (same) return v;
  }
  return "";
}

// Answers /v1/batch by acking every id and /v1/snapshot with `snapshot`; `down` = no answer.
class FakeServer : public HttpExecutor {
 public:
  HttpResponse Execute(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu);
    ++requests;
    HttpResponse response;
    if (down) {
      response.transport_error = "connection refused (test: server down)";
      return response;
    }
    if (request.url.find("/v1/batch") != std::string::npos) {
      v1::Batch batch;
      if (!batch.ParseFromString(request.body)) {
        response.status = 400;
        return response;
      }
      v1::BatchAck ack;
      for (const auto& e : batch.events()) {
        if (ids.insert(e.event_id()).second) events.push_back(e);
        ack.add_acked_event_ids(e.event_id());
      }
      response.status = 200;
      response.body = ack.SerializeAsString();
      return response;
    }
    if (request.url.find("/v1/snapshot") != std::string::npos) {
      const std::string etag = "\"v" + std::to_string(snapshot_version) + "\"";
      if (HeaderValue(request.headers, "If-None-Match") == etag) {
        response.status = 304;
        return response;
      }
      response.status = 200;
      response.headers["etag"] = etag;
      response.body = snapshot.SerializeAsString();
      ++snapshots_served;
      return response;
    }
    response.status = 404;
    return response;
  }

  std::mutex mu;
  bool down = false;
  int requests = 0;
  int snapshots_served = 0;
  int snapshot_version = 1;
  std::set<std::string> ids;
  std::vector<v1::Event> events;
  v1::Snapshot snapshot;
};

v1::CatalogItem* AddItem(v1::Snapshot& s, const std::string& id, const std::string& category,
                         int stock) {
  auto* item = s.add_catalog();
  item->set_product_id(id);
  item->set_title("Item " + id);
  item->set_price_micros(9'990'000);
  item->set_currency("EUR");
  item->set_category(category);
  item->set_stock(stock);
  return item;
}

void AddNeighbours(v1::Snapshot& s, const std::string& id, std::vector<std::string> others) {
  auto* n = s.add_neighbours();
  n->set_product_id(id);
  float score = 1.0f;
  for (const auto& o : others) {
    auto* item = n->add_items();
    item->set_product_id(o);
    item->set_score(score);
    score *= 0.8f;
  }
}

// 3 categories x 10 items; serum-3's neighbours are the masks; mask-9 is out of stock and
// neighbours mask-8.
v1::Snapshot DemoSnapshot() {
  v1::Snapshot s;
  s.set_model_version("test-1");
  s.set_ttl_seconds(900);
  for (int i = 0; i < 10; ++i) {
    AddItem(s, "serum-" + std::to_string(i), "Skin Care/Serums", 10);
    AddItem(s, "mask-" + std::to_string(i), "Skin Care/Masks", i == 9 ? 0 : 5);
    AddItem(s, "shampoo-" + std::to_string(i), "Hair Care/Shampoo", 7);
  }
  for (int i = 0; i < 10; ++i) {
    auto* p = s.add_popular();
    p->set_product_id("shampoo-" + std::to_string(i));
    p->set_score(static_cast<float>(100 - i));
  }
  AddNeighbours(s, "serum-3", {"mask-9", "mask-1", "mask-2", "mask-3"});
  AddNeighbours(s, "mask-9", {"mask-8", "mask-7"});
  auto* m = s.add_messages();
  m->set_id("cart-reminder");
  m->mutable_trigger()->set_event_type("product_added_to_cart");
  m->mutable_trigger()->set_absent_event_type("checkout_started");
  m->mutable_trigger()->set_absence_ms(30 * 60 * 1000);
  m->set_priority(5);
  m->mutable_cap()->set_max_impressions(1);
  m->mutable_cap()->set_period_ms(24 * 3600 * 1000);
  m->mutable_content()->set_title("Still thinking it over?");
  m->mutable_content()->add_product_ids("serum-1");
  return s;
}

Product P(const std::string& id, double price = 9.99) {
  Product p;
  p.product_id = id;
  p.sku = id + "-sku";
  p.price = price;
  p.currency = "EUR";
  return p;
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.snapshot = DemoSnapshot(); }

  std::unique_ptr<Client> Open() {
    Options options;
    options.data_dir = dir_.path() + "/sdk";
    options.server_url = "http://vitrine.test";
    options.write_key = "wk_test";
    options.compress = false;  // the double reads plain protobuf
    options.random_seed = 7;
    options.journal_bytes = 64 * 1024;
    options.clock = &clock_;
    options.scheduler = &scheduler_;
    options.http = &server_;
    auto client = Client::Open(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  // Runs background work up to now + ms, stepping through every due task.
  void Advance(int64_t ms) {
    const int64_t until = clock_.NowMs() + ms;
    scheduler_.RunDue();
    for (;;) {
      const int64_t next = scheduler_.NextDueMs();
      if (next < 0 || next > until) break;
      clock_.SetMs(std::max(next, clock_.NowMs()));
      scheduler_.RunDue();
    }
    clock_.SetMs(until);
    scheduler_.RunDue();
  }

  std::vector<std::string> Ids(const std::vector<Recommendation>& recs) {
    std::vector<std::string> ids;
    for (const auto& r : recs) ids.push_back(r.product_id);
    return ids;
  }

  TempDir dir_;
  ManualClock clock_;
  ManualScheduler scheduler_{clock_};
  FakeServer server_;
};

TEST_F(ClientTest, InvalidEventsReturnClearErrors) {
  auto client = Open();
  ASSERT_TRUE(client);
  Product no_id = P("");
  Status s = client->ProductViewed(no_id);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("product_id"), std::string::npos) << s.ToString();

  Product bad_currency = P("x");
  bad_currency.currency = "euro";
  s = client->ProductAddedToCart(bad_currency);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ISO 4217"), std::string::npos) << s.ToString();

  Product nan_price = P("x", std::nan(""));
  EXPECT_EQ(client->ProductViewed(nan_price).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->ProductViewed(P("x", -1)).code(), StatusCode::kInvalidArgument);

  EventSpec unknown;
  unknown.type = "product_teleported";
  EXPECT_EQ(client->Track(unknown).code(), StatusCode::kUnknownEvent);
  EventSpec server_side;
  server_side.type = "email_opened";
  EXPECT_EQ(client->Track(server_side).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->SearchSubmitted("").code(), StatusCode::kInvalidArgument);
  Order empty_order;
  empty_order.order_id = "o-1";
  empty_order.currency = "EUR";
  EXPECT_EQ(client->OrderCompleted(empty_order).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client->Identify("", {}).code(), StatusCode::kInvalidArgument);
  Product not_utf8 = P("x");
  not_utf8.name = "Cr\xe8me";  // Latin-1, not UTF-8: would serialize but never parse again
  s = client->ProductViewed(not_utf8);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.ToString();
  Product utf8 = P("x");
  utf8.name =
      "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
      "e \xf0\x9f\x8d\xae";  // UTF-8, with an emoji
  EXPECT_TRUE(client->ProductViewed(utf8).ok());
  auto recs = client->Recommend("home", {}, 1000);
  EXPECT_FALSE(recs.ok());

  // Nothing invalid was queued; the two valid events are.
  EXPECT_TRUE(client->ProductViewed(P("ok")).ok());
  EXPECT_EQ(client->Stats().tracked, 2u);
}

TEST_F(ClientTest, EventsAreStampedAndSynced) {
  auto client = Open();
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->PageViewed("/").ok());
  ASSERT_TRUE(client->ProductViewed(P("serum-1")).ok());
  ASSERT_TRUE(client->Identify("cust-1", {{"email", "a@example.com"}}).ok());
  ASSERT_TRUE(client->ProductAddedToCart(P("serum-1")).ok());
  Advance(1000);
  ASSERT_TRUE(client->Flush().ok());
  Advance(1000);
  ASSERT_EQ(server_.events.size(), 4u);
  uint64_t last_seq = 0;
  for (const auto& e : server_.events) {
    EXPECT_EQ(e.event_id().size(), 16u);
    EXPECT_GT(e.seq(), last_seq);
    last_seq = e.seq();
    EXPECT_EQ(e.anonymous_id(), client->Stats().anonymous_id);
    EXPECT_FALSE(e.session_id().empty());
  }
  EXPECT_EQ(server_.events[0].user_id(), "");
  EXPECT_EQ(server_.events[2].type(), "identify");
  EXPECT_EQ(server_.events[3].user_id(), "cust-1");
  EXPECT_EQ(server_.events[1].products(0).price_micros(), 9'990'000);
  EXPECT_EQ(client->Stats().queued, 0u);
  EXPECT_EQ(client->Stats().acked, 4u);
}

// Track(spec, &event_id) tells the app the id the server receives (the browser package returns
// it from track()), and leaves it alone when the event is refused.
TEST_F(ClientTest, TrackReportsTheEventIdTheServerReceives) {
  auto client = Open();
  ASSERT_TRUE(client);
  EventSpec spec;
  spec.type = "search_submitted";
  spec.query = "serum";
  std::string first;
  std::string second;
  ASSERT_TRUE(client->Track(spec, &first).ok());
  ASSERT_TRUE(client->Track(spec, &second).ok());
  EXPECT_NE(first, second);
  std::string refused = "unchanged";
  spec.type = "not_a_known_event";
  EXPECT_FALSE(client->Track(spec, &refused).ok());
  EXPECT_EQ(refused, "unchanged");
  Advance(1000);
  ASSERT_TRUE(client->Flush().ok());
  Advance(1000);
  ASSERT_EQ(server_.events.size(), 2u);
  auto text = [](const std::string& bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
      out.push_back(kHex[static_cast<unsigned char>(bytes[i]) >> 4]);
      out.push_back(kHex[static_cast<unsigned char>(bytes[i]) & 15]);
    }
    return out;
  };
  EXPECT_EQ(first, text(server_.events[0].event_id()));
  EXPECT_EQ(second, text(server_.events[1].event_id()));
  EXPECT_EQ(first.size(), 36u);
}

// Event ids derive from seq, so the store must know the high-water seq before any event can be
// acked and deleted; otherwise a process killed right after a send would reuse seqs on restart
// and the server would drop the new events as duplicates of the old ids.
TEST_F(ClientTest, HighWaterSeqIsDurableBeforeEventsCanBeDeleted) {
  auto client = Open();
  ASSERT_TRUE(client);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->PageViewed("/p").ok());
  ASSERT_TRUE(client->Flush().ok());
  scheduler_.RunDue();  // the send round only: the periodic persist tick is not due yet
  ASSERT_EQ(server_.events.size(), 5u);
  ASSERT_EQ(client->Stats().queued, 0u) << "acked events are deleted";
  const uint64_t last_seq = server_.events.back().seq();

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/sdk/queue.db").c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(raw, "SELECT value FROM kv WHERE key = 'next_seq'", -1, &stmt, nullptr),
      SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW) << "next_seq must be stored before the send";
  const std::string stored(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  sqlite3_finalize(stmt);
  sqlite3_close(raw);
  EXPECT_GT(std::stoull(stored), last_seq);
}

// The durable high-water seq can still go stale (a restored backup, a browser store rolled back
// by another tab, storage that lost its last write). Event ids also mix fresh random bits per
// open, so the same seq from two opens with the same random_seed never collides at the server.
TEST_F(ClientTest, EventIdsDifferAcrossReopenEvenWithStaleSeq) {
  const auto open_track_three_and_close = [this](const std::string& path) {
    auto client = Open();
    ASSERT_TRUE(client);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(client->PageViewed(path).ok());
    ASSERT_TRUE(client->Flush().ok());
    Advance(1000);
  };
  open_track_three_and_close("/first");
  ASSERT_EQ(server_.events.size(), 3u);
  const uint64_t first_seq = server_.events.front().seq();

  // Roll the stored high-water seq back to before the first open's events.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/sdk/queue.db").c_str(), &raw), SQLITE_OK);
  const std::string rollback =
      "UPDATE kv SET value = '" + std::to_string(first_seq) + "' WHERE key = 'next_seq'";
  ASSERT_EQ(sqlite3_exec(raw, rollback.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_changes(raw), 1) << "next_seq row expected";
  sqlite3_close(raw);

  open_track_three_and_close("/second");
  // The fake server keeps only the first event per id: all six arrived, none was taken for a
  // duplicate, although the seqs of the two opens overlap.
  ASSERT_EQ(server_.events.size(), 6u);
  std::set<uint64_t> seqs;
  for (const auto& e : server_.events) seqs.insert(e.seq());
  EXPECT_LT(seqs.size(), 6u) << "the rollback should have made seqs repeat";
  EXPECT_EQ(server_.events[3].seq(), first_seq);
  EXPECT_NE(server_.events[3].event_id(), server_.events[0].event_id());
}

TEST_F(ClientTest, SessionsSplitAfterInactivityAndIndexPersists) {
  std::string first, second;
  {
    auto client = Open();
    ASSERT_TRUE(client);
    ASSERT_TRUE(client->PageViewed("/a").ok());
    first = client->Stats().session_id;
    clock_.AdvanceMs(29 * 60 * 1000);
    ASSERT_TRUE(client->PageViewed("/b").ok());
    EXPECT_EQ(client->Stats().session_id, first);
    clock_.AdvanceMs(31 * 60 * 1000);
    ASSERT_TRUE(client->PageViewed("/c").ok());
    second = client->Stats().session_id;
    EXPECT_NE(second, first);
  }
  auto reopened = Open();
  ASSERT_TRUE(reopened);
  ASSERT_TRUE(reopened->PageViewed("/d").ok());  // within 30 min: same session after restart
  EXPECT_EQ(reopened->Stats().session_id, second);
  clock_.AdvanceMs(31 * 60 * 1000);
  ASSERT_TRUE(reopened->PageViewed("/e").ok());
  EXPECT_NE(reopened->Stats().session_id, second);
  EXPECT_NE(reopened->Stats().session_id, first);
}

TEST_F(ClientTest, OptOutStopsCaptureAndPurgesQueue) {
  auto client = Open();
  ASSERT_TRUE(client);
  server_.down = true;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->PageViewed("/p").ok());
  Advance(500);
  ASSERT_TRUE(client->SetConsent(false).ok());
  EXPECT_EQ(client->PageViewed("/q").code(), StatusCode::kConsentDenied);
  Advance(500);
  // Only the consent change itself remains queued.
  EXPECT_EQ(client->Stats().queued, 1u);
  server_.down = false;
  ASSERT_TRUE(client->Flush().ok());
  Advance(1000);
  ASSERT_EQ(server_.events.size(), 1u);
  EXPECT_EQ(server_.events[0].type(), "consent_updated");
  EXPECT_EQ(server_.events[0].properties().at("granted"), "false");
}

TEST_F(ClientTest, DeletionPurgesLocalStateAndReachesServer) {
  auto client = Open();
  ASSERT_TRUE(client);
  Advance(100);  // snapshot arrives
  ASSERT_TRUE(client->Identify("cust-9", {}).ok());
  const std::string old_anonymous = client->Stats().anonymous_id;
  server_.down = true;
  ASSERT_TRUE(client->ProductViewed(P("serum-1")).ok());
  Advance(500);
  ASSERT_TRUE(client->RequestDeletion().ok());
  EXPECT_NE(client->Stats().anonymous_id, old_anonymous);
  EXPECT_EQ(client->Stats().user_id, "");
  server_.down = false;
  ASSERT_TRUE(client->Flush().ok());
  Advance(60'000);
  ASSERT_FALSE(server_.events.empty());
  const auto& last = server_.events.back();
  EXPECT_EQ(last.type(), "deletion_requested");
  EXPECT_EQ(last.anonymous_id(), old_anonymous);
  EXPECT_EQ(last.user_id(), "cust-9");
  for (const auto& e : server_.events) EXPECT_NE(e.type(), "product_viewed");  // purged unsent
}

TEST_F(ClientTest, RecommendReactsToSessionAndExcludesCartBoughtOutOfStockOffline) {
  auto client = Open();
  ASSERT_TRUE(client);
  Advance(100);         // first snapshot
  server_.down = true;  // everything below is served locally

  auto before = client->Recommend("home", {}, 5);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_FALSE(before->empty());
  EXPECT_EQ(before->front().product_id, "shampoo-0");  // popularity before any session signal

  ASSERT_TRUE(client->ProductViewed(P("serum-3")).ok());
  auto after = client->Recommend("home", {}, 5);
  ASSERT_TRUE(after.ok());
  auto ids = Ids(*after);
  // serum-3's neighbours now lead; mask-9 is out of stock and replaced by its in-stock neighbour.
  EXPECT_EQ(ids.front(), "mask-8") << ::testing::PrintToString(ids);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "mask-9"), 0);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "mask-1"), ids.end());

  Order order;
  order.order_id = "o-1";
  order.value = 9.99;
  order.currency = "EUR";
  order.products = {P("mask-2")};
  ASSERT_TRUE(client->OrderCompleted(order).ok());  // checkout empties the cart
  ASSERT_TRUE(client->ProductAddedToCart(P("mask-1")).ok());
  auto similar = client->Recommend("product_page", {.product_id = "serum-3", .category = ""}, 10);
  ASSERT_TRUE(similar.ok());
  ids = Ids(*similar);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "mask-1"), 0) << "in cart";
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "mask-2"), 0) << "already bought";
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "mask-9"), 0) << "out of stock";
  EXPECT_EQ(std::count(ids.begin(), ids.end(), "serum-3"), 0) << "the context item itself";
  EXPECT_NE(std::find(ids.begin(), ids.end(), "mask-3"), ids.end());
  EXPECT_GT(server_.requests, 0);
}

TEST_F(ClientTest, AbsenceTriggeredMessageFiresOnceAndCapHoldsAcrossRestart) {
  {
    auto client = Open();
    ASSERT_TRUE(client);
    Advance(100);
    ASSERT_TRUE(client->ProductAddedToCart(P("serum-1")).ok());
    Advance(29 * 60 * 1000);
    EXPECT_TRUE(client->PendingMessages().empty()) << "too early";
    Advance(2 * 60 * 1000);
    auto due = client->PendingMessages();
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].message_id, "cart-reminder");
    EXPECT_EQ(due[0].title, "Still thinking it over?");
    ASSERT_EQ(due[0].products.size(), 1u);
    EXPECT_EQ(due[0].products[0].product_id, "serum-1");
    ASSERT_TRUE(client->MessageViewed("cart-reminder").ok());
  }
  {
    auto client = Open();  // restart: the cap (1 per 24 h) must still hold
    ASSERT_TRUE(client);
    Advance(100);
    ASSERT_TRUE(client->ProductAddedToCart(P("serum-2")).ok());
    Advance(31 * 60 * 1000);
    EXPECT_TRUE(client->PendingMessages().empty()) << "cap must survive the restart";
    // A checkout before the window ends cancels; after the cap period it fires again.
    Advance(24 * 3600 * 1000);
    ASSERT_TRUE(client->ProductAddedToCart(P("serum-2")).ok());
    Advance(10 * 60 * 1000);
    ASSERT_TRUE(client->CheckoutStarted({P("serum-2")}).ok());
    Advance(25 * 60 * 1000);
    EXPECT_TRUE(client->PendingMessages().empty()) << "checkout cancels the reminder";
    ASSERT_TRUE(client->ProductAddedToCart(P("serum-4")).ok());
    Advance(31 * 60 * 1000);
    EXPECT_EQ(client->PendingMessages().size(), 1u);
  }
}

TEST_F(ClientTest, SnapshotRevalidatesWithEtag) {
  auto client = Open();
  ASSERT_TRUE(client);
  Advance(100);
  EXPECT_EQ(server_.snapshots_served, 1);
  EXPECT_EQ(client->Stats().snapshot_etag, "\"v1\"");
  Advance(901 * 1000);  // TTL: revalidated, 304, nothing re-downloaded
  EXPECT_EQ(server_.snapshots_served, 1);
  server_.snapshot_version = 2;
  client->OnForeground();
  Advance(100);
  EXPECT_EQ(server_.snapshots_served, 2);
  EXPECT_EQ(client->Stats().snapshot_etag, "\"v2\"");
}

TEST_F(ClientTest, LockedDatabaseIsAnErrorValueAndNothingIsLost) {
  auto client = Open();
  ASSERT_TRUE(client);
  server_.down = true;
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/sdk/queue.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  int ok = 0;
  Status failure;
  for (int i = 0; i < 5000; ++i) {
    Status s = client->ProductViewed(P("serum-" + std::to_string(i % 10)));
    if (!s.ok()) {
      failure = s;
      break;
    }
    ++ok;
  }
  EXPECT_FALSE(failure.ok()) << "a 64 KiB journal cannot hold 5000 events";
  EXPECT_EQ(failure.code(), StatusCode::kStorageBusy) << failure.ToString();
  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);
  Advance(1000);  // the persist task drains the journal now that the lock is gone
  EXPECT_TRUE(client->ProductViewed(P("serum-1")).ok());
  Advance(1000);
  EXPECT_EQ(client->Stats().queued, static_cast<uint64_t>(ok + 1));
}

TEST_F(ClientTest, DiskFullIsAnErrorValueNotACrash) {
  // A child process with a small file-size limit: growing any file past it fails with EFBIG
  // (SIGXFSZ ignored), which is what a full disk looks like to the SDK.
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{256 * 1024, 256 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    auto client = Open();
    if (!client) _exit(10);
    Status failure;
    for (int i = 0; i < 200000 && failure.ok(); ++i) {
      Product p = P("product-with-a-long-identifier-" + std::to_string(i));
      p.name = std::string(200, 'n');
      failure = client->ProductViewed(p);
    }
    if (failure.ok()) _exit(11);
    if (failure.code() != StatusCode::kStorageFull && failure.code() != StatusCode::kStorageError) {
      _exit(12);
    }
    client.reset();
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child crashed (signal " << WTERMSIG(status) << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace vitrine
