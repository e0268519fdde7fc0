// The CLI against a real database: `vitrine-server campaign-report` prints the stored campaign's
// funnel (JSON or text charts) and `vitrine-server audience-export` writes the hashed Meta /
// Google seed of the campaign's human openers or clickers (machine opens never count), with
// identifiers from the profiles' identify traits. Runs the built binary as a child process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "sync_server/campaigns/crypto.h"
#include "tests/sync_server/campaigns/smtp_sink.h"
#include "tests/sync_server/test_server.h"

namespace vitrine::server::campaigns {
namespace {

using server::testing::TestServer;

struct CliRun {
  int rc = -1;
  std::string output;  // stdout and stderr
};

CliRun Cli(const std::string& args) {
  CliRun r;
  const std::string cmd = std::string(VITRINE_SERVER_BIN) + " " + args + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CampaignCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(VITRINE_SERVER_BIN).empty()) GTEST_SKIP() << "vitrine-server not built";
    const struct {
      const char* user;
      const char* traits;
    } people[] = {
        {"u1", R"("email":" Alice@Example.COM ","phone":"+1 650 555 1212","first_name":"Иван")"},
        {"u2", R"("email":"bob@example.com")"},
        {"u3", R"("email":"proxy@example.com")"},
        {"u4", R"("email":"quiet@example.com")"},
    };
    for (const auto& p : people) {
      const std::string body = std::string("{\"anonymous_id\":\"a-") + p.user +
                               "\",\"user_id\":\"" + p.user + "\",\"traits\":{" + p.traits + "}}";
      ASSERT_EQ(server_.PostJson("/v1/identify", body, server::testing::kWriteKey).status, 200);
    }
    auto& store = server_.app().campaign_store();
    const int64_t sent_at = 1'767'000'000'000;
    for (const char* user : {"u1", "u2", "u3", "u4", "u5"}) {
      SendRecord s;
      s.campaign_id = "c1";
      s.recipient_id = user;
      s.email = std::string(user) + "@sent.test";
      s.segment = "seg";
      s.held_out = std::string(user) == "u5";
      s.status = s.held_out ? SendStatus::kHeldOut : SendStatus::kSent;
      s.at_ms = sent_at;
      ASSERT_TRUE(store.RecordSend(s).ok());
    }
    auto engage = [&](const char* user, Engagement::Kind kind, EngagementClass cls) {
      Engagement e;
      e.kind = kind;
      e.campaign_id = "c1";
      e.recipient_id = user;
      e.at_ms = sent_at + 3'600'000;
      e.cls = cls;
      ASSERT_TRUE(store.Record(e).ok());
    };
    engage("u1", Engagement::Kind::kOpen, EngagementClass::kHuman);
    engage("u2", Engagement::Kind::kClick, EngagementClass::kHuman);
    engage("u3", Engagement::Kind::kOpen, EngagementClass::kPrivacyProxy);
    db_ = server_.app().config().db;
  }

  TestServer server_;
  std::string db_;
};

TEST_F(CampaignCliTest, ReportPrintsFunnelAsJsonAndText) {
  CliRun json = Cli("campaign-report --db " + db_ + " --campaign c1 --json");
  ASSERT_EQ(json.rc, 0) << json.output;
  EXPECT_NE(json.output.find("\"campaign_id\":\"c1\""), std::string::npos) << json.output;
  EXPECT_NE(json.output.find("\"delivered\":4"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find("\"opened\":2"), std::string::npos) << json.output;  // not u3
  EXPECT_NE(json.output.find("\"clicked\":1"), std::string::npos) << json.output;
  CliRun text = Cli("campaign-report --db " + db_ + " --campaign c1");
  ASSERT_EQ(text.rc, 0) << text.output;
  EXPECT_NE(text.output.find("c1"), std::string::npos);
  EXPECT_EQ(text.output.find("{\""), std::string::npos) << "text, not JSON";
  CliRun missing = Cli("campaign-report --db " + db_ + " --campaign nope");
  EXPECT_EQ(missing.rc, 2);
  EXPECT_NE(missing.output.find("no_such_campaign"), std::string::npos);
  CliRun usage = Cli("campaign-report --db " + db_);
  EXPECT_EQ(usage.rc, 2);
  EXPECT_NE(usage.output.find("--campaign is required"), std::string::npos);
}

TEST_F(CampaignCliTest, AudienceExportWritesHashedSeedsOfHumanEngagers) {
  const std::string meta = (server_.dir() / "openers-meta.csv").string();
  CliRun r = Cli("audience-export --db " + db_ +
                 " --from openers --campaign c1 --platform meta --out " + meta);
  ASSERT_EQ(r.rc, 0) << r.output;
  EXPECT_NE(r.output.find("\"audience_name\":\"vitrine-seed-"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"engaged\":2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\"rows\":2"), std::string::npos) << r.output;
  const std::string csv = testing::ReadFile(meta);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "email,phone,fn,ln,zip,country\r");  // CSV: CRLF
  // The profile's email (trimmed, lower-cased), its phone as Meta digits, the Cyrillic name
  // lower-cased; the machine opener (u3) and the silent recipient (u4) are not in the seed.
  EXPECT_NE(csv.find(Sha256Hex("alice@example.com")), std::string::npos) << csv;
  EXPECT_NE(csv.find(Sha256Hex("16505551212")), std::string::npos) << csv;
  EXPECT_NE(csv.find(Sha256Hex("иван")), std::string::npos) << csv;
  EXPECT_NE(csv.find(Sha256Hex("bob@example.com")), std::string::npos) << csv;
  EXPECT_EQ(csv.find(Sha256Hex("proxy@example.com")), std::string::npos) << csv;
  EXPECT_EQ(csv.find(Sha256Hex("quiet@example.com")), std::string::npos) << csv;

  const std::string google = (server_.dir() / "clickers-google.csv").string();
  r = Cli("audience-export --db " + db_ +
          " --from clickers --campaign c1 --platform google --out " + google);
  ASSERT_EQ(r.rc, 0) << r.output;
  const std::string gcsv = testing::ReadFile(google);
  EXPECT_EQ(gcsv.substr(0, gcsv.find('\n')), "Email,Phone,First Name,Last Name,Country,Zip\r");
  EXPECT_NE(gcsv.find(Sha256Hex("bob@example.com")), std::string::npos) << gcsv;
  EXPECT_EQ(gcsv.find(Sha256Hex("alice@example.com")), std::string::npos) << gcsv;

  EXPECT_EQ(Cli("audience-export --db " + db_ +
                " --from everyone --campaign c1 --platform meta --out " + meta)
                .rc,
            2);
  EXPECT_EQ(Cli("audience-export --db " + db_ + " --from openers --campaign c1 --out " + meta).rc,
            2);
}

}  // namespace
}  // namespace vitrine::server::campaigns
