// Writing JSON text by hand (admin replies, reports, feeds): one escaper for the whole server, so
// every reply escapes quotes, backslashes and control characters the same way. Bytes >= 0x80 pass
// through: the server's strings are UTF-8 and JSON text is UTF-8.
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_COMMON_JSON_TEXT_H_
#define VITRINE_SYNC_SERVER_COMMON_JSON_TEXT_H_

#include <string>
#include <string_view>

namespace vitrine::server {

// The characters of a JSON string literal for `s`, without the surrounding quotes.
std::string JsonEscape(std::string_view s);
// `s` as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_COMMON_JSON_TEXT_H_
