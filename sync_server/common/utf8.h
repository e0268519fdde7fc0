// UTF-8 helpers shared by the server (campaign text, product-title features): validation,
// Unicode-aware lower-casing (so "Иван" becomes "иван" and "Valéry" becomes "valéry" without
// depending on the process locale), and code point boundaries for splitting encoded words.
//
// Lower-casing covers the scripts customer names in our shops use: ASCII, Latin-1 Supplement,
// Latin Extended-A, Greek and Cyrillic (including Ё/Є/Ї/Ў and the 0x460-0x4FF pairs). Other code
// points (CJK, Hangul, ...) have no case and pass through unchanged.
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_COMMON_UTF8_H_
#define VITRINE_SYNC_SERVER_COMMON_UTF8_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::server {

// The code points of `s`, or nullopt when `s` is not valid UTF-8 (overlong forms, surrogates and
// values above U+10FFFF are invalid).
std::optional<std::vector<char32_t>> DecodeUtf8(std::string_view s);
void AppendUtf8(char32_t cp, std::string& out);
std::string EncodeUtf8(const std::vector<char32_t>& cps);

// Simple (one-to-one) lower-case mapping of one code point.
char32_t ToLowerCodePoint(char32_t cp);
// Lower-cases valid UTF-8; nullopt for invalid input.
std::optional<std::string> Utf8ToLower(std::string_view s);

// Largest n <= max_bytes such that s[0, n) ends on a code point boundary.
size_t Utf8PrefixLength(std::string_view s, size_t max_bytes);

// Trims ASCII whitespace (space, tab, CR, LF, VT, FF) from both ends.
std::string_view TrimAscii(std::string_view s);
// Lower-cases ASCII letters only (header names, hosts, schemes); other bytes pass unchanged.
std::string AsciiToLower(std::string_view s);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_COMMON_UTF8_H_
