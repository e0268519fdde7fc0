#include "sync_server/http/cors.h"

#include <algorithm>
#include <cctype>

#include "sync_server/common/utf8.h"

namespace vitrine::server {
namespace {

// Browsers serialise an origin as scheme://host[:port], lower case, without the default port.
StatusOr<std::string> NormalizeOrigin(std::string_view raw) {
  const std::string origin = AsciiToLower(TrimAscii(raw));
  auto bad = [&](const std::string& why) {
    return Status(Status::Kind::kInvalid, "bad_config",
                  "allowed-origins: '" + std::string(raw) + "' " + why);
  };
  std::string_view rest;
  std::string_view default_port;
  if (origin.starts_with("https://")) {
    rest = std::string_view(origin).substr(8);
    default_port = ":443";
  } else if (origin.starts_with("http://")) {
    rest = std::string_view(origin).substr(7);
    default_port = ":80";
  } else {
    return bad("must start with http:// or https://");
  }
  if (rest.empty()) return bad("has no host");
  for (char c : rest) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                    c == ':' || c == '[' || c == ']';
    if (!ok) return bad("is not an origin (scheme://host[:port], no path or trailing slash)");
  }
  std::string out(origin.substr(0, origin.size() - rest.size()));
  if (rest.ends_with(default_port)) rest.remove_suffix(default_port.size());
  out += rest;
  return out;
}

}  // namespace

StatusOr<CorsPolicy> CorsPolicy::Parse(std::string_view allowed) {
  CorsPolicy policy;
  allowed = TrimAscii(allowed);
  if (allowed == "*") {
    policy.any_ = true;
    return policy;
  }
  while (!allowed.empty()) {
    const size_t comma = allowed.find(',');
    const std::string_view item = allowed.substr(0, comma);
    allowed = comma == std::string_view::npos ? std::string_view() : allowed.substr(comma + 1);
    if (TrimAscii(item).empty()) continue;
    if (TrimAscii(item) == "*") {
      return Status(Status::Kind::kInvalid, "bad_config",
                    "allowed-origins: '*' cannot be mixed with a list of origins");
    }
    auto origin = NormalizeOrigin(item);
    if (!origin.ok()) return origin.status();
    policy.origins_.push_back(std::move(origin).value());
  }
  return policy;
}

bool CorsPolicy::Allows(std::string_view origin, std::string_view host) const {
  if (origin.empty()) return false;
  if (any_) return true;
  const std::string lower = AsciiToLower(origin);
  if (const size_t scheme_end = lower.find("://");
      scheme_end != std::string::npos && !host.empty() &&
      lower.substr(scheme_end + 3) == AsciiToLower(host)) {
    return true;  // a page this server served itself
  }
  return std::find(origins_.begin(), origins_.end(), lower) != origins_.end();
}

std::string CorsPolicy::AllowOriginValue(std::string_view origin) const {
  return any_ ? std::string("*") : std::string(origin);
}

bool IsBrowserFacingRoute(std::string_view path) {
  if (path == "/v1/batch" || path == "/v1/snapshot" || path == "/v1/identify") return true;
  // The storefront catalog feed (write key): a shop's pages read it like the snapshot.
  if (path.starts_with("/v1/storefront/")) return true;
  // Static files: everything outside the API prefixes (the loader, package and wasm).
  return !path.starts_with("/v1/") && !path.starts_with("/t/") && path != "/metrics" &&
         path != "/healthz";
}

}  // namespace vitrine::server
