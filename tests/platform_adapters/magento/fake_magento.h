// A fake Magento 2 admin REST API on loopback for the importer tests. It serves the fixture rows
// (Adobe's documented payloads, ../shared/fixtures/magento) and synthetic ones through the real
// searchCriteria protocol, with Magento's behaviours switchable per test:
//  - past the last page, the last page again (always, as Magento does);
//  - without sortOrders, rows in a different order on every request (unstable order);
//  - scripted failures: 429 with "Retry-After" (integer, decimal or missing), 503;
//  - bearer token check with Magento's 401 body;
//  - rows per store view (/rest/<store code>/V1/...), like a store-scoped catalog.
//
// Thread safety: the handler runs on the server's connection threads; state is behind a mutex.
#ifndef VITRINE_TESTS_PLATFORM_ADAPTERS_MAGENTO_FAKE_MAGENTO_H_
#define VITRINE_TESTS_PLATFORM_ADAPTERS_MAGENTO_FAKE_MAGENTO_H_

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "platform_adapters/shopify/json.h"
#include "tests/support/loopback_http_server.h"

namespace vitrine::magento::testing {

using shopify::JsonValue;

inline std::filesystem::path MagentoFixtures() {
  return std::filesystem::path(VITRINE_SHARED_DIR) / "fixtures" / "magento";
}

#define VITRINE_REQUIRE_MAGENTO_FIXTURES()                                                \
  do {                                                                                    \
    if (!std::filesystem::is_directory(::vitrine::magento::testing::MagentoFixtures())) { \
      GTEST_SKIP() << "shared fixtures folder absent: "                                   \
                   << ::vitrine::magento::testing::MagentoFixtures().string();            \
    }                                                                                     \
  } while (false)

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Compact JSON text of a parsed value (numbers keep their exact source token).
inline void WriteJson(const JsonValue& v, std::string& out) {
  switch (v.type()) {
    case JsonValue::Type::kNull:
      out += "null";
      return;
    case JsonValue::Type::kBool:
      out += v.AsBool() == true ? "true" : "false";
      return;
    case JsonValue::Type::kNumber:
      out += *v.AsDecimalText();
      return;
    case JsonValue::Type::kString: {
      out += '"';
      const std::string text = v.AsString().value_or("");
      for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
      }
      out += '"';
      return;
    }
    case JsonValue::Type::kArray: {
      out += '[';
      bool first = true;
      for (const JsonValue& item : v.items()) {
        if (!first) out += ',';
        first = false;
        WriteJson(item, out);
      }
      out += ']';
      return;
    }
    case JsonValue::Type::kObject: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.members()) {
        if (!first) out += ',';
        first = false;
        out += '"' + k + '"';
        out += ':';
        WriteJson(item, out);
      }
      out += '}';
      return;
    }
  }
}

inline std::string ToJson(const JsonValue& v) {
  std::string out;
  WriteJson(v, out);
  return out;
}

// The `response` member of a fixture file ({_provenance, response}) as a parsed value.
inline std::optional<JsonValue> FixtureResponse(const std::string& relative) {
  auto parsed = shopify::ParseJson(ReadFile(MagentoFixtures() / relative));
  if (!parsed.ok()) return std::nullopt;
  const JsonValue* r = parsed.value->Find("response");
  if (r == nullptr) return std::nullopt;
  return *r;
}

// One row held by the fake: its JSON text plus what searches need.
struct FakeRow {
  int64_t id = 0;
  std::string updated_at;  // "" when the row has none
  std::string json;
};

inline FakeRow RowFrom(const JsonValue& value, std::string_view id_field) {
  FakeRow row;
  if (const JsonValue* id = value.Find(id_field)) row.id = id->AsInt64().value_or(0);
  if (const JsonValue* u = value.Find("updated_at")) row.updated_at = u->AsString().value_or("");
  row.json = ToJson(value);
  return row;
}

inline std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

class FakeMagento {
 public:
  struct Failure {
    int status = 429;
    std::string retry_after;  // "" : header absent
  };

