// SyncEngine: one POST /v1/batch attempt or one GET /v1/snapshot, plus the backoff policy.
//
// How an answer is classified (the Client acts on the outcome; this file never sleeps):
//   2xx + parseable BatchAck  -> remove exactly the acked ids that were in this batch: kAcked.
//                                Ids the server acks that we did not send are ignored; ids it
//                                does not ack stay queued and go out again (the server dedups
//                                by event_id, so a resend is harmless). An ack that covers none
//                                of the batch is treated as kRetry, or a buggy server would make
//                                the Client spin on the same batch.
//   2xx + unparseable body    -> kRetry: the server may well have stored the batch, but without
//                                an ack we must not delete anything; resending is safe.
//   408 / 425 / 429 / 5xx /
//   no answer (status 0)      -> kRetry, retry_after_ms from Retry-After when present.
//   413                       -> the batch is too large for the server: halve the batch limits
//                                (events and bytes) for all later attempts and report kRetry
//                                with nothing dead-lettered; only a single event that still gets
//                                413 is dead-lettered. The shrink lasts for this engine's life:
//                                a server whose body limit is below our batch size stays so.
//   other 4xx (400/401/403/   -> kRejected: the batch is moved to the dead-letter table with the
//   404/415/...)                 server's reason (vitrine.v1.Error code + message). When a 400
//                                names the offending event (Error.event_index), only that event
//                                is dead-lettered and the rest stay queued for the next attempt.
//   1xx / 3xx                 -> kRetry: unexpected here (a misconfigured proxy or redirect);
//                                dead-lettering on it would turn a config error into data loss.
//
// Server clock skew: deliberately nothing is done on the device. Events keep the device clock in
// occurred_at_ms, and every Batch carries sent_at_ms from the same clock, so the server, which
// knows its own receive time, can estimate the skew per batch and correct timestamps there
// (one place, one policy, no stored rows rewritten). BatchAck.server_time_ms is accepted and
// ignored; a future version may surface it in ClientStats for diagnostics.
#include "sdk/src/core/sync_engine.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sdk/src/core/compression.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/event.pb.h"

namespace vitrine::internal {
namespace {

constexpr char kSdkName[] = "vitrine-cpp";
constexpr char kProtobufType[] = "application/x-protobuf";
// A Retry-After longer than this is treated as this: a broken server must not be able to park
// the SDK for weeks. A day is longer than any sane maintenance window.
constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;
constexpr size_t kMaxReasonChars = 300;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Executors lower-case header names, but a test double or another platform may not.
const std::string* FindHeader(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (EqualsIgnoreCase(key, name)) return &value;
  }
  return nullptr;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil), so
// date parsing needs neither timegm() nor the C locale.
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Accepts the three HTTP-date forms of RFC 9110 5.6.7: IMF-fixdate
// ("Sun, 06 Nov 1994 08:49:37 GMT"), obsolete RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") and
// asctime ("Sun Nov  6 08:49:37 1994"). In all three the day of month precedes the year.
// Returns epoch ms, or -1 when `s` is not a date.
int64_t ParseHttpDateMs(std::string_view s) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  int month = -1;
  int64_t numbers[2] = {-1, -1};
  int number_count = 0;
  int64_t hh = -1, mm = -1, ss = -1;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == ',' || c == '-' || c == '\t') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != ',' && s[j] != '-' && s[j] != '\t') ++j;
    const std::string_view token = s.substr(i, j - i);
    i = j;
    if (token.find(':') != std::string_view::npos) {
      if (token.size() != 8 || token[2] != ':' || token[5] != ':') return -1;
      for (size_t k : {0, 1, 3, 4, 6, 7}) {
        if (!std::isdigit(static_cast<unsigned char>(token[k]))) return -1;
      }
      hh = (token[0] - '0') * 10 + (token[1] - '0');
      mm = (token[3] - '0') * 10 + (token[4] - '0');
      ss = (token[6] - '0') * 10 + (token[7] - '0');
    } else if (std::isdigit(static_cast<unsigned char>(token[0]))) {
      if (token.size() > 4 || number_count == 2) return -1;
      int64_t v = 0;
      for (char d : token) {
        if (!std::isdigit(static_cast<unsigned char>(d))) return -1;
        v = v * 10 + (d - '0');
      }
      // Two-digit years only occur in the RFC 850 form.
      if (number_count == 1 && token.size() == 2) v += v >= 70 ? 1900 : 2000;
      numbers[number_count++] = v;
    } else if (token.size() == 3 && month < 0) {
      for (int m = 0; m < 12; ++m) {
        if (EqualsIgnoreCase(token, kMonths[m])) month = m + 1;
      }
      // Not a month: a weekday name or "GMT"; both carry no information we need.
    }
  }
  const int64_t day = numbers[0];
  const int64_t year = numbers[1];
  if (month < 0 || number_count != 2 || hh < 0 || day < 1 || day > 31 || year < 1970 || hh > 23 ||
      mm > 59 || ss > 60) {
    return -1;
  }
  const int64_t days = DaysFromCivil(year, month, day);
  return ((days * 24 + hh) * 60 + mm) * 60 * 1000 + ss * 1000;
}

