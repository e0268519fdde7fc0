#include "platform_adapters/magento/rest_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

namespace vitrine::magento {
namespace {

using shopify::JsonValue;

using adapters::UrlEncode;

bool Retryable(int status) {
  return status == 0 || status == 429 || status == 408 || status >= 500;
}

std::string Base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(std::max(len, 0)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding ('+' is a space).
std::string FormDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string DefaultNonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Uniqueness is what matters for a nonce; fall back to the clock.
    return std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

Status HttpError(int status, const std::string& body, const std::string& error,
                 std::string_view what) {
  if (status == 0) {
    return Status(Status::Kind::kUnavailable, "magento_unreachable",
                  std::string(what) + ": " + error);
  }
  std::string message = std::string(what) + ": HTTP " + std::to_string(status);
  // Magento's error body: {"message": "The consumer isn't authorized to access %resources.", ...}
  if (auto parsed = shopify::ParseJson(body); parsed.ok()) {
    if (const JsonValue* m = parsed.value->Find("message"); m && m->AsString()) {
      message += " (" + *m->AsString() + ")";
    }
  }
  if (status == 401) {
    message +=
        "; integration tokens are refused as bearer tokens since Magento 2.4.4 unless "
        "oauth/consumer/enable_integration_as_bearer is on: enable it or use the OAuth 1.0a "
        "credentials";
    return Status(Status::Kind::kUnauthorized, "magento_unauthorized", message);
  }
  if (status == 404) return Status(Status::Kind::kNotFound, "magento_not_found", message);
  return Status(Status::Kind::kUnavailable, "magento_http_error", message);
}

// The dedup key of a search row: the named fields' values joined ("sku,source_code" for MSI
// source items, which have no single id); nullopt when a field is missing.
std::optional<std::string> RowKey(const JsonValue& row, std::string_view fields) {
  std::string key;
  while (!fields.empty()) {
    const size_t comma = fields.find(',');
    const JsonValue* v = row.Find(fields.substr(0, comma));
    std::optional<std::string> text = v ? v->AsDecimalText() : std::nullopt;
    if (!text) return std::nullopt;
    if (!key.empty()) key += '\x1f';
    key += *text;
    fields = comma == std::string_view::npos ? std::string_view() : fields.substr(comma + 1);
  }
  if (key.empty()) return std::nullopt;
  return key;
}

}  // namespace

std::optional<int64_t> ParseRetryAfterMs(std::string_view value) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  int64_t whole = 0;
  size_t i = 0;
  for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) {
    if (whole > 86400) return std::nullopt;
    whole = whole * 10 + (value[i] - '0');
  }
  if (i == 0) return std::nullopt;
  int64_t ms = whole * 1000;
  if (i < value.size() && value[i] == '.') {
    ++i;
    int64_t scale = 100;
    for (; i < value.size() && value[i] >= '0' && value[i] <= '9'; ++i) {
      ms += (value[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != value.size()) return std::nullopt;
  return ms;
}

std::string OAuth1Header(std::string_view method, std::string_view url,
                         const std::vector<std::pair<std::string, std::string>>& form_params,
                         const OAuth1Credentials& credentials, std::string_view nonce,
                         int64_t timestamp_s, std::string_view signature_method) {
  std::string_view base = url;
  std::string_view query;
  if (const size_t q = url.find('?'); q != std::string_view::npos) {
    base = url.substr(0, q);
    query = url.substr(q + 1);
  }
  std::vector<std::pair<std::string, std::string>> oauth = {
      {"oauth_consumer_key", credentials.consumer_key},
      {"oauth_nonce", std::string(nonce)},
      {"oauth_signature_method", std::string(signature_method)},
      {"oauth_timestamp", std::to_string(timestamp_s)},
      {"oauth_token", credentials.access_token},
      {"oauth_version", "1.0"}};
  // Every parameter percent-encoded, then sorted by name and value (RFC 5849 3.4.1.3.2).
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    params.emplace_back(
        UrlEncode(FormDecode(pair.substr(0, eq))),
        eq == std::string_view::npos ? std::string() : UrlEncode(FormDecode(pair.substr(eq + 1))));
  }
  for (const auto& [k, v] : form_params) params.emplace_back(UrlEncode(k), UrlEncode(v));
  for (const auto& [k, v] : oauth) params.emplace_back(UrlEncode(k), UrlEncode(v));
  std::sort(params.begin(), params.end());
  std::string normalized;
  for (const auto& [k, v] : params) {
    if (!normalized.empty()) normalized += '&';
    normalized += k + "=" + v;
  }
  // Scheme and host lower-case; default ports are not part of the base URI.
  std::string base_uri(base);
  const size_t scheme_end = base_uri.find("://");
  if (scheme_end != std::string::npos) {
    const size_t host_end = base_uri.find('/', scheme_end + 3);
    std::transform(
        base_uri.begin(),
        base_uri.begin() +
            static_cast<std::ptrdiff_t>(host_end == std::string::npos ? base_uri.size() : host_end),
        base_uri.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (std::string_view port : {std::string_view(":80/"), std::string_view(":443/")}) {
      const size_t at = base_uri.find(port, scheme_end);
      const bool matches = at != std::string::npos && at < host_end &&
                           ((port == ":80/" && base_uri.starts_with("http:")) ||
                            (port == ":443/" && base_uri.starts_with("https:")));
      if (matches) base_uri.erase(at, port.size() - 1);
    }
  }
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const std::string base_string = upper + "&" + UrlEncode(base_uri) + "&" + UrlEncode(normalized);
  const std::string key =
      UrlEncode(credentials.consumer_secret) + "&" + UrlEncode(credentials.access_token_secret);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(signature_method == "HMAC-SHA1" ? EVP_sha1() : EVP_sha256(), key.data(),
       static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base_string.data()),
       base_string.size(), mac, &mac_len);
  oauth.emplace_back("oauth_signature", Base64(mac, mac_len));
  std::sort(oauth.begin(), oauth.end());
  std::string header = "OAuth ";
  for (size_t i = 0; i < oauth.size(); ++i) {
    if (i > 0) header += ", ";
    header += UrlEncode(oauth[i].first) + "=\"" + UrlEncode(oauth[i].second) + "\"";
  }
  return header;
}

std::string SearchQuery(const std::vector<SearchFilter>& filters, std::string_view sort_field,
                        int page_size, int64_t current_page) {
  std::string q;
  auto add = [&q](const std::string& name, std::string_view value) {
    if (!q.empty()) q += '&';
    q += UrlEncode(name) + "=" + UrlEncode(value);
  };
  for (size_t g = 0; g < filters.size(); ++g) {
    const std::string prefix =
        "searchCriteria[filter_groups][" + std::to_string(g) + "][filters][0]";
    add(prefix + "[field]", filters[g].field);
    add(prefix + "[value]", filters[g].value);
    add(prefix + "[condition_type]", filters[g].condition);
  }
  if (!sort_field.empty()) {
    add("searchCriteria[sortOrders][0][field]", sort_field);
    add("searchCriteria[sortOrders][0][direction]", "ASC");
  }
  add("searchCriteria[pageSize]", std::to_string(page_size));
  add("searchCriteria[currentPage]", std::to_string(current_page));
  return q;
}

RestClient::RestClient(RestOptions options, adapters::HttpClient* http)
    : options_(std::move(options)), http_(http) {
  options_.page_size = std::clamp(options_.page_size, 1, 300);
  options_.max_attempts = std::max(options_.max_attempts, 1);
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
  if (!options_.sleep) {
    options_.sleep = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
  if (!options_.nonce) options_.nonce = DefaultNonce;
  if (!options_.now_s) {
    options_.now_s = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

std::string RestClient::Url(std::string_view path_and_query) const {
  std::string url = options_.base_url + "/rest/";
  if (!options_.store_code.empty()) url += options_.store_code + "/";
  while (!path_and_query.empty() && path_and_query.front() == '/') path_and_query.remove_prefix(1);
  url += path_and_query;
  return url;
}

RestClient::Answer RestClient::SendWithRetry(const adapters::HttpRequest& request) {
  Answer answer;
  int64_t backoff = options_.backoff_initial_ms;
  for (int attempt = 1;; ++attempt) {
    // Signed per attempt: OAuth nonces must not repeat.
    adapters::HttpRequest signed_request = request;
    if (!options_.oauth.empty()) {
      signed_request.headers.emplace_back(
          "Authorization", OAuth1Header(request.method, request.url, {}, options_.oauth,
                                        options_.nonce(), options_.now_s()));
    } else if (!options_.bearer_token.empty()) {
      signed_request.headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
    }
    ++stats_.requests;
    auto sent = http_->Send(signed_request);
    answer = Answer();
    if (sent.ok()) {
      answer.status = sent->status;
      answer.response = std::move(*sent);
    } else {
      answer.error = sent.status().ToString();
    }
    if (answer.status == 429) ++stats_.throttled;
    if (answer.status >= 500) ++stats_.server_errors;
    if (answer.status == 0) ++stats_.transport_errors;
    if (!Retryable(answer.status) || attempt >= options_.max_attempts) return answer;
    int64_t wait = std::min(backoff, options_.backoff_max_ms);
    if (answer.response.HasHeader("retry-after")) {
      if (auto ms = ParseRetryAfterMs(answer.response.Header("retry-after"))) {
        wait = std::min(*ms, options_.backoff_max_ms);
      }
    }
    backoff = std::min(backoff * 2, options_.backoff_max_ms);
    ++stats_.retries;
    stats_.waited_ms += wait;
    options_.sleep(wait);
  }
}

StatusOr<JsonValue> RestClient::Get(std::string_view path_and_query) {
  adapters::HttpRequest request;
  request.method = "GET";
  request.url = Url(path_and_query);
  request.headers = {{"Accept", "application/json"}};
  Answer answer = SendWithRetry(request);
  const std::string what = "GET " + std::string(path_and_query.substr(0, path_and_query.find('?')));
  if (answer.status != 200) {
    return HttpError(answer.status, answer.response.body, answer.error, what);
  }
  auto parsed =
      shopify::ParseJson(answer.response.body, {.max_depth = 64, .max_bytes = 256u << 20});
  if (!parsed.ok()) {
    return Status(Status::Kind::kUnavailable, "magento_bad_json",
                  what + ": response is not JSON: " + parsed.error);
  }
  return std::move(*parsed.value);
}

Status RestClient::SearchAll(std::string_view path, const std::vector<SearchFilter>& filters,
                             std::string_view sort_field, std::string_view key_field,
                             const std::function<void(const JsonValue&)>& on_item,
                             const std::function<void(const SearchProgress&)>& on_page) {
  std::set<std::string> seen;
  SearchProgress progress;
  for (int64_t page = 1;; ++page) {
    auto body =
        Get(std::string(path) + "?" + SearchQuery(filters, sort_field, options_.page_size, page));
    if (!body.ok()) return body.status();
    const JsonValue* items = body->Find("items");
    const JsonValue* total = body->Find("total_count");
    if (items == nullptr || !items->is_array() || total == nullptr || !total->AsInt64()) {
      return Status(Status::Kind::kUnavailable, "magento_bad_search",
                    std::string(path) + ": response is not a search result (items, total_count)");
    }
    progress.page = page;
    progress.total = *total->AsInt64();
    size_t added = 0;
    for (const JsonValue& item : items->items()) {
      std::optional<std::string> text = RowKey(item, key_field);
      // A row without the key cannot be deduplicated; pass it on (mapping reports it).
      if (text && !seen.insert(*text).second) continue;
      ++added;
      on_item(item);
    }
    progress.seen = static_cast<int64_t>(seen.size());
    if (on_page) on_page(progress);
    // Past the end Magento repeats the last page: nothing new means done, as does having seen
    // total_count rows. A page with fewer rows than asked for is the last one too.
    if (added == 0 || progress.seen >= progress.total ||
        items->items().size() < static_cast<size_t>(options_.page_size)) {
      return Status::Ok();
    }
  }
}

}  // namespace vitrine::magento