  // Every shop has the sales endpoints; a test that sets no credit memos has none.
  FakeMagento() : server_([this](const ::vitrine::testing::WireRequest& r) { return Handle(r); }) {
    rows_["V1/creditmemos"] = {};
  }

  std::string url() const { return server_.url(); }

  // Endpoint path (after /rest/<store>/) -> rows.
  void SetRows(const std::string& endpoint, std::vector<FakeRow> rows) {
    std::lock_guard<std::mutex> lock(mu_);
    rows_[endpoint] = std::move(rows);
  }
  // Rows served only under /rest/<store_code>/ (other codes get SetRows' rows).
  void SetStoreRows(const std::string& store_code, const std::string& endpoint,
                    std::vector<FakeRow> rows) {
    std::lock_guard<std::mutex> lock(mu_);
    rows_[store_code + "|" + endpoint] = std::move(rows);
  }
  void AddRow(const std::string& endpoint, FakeRow row) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& rows = rows_[endpoint];
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [&](const FakeRow& r) { return r.id == row.id && row.id != 0; }),
               rows.end());
    rows.push_back(std::move(row));
  }
  void SetStoreConfigs(std::string json) {
    std::lock_guard<std::mutex> lock(mu_);
    store_configs_ = std::move(json);
  }
  void SetToken(std::string token) {
    std::lock_guard<std::mutex> lock(mu_);
    token_ = std::move(token);
  }
  // The next requests (any endpoint) fail with these, in order.
  void FailNext(std::vector<Failure> failures) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& f : failures) failures_.push_back(std::move(f));
  }
  // Throttle every `n`-th request with a 429 (0: never).
  void ThrottleEvery(int n, std::string retry_after) {
    std::lock_guard<std::mutex> lock(mu_);
    throttle_every_ = n;
    throttle_retry_after_ = std::move(retry_after);
  }

  int requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  int served_429() const {
    std::lock_guard<std::mutex> lock(mu_);
    return served_429_;
  }
  int pages_past_end() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pages_past_end_;
  }
  std::vector<std::string> targets() const {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }
  std::string last_authorization() const {
    std::lock_guard<std::mutex> lock(mu_);
    return last_authorization_;
  }

 private:
  using WireRequest = ::vitrine::testing::WireRequest;
  using WireResponse = ::vitrine::testing::WireResponse;

  static WireResponse Json(int status, std::string body) {
    WireResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
    r.body = std::move(body);
    return r;
  }

  WireResponse Handle(const WireRequest& request) {
    std::lock_guard<std::mutex> lock(mu_);
    ++requests_;
    targets_.push_back(request.target);
    last_authorization_ = request.Header("authorization");
    if (!token_.empty() && last_authorization_ != "Bearer " + token_ &&
        !last_authorization_.starts_with("OAuth ")) {
      return Json(401, R"({"message":"The consumer isn't authorized to access %resources.",)"
                       R"("parameters":{"resources":"Magento_Catalog::products"}})");
    }
    if (!failures_.empty()) {
      Failure f = failures_.front();
      failures_.pop_front();
      return Fail(f);
    }
    if (throttle_every_ > 0 && requests_ % throttle_every_ == 0) {
      return Fail({429, throttle_retry_after_});
    }
    std::string path = request.Path();
    // /rest/<store>/V1/...
    const size_t v1 = path.find("/V1/");
    if (!path.starts_with("/rest/") || v1 == std::string::npos)
      return Json(404, R"({"message":"x"})");
    const std::string endpoint = path.substr(v1 + 1);
    const std::string store = path.substr(6, v1 - 6);
    if (endpoint == "V1/store/storeConfigs") return Json(200, store_configs_);
    auto rows = rows_.find(store + "|" + endpoint);
    if (rows == rows_.end()) rows = rows_.find(endpoint);
    if (rows == rows_.end()) {
      return Json(404, R"({"message":"Request does not match any route."})");
    }
    return Search(request, rows->second);
  }

  WireResponse Fail(const Failure& f) {
    WireResponse r = Json(f.status, R"({"message":"Too Many Requests"})");
    if (f.status == 429) ++served_429_;
    if (!f.retry_after.empty()) r.headers.emplace_back("Retry-After", f.retry_after);
    return r;
  }

  WireResponse Search(const WireRequest& request, const std::vector<FakeRow>& all) {
    std::vector<const FakeRow*> rows;
    rows.reserve(all.size());
    for (const FakeRow& r : all) rows.push_back(&r);
    std::map<std::string, std::string> q;
    const size_t qm = request.target.find('?');
    std::string_view query = qm == std::string::npos
                                 ? std::string_view()
                                 : std::string_view(request.target).substr(qm + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      const size_t eq = pair.find('=');
      q[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
    // Filters: updated_at gteq and the row id "in" a list (what the importer sends).
    for (int g = 0; g < 4; ++g) {
      const std::string p = "searchCriteria[filter_groups][" + std::to_string(g) + "][filters][0]";
      if (!q.count(p + "[field]")) break;
      if (q[p + "[field]"] == "updated_at" && q[p + "[condition_type]"] == "gteq") {
        const std::string since = q[p + "[value]"];
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [&](const FakeRow* r) { return r->updated_at < since; }),
                   rows.end());
      } else if (q[p + "[condition_type]"] == "in") {
        const std::string list = "," + q[p + "[value]"] + ",";
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [&](const FakeRow* r) {
                                    return list.find("," + std::to_string(r->id) + ",") ==
                                           std::string::npos;
                                  }),
                   rows.end());
      }
    }
    if (q.count("searchCriteria[sortOrders][0][field]")) {
      std::stable_sort(rows.begin(), rows.end(),
                       [](const FakeRow* a, const FakeRow* b) { return a->id < b->id; });
    } else {
      // Magento's order without sortOrders is whatever the query plan gives: not stable.
      std::shuffle(rows.begin(), rows.end(), rng_);
    }
    const int64_t size = q.count("searchCriteria[pageSize]")
                             ? std::stoll(q["searchCriteria[pageSize]"])
                             : static_cast<int64_t>(std::max<size_t>(rows.size(), 1));
    int64_t page =
        q.count("searchCriteria[currentPage]") ? std::stoll(q["searchCriteria[currentPage]"]) : 1;
    const int64_t total = static_cast<int64_t>(rows.size());
    const int64_t last_page = std::max<int64_t>(1, (total + size - 1) / size);
    if (page > last_page) {
      ++pages_past_end_;
      page = last_page;  // Magento's behaviour: the last page again
    }
    std::string body = "{\"items\":[";
    for (int64_t i = (page - 1) * size; i < std::min(total, page * size); ++i) {
      if (i > (page - 1) * size) body += ',';
      body += rows[static_cast<size_t>(i)]->json;
    }
    body += "],\"search_criteria\":{\"page_size\":" + std::to_string(size) +
            ",\"current_page\":" + std::to_string(page) +
            "},\"total_count\":" + std::to_string(total) + "}";
    return Json(200, body);
  }

  mutable std::mutex mu_;
  std::map<std::string, std::vector<FakeRow>> rows_;
  std::string store_configs_ =
      R"([{"id":1,"code":"default","website_id":1,"locale":"en_US","base_currency_code":"USD",)"
      R"("default_display_currency_code":"USD","timezone":"America/Chicago",)"
      R"("base_url":"http://shop.example/","base_link_url":"http://shop.example/",)"
      R"("base_media_url":"http://shop.example/media/",)"
      R"("secure_base_url":"https://shop.example/","secure_base_link_url":"https://shop.example/",)"
      R"("secure_base_media_url":"https://shop.example/media/"}])";
  std::string token_;
  std::deque<Failure> failures_;
  int throttle_every_ = 0;
  std::string throttle_retry_after_;
  int requests_ = 0;
  int served_429_ = 0;
  int pages_past_end_ = 0;
  std::vector<std::string> targets_;
  std::string last_authorization_;
  std::mt19937 rng_{12345};
  ::vitrine::testing::LoopbackHttpServer server_;  // last: serves once the state exists
};

}  // namespace vitrine::magento::testing

#endif  // VITRINE_TESTS_PLATFORM_ADAPTERS_MAGENTO_FAKE_MAGENTO_H_