// RFC 3986 unreserved characters pass; everything else is %XX (UTF-8 bytes as they are).
std::string UrlEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

// Printable excerpt of an unexpected body, for messages and dead-letter reasons.
std::string Excerpt(std::string_view body) {
  std::string out;
  for (char ch : body.substr(0, kMaxReasonChars)) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(c >= 0x20 && c < 0x7F ? ch : '?');
  }
  return out;
}

struct ServerReason {
  std::string text;  // "HTTP 400 invalid_event: product_id is required"
  int32_t event_index = -1;
};

ServerReason ReadServerReason(const HttpResponse& response) {
  ServerReason reason;
  reason.text = "HTTP " + std::to_string(response.status);
  v1::Error error;
  // Only trust the parse when it yields a code: arbitrary bytes (an HTML error page from a proxy)
  // sometimes parse as a protobuf message with nothing useful in it.
  if (!response.body.empty() && error.ParseFromString(response.body) && !error.code().empty()) {
    reason.text += " " + Excerpt(error.code());
    if (!error.message().empty()) reason.text += ": " + Excerpt(error.message());
    reason.event_index = error.event_index();
  } else if (!response.body.empty()) {
    reason.text += ": " + Excerpt(response.body);
  }
  return reason;
}

bool IsRetryableStatus(int status) {
  return status == 0 || status == 408 || status == 425 || status == 429 ||
         (status >= 500 && status <= 599) || status < 200 || (status >= 300 && status <= 399);
}

}  // namespace

int64_t ParseRetryAfterMs(std::string_view value, int64_t now_ms) {
  value = Trim(value);
  if (value.empty()) return 0;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    // delta-seconds; servers in the wild also send fractions ("1.5"), which we honour.
    int64_t whole = 0;
    size_t i = 0;
    for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])); ++i) {
      whole = std::min<int64_t>(whole * 10 + (value[i] - '0'), kMaxRetryAfterMs);
    }
    int64_t frac_ms = 0;
    if (i < value.size() && value[i] == '.') {
      ++i;
      int64_t scale = 100;
      const size_t digits_start = i;
      for (; i < value.size() && std::isdigit(static_cast<unsigned char>(value[i])); ++i) {
        frac_ms += (value[i] - '0') * scale;
        scale /= 10;
      }
      if (i == digits_start) return 0;
    }
    if (i != value.size()) return 0;
    return std::min<int64_t>(whole * 1000 + frac_ms, kMaxRetryAfterMs);
  }
  const int64_t at_ms = ParseHttpDateMs(value);
  if (at_ms < 0 || at_ms <= now_ms) return 0;
  return std::min<int64_t>(at_ms - now_ms, kMaxRetryAfterMs);
}

Backoff::Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed)
    : initial_ms_(std::max<int64_t>(0, initial_ms)),
      max_ms_(std::max<int64_t>(0, max_ms)),
      rng_(seed) {}

int64_t Backoff::NextDelayMs(int64_t floor_ms) {
  // cap = min(max, initial * 2^attempt), computed without overflow.
  int64_t cap = max_ms_;
  if (attempt_ < 62 && initial_ms_ <= (max_ms_ >> attempt_)) cap = initial_ms_ << attempt_;
  if (attempt_ < 62) ++attempt_;
  std::uniform_int_distribution<int64_t> jitter(0, cap);
  return std::max(floor_ms, jitter(rng_));
}

SyncEngine::SyncEngine(SyncConfig config, Store& store, HttpExecutor& http, const Clock& clock)
    : config_(std::move(config)), store_(store), http_(http), clock_(clock) {}

SendResult SyncEngine::SendOnce() {
  PreparedSend prepared = PrepareSend();
  if (!prepared.has_request) return prepared.result;
  const HttpResponse response = http_.Execute(prepared.request);
  return CompleteSend(std::move(prepared), response);
}

