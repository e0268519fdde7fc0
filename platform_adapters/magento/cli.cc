#include "platform_adapters/magento/cli.h"

#include <map>
#include <set>
#include <span>

#include "platform_adapters/magento/importer.h"
#include "platform_adapters/magento/server_module.h"
#include "sync_server/batch_codec.h"
#include "sync_server/common/cli_flags.h"

namespace vitrine::magento {
namespace {

constexpr size_t kBatchEvents = 500;

// Imported customers and orders go to the ingest service in batches (one transaction each), the
// catalog straight to the catalog service.
class BatchingSink : public ImportSink {
 public:
  BatchingSink(server::App* app, std::FILE* err) : app_(app), err_(err) {}

  Status OnCatalog(const std::vector<v1::CatalogItem>& items) override {
    return app_->catalog().Upsert(items);
  }
  Status OnCustomer(const Customer& customer) override { return Add(customer.event); }
  Status OnOrder(const Order& order) override {
    if (order.event.products_size() == 0) {
      ++invalid_;
      return Status::Ok();
    }
    return Add(order.event);
  }
  Status OnRefund(const CreditMemo& refund) override {
    if (refund.event.products_size() == 0) {
      ++invalid_;
      return Status::Ok();
    }
    return Add(refund.event);
  }
  void OnProgress(std::string_view stage, int64_t done, int64_t total) override {
    std::fprintf(err_, "magento import: %.*s %lld/%lld\n", static_cast<int>(stage.size()),
                 stage.data(), static_cast<long long>(done), static_cast<long long>(total));
  }
  Status Flush() {
    if (batch_.events_size() == 0) return Status::Ok();
    auto result = app_->ingest().Ingest(std::move(batch_));
    batch_ = v1::Batch();
    if (!result.ok()) return result.status();
    stored_ += result->stored;
    duplicates_ += result->duplicates;
    return Status::Ok();
  }
  int64_t stored() const { return stored_; }
  int64_t duplicates() const { return duplicates_; }
  int64_t invalid() const { return invalid_; }

 private:
  Status Add(const v1::Event& event) {
    if (!server::ValidateEvent(event, 0, /*allow_server_side=*/true).ok()) {
      ++invalid_;
      return Status::Ok();
    }
    *batch_.add_events() = event;
    if (static_cast<size_t>(batch_.events_size()) >= kBatchEvents) return Flush();
    return Status::Ok();
  }

