// vitrine-server: `serve` runs the sync server; `demo-load` fills a database with the demo shop;
// `train` trains the recommendation models once and stores the new version.
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#ifdef VITRINE_HAVE_ANALYTICS
#include "sync_server/analytics/analytics_cli.h"  // analytics: CLI
#include "sync_server/storage/sqlite_store.h"
#endif
#include "sync_server/config.h"
#include "sync_server/http/http_server.h"
#include "sync_server/server.h"
#ifdef VITRINE_HAVE_MAGENTO
#include "platform_adapters/magento/cli.h"  // magento: CLI
#endif
#ifdef VITRINE_HAVE_SHOPIFY_CLI
#include "platform_adapters/shopify/cli.h"  // shopify: CLI
#endif
#ifdef VITRINE_HAVE_CAMPAIGNS
#include <set>

#include "sync_server/campaigns/campaign_report.h"
#include "sync_server/campaigns/campaign_store.h"
#include "sync_server/campaigns/recipient_directory.h"
#include "sync_server/campaigns/seed_export.h"
#include "sync_server/common/cli_flags.h"
#include "sync_server/storage/sqlite_store.h"
#endif

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "vitrine-server: %s\n", message.c_str());
  return 2;
}

int Serve(const vitrine::server::ServerConfig& config) {
  using vitrine::server::App;
  if (config.write_key.empty()) {
    return Fail("refusing to start: no write key (--write-key or write-key in --config)");
  }
  if (config.admin_key.empty()) {
    return Fail("refusing to start: no admin key (--admin-key or admin-key in --config)");
  }
  if (config.write_key == config.admin_key) {
    return Fail("refusing to start: the write key and the admin key must differ");
  }
  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Before anything touches cpprest: its pool is sized once, on first use.
  vitrine::server::Status threads =
      vitrine::server::HttpServer::ConfigureThreads(config.http_threads);
  if (!threads.ok()) return Fail(threads.ToString());
  auto app = App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  if (config.demo) {
    vitrine::server::Status s = (*app)->LoadDemo();
    if (!s.ok()) return Fail("demo: " + s.ToString());
  }
  (*app)->models().StartSchedule();
  (*app)->StartCampaignWorkers();
  vitrine::server::HttpServer http(app->get());
  vitrine::server::Status s = http.Start();
  if (!s.ok()) return Fail(s.ToString());
  std::fprintf(stderr, "{\"msg\":\"listening\",\"listen\":\"%s\",\"db\":\"%s\"}\n",
               config.listen.c_str(), config.db.c_str());
  if (!config.ready_file.empty()) {
    std::ofstream ready(config.ready_file, std::ios::trunc);
    ready << "ready\n";
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "{\"msg\":\"stopping\",\"signal\":%d}\n", sig);
  (*app)->ingest().Stop();
  http.Stop();
  return 0;
}

int DemoLoad(vitrine::server::ServerConfig config) {
  auto app = vitrine::server::App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  vitrine::server::Status s = (*app)->LoadDemo();
  if (!s.ok()) return Fail("demo: " + s.ToString());
  auto stats = (*app)->admin().Stats();
  if (stats.ok()) {
    std::printf("{\"events\":%lld,\"profiles\":%lld,\"orders\":%lld,\"catalog_items\":%lld}\n",
                static_cast<long long>(stats->events), static_cast<long long>(stats->profiles),
                static_cast<long long>(stats->orders),
                static_cast<long long>(stats->catalog_items));
  }
  return 0;
}

