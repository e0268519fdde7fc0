#include "sync_server/campaigns/mime.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/common/utf8.h"

namespace vitrine::server::campaigns {
namespace {

constexpr size_t kQpLine = 76;

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

bool IsPlainAscii(std::string_view s) {
  for (char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b > 0x7E) return false;
  }
  return s.find("=?") == std::string_view::npos;
}

std::string FormatAddress(const MailAddress& a) {
  if (a.display_name.empty()) return "<" + a.email + ">";
  std::string name;
  if (IsPlainAscii(a.display_name)) {
    name = "\"";
    for (char c : a.display_name) {
      if (c == '"' || c == '\\') name.push_back('\\');
      name.push_back(c);
    }
    name += "\"";
  } else {
    name = EncodeHeaderText(a.display_name);
  }
  return name + " <" + a.email + ">";
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

std::string EncodeQuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t col = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto b = static_cast<unsigned char>(line[i]);
      const bool at_end = i + 1 == line.size();
      std::string token;
      if ((b == ' ' || b == '\t') && !at_end) {
        token.push_back(static_cast<char>(b));
      } else if (b >= 33 && b <= 126 && b != '=' && !(b == '.' && col == 0)) {
        token.push_back(static_cast<char>(b));
      } else {
        token = {'=', kHex[b >> 4], kHex[b & 0xF]};
      }
      // Keep room for the soft break's '=' within 76 columns.
      if (col + token.size() > kQpLine - 1) {
        out += "=\r\n";
        col = 0;
        if (token == ".") token = "=2E";
      }
      out += token;
      col += token.size();
    }
    if (last) break;
    out += "\r\n";
    start = end + 1;
  }
  return out;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;  // soft line break
    } else if (i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back('=');
    }
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  if (IsPlainAscii(text)) return std::string(text);
  // "=?UTF-8?B?" + base64 + "?=" <= 75 characters: at most 60 base64 characters = 45 bytes.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  while (!text.empty()) {
    size_t n = Utf8PrefixLength(text, kMaxBytes);
    if (n == 0) n = std::min(text.size(), kMaxBytes);  // invalid UTF-8: split anyway
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(0, n)) + "?=";
    text.remove_prefix(n);
  }
  return out;
}

std::string FormatRfc5322Date(int64_t unix_ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::string MakeMessageId(std::string_view domain) {
  return "<" + HexLower(RandomBytes(16)) + "@" + std::string(domain) + ">";
}

StatusOr<std::string> BuildMime(const MimeMessage& m) {
  auto invalid = [](const std::string& why) {
    return Status(Status::Kind::kInvalid, "invalid_message", why);
  };
  if (m.from.email.empty() || m.to.email.empty()) return invalid("from and to are required");
  if (m.message_id.empty()) return invalid("message_id is required");
  if (m.list_unsubscribe_url.empty()) return invalid("list_unsubscribe_url is required");
  for (std::string_view v :
       {std::string_view(m.from.email), std::string_view(m.from.display_name),
        std::string_view(m.to.email), std::string_view(m.to.display_name),
        std::string_view(m.subject), std::string_view(m.message_id),
        std::string_view(m.list_unsubscribe_url), std::string_view(m.list_unsubscribe_mailto)}) {
    if (HasLineBreak(v)) return invalid("header values must not contain CR or LF");
  }
  for (const auto& [name, value] : m.extra_headers) {
    if (HasLineBreak(name) || HasLineBreak(value) || name.find(':') != std::string::npos) {
      return invalid("bad extra header");
    }
  }
  // "=_" cannot occur in quoted-printable output ('=' is always followed by hex or CRLF), so the
  // boundary can never collide with body text.
  const std::string boundary = "=_vt_" + HexLower(RandomBytes(12));

  std::string out;
  out.reserve(m.html_body.size() + m.text_body.size() + 2048);
  AppendHeader(out, "From", FormatAddress(m.from));
  AppendHeader(out, "To", FormatAddress(m.to));
  AppendHeader(out, "Subject", EncodeHeaderText(m.subject));
  AppendHeader(out, "Date", FormatRfc5322Date(m.date_ms));
  AppendHeader(out, "Message-ID", m.message_id);
  AppendHeader(out, "MIME-Version", "1.0");
  std::string unsub = "<" + m.list_unsubscribe_url + ">";
  if (!m.list_unsubscribe_mailto.empty()) unsub += ",\r\n <" + m.list_unsubscribe_mailto + ">";
  AppendHeader(out, "List-Unsubscribe", unsub);
  AppendHeader(out, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  for (const auto& [name, value] : m.extra_headers) AppendHeader(out, name, value);
  AppendHeader(out, "Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
  out += "\r\n";
  out += "This is a multi-part message in MIME format.\r\n";
  auto part = [&](std::string_view type, std::string_view body) {
    out += "--" + boundary + "\r\n";
    out += "Content-Type: " + std::string(type) + "; charset=UTF-8\r\n";
    out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    out += EncodeQuotedPrintable(body);
    out += "\r\n";
  };
  part("text/plain", m.text_body);
  part("text/html", m.html_body);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace vitrine::server::campaigns
