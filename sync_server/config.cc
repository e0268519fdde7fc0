#include "sync_server/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "sync_server/http/cors.h"

namespace vitrine::server {
namespace {

Status Bad(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_config", std::move(message));
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

template <typename T>
Status ParseNumber(const std::string& key, const std::string& value, T& out) {
  T v{};
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || ptr != value.data() + value.size()) {
    return Bad(key + ": '" + value + "' is not a number");
  }
  out = v;
  return Status::Ok();
}

Status ParseBool(const std::string& key, const std::string& value, bool& out) {
  if (value == "true" || value == "1" || value == "yes" || value == "on" || value.empty()) {
    out = true;
  } else if (value == "false" || value == "0" || value == "no" || value == "off") {
    out = false;
  } else {
    return Bad(key + ": '" + value + "' is not true/false");
  }
  return Status::Ok();
}

bool IsBoolKey(const std::string& key) {
  return key == "demo" || key == "access-log" || key == "email-triggers";
}

Status Apply(std::string key, const std::string& value, ServerConfig& c) {
  std::replace(key.begin(), key.end(), '_', '-');
  if (key == "listen")
    c.listen = value;
  else if (key == "db")
    c.db = value;
  else if (key == "write-key")
    c.write_key = value;
  else if (key == "admin-key")
    c.admin_key = value;
  else if (key == "tls-cert")
    c.tls_cert = value;
  else if (key == "tls-key")
    c.tls_key = value;
  else if (key == "demo")
    return ParseBool(key, value, c.demo);
  else if (key == "demo-customers")
    return ParseNumber(key, value, c.demo_customers);
  else if (key == "demo-seed")
    return ParseNumber(key, value, c.demo_seed);
  else if (key == "datasets")
    c.datasets = value;
  else if (key == "static-dir")
    c.static_dir = value;
  else if (key == "ready-file")
    c.ready_file = value;
  else if (key == "access-log")
    return ParseBool(key, value, c.access_log);
  else if (key == "allowed-origins") {
    if (auto policy = CorsPolicy::Parse(value); !policy.ok()) return policy.status();
    c.allowed_origins = value;
  } else if (key == "http-threads")
    return ParseNumber(key, value, c.http_threads);
  else if (key == "max-body-bytes")
    return ParseNumber(key, value, c.limits.max_body_bytes);
  else if (key == "max-inflated-bytes")
    return ParseNumber(key, value, c.limits.max_inflated_bytes);
  else if (key == "max-batch-events")
    return ParseNumber(key, value, c.limits.max_events);
  else if (key == "snapshot-ttl")
    return ParseNumber(key, value, c.snapshot_ttl_seconds);
  else if (key == "half-life-days")
    return ParseNumber(key, value, c.half_life_days);
  else if (key == "model-refresh-ms")
    return ParseNumber(key, value, c.model_refresh_ms);
  else if (key == "retrain-interval-s")
    return ParseNumber(key, value, c.retrain_interval_s);
  else if (key == "model-versions-kept")
    return ParseNumber(key, value, c.model_versions_kept);
  else if (key == "train-sequential")
    return ParseBool(key, value, c.train_sequential);
  else if (key == "train-epochs")
    return ParseNumber(key, value, c.train_epochs);
  else if (key == "train-threads")
    return ParseNumber(key, value, c.train_threads);
  // ---- campaigns: email delivery and triggers (begin) ----
  else if (key == "smtp-url")
    c.smtp_url = value;
  else if (key == "smtp-from")
    c.smtp_from = value;
  else if (key == "smtp-from-name")
    c.smtp_from_name = value;
  else if (key == "smtp-starttls") {
    if (value != "off" && value != "opportunistic" && value != "required") {
      return Bad(key + ": '" + value + "' is not off|opportunistic|required");
    }
    c.smtp_starttls = value;
  } else if (key == "smtp-rate")
    return ParseNumber(key, value, c.smtp_rate);
  else if (key == "smtp-ca-file")
    c.smtp_ca_file = value;
  else if (key == "smtp-username")
    c.smtp_username = value;
  else if (key == "smtp-password")
    c.smtp_password = value;
  else if (key == "tracking-url")
    c.tracking_url = value;
  else if (key == "shop-name")
    c.shop_name = value;
  else if (key == "shop-url")
    c.shop_url = value;
  else if (key == "email-footer")
    c.email_footer = value;
  else if (key == "email-triggers")
    return ParseBool(key, value, c.email_triggers);
  else if (key == "trigger-cap-hours")
    return ParseNumber(key, value, c.trigger_cap_hours);
  else if (key == "trigger-poll-s")
    return ParseNumber(key, value, c.trigger_poll_s);
  // ---- campaigns: email delivery and triggers (end) ----
  else if (key == "max-events-per-transaction") {
    return ParseNumber(key, value, c.max_events_per_transaction);
  } else {
    return Bad("unknown setting '" + key + "'");
  }
  return Status::Ok();
}

}  // namespace

Status ApplyConfigText(const std::string& text, ServerConfig& config) {
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    line = Trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) {
      return Bad("config line " + std::to_string(number) + ": expected 'key = value'");
    }
    Status s = Apply(Trim(line.substr(0, eq)), Trim(line.substr(eq + 1)), config);
    if (!s.ok()) return Bad("config line " + std::to_string(number) + ": " + s.message());
  }
  return Status::Ok();
}

