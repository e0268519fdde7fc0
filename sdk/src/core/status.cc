#include "vitrine/status.h"

namespace vitrine {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kUnknownEvent:
      return "unknown_event";
    case StatusCode::kConsentDenied:
      return "consent_denied";
    case StatusCode::kStorageFull:
      return "storage_full";
    case StatusCode::kStorageBusy:
      return "storage_busy";
    case StatusCode::kStorageError:
      return "storage_error";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kRateLimited:
      return "rate_limited";
    case StatusCode::kRejected:
      return "rejected";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kShutdown:
      return "shutdown";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(code_);
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace vitrine