PreparedSend SyncEngine::PrepareSend() {
  PreparedSend prepared;
  SendResult& result = prepared.result;
  auto read = store_.ReadOldest(std::max<size_t>(1, config_.max_batch_events),
                                std::max<size_t>(1, config_.max_batch_bytes));
  if (!read.ok()) {
    result.outcome = SendOutcome::kRetry;
    result.status = read.status();
    result.more_pending = true;
    return prepared;
  }
  std::vector<QueuedEvent>& queued = read.value();
  if (queued.empty()) return prepared;  // kIdle

  // Build the batch. A payload that no longer parses (a corrupted row) is dead-lettered here:
  // sending it would get the whole batch refused and block every event behind it.
  v1::Batch batch;
  batch.set_sent_at_ms(clock_.NowMs());
  v1::ClientContext* context = batch.mutable_context();
  context->set_sdk_name(kSdkName);
  context->set_platform(config_.sdk_platform);
  context->set_app_version(config_.app_version);
  std::vector<std::string>& batch_ids = prepared.batch_ids;
  std::vector<std::string> corrupt_ids;
  std::vector<size_t>& payload_sizes = prepared.payload_sizes;
  batch_ids.reserve(queued.size());
  for (QueuedEvent& event : queued) {
    v1::Event parsed;
    if (!parsed.ParseFromString(event.payload)) {
      corrupt_ids.push_back(std::move(event.event_id));
      continue;
    }
    *batch.add_events() = std::move(parsed);
    payload_sizes.push_back(event.payload.size());
    batch_ids.push_back(std::move(event.event_id));
  }
  if (!corrupt_ids.empty()) {
    const Status st =
        store_.DeadLetter(corrupt_ids, "corrupt local payload (not a vitrine.v1.Event)");
    if (st.ok()) result.dead_lettered += corrupt_ids.size();
  }
  if (batch_ids.empty()) {
    result.outcome = SendOutcome::kRejected;
    result.status = Status(StatusCode::kStorageError, "queued payloads were corrupt");
    result.more_pending = true;
    return prepared;
  }

  HttpRequest& request = prepared.request;
  request.method = "POST";
  request.url = config_.server_url + "/v1/batch";
  request.timeout_ms = config_.request_timeout_ms;
  request.body = batch.SerializeAsString();
  request.headers["Content-Type"] = kProtobufType;
  request.headers["Accept"] = kProtobufType;  // errors come back as vitrine.v1.Error
  if (!config_.write_key.empty()) request.headers["Authorization"] = "Bearer " + config_.write_key;
  if (config_.compress) {
    if (auto gz = GzipCompress(request.body)) {
      request.body = std::move(*gz);
      request.headers["Content-Encoding"] = "gzip";
    }
  }
  result.wire_bytes = request.body.size();

  prepared.has_request = true;
  return prepared;
}