  server::App* app_;
  std::FILE* err_;
  v1::Batch batch_;
  int64_t stored_ = 0;
  int64_t duplicates_ = 0;
  int64_t invalid_ = 0;
};

int Usage(std::FILE* err, const std::string& problem) {
  std::fprintf(err, "%s\n%s", problem.c_str(), CliUsage().c_str());
  return 2;
}

}  // namespace

std::string CliUsage() {
  return "usage: vitrine-server magento import --base-url URL (--token TOKEN | --consumer-key K\n"
         "         --consumer-secret S --access-token T --access-token-secret TS)\n"
         "         [--db vitrine.db] [--store-code default] [--since 'YYYY-MM-DD HH:MM:SS'|auto]\n"
         "         [--msi] [--page-size 300] [--only products,customers,orders,refunds]\n"
         "         [--ca-file FILE]\n";
}

int RunCli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty() || args[0] != "import") return Usage(err, "unknown magento command");
  static const std::set<std::string> kFlags = {
      "base-url",           "token",        "db",   "store",   "store-code",      "since",
      "page-size",          "consumer-key", "only", "ca-file", "consumer-secret", "access-token",
      "access-token-secret"};
  static const std::set<std::string> kSwitches = {"msi"};
  auto parsed = ::vitrine::server::ParseCliFlags(std::span(args).subspan(1), kFlags, kSwitches);
  if (!parsed.ok()) return Usage(err, parsed.status().message());
  ::vitrine::server::CliFlags& f = *parsed;
  for (const auto& [key, value] : f) {
    if (value.empty()) return Usage(err, "--" + key + " needs a value");
  }
  if (!f.count("base-url")) return Usage(err, "--base-url is required");
  RestOptions rest;
  rest.base_url = f["base-url"];
  if (f.count("store")) rest.store_code = f["store"];
  if (f.count("store-code")) rest.store_code = f["store-code"];
  rest.bearer_token = f["token"];
  rest.oauth = {f["consumer-key"], f["consumer-secret"], f["access-token"],
                f["access-token-secret"]};
  if (rest.bearer_token.empty() && rest.oauth.empty()) {
    return Usage(err, "--token or the OAuth 1.0a credentials are required");
  }
  if (f.count("page-size")) rest.page_size = std::atoi(f["page-size"].c_str());
  ImportOptions options;
  options.msi_stock = f.count("msi") > 0;
  if (f.count("only")) {
    const std::string& only = f["only"];
    options.products = only.find("products") != std::string::npos;
    options.customers = only.find("customers") != std::string::npos;
    options.orders = only.find("orders") != std::string::npos;
    options.refunds = only.find("refunds") != std::string::npos;
  }

  server::ServerConfig config;
  config.db = f.count("db") ? f["db"] : config.db;
  config.access_log = false;
  auto app = server::App::Open(config);
  if (!app.ok()) {
    std::fprintf(err, "cannot open %s: %s\n", config.db.c_str(), app.status().ToString().c_str());
    return 1;
  }
  auto state = NotificationInbox::Open(config.db);
  if (!state.ok()) {
    std::fprintf(err, "cannot open %s: %s\n", config.db.c_str(), state.status().ToString().c_str());
    return 1;
  }
  if (f.count("since")) {
    std::string since = f["since"];
    if (since == "auto") {
      auto stored = (*state)->GetState("import_watermark");
      since = stored.ok() ? *stored : "";
    }
    if (!since.empty()) {
      auto ms = ParseMagentoTime(since);
      if (!ms) return Usage(err, "--since must look like 2024-01-31 23:59:59 (UTC)");
      options.updated_since_ms = *ms;
    }
  }

  auto http = adapters::NewCurlHttpClient(f["ca-file"]);
  RestClient client(rest, http.get());
  BatchingSink sink(app->get(), err);
  ImportReport report;
  Status s = Import(client, options, sink, &report);
  if (s.ok()) s = sink.Flush();
  (*app)->ingest().Stop();
  if (!s.ok()) {
    std::fprintf(err, "magento import failed: %s\n", s.ToString().c_str());
    return 1;
  }
  if (report.watermark_ms > 0) {
    if (Status w = (*state)->SetState("import_watermark", FormatMagentoTime(report.watermark_ms));
        !w.ok()) {
      std::fprintf(err, "cannot store the watermark: %s\n", w.ToString().c_str());
    }
  }
  std::fprintf(
      out,
      "{\"categories\":%lld,\"products\":%lld,\"catalog_items\":%lld,\"customers\":%lld,"
      "\"orders\":%lld,\"refunds\":%lld,\"events_stored\":%lld,\"events_duplicate\":%lld,"
      "\"skipped\":%lld,"
      "\"requests\":%lld,\"retries\":%lld,\"throttled\":%lld,\"seconds\":%.3f,"
      "\"watermark\":\"%s\"}\n",
      static_cast<long long>(report.categories), static_cast<long long>(report.products),
      static_cast<long long>(report.catalog_items), static_cast<long long>(report.customers),
      static_cast<long long>(report.orders), static_cast<long long>(report.refunds),
      static_cast<long long>(sink.stored()), static_cast<long long>(sink.duplicates()),
      static_cast<long long>(report.skipped + sink.invalid()),
      static_cast<long long>(report.http.requests), static_cast<long long>(report.http.retries),
      static_cast<long long>(report.http.throttled), report.seconds,
      report.watermark_ms > 0 ? FormatMagentoTime(report.watermark_ms).c_str() : "");
  return 0;
}

}  // namespace vitrine::magento
