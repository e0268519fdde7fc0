// `vitrine-server magento import` against a fake Magento: progress on stderr, JSON summary on
// stdout, records in the database, the watermark reused by --since auto.
#include "platform_adapters/magento/cli.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "platform_adapters/magento/inbox.h"
#include "sync_server/storage/sqlite_store.h"
#include "tests/platform_adapters/magento/fake_magento.h"
#include "tests/support/temp_dir.h"

namespace vitrine::magento {
namespace {

using testing::FakeMagento;
using testing::FakeRow;

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

struct Captured {
  int code = 0;
  std::string out;
  std::string err;
};

Captured RunMagento(const std::vector<std::string>& args) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  Captured c;
  c.code = RunCli(args, out, err);
  c.out = ReadAll(out);
  c.err = ReadAll(err);
  std::fclose(out);
  std::fclose(err);
  return c;
}

FakeRow Order(int64_t id, const std::string& updated_at) {
  return FakeRow{id, updated_at,
                 "{\"entity_id\":" + std::to_string(id) + ",\"increment_id\":\"10" +
                     std::to_string(id) +
                     "\",\"state\":\"complete\",\"customer_id\":5,\"customer_is_guest\":0,"
                     "\"order_currency_code\":\"EUR\",\"grand_total\":30,\"created_at\":\"" +
                     updated_at + "\",\"updated_at\":\"" + updated_at +
                     "\",\"items\":[{\"item_id\":1,\"product_id\":42,\"sku\":\"MUG\","
                     "\"price\":15,\"qty_ordered\":2}]}"};
}

TEST(MagentoCliTest, ImportsIntoTheDatabaseWithProgressAndSummary) {
  FakeMagento fake;
  fake.SetToken("tok");
  fake.SetRows("V1/categories/list", {});
  fake.SetRows("V1/products", {FakeRow{42, "2024-01-01 00:00:00",
                                       R"({"id":42,"sku":"MUG","name":"Mug","price":15,"status":1,)"
                                       R"("visibility":4,"updated_at":"2024-01-01 00:00:00"})"}});
  fake.SetRows("V1/customers/search",
               {FakeRow{5, "2024-01-02 00:00:00",
                        R"({"id":5,"email":"a@example.com","updated_at":"2024-01-02 00:00:00"})"}});
  fake.SetRows("V1/orders", {Order(1, "2024-02-01 00:00:00"), Order(2, "2024-02-03 00:00:00")});
  ::vitrine::testing::TempDir dir;
  const std::string db = dir.File("v.db");
  Captured c = RunMagento({"import", "--base-url", fake.url(), "--token", "tok", "--db", db});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.err.find("magento import: orders 2/2"), std::string::npos) << c.err;
  EXPECT_NE(c.out.find("\"orders\":2"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("\"events_stored\":3"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("\"watermark\":\"2024-02-03 00:00:00\""), std::string::npos) << c.out;
  {
    auto store = server::OpenSqliteStore(db);
    ASSERT_TRUE(store.ok());
    auto stats = (*store)->Stats();
    ASSERT_TRUE(stats.ok());
    EXPECT_EQ(stats->orders, 2);
    EXPECT_EQ(stats->catalog_items, 1);
    auto profile = (*store)->FindProfileByUser(UserIdFor(5));
    ASSERT_TRUE(profile.ok());
    EXPECT_TRUE(profile->has_value());
  }
  // Again with --since auto: only rows at or after the stored watermark, and nothing twice.
  fake.AddRow("V1/orders", Order(3, "2024-03-01 00:00:00"));
  c = RunMagento({"import", "--base-url", fake.url(), "--token", "tok", "--db", db, "--since",
                  "auto", "--only", "orders"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(c.out.find("\"orders\":2"), std::string::npos) << c.out;  // order 2 (boundary) + 3
  EXPECT_NE(c.out.find("\"events_duplicate\":1"), std::string::npos) << c.out;
  auto store = server::OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->Stats()->orders, 3);
}

// A refund reaches the database as one order_refunded event in the buyer's profile, however
// often the import runs; --store-code picks the view whose catalog is imported.
TEST(MagentoCliTest, RefundsAndStoreCode) {
  FakeMagento fake;
  fake.SetStoreConfigs(
      R"([{"id":1,"code":"default","base_currency_code":"USD","base_link_url":"https://s.example/"},)"
      R"({"id":2,"code":"fr","base_currency_code":"EUR","base_link_url":"https://s.example/fr/"}])");
  fake.SetRows("V1/categories/list", {});
  fake.SetRows("V1/customers/search", {});
  fake.SetRows("V1/products", {FakeRow{42, "2024-01-01 00:00:00",
                                       R"({"id":42,"sku":"MUG","name":"Mug","price":15,"status":1,)"
                                       R"("visibility":4,"updated_at":"2024-01-01 00:00:00"})"}});
  fake.SetStoreRows("fr", "V1/products",
                    {FakeRow{42, "2024-01-01 00:00:00",
                             R"({"id":42,"sku":"MUG","name":"Tasse","price":14,"status":1,)"
                             R"("visibility":4,"updated_at":"2024-01-01 00:00:00"})"}});
  fake.SetRows("V1/orders", {Order(1, "2024-02-01 00:00:00")});
  fake.SetRows("V1/creditmemos",
               {FakeRow{7, "2024-02-02 00:00:00",
                        R"({"entity_id":7,"order_id":1,"state":2,"grand_total":15,)"
                        R"("created_at":"2024-02-02 00:00:00","updated_at":"2024-02-02 00:00:00",)"
                        R"("items":[{"entity_id":70,"order_item_id":1,"product_id":42,)"
                        R"("sku":"MUG","price":15,"qty":1}]})"}});
  ::vitrine::testing::TempDir dir;
  const std::string db = dir.File("v.db");
  for (int run = 0; run < 2; ++run) {
    Captured c = RunMagento(
        {"import", "--base-url", fake.url(), "--token", "t", "--db", db, "--store-code", "fr"});
    ASSERT_EQ(c.code, 0) << c.err;
    EXPECT_NE(c.out.find("\"refunds\":1"), std::string::npos) << c.out;
    EXPECT_NE(c.err.find("magento import: refunds 1/1"), std::string::npos) << c.err;
    // Second run: the order and the refund are already there.
    EXPECT_NE(c.out.find(run == 0 ? "\"events_stored\":2" : "\"events_duplicate\":2"),
              std::string::npos)
        << c.out;
  }
  auto store = server::OpenSqliteStore(db);
  ASSERT_TRUE(store.ok());
  std::vector<std::pair<int64_t, v1::Event>> refunds;
  int64_t order_profile = -1;
  ASSERT_TRUE((*store)
                  ->ScanEvents([&](int64_t profile, const v1::Event& e) {
                    if (e.type() == "order_refunded") refunds.emplace_back(profile, e);
                    if (e.type() == "order_completed") order_profile = profile;
                  })
                  .ok());
  ASSERT_EQ(refunds.size(), 1u);
  EXPECT_EQ(refunds[0].first, order_profile);
  EXPECT_EQ(refunds[0].second.order().order_id(), "101");
  EXPECT_EQ(refunds[0].second.order().value_micros(), 15000000);
  EXPECT_EQ(refunds[0].second.order().currency(), "EUR");
  EXPECT_EQ((*store)->Stats()->orders, 1);
  auto catalog = (*store)->ListCatalog();
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ(catalog->size(), 1u);
  EXPECT_EQ((*catalog)[0].title(), "Tasse");
  EXPECT_EQ((*catalog)[0].currency(), "EUR");
  for (const std::string& t : fake.targets()) EXPECT_TRUE(t.starts_with("/rest/fr/")) << t;
}

TEST(MagentoCliTest, UsageErrorsAndRefusedTokens) {
  EXPECT_EQ(RunMagento({}).code, 2);
  EXPECT_EQ(RunMagento({"import"}).code, 2);
  EXPECT_EQ(RunMagento({"import", "--base-url", "http://x"}).code, 2);
  EXPECT_EQ(RunMagento({"import", "--base-url", "http://x", "--token", "t", "--bogus", "1"}).code,
            2);
  FakeMagento fake;
  fake.SetToken("right");
  ::vitrine::testing::TempDir dir;
  Captured c = RunMagento(
      {"import", "--base-url", fake.url(), "--token", "wrong", "--db", dir.File("v.db")});
  EXPECT_EQ(c.code, 1);
  EXPECT_NE(c.err.find("2.4.4"), std::string::npos) << c.err;
}

// The real binary, when this build has it.
TEST(MagentoCliTest, ServerBinaryHasTheMagentoCommand) {
  const std::string bin = VITRINE_SERVER_BIN;
  if (bin.empty()) GTEST_SKIP() << "vitrine-server is not part of this build";
  if (!std::filesystem::exists(bin)) GTEST_SKIP() << "vitrine-server is not built yet: " << bin;
  FakeMagento fake;
  fake.SetRows("V1/categories/list", {});
  fake.SetRows("V1/products", {});
  fake.SetRows("V1/customers/search", {});
  fake.SetRows("V1/orders", {Order(1, "2024-02-01 00:00:00")});
  ::vitrine::testing::TempDir dir;
  const std::string cmd = bin + " magento import --base-url " + fake.url() + " --token t --db " +
                          dir.File("v.db") + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("\"orders\":1"), std::string::npos) << output;
}

}  // namespace
}  // namespace vitrine::magento