int Train(const vitrine::server::ServerConfig& config) {
  auto app = vitrine::server::App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  vitrine::server::Status s = (*app)->models().TrainNow();
  const auto status = (*app)->models().status();
  if (!s.ok()) {
    return Fail("training failed: " + s.ToString() + " (still serving " +
                (status.version.empty() ? std::string("the live model") : status.version) + ")");
  }
  const auto model = (*app)->models().Current();
  const auto& stats = model->artifact().stats();
  std::printf(
      "{\"version\":\"%s\",\"events\":%lld,\"profiles\":%lld,\"items\":%lld,\"baskets\":%lld,"
      "\"neighbour_links\":%lld,\"fbt_pairs\":%lld,\"sequential\":%s,\"seconds\":%.2f}\n",
      model->version().c_str(), static_cast<long long>(stats.events()),
      static_cast<long long>(stats.profiles()), static_cast<long long>(stats.items()),
      static_cast<long long>(stats.baskets()), static_cast<long long>(stats.neighbour_links()),
      static_cast<long long>(stats.fbt_pairs()), model->has_sequential() ? "true" : "false",
      stats.seconds());
  return 0;
}

#ifdef VITRINE_HAVE_CAMPAIGNS
// ---- campaigns: CLI (begin) ----
// campaign-report and audience-export read the database only (no server start, no model
// rebuild), so they run beside a serving process (WAL).
struct CampaignCli {
  vitrine::server::CliFlags flags;
  bool json = false;
};

vitrine::server::StatusOr<CampaignCli> ParseCampaignCli(const std::vector<std::string>& args,
                                                        const std::vector<std::string>& known) {
  CampaignCli cli;
  auto parsed = vitrine::server::ParseCliFlags(
      args, std::set<std::string>(known.begin(), known.end()), {"json"});
  if (!parsed.ok()) return parsed.status();
  cli.flags = std::move(parsed).value();
  cli.json = cli.flags.erase("json") > 0;
  for (const auto& k : known) {
    if (k != "phone-country" && !cli.flags.count(k)) {
      return vitrine::server::Status(vitrine::server::Status::Kind::kInvalid, "usage",
                                     "--" + k + " is required");
    }
  }
  return cli;
}

int CampaignReport(const std::vector<std::string>& args) {
  namespace c = vitrine::server::campaigns;
  auto cli = ParseCampaignCli(args, {"db", "campaign"});
  if (!cli.ok()) return Fail(cli.status().message() + "\n" + vitrine::server::ConfigUsage());
  const std::string db = cli->flags["db"];
  auto store = vitrine::server::OpenSqliteStore(db);
  if (!store.ok()) return Fail("cannot open " + db + ": " + store.status().ToString());
  auto campaigns = c::CampaignStore::Open(db);
  if (!campaigns.ok()) return Fail("cannot open " + db + ": " + campaigns.status().ToString());
  c::CampaignReportOptions options;
  options.json = cli->json;
  auto report = c::RenderCampaignReport(**campaigns, cli->flags["campaign"],
                                        c::OrdersFromStore(store->get()), options);
  if (!report.ok()) return Fail(report.status().ToString());
  std::fputs(report->c_str(), stdout);
  if (!report->empty() && report->back() != '\n') std::fputc('\n', stdout);
  return 0;
}

