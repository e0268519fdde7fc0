// Magento 2 / Adobe Commerce admin REST client: authentication, retry with backoff, and
// searchCriteria pagination with Magento's quirks handled.
//
// Authentication (one of):
//  - Bearer: an integration access token or an admin token as `Authorization: Bearer <token>`.
//    Since 2.4.4 integration tokens are refused as bearer unless the shop enabled
//    "Allow OAuth Access Tokens to be used as standalone Bearer tokens"
//    (oauth/consumer/enable_integration_as_bearer); a 401 says so in the returned Status.
//  - OAuth 1.0a: the integration's consumer key/secret and access token/secret, each request
//    signed with HMAC-SHA256 (what Magento's integration activation hands out).
//
// Pagination (SearchAll): Magento answers a currentPage past the end with the LAST page again,
// and without sortOrders the row order is unstable between pages. So every search is sorted by a
// unique key (entity_id), the loop stops once total_count distinct rows were seen (or a page adds
// nothing new), and rows are deduplicated by key. pageSize is capped at 300.
//
// Retry: 429, 502, 503, 504, other 5xx and transport failures are retried with exponential
// backoff (Retry-After honoured, decimal seconds accepted), up to max_attempts; the sleeper is
// injected so tests take no time.
//
// Thread safety: not thread-safe (counters); use one client per thread.
// Ownership: borrows the HTTP client (platform_adapters/common), which must outlive it.
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_REST_CLIENT_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_REST_CLIENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform_adapters/common/http_client.h"
#include "platform_adapters/shopify/json.h"
#include "sync_server/common/status.h"

namespace vitrine::magento {

using ::vitrine::server::Status;
using ::vitrine::server::StatusOr;

struct OAuth1Credentials {
  std::string consumer_key;
  std::string consumer_secret;
  std::string access_token;
  std::string access_token_secret;
  bool empty() const { return consumer_key.empty(); }
};

struct RestOptions {
  std::string base_url;                // "https://shop.example" (the REST root is <base>/rest)
  std::string store_code = "default";  // "/rest/<store_code>/V1/..."; "all" for admin scope
  std::string bearer_token;            // integration or admin token
  OAuth1Credentials oauth;             // used instead of the bearer token when set
  int page_size = 300;                 // clamped to 1..300
  int max_attempts = 6;                // per request, first try included
  int64_t backoff_initial_ms = 1000;   // doubled per retry
  int64_t backoff_max_ms = 60000;
  // Waits `ms` milliseconds (tests record instead of sleeping). Default: the real clock.
  std::function<void(int64_t ms)> sleep;
  // OAuth nonce and timestamp sources (tests fix them). Defaults: random / system clock.
  std::function<std::string()> nonce;
  std::function<int64_t()> now_s;
};

struct RestStats {
  int64_t requests = 0;  // HTTP attempts, retries included
  int64_t retries = 0;
  int64_t throttled = 0;      // 429 answers
  int64_t server_errors = 0;  // 5xx answers
  int64_t transport_errors = 0;
  int64_t waited_ms = 0;  // total backoff
};

// One searchCriteria filter; filters in different groups are ANDed.
struct SearchFilter {
  std::string field;
  std::string value;
  std::string condition = "eq";  // eq, gteq, gt, in, like, ...
};

struct SearchProgress {
  int64_t page = 0;
  int64_t seen = 0;   // distinct rows so far
  int64_t total = 0;  // total_count of the latest page
};

class RestClient {
 public:
  RestClient(RestOptions options, adapters::HttpClient* http);

  // GET <base>/rest/<store>/<path> (path like "V1/store/storeConfigs"), retried; the parsed body.
  [[nodiscard]] StatusOr<shopify::JsonValue> Get(std::string_view path_and_query);

  // Pages through a search endpoint ("V1/products") sorted by `sort_field` ascending and calls
  // `on_item` once per distinct row (keyed by `key_field`, read as text; "a,b" joins several
  // fields). `on_page` (optional)
  // reports progress after each page.
  [[nodiscard]] Status SearchAll(std::string_view path, const std::vector<SearchFilter>& filters,
                                 std::string_view sort_field, std::string_view key_field,
                                 const std::function<void(const shopify::JsonValue&)>& on_item,
                                 const std::function<void(const SearchProgress&)>& on_page = {});

  const RestStats& stats() const { return stats_; }
  const RestOptions& options() const { return options_; }
  // The URL of a REST path for this client's store view.
  std::string Url(std::string_view path_and_query) const;

 private:
  // status 0: no answer (transport failure, described in `error`).
  struct Answer {
    int status = 0;
    adapters::HttpResponse response;
    std::string error;
  };
  Answer SendWithRetry(const adapters::HttpRequest& request);

  RestOptions options_;
  adapters::HttpClient* http_;
  RestStats stats_;
};

// The query string of one search page (bracketed names percent-encoded).
std::string SearchQuery(const std::vector<SearchFilter>& filters, std::string_view sort_field,
                        int page_size, int64_t current_page);

// OAuth 1.0a: the Authorization header value for `method` + `url` (query included; its
// parameters are signed) plus `form_params` (an application/x-www-form-urlencoded body).
// `signature_method` is "HMAC-SHA256" (Magento) or "HMAC-SHA1".
std::string OAuth1Header(std::string_view method, std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& form_params,
                         const OAuth1Credentials& credentials, std::string_view nonce,
                         int64_t timestamp_s, std::string_view signature_method = "HMAC-SHA256");

// Retry-After as milliseconds: "2", "2.0", "0.5"; nullopt for anything else (HTTP dates are not
// used by Magento or its usual proxies).
std::optional<int64_t> ParseRetryAfterMs(std::string_view value);

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_REST_CLIENT_H_
