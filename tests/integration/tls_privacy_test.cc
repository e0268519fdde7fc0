// The SDK against a real vitrine-server over HTTPS (a private CA made at test time), and the
// privacy paths end to end: a deletion request travels the durable queue and removes the
// profile on the server; an opt-out purges what was not yet sent.
#include <gtest/gtest.h>

#include "tests/integration/server_harness.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"
#include "vitrine/client.h"

namespace vitrine {
namespace {

using testing::ServerProcess;
using testing::TempDir;

Product Serum(int i) {
  Product p;
  p.product_id = "serum-" + std::to_string(i);
  p.sku = p.product_id + "-30ml";
  p.price = 24.99;
  p.currency = "EUR";
  return p;
}

class TlsPrivacyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not found: HTTPS test skipped";
    const std::string failed = testing::MakeTestCertificates(dir_.path());
    ASSERT_TRUE(failed.empty()) << failed;
    tls_ = {dir_.File("server.pem"), dir_.File("server.key"), dir_.File("ca.pem")};
    server_ = std::make_unique<ServerProcess>(dir_.path(), tls_);
    ASSERT_TRUE(server_->ok()) << server_->error();
  }

  std::unique_ptr<Client> Open(const std::string& name, const std::string& ca_file) {
    Options options;
    options.data_dir = dir_.File(name);
    options.server_url = server_->url();
    options.write_key = testing::kWriteKey;
    options.ca_file = ca_file;
    options.request_timeout_ms = 5000;
    auto client = Client::Open(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  TempDir dir_;
  ServerProcess::Tls tls_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TlsPrivacyTest, EventsTravelOverHttpsAndAnUntrustedServerIsRefused) {
  ASSERT_TRUE(server_->url().rfind("https://", 0) == 0);
  auto client = Open("trusting", tls_.ca_file);
  ASSERT_TRUE(client);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(client->ProductViewed(Serum(i)).ok());
  Status flushed = client->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  EXPECT_EQ(client->Stats().queued, 0u);
  EXPECT_EQ(server_->StatsField("events"), 100);

  auto wary = Open("wary", dir_.File("other_ca.pem"));  // does not trust the server's CA
  ASSERT_TRUE(wary);
  ASSERT_TRUE(wary->ProductViewed(Serum(1)).ok());
  EXPECT_FALSE(wary->Flush().ok());
  EXPECT_EQ(wary->Stats().queued, 1u) << "kept for a later, trusted attempt";
  EXPECT_EQ(server_->StatsField("events"), 100);
}

TEST_F(TlsPrivacyTest, DeletionRequestRemovesTheProfileOnTheServer) {
  auto client = Open("shopper", tls_.ca_file);
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->Identify("cust-gdpr", {{"email", "gdpr@example.com"}}).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->ProductViewed(Serum(i)).ok());
  ASSERT_TRUE(client->Flush().ok());
  HttpResponse before = server_->Admin("GET", "/v1/admin/profiles?user_id=cust-gdpr");
  ASSERT_EQ(before.status, 200) << before.body;
  EXPECT_EQ(ServerProcess::JsonInt(before.body, "event_count"), 21);

  ASSERT_TRUE(client->RequestDeletion().ok());
  EXPECT_EQ(client->Stats().user_id, "");
  Status flushed = client->Flush();
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  HttpResponse after = server_->Admin("GET", "/v1/admin/profiles?user_id=cust-gdpr");
  EXPECT_EQ(after.status, 404) << after.body;
}

}  // namespace
}  // namespace vitrine
