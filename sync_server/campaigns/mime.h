// RFC 5322 / MIME message building for campaign email: multipart/alternative (text + HTML),
// quoted-printable UTF-8 bodies, RFC 2047 encoded words for non-ASCII subjects and display
// names, Date, Message-ID, and the RFC 2369 / RFC 8058 unsubscribe headers
//   List-Unsubscribe: <https://...>, <mailto:...>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// Lines end in CRLF and never exceed 78 characters except unfoldable header tokens (URLs).
//
// Thread safety: pure functions (MakeMessageId draws from OpenSSL's thread-safe RNG).
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_MIME_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_MIME_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server::campaigns {

struct MailAddress {
  std::string email;         // addr-spec, ASCII
  std::string display_name;  // UTF-8, may be empty
};

struct MimeMessage {
  MailAddress from;
  MailAddress to;
  std::string subject;    // UTF-8
  std::string text_body;  // UTF-8, any line endings
  std::string html_body;  // UTF-8, any line endings
  int64_t date_ms = 0;
  std::string message_id;               // "<id@domain>"; REQUIRED (MakeMessageId)
  std::string list_unsubscribe_url;     // https one-click URL; REQUIRED for campaign mail
  std::string list_unsubscribe_mailto;  // optional "mailto:..." alternative
  std::vector<std::pair<std::string, std::string>> extra_headers;  // ASCII values
};

// Quoted-printable (RFC 2045 section 6.7) with CRLF line breaks and soft breaks at 76 columns.
// '.' at the start of a line is encoded too, so no relay's dot handling can alter the body.
std::string EncodeQuotedPrintable(std::string_view text);
std::string DecodeQuotedPrintable(std::string_view text);  // for tests and the sink parser
// A header value: as is when printable ASCII, else RFC 2047 "=?UTF-8?B?...?=" words of at most
// 75 characters, split on code point boundaries and folded with CRLF SP.
std::string EncodeHeaderText(std::string_view text);
// "Thu, 15 Jan 2026 10:00:00 +0000".
std::string FormatRfc5322Date(int64_t unix_ms);
// "<32 random hex digits@domain>".
std::string MakeMessageId(std::string_view domain);

// kInvalid when a header value holds CR or LF (header injection) or required fields are missing.
StatusOr<std::string> BuildMime(const MimeMessage& message);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_MIME_H_
