#include "platform_adapters/shopify/cli.h"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include "platform_adapters/shopify/importer.h"
#include "platform_adapters/shopify/server_glue.h"
#include "sync_server/common/json_text.h"

namespace vitrine::shopify {
namespace {

constexpr const char* kUsage =
    "usage: vitrine-server shopify import --shop NAME.myshopify.com [--token TOKEN] [--db FILE]\n"
    "         [--admin-base-url URL] [--api-version VERSION] [--full]\n"
    "         [--only products,collections,customers,orders]\n"
    "         [--bulk | --bulk-above PRODUCTS] [--rest]\n"
    "  --bulk            products through a bulk operation (one JSONL file; large stores)\n"
    "  --bulk-above N    a bulk operation when the shop has more than N products to import\n"
    "  --rest            customers and orders through the legacy REST endpoints\n";

int Usage(std::FILE* err, const std::string& message) {
  std::fprintf(err, "vitrine-server shopify: %s\n%s", message.c_str(), kUsage);
  return 2;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  if (args.empty() || args[0] != "import") return Usage(err, "the only command is `import`");
  ImportOptions options;
  if (const char* v = std::getenv("VITRINE_SHOPIFY_API_VERSION"); v && *v) options.api_version = v;
  if (const char* v = std::getenv("VITRINE_SHOPIFY_ADMIN_BASE_URL"); v && *v) {
    options.admin_base_url = v;
  }
  std::string only;
  std::vector<std::string> server_args;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&](std::string& into) {
      if (i + 1 >= args.size()) return false;
      into = args[++i];
      return true;
    };
    bool ok = true;
    if (flag == "--shop") {
      ok = value(options.shop);
    } else if (flag == "--token") {
      ok = value(options.token);
    } else if (flag == "--admin-base-url") {
      ok = value(options.admin_base_url);
    } else if (flag == "--api-version") {
      ok = value(options.api_version);
    } else if (flag == "--only") {
      ok = value(only);
    } else if (flag == "--full") {
      options.incremental = false;
    } else if (flag == "--bulk") {
      options.bulk = true;
    } else if (flag == "--bulk-above") {
      std::string n;
      ok = value(n);
      const auto parsed = ok ? ParseInt64(n) : std::nullopt;
      if (ok && (!parsed || *parsed < 0)) return Usage(err, "--bulk-above needs a product count");
      options.bulk_above_products = parsed.value_or(0);
    } else if (flag == "--rest") {
      options.rest = true;
    } else {
      server_args.push_back(flag);
    }
    if (!ok) return Usage(err, flag + " needs a value");
  }
  if (!IsValidShopDomain(options.shop)) return Usage(err, "--shop must be NAME.myshopify.com");
  if (!only.empty()) {
    const std::string list = "," + only + ",";
    options.products = list.find(",products,") != std::string::npos;
    options.collections = list.find(",collections,") != std::string::npos;
    options.customers = list.find(",customers,") != std::string::npos;
    options.orders = list.find(",orders,") != std::string::npos;
  }
  auto config = server::ParseConfig(server_args);
  if (!config.ok()) return Usage(err, config.status().message());
  auto app = server::App::Open(*config);
  if (!app.ok()) {
    std::fprintf(err, "vitrine-server shopify: %s\n", app.status().ToString().c_str());
    return 1;
  }
  std::string token_key;
  if (const char* k = std::getenv("VITRINE_SHOPIFY_TOKEN_KEY"); k && *k) {
    token_key = TokenCipher::ParseKey(k).value_or("");
  }
  auto store = ShopifyAppStore::Open(config->db, TokenCipher(token_key));
  if (!store.ok()) {
    std::fprintf(err, "vitrine-server shopify: %s\n", store.status().ToString().c_str());
    return 1;
  }
  if (options.token.empty()) {
    auto shop = (*store)->GetShop(options.shop);
    if (!shop.ok() || !shop->has_value() || (*shop)->access_token.empty()) {
      return Usage(err, "no --token and no stored token for " + options.shop);
    }
    options.token = (*shop)->access_token;
  }
  const auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  options.progress = [&](std::string_view resource, int64_t n, const ImportStats& s) {
    std::fprintf(err,
                 "shopify import: %-11.*s %8lld  (%lld requests, %lld throttled, %lld 429s, "
                 "%.1f s)\n",
                 static_cast<int>(resource.size()), resource.data(), static_cast<long long>(n),
                 static_cast<long long>(s.requests), static_cast<long long>(s.graphql_throttled),
                 static_cast<long long>(s.http_429), seconds());
  };
  options.log = [err](const std::string& message) {
    std::fprintf(err, "shopify import: %s\n", message.c_str());
  };
  auto http = adapters::NewCurlHttpClient();
  ImportEnv env;
  env.http = http.get();
  env.store = store->get();
  env.sinks = AppSinks(**app);
  ShopifyImporter importer(options, env);
  auto stats = importer.Run();
  (*app)->ingest().Stop();
  if (!stats.ok()) {
    std::fprintf(err, "vitrine-server shopify: import failed: %s\n",
                 stats.status().ToString().c_str());
    return 1;
  }
  const double elapsed = seconds();
  const double rate = elapsed > 0 ? static_cast<double>(stats->requests) / elapsed : 0;
  std::ostringstream json;
  json << "{\"shop\":" << server::JsonString(options.shop) << ",\"products\":" << stats->products
       << ",\"variants\":" << stats->variants << ",\"collections\":" << stats->collections
       << ",\"customers\":" << stats->customers << ",\"orders\":" << stats->orders
       << ",\"stale\":" << stats->stale << ",\"requests\":" << stats->requests
       << ",\"requests_per_second\":" << rate
       << ",\"graphql_throttled\":" << stats->graphql_throttled
       << ",\"http_429\":" << stats->http_429 << ",\"bulk_operations\":" << stats->bulk_operations
       << ",\"slept_ms\":" << stats->slept_ms << ",\"seconds\":" << elapsed
       << ",\"api_version_served\":" << server::JsonString(stats->api_version_served) << "}\n";
  std::fputs(json.str().c_str(), out);
  return 0;
}

}  // namespace vitrine::shopify