StatusOr<ServerConfig> ParseConfig(const std::vector<std::string>& args) {
  ServerConfig config;
  // Pass 1: the config file, so flags can override it regardless of order.
  for (size_t i = 0; i < args.size(); ++i) {
    std::string path;
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].starts_with("--config=")) path = args[i].substr(9);
    if (path.empty()) continue;
    std::ifstream in(path);
    if (!in) return Bad("cannot read config file '" + path + "'");
    std::stringstream text;
    text << in.rdbuf();
    Status s = ApplyConfigText(text.str(), config);
    if (!s.ok()) return Bad(path + ": " + s.message());
  }
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) return Bad("unexpected argument '" + arg + "'");
    std::string key = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (const auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key.resize(eq);
      has_value = true;
    }
    std::string normalized = key;
    std::replace(normalized.begin(), normalized.end(), '_', '-');
    const auto is_bool_literal = [](const std::string& v) {
      return v == "true" || v == "false" || v == "1" || v == "0" || v == "yes" || v == "no" ||
             v == "on" || v == "off";
    };
    if (!has_value && IsBoolKey(normalized) && i + 1 < args.size() &&
        is_bool_literal(args[i + 1])) {
      value = args[++i];
    } else if (!has_value && !IsBoolKey(normalized)) {
      if (i + 1 >= args.size()) return Bad("--" + key + " needs a value");
      value = args[++i];
    }
    if (normalized == "config") continue;
    Status s = Apply(key, value, config);
    if (!s.ok()) return s;
  }
  return config;
}

std::string ConfigUsage() {
  return R"(usage:
  vitrine-server serve --write-key K --admin-key K [options]
  vitrine-server demo-load --db PATH [--demo-customers N] [--demo-seed S] [--datasets DIR]
  vitrine-server train --db PATH [--train-sequential true] [--train-epochs N]
  vitrine-server campaign-report --db PATH --campaign ID [--json]
  vitrine-server audience-export --db PATH --from openers|clickers --campaign ID
                                 --platform meta|google --out FILE [--phone-country CODE]

options (also `key = value` lines in --config FILE; flags win):
  --config FILE                  read settings from FILE
  --listen URL                   http://127.0.0.1:8787 (https:// needs --tls-cert/--tls-key)
  --db PATH                      SQLite database file (vitrine.db)
  --write-key K                  storefront key: POST /v1/batch, /v1/identify, GET /v1/snapshot
  --admin-key K                  admin key: /v1/admin/*
  --tls-cert FILE --tls-key FILE PEM certificate chain and private key
  --demo                         load the generated demo shop before serving
  --demo-customers N             2000
  --demo-seed S                  42
  --datasets DIR                 folder with amazon/ (real product titles for the demo)
  --static-dir DIR               serve files from DIR at / (demo storefront)
  --ready-file PATH              write "ready\n" to PATH once listening
  --access-log true|false        JSON request log on stderr (true)
  --allowed-origins LIST         origins whose pages may call /v1/batch, /v1/snapshot, /v1/identify
                                 and load static files: * (default), "" (same origin) or
                                 https://shop.example,https://www.shop.example
  --http-threads N               HTTP worker threads (0: 2 per core, at least 4)
  --max-body-bytes N             4194304
  --max-inflated-bytes N         16777216
  --max-batch-events N           5000
  --snapshot-ttl SECONDS         900
  --half-life-days D             7
  --model-refresh-ms MS          0 (rebuild rankings whenever new events arrived)
  --retrain-interval-s S         21600 (retrain the models every S seconds; 0: on demand only)
  --model-versions-kept N        3
  --train-sequential BOOL        false (also train the sequential transformer)
  --train-epochs N               0 (transformer epoch cap; 0: its default)
  --train-threads N              0 (all cores)
  --max-events-per-transaction N 20000

email campaigns and triggers (admin API /v1/admin/campaigns, tracking at /t/):
  --smtp-url URL                 smtp://HOST:PORT (STARTTLS per --smtp-starttls) or smtps://HOST:PORT
  --smtp-from ADDRESS            From address (required to send)
  --smtp-from-name NAME          From display name
  --smtp-starttls MODE           off | opportunistic | required (opportunistic)
  --smtp-rate N                  messages per second (10; 0: unlimited)
  --smtp-ca-file FILE            extra PEM trust anchor for the relay's certificate
  --smtp-username U --smtp-password P   SMTP AUTH
  --tracking-url URL             public base of the tracking routes (default: --listen + /t)
  --shop-name NAME --shop-url URL --email-footer TEXT
  --email-triggers BOOL          run the trigger worker (abandoned cart, browse, category,
                                 price drop, back in stock) (false)
  --trigger-cap-hours H          at most one triggered email per customer per H hours (16)
  --trigger-poll-s S             read new events every S seconds (30)
)";
}

}  // namespace vitrine::server
