#include "sync_server/storefront/catalog_routes.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace vitrine::server::storefront {
namespace {

constexpr size_t kMaxLimit = 100'000;

// Appends `s` as a quoted JSON string. Titles come from the catalog as UTF-8 and pass through;
// only quotes, backslashes and control characters need escaping.
void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Not HttpReply::Error: that lives in the HTTP library, which links this one.
HttpReply ErrorReply(int status, std::string_view code, std::string_view message) {
  std::string body = "{\"code\":";
  AppendJsonString(body, code);
  body += ",\"message\":";
  AppendJsonString(body, message);
  body += '}';
  return HttpReply::Json(status, std::move(body));
}

bool ParseCount(const std::map<std::string, std::string>& query, const char* key, size_t* out) {
  const auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return true;
  const std::string& v = it->second;
  size_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n > kMaxLimit) return false;
  *out = n;
  return true;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// "Skin Care/Face" matches "Skin Care/Face" and "Skin Care/Face/Serums", not "Skin Care/Faces".
bool InCategory(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

void AppendItem(std::string& out, const v1::CatalogItem& item) {
  out += "{\"product_id\":";
  AppendJsonString(out, item.product_id());
  out += ",\"title\":";
  AppendJsonString(out, item.title());
  char price[32];
  std::snprintf(price, sizeof(price), "%.2f", static_cast<double>(item.price_micros()) / 1e6);
  out += ",\"price\":";
  out += price;
  out += ",\"currency\":";
  AppendJsonString(out, item.currency());
  out += ",\"category\":";
  AppendJsonString(out, item.category());
  out += ",\"brand\":";
  AppendJsonString(out, item.brand());
  out += ",\"stock\":" + std::to_string(item.stock()) + "}";
}

}  // namespace

std::string CatalogRoutes::RouteLabel(const HttpExchange& request) const {
  return request.path == "/v1/storefront/catalog" ? request.path : "/v1/storefront/*";
}

HttpReply CatalogRoutes::Handle(const HttpExchange& request) {
  if (request.path != "/v1/storefront/catalog") {
    return ErrorReply(404, "not_found", "no route " + request.path);
  }
  if (request.method != "GET") {
    HttpReply reply = ErrorReply(405, "method_not_allowed", "use GET");
    reply.headers.emplace_back("Allow", "GET");
    return reply;
  }
  size_t limit = kMaxLimit;
  size_t offset = 0;
  if (!ParseCount(request.query, "limit", &limit) ||
      !ParseCount(request.query, "offset", &offset)) {
    return ErrorReply(400, "invalid_query", "limit and offset must be integers in [0, 100000]");
  }
  const auto param = [&request](const char* key) {
    const auto it = request.query.find(key);
    return it == request.query.end() ? std::string() : it->second;
  };
  const std::string category = param("category");
  const std::string needle = AsciiLower(param("q"));
  // ids=a,b: only those (present but empty: none).
  const bool filter_ids = request.query.count("ids") > 0;
  std::set<std::string> ids;
  const std::string id_list = param("ids");
  for (size_t start = 0; start <= id_list.size();) {
    const size_t comma = std::min(id_list.find(',', start), id_list.size());
    if (comma > start) ids.insert(id_list.substr(start, comma - start));
    start = comma + 1;
  }

  auto catalog = store_->ListCatalog();
  if (!catalog.ok()) return ErrorReply(503, "unavailable", catalog.status().message());
  std::vector<v1::CatalogItem>& items = *catalog;
  std::sort(items.begin(), items.end(), [](const v1::CatalogItem& a, const v1::CatalogItem& b) {
    return std::tie(a.category(), a.title(), a.product_id()) <
           std::tie(b.category(), b.title(), b.product_id());
  });

  std::map<std::string, size_t> categories;
  for (const v1::CatalogItem& item : items) ++categories[item.category()];

  std::string body = "{\"categories\":[";
  bool first = true;
  for (const auto& [path, count] : categories) {
    if (!first) body += ',';
    first = false;
    body += "{\"path\":";
    AppendJsonString(body, path);
    body += ",\"count\":" + std::to_string(count) + "}";
  }
  body += "],\"items\":[";
  size_t matched = 0;
  first = true;
  for (const v1::CatalogItem& item : items) {
    if (!InCategory(item.category(), category)) continue;
    if (filter_ids && ids.count(item.product_id()) == 0) continue;
    if (!needle.empty() && AsciiLower(item.title()).find(needle) == std::string::npos &&
        AsciiLower(item.brand()).find(needle) == std::string::npos) {
      continue;
    }
    const size_t index = matched++;
    if (index < offset || index - offset >= limit) continue;
    if (!first) body += ',';
    first = false;
    AppendItem(body, item);
  }
  body += "],\"total\":" + std::to_string(matched) + "}";
  HttpReply reply = HttpReply::Json(200, std::move(body));
  reply.headers.emplace_back("Cache-Control", "no-cache");
  return reply;
}

}  // namespace vitrine::server::storefront
