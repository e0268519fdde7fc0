#include "sync_server/campaigns/smtp_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace vitrine::server::campaigns {
namespace {

struct Upload {
  const std::string* data;
  size_t pos;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t room = size * nitems;
  const size_t n = std::min(room, up->data->size() - up->pos);
  std::memcpy(buffer, up->data->data() + up->pos, n);
  up->pos += n;
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

const char* SendOutcomeName(SendResult::Outcome outcome) {
  switch (outcome) {
    case SendResult::Outcome::kSent:
      return "sent";
    case SendResult::Outcome::kRejected:
      return "rejected";
    case SendResult::Outcome::kDeferred:
      return "deferred";
    case SendResult::Outcome::kFailed:
      return "failed";
  }
  return "unknown";
}

CurlSmtpSender::CurlSmtpSender(SmtpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
}

CurlSmtpSender::~CurlSmtpSender() {
  if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

SendResult CurlSmtpSender::Send(const OutgoingMail& mail) {
  std::lock_guard lock(mu_);
  SendResult result;
  auto* curl = static_cast<CURL*>(curl_);
  if (!curl) {
    result.detail = "curl_easy_init failed";
    return result;
  }
  // Options are re-applied per message: the handle (and its connection) is reused, but nothing
  // of the previous envelope may leak into this one.
  curl_easy_reset(curl);
  const std::string from = "<" + mail.envelope_from + ">";
  const std::string to = "<" + mail.recipient + ">";
  curl_slist* rcpt = curl_slist_append(nullptr, to.c_str());
  Upload upload{&mail.data, 0};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.data.size()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (options_.require_starttls) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else if (options_.try_starttls) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.verify_peer) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options_.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  result.smtp_code = code;
  if (rc == CURLE_OK) {
    result.outcome = SendResult::Outcome::kSent;
    return result;
  }
  result.detail = error[0] ? error : curl_easy_strerror(rc);
  if (code >= 500 && code < 600) {
    result.outcome = SendResult::Outcome::kRejected;
  } else if (code >= 400 && code < 500) {
    result.outcome = SendResult::Outcome::kDeferred;
  } else {
    result.outcome = SendResult::Outcome::kFailed;
  }
  return result;
}

RateLimiter::RateLimiter(double per_second, double burst, Clock clock, Sleep sleep)
    : per_ms_(per_second / 1000.0),
      burst_(std::max(1.0, burst)),
      clock_(std::move(clock)),
      sleep_(std::move(sleep)),
      tokens_(std::max(1.0, burst)),
      last_ms_(clock_ ? clock_() : 0) {}

void RateLimiter::Acquire() {
  if (per_ms_ <= 0) return;
  while (true) {
    const int64_t now = clock_();
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_ms_) * per_ms_);
    last_ms_ = now;
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return;
    }
    sleep_(std::max<int64_t>(1, static_cast<int64_t>(std::ceil((1.0 - tokens_) / per_ms_))));
  }
}

}  // namespace vitrine::server::campaigns
