// Error values for every Vitrine API. No exception crosses the SDK boundary: functions that can
// fail return a Status or a StatusOr<T>.
//
// Thread safety: Status and StatusOr are values; copies are independent.
#ifndef VITRINE_STATUS_H_
#define VITRINE_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace vitrine {

// Stable codes; the C ABI exposes the same numbers (vitrine.h, vt_status_code).
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,  // the caller's input is wrong; retrying will not help
  kUnknownEvent = 2,     // event type not in the vocabulary
  kConsentDenied = 3,    // capture is off because the user opted out
  kStorageFull = 4,      // disk full or queue bound reached and nothing evictable
  kStorageBusy = 5,      // database locked by someone else
  kStorageError = 6,     // any other storage failure
  kUnavailable = 7,      // network down, server 5xx, timeout
  kRateLimited = 8,      // server asked to slow down (429 / Retry-After)
  kRejected = 9,         // server refused the request permanently (4xx)
  kNotFound = 10,
  kShutdown = 11,  // the client was closed
  kInternal = 12,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: product_id is required"
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT; REQUIRES: !status.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status() : std::get<Status>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace vitrine

#endif  // VITRINE_STATUS_H_
