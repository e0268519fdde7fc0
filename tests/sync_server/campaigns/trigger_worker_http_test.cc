// Must-show 4 inside the running server: events posted to /v1/batch reach the trigger worker
// (a scan of the events table past its high-water mark), what fires is mailed to a real SMTP
// server (aiosmtpd) through the campaigns' path, the exit on order holds, and the global cap
// and quiet hours hold back a second trigger. Time is injected: Tick(now) with explicit times.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>

#include "sync_server/campaigns/trigger_worker.h"
#include "tests/sync_server/campaigns/smtp_sink.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server::campaigns {
namespace {

using server::testing::TestServer;
using testing::PythonWithAiosmtpd;
using testing::ReadFile;
using testing::SmtpSink;
using ::vitrine::testing::TempDir;

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT0 = 1'768'471'200'000;  // 2026-01-15 10:00 UTC (outside quiet hours)

std::vector<std::string> Recipients(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".rcpt") continue;
    std::string r = ReadFile(e.path().string());
    while (!r.empty() && r.back() == '\n') r.pop_back();
    out.push_back(r);
  }
  return out;
}

std::vector<std::string> Messages(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".eml") out.push_back(ReadFile(e.path().string()));
  }
  return out;
}

v1::Event UserEvent(uint64_t n, const std::string& type, const std::string& user,
                    const std::string& product, int64_t at) {
  v1::Event e = product.empty()
                    ? server::testing::MakeEvent(n, type, "anon-" + user, at)
                    : server::testing::ProductEvent(n, type, "anon-" + user, product, at);
  e.set_user_id(user);
  return e;
}

TEST(TriggerWorkerHttpTest, FiresAfterDelayHonoursExitsCapAndQuietHours) {
  const std::string python = PythonWithAiosmtpd();
  if (python.empty()) GTEST_SKIP() << "python3 with aiosmtpd (python3-aiosmtpd) not found";
  TempDir dir;
  const std::string inbox = dir.File("inbox");
  std::filesystem::create_directories(inbox);
  SmtpSink sink(python, inbox, {});
  ASSERT_NE(sink.port(), 0);

  ServerConfig config;
  config.smtp_url = sink.url();
  config.smtp_from = "news@shop.example";
  config.smtp_starttls = "off";
  config.smtp_rate = 0;
  config.tracking_url = "https://t.shop.example/t";
  config.email_triggers = true;
  config.trigger_cap_hours = 16;
  TestServer server(config);
  TriggerWorker* worker = server.app().triggers();
  ASSERT_NE(worker, nullptr);

  std::string items;
  for (int i = 0; i < 4; ++i) {
    items +=
        std::string(i ? "," : "") + "{\"product_id\":\"c" + std::to_string(i) +
        "\",\"title\":\"Cream " + std::to_string(i) +
        "\",\"price_micros\":\"9000000\",\"currency\":\"EUR\",\"url\":\"https://shop.example/p/c" +
        std::to_string(i) + "\",\"category\":\"Skin Care/Creams\",\"stock\":3}";
  }
  ASSERT_EQ(server.PostJson("/v1/admin/catalog", "{\"items\":[" + items + "]}").status, 200);
  for (const char* user : {"ua", "ub"}) {
    const std::string body = std::string("{\"anonymous_id\":\"anon-") + user + "\",\"user_id\":\"" +
                             user + "\",\"traits\":{\"email\":\"" + user + "@mail.test\"}}";
    ASSERT_EQ(server.PostJson("/v1/identify", body, server::testing::kWriteKey).status, 200);
  }
  // The first tick sets the high-water mark at the newest stored event: history is not mailed.
  auto baseline = worker->Tick(kT0 - 1);
  ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
  EXPECT_EQ(baseline->activities, 0);

  // ua leaves c0 in the cart; ub carts c1 then orders (exit); uc (no email) browses c2.
  v1::Batch batch;
  *batch.add_events() = UserEvent(1, "product_added_to_cart", "ua", "c0", kT0);
  *batch.add_events() = UserEvent(2, "product_added_to_cart", "ub", "c1", kT0);
  v1::Event order = UserEvent(3, "order_completed", "ub", "c1", kT0 + kHour / 2);
  order.mutable_order()->set_order_id("o-1");
  order.mutable_order()->set_value_micros(9'000'000);
  order.mutable_order()->set_currency("EUR");
  *batch.add_events() = order;
  *batch.add_events() = UserEvent(4, "product_viewed", "uc", "c2", kT0);
  ASSERT_EQ(server.PostBatch(batch).status, 200);

  auto tick = worker->Tick(kT0 + kHour - 1);  // before the 1 h delay
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  EXPECT_EQ(tick->events, 4);
  EXPECT_EQ(tick->activities, 4);
  EXPECT_EQ(tick->fired, 0);
  EXPECT_TRUE(Recipients(inbox).empty());

  tick = worker->Tick(kT0 + kHour);  // due: ua's cart; ub ordered, so nothing for ub
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick->fired, 1);
  EXPECT_EQ(tick->sent, 1);
  ASSERT_EQ(Recipients(inbox), std::vector<std::string>{"ua@mail.test"});
  const std::string mail = Messages(inbox).front();
  EXPECT_NE(mail.find("Cream 0"), std::string::npos);  // the cart item is the feed
  EXPECT_NE(mail.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), std::string::npos);
  auto sends = server.app().campaign_store().ListSends("trg-abandoned_cart-20260115");
  ASSERT_TRUE(sends.ok());
  ASSERT_EQ(sends->size(), 1u);
  EXPECT_EQ((*sends)[0].recipient_id, "ua");
  EXPECT_EQ((*sends)[0].status, SendStatus::kSent);
  EXPECT_EQ((*sends)[0].feed, std::vector<std::string>{"c0"});

  // ua browses c3 at 11:30: browse abandonment is due at 15:30, but the 16 h cap runs until
  // 03:00 and quiet hours (21:00-09:00) until 09:00 the next day.
  v1::Batch later;
  *later.add_events() = UserEvent(5, "product_viewed", "ua", "c3", kT0 + 3 * kHour / 2);
  ASSERT_EQ(server.PostBatch(later).status, 200);
  tick = worker->Tick(kT0 + 6 * kHour);  // 16:00: uc's browse fires but uc has no email
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick->fired, 1);
  EXPECT_EQ(tick->sent, 0);
  EXPECT_EQ(tick->skipped, 1);
  tick = worker->Tick(kT0 + 17 * kHour + kHour / 2);  // 03:30: cap over, quiet hours
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick->fired, 0);
  EXPECT_EQ(Recipients(inbox).size(), 1u);
  tick = worker->Tick(kT0 + 23 * kHour + kHour / 2);  // 09:30 next day
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick->fired, 1);
  EXPECT_EQ(tick->sent, 1);
  const auto all = Recipients(inbox);
  EXPECT_EQ(all, (std::vector<std::string>{"ua@mail.test", "ua@mail.test"}));
  auto browse = server.app().campaign_store().ListSends("trg-browse_abandonment-20260116");
  ASSERT_TRUE(browse.ok());
  EXPECT_EQ(browse->size(), 1u);
}

