#include "platform_adapters/shopify/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace vitrine::shopify {
namespace {

constexpr size_t kDigestSize = 32;
using Digest = std::array<unsigned char, kDigestSize>;

bool HmacSha256(std::string_view key, std::string_view data, Digest& out) {
  unsigned int len = 0;
  // HMAC() accepts a null data pointer only with length 0; string_view::data() may be null.
  static const unsigned char kEmpty = 0;
  const unsigned char* bytes =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  const void* key_bytes = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()), bytes, data.size(), out.data(),
           &len) == nullptr) {
    return false;
  }
  return len == kDigestSize;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding; surrounding ASCII whitespace is ignored (Ruby's encode64
// appends '\n'). Returns false for anything else.
bool DecodeBase64Digest(std::string_view text, Digest& out) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  // 32 bytes encode to 43 characters plus one '='.
  if (text.size() != 44 || text[43] != '=') return false;
  uint32_t buffer = 0;
  int bits = 0;
  size_t written = 0;
  for (size_t i = 0; i < 43; ++i) {
    const int v = Base64Value(text[i]);
    if (v < 0) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (written == kDigestSize) return false;
      out[written++] = static_cast<unsigned char>((buffer >> bits) & 0xFF);
    }
  }
  // The 2 leftover bits must be zero in canonical base64.
  if ((buffer & ((1u << bits) - 1)) != 0) return false;
  return written == kDigestSize;
}

bool DecodeHexDigest(std::string_view text, Digest& out) {
  if (text.size() != 2 * kDigestSize) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = Lower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < kDigestSize; ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

std::string EncodeBase64(const Digest& digest) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= digest.size(); i += 3) {
    const uint32_t n = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8) | digest[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = digest.size() - i;  // 2 for 32 bytes
  if (rest == 2) {
    const uint32_t n = (uint32_t{digest[i]} << 16) | (uint32_t{digest[i + 1]} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  } else if (rest == 1) {
    const uint32_t n = uint32_t{digest[i]} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  }
  return out;
}

bool SameDigest(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), kDigestSize) == 0;
}

VerifyResult Result(VerifyVerdict verdict, std::string reason) {
  return VerifyResult{verdict, std::move(reason)};
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        c = Lower(c);
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
      };
      const int hi = hex(text[i + 1]);
      const int lo = hex(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      params.emplace_back(PercentDecode(part), std::string());
    } else {
      params.emplace_back(PercentDecode(part.substr(0, eq)), PercentDecode(part.substr(eq + 1)));
    }
  }
  return params;
}

}  // namespace

std::optional<std::string_view> FindShopifyHeader(const Headers& headers, std::string_view name) {
  constexpr std::string_view kLegacy = "x-shopify-";
  constexpr std::string_view kNew = "shopify-";
  for (const auto& [key, value] : headers) {
    std::string_view k = key;
    if (k.size() > kLegacy.size() && EqualsIgnoreCase(k.substr(0, kLegacy.size()), kLegacy)) {
      k.remove_prefix(kLegacy.size());
    } else if (k.size() > kNew.size() && EqualsIgnoreCase(k.substr(0, kNew.size()), kNew)) {
      k.remove_prefix(kNew.size());
    } else {
      continue;
    }
    if (EqualsIgnoreCase(k, name)) return std::string_view(value);
  }
  return std::nullopt;
}

WebhookEnvelope ReadEnvelope(const Headers& headers) {
  auto get = [&](std::string_view name) {
    const auto v = FindShopifyHeader(headers, name);
    return v ? std::string(*v) : std::string();
  };
  WebhookEnvelope envelope;
  envelope.topic = get("Topic");
  envelope.shop_domain = get("Shop-Domain");
  envelope.api_version = get("API-Version");
  envelope.webhook_id = get("Webhook-Id");
  envelope.event_id = get("Event-Id");
  envelope.triggered_at = get("Triggered-At");
  return envelope;
}

VerifyResult WebhookVerifier::Verify(const Headers& headers, std::string_view raw_body) const {
  const auto header = FindShopifyHeader(headers, "Hmac-Sha256");
  if (!header) {
    return Result(VerifyVerdict::kMissingHeader, "no X-Shopify-Hmac-Sha256 header");
  }
  return VerifyHeaderValue(*header, raw_body);
}

VerifyResult WebhookVerifier::VerifyHeaderValue(std::string_view header_value,
                                                std::string_view raw_body) const {
  if (current_.empty()) return Result(VerifyVerdict::kNoSecret, "no webhook secret configured");
  Digest claimed{};
  if (!DecodeBase64Digest(header_value, claimed)) {
    return Result(VerifyVerdict::kMalformedHeader,
                  "HMAC header is not base64 of a 32-byte SHA-256 digest");
  }
  Digest expected{};
  if (!HmacSha256(current_, raw_body, expected)) {
    return Result(VerifyVerdict::kMismatch, "HMAC computation failed");
  }
  // Both comparisons always run so the timing does not say which secret matched.
  const bool current_ok = SameDigest(claimed, expected);
  bool previous_ok = false;
  if (!previous_.empty()) {
    Digest previous_digest{};
    previous_ok =
        HmacSha256(previous_, raw_body, previous_digest) && SameDigest(claimed, previous_digest);
  }
  if (current_ok) return Result(VerifyVerdict::kValid, "");
  if (previous_ok)
    return Result(VerifyVerdict::kValidPreviousSecret, "signed with previous secret");
  return Result(VerifyVerdict::kMismatch, "HMAC does not match the body");
}

std::string SignWebhookBody(std::string_view secret, std::string_view raw_body) {
  Digest digest{};
  if (!HmacSha256(secret, raw_body, digest)) return {};
  return EncodeBase64(digest);
}

std::string OAuthQueryMessage(std::string_view query) {
  auto params = ParseQuery(query);
  params.erase(
      std::remove_if(params.begin(), params.end(),
                     [](const auto& p) { return p.first == "hmac" || p.first == "signature"; }),
      params.end());
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string message;
  for (const auto& [key, value] : params) {
    if (!message.empty()) message += '&';
    message += key;
    message += '=';
    message += value;
  }
  return message;
}

VerifyResult VerifyOAuthQuery(std::string_view query, std::string_view secret) {
  if (secret.empty()) return Result(VerifyVerdict::kNoSecret, "no client secret configured");
  const auto params = ParseQuery(query);
  const std::string* claimed_hex = nullptr;
  for (const auto& [key, value] : params) {
    if (key == "hmac") {
      if (claimed_hex != nullptr) {
        return Result(VerifyVerdict::kMalformedHeader, "query has more than one hmac parameter");
      }
      claimed_hex = &value;
    }
  }
  if (claimed_hex == nullptr) return Result(VerifyVerdict::kMissingHeader, "query has no hmac");
  Digest claimed{};
  if (!DecodeHexDigest(*claimed_hex, claimed)) {
    return Result(VerifyVerdict::kMalformedHeader, "query hmac is not a hex SHA-256 digest");
  }
  Digest expected{};
  if (!HmacSha256(secret, OAuthQueryMessage(query), expected)) {
    return Result(VerifyVerdict::kMismatch, "HMAC computation failed");
  }
  if (!SameDigest(claimed, expected)) {
    return Result(VerifyVerdict::kMismatch, "query hmac does not match");
  }
  return Result(VerifyVerdict::kValid, "");
}

}  // namespace vitrine::shopify
