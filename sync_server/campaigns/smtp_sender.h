// SMTP delivery over libcurl (smtp:// with optional or required STARTTLS, smtps:// implicit TLS)
// and a throttle for the send rate.
//
// One message per recipient (the envelope carries exactly one RCPT), so every recipient gets
// its own result: 2xx sent; 5xx rejected (a hard bounce: the address is refused); 4xx deferred
// (greylisting, mailbox full: try later); anything else (connection, TLS, timeout) failed. The
// connection is kept open and reused between messages (one curl easy handle).
//
// Thread safety: CurlSmtpSender serialises Send() calls with a mutex. RateLimiter is for one
// sending thread.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_SMTP_SENDER_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_SMTP_SENDER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace vitrine::server::campaigns {

struct OutgoingMail {
  std::string envelope_from;  // MAIL FROM (the bounce address)
  std::string recipient;      // RCPT TO
  std::string data;           // the whole RFC 5322 message, CRLF line endings
};

struct SendResult {
  enum class Outcome { kSent, kRejected, kDeferred, kFailed };
  Outcome outcome = Outcome::kFailed;
  long smtp_code = 0;  // the server's last reply code (0: no reply)
  std::string detail;  // curl's error text, "" when sent
};
const char* SendOutcomeName(SendResult::Outcome outcome);

class MailSender {
 public:
  virtual ~MailSender() = default;
  virtual SendResult Send(const OutgoingMail& mail) = 0;
};

struct SmtpOptions {
  std::string url;                // "smtp://127.0.0.1:2525", "smtps://mail.example:465"
  bool require_starttls = false;  // smtp:// only: refuse to send without STARTTLS
  bool try_starttls = false;      // smtp:// only: STARTTLS when offered, else plain
  std::string username;           // AUTH when non-empty
  std::string password;
  std::string ca_file;  // extra trust anchor (PEM) for a private relay
  bool verify_peer = true;
  long timeout_ms = 30'000;
  long connect_timeout_ms = 10'000;
};

class CurlSmtpSender : public MailSender {
 public:
  explicit CurlSmtpSender(SmtpOptions options);
  ~CurlSmtpSender() override;
  CurlSmtpSender(const CurlSmtpSender&) = delete;
  CurlSmtpSender& operator=(const CurlSmtpSender&) = delete;

  SendResult Send(const OutgoingMail& mail) override;

 private:
  const SmtpOptions options_;
  std::mutex mu_;
  void* curl_ = nullptr;  // CURL*, guarded by mu_ (kept out of the header: no curl.h here)
};

// Token bucket: at most `per_second` acquisitions per second on average, bursts of `burst`.
class RateLimiter {
 public:
  using Clock = std::function<int64_t()>;         // ms, monotonic
  using Sleep = std::function<void(int64_t ms)>;  // blocks the sender (a manual clock advances)
  // per_second <= 0: unlimited.
  RateLimiter(double per_second, double burst, Clock clock, Sleep sleep);
  void Acquire();

 private:
  const double per_ms_;
  const double burst_;
  Clock clock_;
  Sleep sleep_;
  double tokens_;
  int64_t last_ms_;
};

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_SMTP_SENDER_H_
