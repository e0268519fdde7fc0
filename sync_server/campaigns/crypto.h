// The few cryptographic and encoding primitives campaigns need, over OpenSSL's libcrypto:
// SHA-256 (look-alike hashing), HMAC-SHA256 (tracking tokens), a constant-time compare, random
// bytes, hex and base64 (standard for MIME, URL-safe without padding for tokens).
//
// Thread safety: pure functions (OpenSSL 3's one-shot APIs are thread-safe).
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_CRYPTO_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_CRYPTO_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace vitrine::server::campaigns {

std::string Sha256(std::string_view data);                            // 32 raw bytes
std::string Sha256Hex(std::string_view data);                         // 64 lowercase hex digits
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
// Compares without an early exit, so the time taken does not reveal where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
std::string RandomBytes(size_t n);

std::string HexLower(std::string_view bytes);
std::string Base64(std::string_view bytes);     // RFC 4648 section 4, padded
std::string Base64Url(std::string_view bytes);  // RFC 4648 section 5, no padding
// nullopt on any character outside the URL-safe alphabet or an impossible length.
std::optional<std::string> DecodeBase64Url(std::string_view text);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_CRYPTO_H_