SendResult SyncEngine::CompleteSend(PreparedSend prepared, const HttpResponse& response) {
  SendResult result = std::move(prepared.result);
  const std::vector<std::string>& batch_ids = prepared.batch_ids;
  const std::vector<size_t>& payload_sizes = prepared.payload_sizes;
  const int code = response.status;
  const int64_t now_ms = clock_.NowMs();
  if (const std::string* retry_after = FindHeader(response, "retry-after")) {
    result.retry_after_ms = ParseRetryAfterMs(*retry_after, now_ms);
  }
  result.more_pending = true;

  if (code >= 200 && code <= 299) {
    v1::BatchAck ack;
    if (!ack.ParseFromString(response.body)) {
      result.outcome = SendOutcome::kRetry;
      result.status = Status(StatusCode::kUnavailable,
                             "HTTP " + std::to_string(code) + " with an unparseable BatchAck");
      return result;
    }
    const std::unordered_set<std::string> sent(batch_ids.begin(), batch_ids.end());
    std::unordered_set<std::string> acked_set;
    std::vector<std::string> acked;
    for (const std::string& id : ack.acked_event_ids()) {
      if (sent.count(id) != 0 && acked_set.insert(id).second) acked.push_back(id);
    }
    if (acked.empty()) {
      result.outcome = SendOutcome::kRetry;
      result.status =
          Status(StatusCode::kUnavailable,
                 "server acked none of the " + std::to_string(batch_ids.size()) + " events sent");
      return result;
    }
    auto removed = store_.Remove(acked);
    if (!removed.ok()) {
      // The events stay queued and are sent again; the server acks them as duplicates.
      result.outcome = SendOutcome::kRetry;
      result.status = removed.status();
      return result;
    }
    result.outcome = SendOutcome::kAcked;
    result.acked = acked.size();
  } else if (code == 413 && batch_ids.size() > 1) {
    // Halve by count, and cap bytes at what the first half of this batch weighed, so the next
    // batch is exactly that half whatever the sizes of the events.
    const size_t events = std::max<size_t>(1, batch_ids.size() / 2);
    size_t half_bytes = 0;
    for (size_t i = 0; i < events; ++i) half_bytes += payload_sizes[i];
    config_.max_batch_events = std::min(config_.max_batch_events, events);
    config_.max_batch_bytes = std::min(config_.max_batch_bytes, std::max<size_t>(1, half_bytes));
    result.outcome = SendOutcome::kRetry;
    result.status =
        Status(StatusCode::kRejected, "HTTP 413: batch too large; next batches hold at most " +
                                          std::to_string(config_.max_batch_events) + " events");
    return result;
  } else if (code >= 400 && code <= 499 && !IsRetryableStatus(code)) {
    const ServerReason reason = ReadServerReason(response);
    std::vector<std::string> refused;
    if (code == 400 && batch_ids.size() > 1 && reason.event_index >= 0 &&
        static_cast<size_t>(reason.event_index) < batch_ids.size()) {
      // The server named the one bad event: keep the others for the next attempt.
      refused.push_back(batch_ids[static_cast<size_t>(reason.event_index)]);
    } else {
      refused = batch_ids;
    }
    const Status st = store_.DeadLetter(refused, reason.text);
    if (!st.ok()) {
      result.outcome = SendOutcome::kRetry;
      result.status = st;
      return result;
    }
    result.outcome = SendOutcome::kRejected;
    result.dead_lettered += refused.size();
    result.status = Status(StatusCode::kRejected, reason.text);
  } else {
    result.outcome = SendOutcome::kRetry;
    if (code == 0) {
      result.status = Status(StatusCode::kUnavailable, "transport: " + response.transport_error);
    } else if (code == 429) {
      result.status = Status(StatusCode::kRateLimited, ReadServerReason(response).text);
    } else {
      result.status = Status(StatusCode::kUnavailable, ReadServerReason(response).text);
    }
    return result;
  }

  auto stats = store_.Stats();
  result.more_pending = !stats.ok() || stats->count > 0;
  return result;
}

SnapshotResult SyncEngine::FetchSnapshot(const std::string& anonymous_id,
                                         const std::string& user_id, const std::string& etag) {
  return CompleteSnapshot(http_.Execute(SnapshotRequest(anonymous_id, user_id, etag)), etag);
}

HttpRequest SyncEngine::SnapshotRequest(const std::string& anonymous_id, const std::string& user_id,
                                        const std::string& etag) const {
  HttpRequest request;
  request.method = "GET";
  request.url = config_.server_url + "/v1/snapshot?anonymous_id=" + UrlEncode(anonymous_id) +
                "&user_id=" + UrlEncode(user_id);
  request.timeout_ms = config_.request_timeout_ms;
  request.headers["Accept"] = kProtobufType;
  if (!config_.write_key.empty()) request.headers["Authorization"] = "Bearer " + config_.write_key;
  if (!etag.empty()) request.headers["If-None-Match"] = etag;
  return request;
}

SnapshotResult SyncEngine::CompleteSnapshot(HttpResponse response, const std::string& etag) const {
  SnapshotResult result;
  const int code = response.status;
  if (code == 304) {
    result.not_modified = true;
    const std::string* new_etag = FindHeader(response, "etag");
    result.etag = new_etag != nullptr && !new_etag->empty() ? *new_etag : etag;
    return result;
  }
  if (code >= 200 && code <= 299) {
    if (const std::string* new_etag = FindHeader(response, "etag")) result.etag = *new_etag;
    result.snapshot_bytes = std::move(response.body);
    return result;
  }
  if (code == 0) {
    result.status = Status(StatusCode::kUnavailable, "transport: " + response.transport_error);
  } else if (code == 429) {
    std::string message = ReadServerReason(response).text;
    if (const std::string* retry_after = FindHeader(response, "retry-after")) {
      message += " (retry after " +
                 std::to_string(ParseRetryAfterMs(*retry_after, clock_.NowMs())) + " ms)";
    }
    result.status = Status(StatusCode::kRateLimited, message);
  } else if (IsRetryableStatus(code)) {
    result.status = Status(StatusCode::kUnavailable, ReadServerReason(response).text);
  } else {
    result.status = Status(StatusCode::kRejected, ReadServerReason(response).text);
  }
  return result;
}

}  // namespace vitrine::internal
