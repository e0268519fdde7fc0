// Error values for the sync server's services. Services never throw and know nothing of HTTP:
// they return a Status (or StatusOr<T>) whose Kind the HTTP layer maps onto a status code.
//
// Thread safety: plain values.
#ifndef VITRINE_SYNC_SERVER_COMMON_STATUS_H_
#define VITRINE_SYNC_SERVER_COMMON_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace vitrine::server {

class [[nodiscard]] Status {
 public:
  enum class Kind {
    kOk,
    kInvalid,           // the input is wrong (400)
    kUnauthorized,      // missing or wrong key (401)
    kForbidden,         // right key, wrong scope (403)
    kNotFound,          // (404)
    kTooLarge,          // a size limit was hit (413)
    kUnsupportedMedia,  // (415)
    kUnavailable,       // storage failure or shutting down (503)
    kInternal,          // (500)
  };

  Status() = default;
  // `code` is the stable machine code sent to clients ("invalid_event", "malformed_protobuf").
  Status(Kind kind, std::string code, std::string message, int event_index = -1)
      : kind_(kind),
        code_(std::move(code)),
        message_(std::move(message)),
        event_index_(event_index) {}

  static Status Ok() { return Status(); }
  bool ok() const { return kind_ == Kind::kOk; }
  Kind kind() const { return kind_; }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  int event_index() const { return event_index_; }
  std::string ToString() const { return ok() ? "ok" : code_ + ": " + message_; }

 private:
  Kind kind_ = Kind::kOk;
  std::string code_;
  std::string message_;
  int event_index_ = -1;
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

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_COMMON_STATUS_H_