TEST(TriggerWorkerHttpTest, MarkSurvivesRestartAndHistoryIsNotMailed) {
  ServerConfig config;
  config.email_triggers = true;
  TestServer server(config);
  // History before the worker's first tick.
  v1::Batch history;
  *history.add_events() = UserEvent(1, "product_added_to_cart", "old", "c0", kT0);
  ASSERT_EQ(server.PostBatch(history).status, 200);
  auto first = server.app().triggers()->Tick(kT0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->events, 0);
  v1::Batch fresh;
  *fresh.add_events() = UserEvent(2, "product_viewed", "new", "c1", kT0);
  ASSERT_EQ(server.PostBatch(fresh).status, 200);

  // A second worker over the same file (a restart) resumes after the saved mark.
  auto tail = EventTail::Open(server.app().config().db);
  ASSERT_TRUE(tail.ok());
  auto mark = (*tail)->LoadMark();
  ASSERT_TRUE(mark.ok());
  ASSERT_TRUE(mark->has_value());
  TriggerWorkerOptions options;
  options.definitions = DefaultTriggerDefinitions();
  TriggerWorker::Deps deps;
  deps.tail = tail->get();
  deps.campaigns = &server.app().campaigns();
  deps.user_of = [](int64_t) -> StatusOr<std::string> { return std::string(); };
  deps.catalog = [] {
    return StatusOr<std::vector<vitrine::v1::CatalogItem>>(std::vector<vitrine::v1::CatalogItem>());
  };
  deps.clock = [] { return kT0; };
  auto restarted = TriggerWorker::Create(options, deps);
  ASSERT_TRUE(restarted.ok());
  auto tick = (*restarted)->Tick(kT0 + 1);
  ASSERT_TRUE(tick.ok());
  EXPECT_EQ(tick->events, 1);  // only the fresh event
  EXPECT_EQ(tick->activities, 1);
  EXPECT_EQ((*restarted)->engine().pending(), 1u);  // "new" entered browse abandonment
}

