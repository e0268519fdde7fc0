#include "tests/support/http_wire.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace vitrine::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 256 * 1024 * 1024;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Appends whatever arrives next; false on EOF, error or timeout.
bool ReadMore(int fd, std::string& buf, int timeout_ms) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char tmp[16384];
    const ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
}

// Reads the head (start line + headers) into `start` and `headers`; consumes it from pending.
bool ReadHead(int fd, std::string& pending, std::string& start, WireHeaders& headers,
              int timeout_ms) {
  size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    if (pending.size() > kMaxHeaderBytes) return false;
    if (!ReadMore(fd, pending, timeout_ms)) return false;
  }
  const std::string head = pending.substr(0, end);
  pending.erase(0, end + 4);
  size_t pos = head.find("\r\n");
  start = head.substr(0, pos);
  headers.clear();
  while (pos != std::string::npos) {
    const size_t line_start = pos + 2;
    pos = head.find("\r\n", line_start);
    const std::string_view line = std::string_view(head).substr(
        line_start, pos == std::string::npos ? std::string::npos : pos - line_start);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    headers.emplace_back(std::string(Trim(line.substr(0, colon))),
                         std::string(Trim(line.substr(colon + 1))));
  }
  return true;
}

bool ReadExactly(int fd, std::string& pending, size_t n, std::string& out, int timeout_ms) {
  while (pending.size() < n) {
    if (!ReadMore(fd, pending, timeout_ms)) return false;
  }
  out.append(pending, 0, n);
  pending.erase(0, n);
  return true;
}

bool ReadLine(int fd, std::string& pending, std::string& line, int timeout_ms) {
  size_t end;
  while ((end = pending.find("\r\n")) == std::string::npos) {
    if (pending.size() > kMaxHeaderBytes) return false;
    if (!ReadMore(fd, pending, timeout_ms)) return false;
  }
  line = pending.substr(0, end);
  pending.erase(0, end + 2);
  return true;
}

bool ReadChunked(int fd, std::string& pending, std::string& body, int timeout_ms) {
  for (;;) {
    std::string line;
    if (!ReadLine(fd, pending, line, timeout_ms)) return false;
    char* end = nullptr;
    const unsigned long long size = std::strtoull(line.c_str(), &end, 16);
    if (end == line.c_str() || body.size() + size > kMaxBodyBytes) return false;
    if (size == 0) {
      // Trailers until an empty line.
      for (;;) {
        if (!ReadLine(fd, pending, line, timeout_ms)) return false;
        if (line.empty()) return true;
      }
    }
    if (!ReadExactly(fd, pending, static_cast<size_t>(size), body, timeout_ms)) return false;
    std::string crlf;
    if (!ReadLine(fd, pending, crlf, timeout_ms) || !crlf.empty()) return false;
  }
}

// Body by Transfer-Encoding / Content-Length. `until_close` allows read-to-EOF (responses).
bool ReadBody(int fd, std::string& pending, const WireHeaders& headers, std::string& body,
              int timeout_ms, bool until_close) {
  body.clear();
  const std::string te = FindWireHeader(headers, "transfer-encoding");
  if (!te.empty() && te.find("chunked") != std::string::npos) {
    return ReadChunked(fd, pending, body, timeout_ms);
  }
  const std::string cl = FindWireHeader(headers, "content-length");
  if (!cl.empty()) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(cl.c_str(), &end, 10);
    if (end == cl.c_str() || n > kMaxBodyBytes) return false;
    return ReadExactly(fd, pending, static_cast<size_t>(n), body, timeout_ms);
  }
  if (!until_close) return true;
  while (ReadMore(fd, pending, timeout_ms)) {
    if (pending.size() > kMaxBodyBytes) return false;
  }
  body.swap(pending);
  pending.clear();
  return true;
}

const char* ReasonFor(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

void AppendHeaders(std::string& out, const WireHeaders& headers, size_t body_size,
                   bool with_length) {
  for (const auto& [name, value] : headers) {
    if (IEquals(name, "content-length") || IEquals(name, "transfer-encoding")) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (with_length) out += "Content-Length: " + std::to_string(body_size) + "\r\n";
  out += "\r\n";
}

}  // namespace

std::string FindWireHeader(const WireHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return "";
}

void RemoveWireHeader(WireHeaders& headers, std::string_view name) {
  for (auto it = headers.begin(); it != headers.end();) {
    it = IEquals(it->first, name) ? headers.erase(it) : it + 1;
  }
}

void SetWireHeader(WireHeaders& headers, std::string_view name, std::string value) {
  RemoveWireHeader(headers, name);
  headers.emplace_back(std::string(name), std::move(value));
}

bool WireRequest::KeepAlive() const {
  const std::string connection = Header("connection");
  if (version == "HTTP/1.0") return IEquals(connection, "keep-alive");
  return !IEquals(connection, "close");
}

bool ReadWireRequest(int fd, std::string& pending, WireRequest& out, int timeout_ms) {
  std::string start;
  if (!ReadHead(fd, pending, start, out.headers, timeout_ms)) return false;
  const size_t sp1 = start.find(' ');
  const size_t sp2 = start.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  out.method = start.substr(0, sp1);
  out.target = start.substr(sp1 + 1, sp2 - sp1 - 1);
  out.version = start.substr(sp2 + 1);
  return ReadBody(fd, pending, out.headers, out.body, timeout_ms, /*until_close=*/false);
}

bool ReadWireResponse(int fd, std::string& pending, WireResponse& out, int timeout_ms,
                      bool head_request) {
  std::string start;
  if (!ReadHead(fd, pending, start, out.headers, timeout_ms)) return false;
  const size_t sp1 = start.find(' ');
  if (sp1 == std::string::npos || start.size() < sp1 + 4) return false;
  out.status = std::atoi(start.c_str() + sp1 + 1);
  const size_t sp2 = start.find(' ', sp1 + 1);
  out.reason = sp2 == std::string::npos ? "" : start.substr(sp2 + 1);
  out.body.clear();
  if (head_request || out.status / 100 == 1 || out.status == 204 || out.status == 304) {
    return true;
  }
  return ReadBody(fd, pending, out.headers, out.body, timeout_ms, /*until_close=*/true);
}

std::string SerializeWireRequest(const WireRequest& request) {
  std::string out = request.method + " " + request.target + " " + request.version + "\r\n";
  const bool with_length = !request.body.empty() || request.method == "POST" ||
                           request.method == "PUT" || request.method == "PATCH";
  AppendHeaders(out, request.headers, request.body.size(), with_length);
  out += request.body;
  return out;
}

std::string SerializeWireResponse(const WireResponse& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    (response.reason.empty() ? ReasonFor(response.status) : response.reason) +
                    "\r\n";
  const bool bodiless = response.status == 204 || response.status == 304;
  AppendHeaders(out, response.headers, response.body.size(), !bodiless);
  if (!bodiless) out += response.body;
  return out;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int ConnectTcp(const std::string& host, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void ResetConnection(int fd) {
  linger lg{};
  lg.l_onoff = 1;
  lg.l_linger = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  ::close(fd);
}

int ListenLoopback(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace vitrine::testing
