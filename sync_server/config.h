// Server configuration: a `key = value` file (--config) and command-line flags with the same
// names (flags win). `#` starts a comment; `write_key` and `write-key` are the same key.
//
// Thread safety: plain values and pure functions.
#ifndef VITRINE_SYNC_SERVER_CONFIG_H_
#define VITRINE_SYNC_SERVER_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sync_server/batch_codec.h"
#include "sync_server/common/status.h"

namespace vitrine::server {

struct ServerConfig {
  std::string listen = "http://127.0.0.1:8787";  // https:// needs tls_cert and tls_key
  std::string db = "vitrine.db";
  std::string write_key;  // required for serve
  std::string admin_key;  // required for serve
  std::string tls_cert;   // PEM certificate chain
  std::string tls_key;    // PEM private key
  bool demo = false;      // serve: load the generated demo shop first
  size_t demo_customers = 2000;
  uint64_t demo_seed = 42;
  std::string datasets;    // folder with amazon/ (real titles for the demo shop), optional
  std::string static_dir;  // files served at / (the demo storefront), optional
  std::string ready_file;  // "ready\n" is written here once listening
  bool access_log = true;  // one JSON line per request on stderr
  // Origins whose pages may call the device API and load the static files (http/cors.h): "*",
  // "" (only pages this server serves) or "https://shop.example,https://www.shop.example".
  std::string allowed_origins = "*";
  // Threads of cpprest's shared pool (serve only). cpprest's own default is 40, far more than the
  // cores: the pool threads then spend their time waking each other. 0: 2 per core, at least 4.
  size_t http_threads = 0;
  IngestLimits limits;  // max_body_bytes, max_inflated_bytes, max_batch_events
  uint32_t snapshot_ttl_seconds = 900;
  double half_life_days = 7.0;
  int64_t model_refresh_ms = 0;  // 0: rebuild the ranking whenever new events arrived
  size_t max_events_per_transaction = 20000;
  // Trained models (training/): retrain this often while serving (0: only on demand through
  // POST /v1/admin/train or `vitrine-server train`), keeping this many stored versions.
  int64_t retrain_interval_s = 6 * 3600;
  int model_versions_kept = 3;
  bool train_sequential = false;  // also train the transformer (builds with libtorch)
  int train_epochs = 0;           // transformer epochs cap; 0: its default
  int train_threads = 0;          // 0: every core
  // ---- campaigns: email delivery and triggers (begin) ----
  std::string smtp_url;   // "smtp://127.0.0.1:2525" or "smtps://..."; "" = no sending
  std::string smtp_from;  // From address (required to send)
  std::string smtp_from_name;
  std::string smtp_starttls = "opportunistic";  // off | opportunistic | required (smtp:// only)
  double smtp_rate = 10;                        // messages per second; 0: unlimited
  std::string smtp_ca_file;                     // extra PEM trust anchor for a private relay
  std::string smtp_username;                    // AUTH when set
  std::string smtp_password;
  std::string tracking_url;  // public base of /t (e.g. "https://shop.example/t"); "" = listen/t
  std::string shop_name = "Our shop";
  std::string shop_url;
  std::string email_footer;       // postal address etc., in every email
  bool email_triggers = false;    // serve: run the email trigger worker
  double trigger_cap_hours = 16;  // global cap: one triggered email per customer per this window
  int64_t trigger_poll_s = 30;    // how often the trigger worker reads new events
  // ---- campaigns: email delivery and triggers (end) ----
};

// Parses the arguments after the sub-command ("serve", "demo-load"). A --config file is read
// first, then every flag overrides it. Unknown flags and keys are errors.
StatusOr<ServerConfig> ParseConfig(const std::vector<std::string>& args);
// Applies `key = value` lines.
Status ApplyConfigText(const std::string& text, ServerConfig& config);
// The flags and their meaning, for --help and errors.
std::string ConfigUsage();

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_CONFIG_H_
