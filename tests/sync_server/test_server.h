// Test helpers for the sync server: a free loopback port, a temp dir, a minimal HTTP/1.1 client
// over raw sockets, an in-process server (App + HttpServer on a real listener and a real SQLite
// file), and builders of valid events.
//
// Thread safety: TestServer and the client functions may be used from several threads.
#ifndef VITRINE_TESTS_SYNC_SERVER_TEST_SERVER_H_
#define VITRINE_TESTS_SYNC_SERVER_TEST_SERVER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "sync_server/http/http_server.h"
#include "sync_server/server.h"
#include "tests/support/free_port.h"
#include "tests/support/temp_dir.h"
#include "vitrine/v1/batch.pb.h"

namespace vitrine::server::testing {

// The shared test helpers (tests/support): a free loopback port (cpprest's listener cannot report
// the port it bound, so the server is given one) and an RAII temp dir.
using ::vitrine::testing::FreePort;
using ::vitrine::testing::TempDir;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request on a fresh connection. status 0 means the connection failed.
inline HttpResponse HttpCall(uint16_t port, const std::string& method, const std::string& target,
                             const std::map<std::string, std::string>& headers = {},
                             const std::string& body = {}) {
  HttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) ::close(fd);
    return out;
  }
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  size_t sent = 0;
  while (sent < req.size()) {
    const ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string data;
  char buf[65536];
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  while (true) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::string head = data.substr(0, header_end);
      out.status = std::stoi(head.substr(head.find(' ') + 1, 3));
      size_t pos = head.find("\r\n");
      while (pos != std::string::npos && pos < head.size()) {
        const size_t next = head.find("\r\n", pos + 2);
        std::string line =
            head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          out.headers[name] = value;
        }
        pos = next;
      }
      content_length =
          out.headers.count("content-length") ? std::stoul(out.headers["content-length"]) : 0;
    }
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
  }
  ::close(fd);
  if (header_end != std::string::npos) out.body = data.substr(header_end + 4, content_length);
  return out;
}

inline std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline constexpr const char* kWriteKey = "test-write-key";
inline constexpr const char* kAdminKey = "test-admin-key";

// A server on a real loopback listener with a real SQLite file in a temp dir.
class TestServer {
 public:
  // `before_start` runs on the opened App before the listener starts (e.g. to Mount modules).
  explicit TestServer(ServerConfig config = {}, std::function<void(App&)> before_start = nullptr) {
    config.db = dir_.File("vitrine.db");
    config.write_key = kWriteKey;
    config.admin_key = kAdminKey;
    config.access_log = false;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = FreePort();
      config.listen = "http://127.0.0.1:" + std::to_string(port_);
      auto app = App::Open(config);
      if (!app.ok()) throw std::runtime_error(app.status().ToString());
      app_ = std::move(*app);
      if (before_start) before_start(*app_);
      http_ = std::make_unique<HttpServer>(app_.get());
      if (http_->Start().ok()) return;
      http_.reset();
      app_.reset();  // the port was taken meanwhile: try another
    }
    throw std::runtime_error("cannot start the test server");
  }
  ~TestServer() {
    if (app_) app_->ingest().Stop();
    http_.reset();
    app_.reset();
  }

  uint16_t port() const { return port_; }
  App& app() { return *app_; }
  std::filesystem::path dir() const { return dir_.path(); }

  HttpResponse PostBatch(const v1::Batch& batch, const std::string& key = kWriteKey) {
    return HttpCall(
        port_, "POST", "/v1/batch",
        {{"Authorization", "Bearer " + key}, {"Content-Type", "application/x-protobuf"}},
        batch.SerializeAsString());
  }
  HttpResponse Get(const std::string& target, const std::string& key = kAdminKey,
                   std::map<std::string, std::string> headers = {}) {
    if (!key.empty()) headers["Authorization"] = "Bearer " + key;
    return HttpCall(port_, "GET", target, headers);
  }
  HttpResponse PostJson(const std::string& target, const std::string& json,
                        const std::string& key = kAdminKey) {
    return HttpCall(port_, "POST", target,
                    {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}},
                    json);
  }

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<App> app_;
  std::unique_ptr<HttpServer> http_;
};

// 16-byte event id from a number (distinct numbers, distinct ids).
inline std::string EventId(uint64_t n, uint64_t salt = 0x5eed) {
  std::string id(16, '\0');
  for (int i = 0; i < 8; ++i) {
    id[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    id[static_cast<size_t>(8 + i)] = static_cast<char>((salt >> (8 * i)) & 0xff);
  }
  return id;
}

inline v1::ProductLine Line(const std::string& product_id,
                            const std::string& category = "Skin Care/Face",
                            int64_t price_micros = 12'340'000) {
  v1::ProductLine line;
  line.set_product_id(product_id);
  line.set_sku("sku-" + product_id);
  line.set_price_micros(price_micros);
  line.set_currency("EUR");
  line.set_name("Product " + product_id);
  line.set_category(category);
  return line;
}

inline v1::Event MakeEvent(uint64_t n, const std::string& type, const std::string& anonymous_id,
                           int64_t at_ms = 1'767'000'000'000) {
  v1::Event e;
  e.set_event_id(EventId(n));
  e.set_type(type);
  e.set_occurred_at_ms(at_ms);
  e.set_anonymous_id(anonymous_id);
  e.set_session_id("s-" + anonymous_id);
  return e;
}

inline v1::Event ProductEvent(uint64_t n, const std::string& type, const std::string& anonymous_id,
                              const std::string& product_id, int64_t at_ms = 1'767'000'000'000) {
  v1::Event e = MakeEvent(n, type, anonymous_id, at_ms);
  *e.add_products() = Line(product_id);
  return e;
}

inline v1::Event OrderEvent(uint64_t n, const std::string& anonymous_id,
                            const std::string& order_id, const std::string& product_id,
                            int64_t at_ms = 1'767'000'000'000) {
  v1::Event e = ProductEvent(n, "order_completed", anonymous_id, product_id, at_ms);
  e.mutable_order()->set_order_id(order_id);
  e.mutable_order()->set_value_micros(12'340'000);
  e.mutable_order()->set_currency("EUR");
  return e;
}

}  // namespace vitrine::server::testing

#endif  // VITRINE_TESTS_SYNC_SERVER_TEST_SERVER_H_
