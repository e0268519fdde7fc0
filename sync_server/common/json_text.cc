#include "sync_server/common/json_text.h"

#include <cstdio>

namespace vitrine::server {

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (unsigned char c : s) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::string JsonString(std::string_view s) {
  // Appended rather than `"\"" + JsonEscape(s) + "\""`: GCC 12 at -O3 reports a false -Wrestrict
  // for operator+(const char*, std::string&&) (GCC bug 105329), which breaks -Werror builds.
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out += JsonEscape(s);
  out.push_back('"');
  return out;
}

}  // namespace vitrine::server