// A real restart (the App closed and opened again on the same file, one injected clock): the
// new worker rebuilds the global cap from the stored trigger sends and the pending entries from
// the events it had already read, so a customer mailed before the restart is held back for the
// cap window and a cart armed before the restart is mailed once, on time.
TEST(TriggerWorkerHttpTest, RestartKeepsTheCapAndPendingEntries) {
  const std::string python = PythonWithAiosmtpd();
  if (python.empty()) GTEST_SKIP() << "python3 with aiosmtpd (python3-aiosmtpd) not found";
  TempDir dir;
  const std::string inbox = dir.File("inbox");
  std::filesystem::create_directories(inbox);
  SmtpSink sink(python, inbox, {});
  ASSERT_NE(sink.port(), 0);

  ServerConfig config;
  config.db = dir.File("vitrine.db");
  config.write_key = server::testing::kWriteKey;
  config.admin_key = server::testing::kAdminKey;
  config.access_log = false;
  config.smtp_url = sink.url();
  config.smtp_from = "news@shop.example";
  config.smtp_starttls = "off";
  config.smtp_rate = 0;
  config.tracking_url = "https://t.shop.example/t";
  config.email_triggers = true;
  config.trigger_cap_hours = 16;
  std::atomic<int64_t> now{kT0 - 1};
  const App::Clock clock = [&now] { return now.load(); };
  // Ticks the worker at `at` with the app (send records) at the same time.
  auto tick = [&now](TriggerWorker* worker, int64_t at) {
    now = at;
    return worker->Tick(at);
  };

  {
    auto app = App::Open(config, clock);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    std::vector<v1::CatalogItem> items;
    for (int i = 0; i < 4; ++i) {
      v1::CatalogItem item;
      item.set_product_id("c" + std::to_string(i));
      item.set_title("Cream " + std::to_string(i));
      item.set_price_micros(9'000'000);
      item.set_currency("EUR");
      item.set_url("https://shop.example/p/c" + std::to_string(i));
      item.set_category("Skin Care/Creams");
      item.set_stock(3);
      items.push_back(item);
    }
    ASSERT_TRUE((*app)->catalog().Upsert(items).ok());
    for (const char* user : {"ua", "ub"}) {
      auto id = (*app)->ingest().Identify(std::string("anon-") + user, user,
                                          {{"email", std::string(user) + "@mail.test"}});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
    }
    TriggerWorker* worker = (*app)->triggers();
    ASSERT_NE(worker, nullptr);
    ASSERT_TRUE(tick(worker, kT0 - 1).ok());  // first start: the mark

    v1::Batch cart;
    *cart.add_events() = UserEvent(1, "product_added_to_cart", "ua", "c0", kT0);
    now = kT0;  // ingest checks event times against the clock
    ASSERT_TRUE((*app)->ingest().Ingest(cart).ok());
    auto t = tick(worker, kT0 + kHour);  // ua's cart reminder goes out
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->sent, 1);
    // ua browses c3 (browse abandonment due 15:30); ub carts c1 (due 12:30).
    v1::Batch more;
    *more.add_events() = UserEvent(2, "product_viewed", "ua", "c3", kT0 + 3 * kHour / 2);
    *more.add_events() = UserEvent(3, "product_added_to_cart", "ub", "c1", kT0 + 3 * kHour / 2);
    now = kT0 + 3 * kHour / 2;
    ASSERT_TRUE((*app)->ingest().Ingest(more).ok());
    t = tick(worker, kT0 + 2 * kHour);  // read, nothing due yet
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->activities, 2);
    EXPECT_EQ(t->fired, 0);
    EXPECT_EQ(worker->engine().pending(), 2u);
  }
  ASSERT_EQ(Recipients(inbox), std::vector<std::string>{"ua@mail.test"});

  {  // The restart.
    auto app = App::Open(config, clock);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    TriggerWorker* worker = (*app)->triggers();
    ASSERT_NE(worker, nullptr);
    auto t = tick(worker, kT0 + 5 * kHour / 2 - 1);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->events, 0);
    EXPECT_EQ(t->fired, 0);  // ua's cart (sent before the restart) is not armed again
    EXPECT_EQ(worker->engine().pending(), 2u);  // ua's browse, ub's cart

    // (2) ub's cart, armed before the restart, fires after its delay, once.
    t = tick(worker, kT0 + 5 * kHour / 2);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->fired, 1);
    EXPECT_EQ(t->sent, 1);
    // (1) ua's browse is due at 15:30, but the 16 h cap of the 11:00 send runs until 03:00.
    t = tick(worker, kT0 + 6 * kHour);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->fired, 0);
    EXPECT_EQ(worker->engine().pending(), 1u);
    t = tick(worker, kT0 + 16 * kHour);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->fired, 0);
    // Cap over at 03:00, quiet hours until 09:00: sent at 09:30.
    t = tick(worker, kT0 + 23 * kHour + kHour / 2);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->fired, 1);
    EXPECT_EQ(t->sent, 1);
  }
  auto all = Recipients(inbox);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::string>{"ua@mail.test", "ua@mail.test", "ub@mail.test"}));

  {  // Another restart re-sends nothing.
    auto app = App::Open(config, clock);
    ASSERT_TRUE(app.ok()) << app.status().ToString();
    TriggerWorker* worker = (*app)->triggers();
    ASSERT_NE(worker, nullptr);
    auto t = tick(worker, kT0 + 30 * kHour);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t->fired, 0);
    EXPECT_EQ(worker->engine().pending(), 0u);
    auto carts = (*app)->campaign_store().ListSends("trg-abandoned_cart-20260115");
    ASSERT_TRUE(carts.ok());
    EXPECT_EQ(carts->size(), 2u);  // ua before the restart, ub after
  }
  EXPECT_EQ(Recipients(inbox).size(), 3u);
}

}  // namespace
}  // namespace vitrine::server::campaigns