int AudienceExport(const std::vector<std::string>& args) {
  namespace c = vitrine::server::campaigns;
  auto cli = ParseCampaignCli(args, {"db", "from", "campaign", "platform", "out", "phone-country"});
  if (!cli.ok()) return Fail(cli.status().message() + "\n" + vitrine::server::ConfigUsage());
  auto& f = cli->flags;
  if (f["from"] != "openers" && f["from"] != "clickers") {
    return Fail("--from must be openers or clickers");
  }
  if (f["platform"] != "meta" && f["platform"] != "google") {
    return Fail("--platform must be meta or google");
  }
  auto store = vitrine::server::OpenSqliteStore(f["db"]);
  if (!store.ok()) return Fail("cannot open " + f["db"] + ": " + store.status().ToString());
  auto campaigns = c::CampaignStore::Open(f["db"]);
  if (!campaigns.ok()) return Fail("cannot open " + f["db"] + ": " + campaigns.status().ToString());
  c::StoreRecipientDirectory directory(store->get());
  c::PhoneDefaults phones;
  phones.country_code = f["phone-country"];
  auto seed = c::ExportCampaignSeed(
      **campaigns, directory, f["campaign"],
      f["from"] == "openers" ? c::SeedSource::kOpeners : c::SeedSource::kClickers,
      f["platform"] == "meta" ? c::AdPlatform::kMeta : c::AdPlatform::kGoogle, phones);
  if (!seed.ok()) return Fail(seed.status().ToString());
  std::ofstream out(f["out"], std::ios::binary | std::ios::trunc);
  out << seed->csv;
  out.close();
  if (!out) return Fail("cannot write " + f["out"]);
  // The audience name is neutral: it never carries the campaign or segment (audience_export.h).
  std::printf(
      "{\"audience_name\":\"%s\",\"engaged\":%lld,\"rows\":%lld,\"skipped\":%lld,"
      "\"duplicates\":%lld}\n",
      c::NeutralAudienceName(vitrine::server::App::SystemClockMs(),
                             f["campaign"] + "/" + f["from"] + "/" + f["platform"])
          .c_str(),
      static_cast<long long>(seed->engaged), static_cast<long long>(seed->stats.rows),
      static_cast<long long>(seed->stats.skipped), static_cast<long long>(seed->stats.duplicates));
  return 0;
}
// ---- campaigns: CLI (end) ----
#endif

#ifdef VITRINE_HAVE_ANALYTICS
// ---- analytics: CLI (begin) ----
// `vitrine-server analytics import|compute|segments|members|export` (analytics/analytics_cli.h).
int Analytics(const std::vector<std::string>& args) {
  namespace an = vitrine::server::analytics;
  an::CliHooks hooks;
  hooks.open_store = [](const std::string& db) { return vitrine::server::OpenSqliteStore(db); };
  hooks.with_ingest =
      [](const std::string& db,
         const std::function<vitrine::server::Status(const an::IngestBatchFn&)>& body)
      -> vitrine::server::Status {
    vitrine::server::ServerConfig config;
    config.db = db;
    auto app = vitrine::server::App::Open(config);
    if (!app.ok()) return app.status();
    return body([&](vitrine::v1::Batch batch) -> vitrine::server::StatusOr<an::IngestOutcome> {
      auto r = (*app)->ingest().Ingest(std::move(batch));
      if (!r.ok()) return r.status();
      return an::IngestOutcome{r->stored, r->duplicates};
    });
  };
  hooks.clock = &vitrine::server::App::SystemClockMs;
  return an::RunAnalyticsCli(args, hooks);
}
// ---- analytics: CLI (end) ----
#endif

}  // namespace

int main(int argc, char** argv) {
  // Malformed client input is answered with a 400; protobuf need not also log it.
  google::protobuf::SetLogHandler(nullptr);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(vitrine::server::ConfigUsage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
#ifdef VITRINE_HAVE_ANALYTICS
  if (command == "analytics") return Analytics(args);  // ---- analytics: CLI dispatch ----
#endif
#ifdef VITRINE_HAVE_CAMPAIGNS
  if (command == "campaign-report") return CampaignReport(args);
  if (command == "audience-export") return AudienceExport(args);
#endif
    // ---- magento: CLI (begin) ----
#ifdef VITRINE_HAVE_MAGENTO
  if (command == "magento") return vitrine::magento::RunCli(args, stdout, stderr);
#endif
    // ---- magento: CLI (end) ----
    // ---- shopify: CLI (begin) ----
#ifdef VITRINE_HAVE_SHOPIFY_CLI
  if (command == "shopify") return vitrine::shopify::RunCli(args, stdout, stderr);
#endif
  // ---- shopify: CLI (end) ----
  auto config = vitrine::server::ParseConfig(args);
  if (!config.ok()) return Fail(config.status().message() + "\n" + vitrine::server::ConfigUsage());
  if (command == "serve") return Serve(*config);
  if (command == "demo-load") return DemoLoad(*config);
  if (command == "train") return Train(*config);
  return Fail("unknown command '" + command + "'\n" + vitrine::server::ConfigUsage());
}
