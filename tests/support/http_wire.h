// Minimal HTTP/1.1 message reading and writing on raw POSIX sockets, for test servers and the
// fault-injecting proxy. Bodies by Content-Length, chunked (decoded) or, for responses,
// read-until-close. Not a production parser: bounded sizes, no pipelining guarantees beyond
// carrying leftover bytes to the next read.
//
// Thread safety: free functions on caller-owned values; one thread per socket.
#ifndef VITRINE_TESTS_SUPPORT_HTTP_WIRE_H_
#define VITRINE_TESTS_SUPPORT_HTTP_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitrine::testing {

using WireHeaders = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup; "" when absent.
std::string FindWireHeader(const WireHeaders& headers, std::string_view name);
// Replaces every header called `name` (case-insensitive) with one `name: value`.
void SetWireHeader(WireHeaders& headers, std::string_view name, std::string value);
void RemoveWireHeader(WireHeaders& headers, std::string_view name);

struct WireRequest {
  std::string method;
  std::string target;  // "/v1/batch?x=1"
  std::string version = "HTTP/1.1";
  WireHeaders headers;
  std::string body;  // de-chunked
  std::string Header(std::string_view name) const { return FindWireHeader(headers, name); }
  std::string Path() const { return target.substr(0, target.find('?')); }
  // HTTP/1.1 default keep-alive unless "Connection: close"; HTTP/1.0 only with keep-alive.
  bool KeepAlive() const;
};

struct WireResponse {
  int status = 200;
  std::string reason;  // filled from the status when empty
  WireHeaders headers;
  std::string body;
  std::string Header(std::string_view name) const { return FindWireHeader(headers, name); }
};

// Read one message from `fd`. `pending` carries bytes read past the previous message (keep it
// per connection). `timeout_ms` bounds each wait for more bytes (-1: wait until data or EOF).
// false on EOF before a complete message, error, timeout or a malformed message.
bool ReadWireRequest(int fd, std::string& pending, WireRequest& out, int timeout_ms);
bool ReadWireResponse(int fd, std::string& pending, WireResponse& out, int timeout_ms,
                      bool head_request = false);

// Serialized with Content-Length (Transfer-Encoding removed), other headers as given.
std::string SerializeWireRequest(const WireRequest& request);
std::string SerializeWireResponse(const WireResponse& response);

bool WriteAll(int fd, std::string_view data);
// Connects to 127.0.0.1:port (or the given IPv4 host); -1 on failure.
int ConnectTcp(const std::string& host, uint16_t port);
// Abortive close: SO_LINGER {1, 0} then close, so the peer sees a connection reset (RST).
void ResetConnection(int fd);
// Listening socket on 127.0.0.1:0; sets *port. -1 on failure.
int ListenLoopback(uint16_t* port);

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_SUPPORT_HTTP_WIRE_H_
