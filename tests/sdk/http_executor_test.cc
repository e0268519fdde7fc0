// The native HttpExecutor (cpprestsdk): raw binary bodies both ways, header handling, keep-alive
// reuse, HTTPS with a private CA generated at test time by the openssl CLI (trusted through
// ca_file; an untrusted certificate is a transport error), and timeouts and refused connections
// reported as status 0 without throwing.
#include <gtest/gtest.h>

// cpprest's U() macro collides with gtest's template parameters.
#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/http_listener.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/free_port.h"
#include "tests/support/http_wire.h"
#include "tests/support/loopback_http_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certs.h"
#include "vitrine/platform.h"

// LeakSanitizer: cpprestsdk's pooled connections are suppressed in tests/lsan.supp.

namespace vitrine {
namespace {

using ::vitrine::testing::LoopbackHttpServer;
using ::vitrine::testing::SetWireHeader;
using ::vitrine::testing::TempDir;
using ::vitrine::testing::WireRequest;
using ::vitrine::testing::WireResponse;

// Every byte value, NULs and >= 0x80 included, twice over.
std::string AllBytes() {
  std::string s;
  for (int round = 0; round < 2; ++round) {
    for (int b = 0; b < 256; ++b) s.push_back(static_cast<char>(b));
  }
  return s;
}

WireResponse Echo(const WireRequest& request) {
  WireResponse response;
  response.status = 200;
  response.body = request.body;
  SetWireHeader(response.headers, "Content-Type", "application/x-protobuf");
  SetWireHeader(response.headers, "X-Echo-Content-Type", request.Header("content-type"));
  SetWireHeader(response.headers, "X-Echo-Method", request.method);
  SetWireHeader(response.headers, "X-Echo-Target", request.target);
  return response;
}

TEST(HttpExecutorTest, BinaryBodyRoundTripsUnchanged) {
  LoopbackHttpServer server(Echo);
  auto http = NewDefaultHttpExecutor();
  HttpRequest request;
  request.method = "POST";
  request.url = server.url() + "/v1/batch?x=1";
  request.headers["Content-Type"] = "application/x-protobuf";
  request.headers["Content-Encoding"] = "gzip";
  request.body = AllBytes();
  const HttpResponse response = http->Execute(request);
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.body, request.body);
  // Names come back lower-cased; our Content-Type replaced cpprest's octet-stream default.
  EXPECT_EQ(response.headers.at("x-echo-content-type"), "application/x-protobuf");
  EXPECT_EQ(response.headers.at("x-echo-method"), "POST");
  EXPECT_EQ(response.headers.at("x-echo-target"), "/v1/batch?x=1");
  EXPECT_EQ(response.headers.count("X-Echo-Method"), 0u);
}

TEST(HttpExecutorTest, ReusesOneConnectionAndPassesStatusCodes) {
  LoopbackHttpServer server([](const WireRequest& request) {
    WireResponse response;
    response.status = request.Path() == "/missing" ? 404 : 204;
    if (response.status == 404) response.body = "nope";
    return response;
  });
  auto http = NewDefaultHttpExecutor();
  HttpRequest request;
  request.url = server.url() + "/ok";
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) EXPECT_EQ(http->Execute(request).status, 204);
  request.url = server.url() + "/missing";
  const HttpResponse missing = http->Execute(request);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "nope");
  // cpprest hands a connection back to its pool on a worker thread just after the body was
  // delivered, so an immediate next request sometimes opens a second one; without reuse there
  // would be one connection per request.
  EXPECT_LE(server.connections(), static_cast<size_t>(kRequests / 4))
      << "keep-alive connections are not reused";
}

TEST(HttpExecutorTest, TimeoutIsStatusZero) {
  // A listening socket nobody accepts from: the TCP handshake completes (backlog), the request
  // is written, and no answer ever comes.
  uint16_t port = 0;
  const int fd = ::vitrine::testing::ListenLoopback(&port);
  ASSERT_GE(fd, 0);
  auto http = NewDefaultHttpExecutor();
  HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/v1/batch";
  request.body = "x";
  request.timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  const HttpResponse response = http->Execute(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(fd);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  EXPECT_LT(elapsed, std::chrono::seconds(10)) << "timeout was not applied";
}

TEST(HttpExecutorTest, RefusedAndInvalidUrlsAreTransportErrors) {
  auto http = NewDefaultHttpExecutor();
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(::vitrine::testing::FreePort()) + "/";
  HttpResponse response = http->Execute(request);
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
  for (const char* bad : {"not a url", "ftp://127.0.0.1/x", "http://[::1/", ""}) {
    request.url = bad;
    response = http->Execute(request);
    EXPECT_EQ(response.status, 0) << bad;
    EXPECT_FALSE(response.transport_error.empty()) << bad;
  }
}

// A private CA and a server certificate for 127.0.0.1 / localhost, made with the openssl CLI.
class HttpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!::vitrine::testing::HaveOpensslCli()) {
      GTEST_SKIP() << "openssl CLI not found: HTTPS test skipped";
    }
    const std::string failed = ::vitrine::testing::MakeTestCertificates(dir_.path());
    ASSERT_TRUE(failed.empty()) << failed;

    port_ = ::vitrine::testing::FreePort();
    web::http::experimental::listener::http_listener_config config;
    const std::string cert = dir_.File("server.pem");
    const std::string key = dir_.File("server.key");
    config.set_ssl_context_callback([cert, key](boost::asio::ssl::context& ctx) {
      ctx.set_options(boost::asio::ssl::context::default_workarounds);
      ctx.use_certificate_chain_file(cert);
      ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
    });
    listener_ = std::make_unique<web::http::experimental::listener::http_listener>(
        "https://127.0.0.1:" + std::to_string(port_) + "/", config);
    listener_->support([](web::http::http_request request) {
      // Echo raw bytes back; extract_vector never applies a charset.
      const std::vector<unsigned char> body = request.extract_vector().get();
      web::http::http_response response(web::http::status_codes::OK);
      response.set_body(std::vector<unsigned char>(body));
      response.headers()["X-Seen-Encoding"] =
          request.headers().has("Content-Encoding") ? request.headers()["Content-Encoding"] : "";
      request.reply(response).wait();
    });
    listener_->open().wait();
  }
  void TearDown() override {
    if (listener_) listener_->close().wait();
  }

  HttpRequest Post() {
    HttpRequest request;
    request.method = "POST";
    request.url = "https://127.0.0.1:" + std::to_string(port_) + "/v1/batch";
    request.headers["Content-Encoding"] = "gzip";
    request.body = AllBytes();
    request.timeout_ms = 5000;
    return request;
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<web::http::experimental::listener::http_listener> listener_;
};

TEST_F(HttpsTest, TrustedPrivateCaWorksWithBinaryBody) {
  auto http = NewDefaultHttpExecutor(dir_.File("ca.pem"));
  const HttpRequest request = Post();
  const HttpResponse response = http->Execute(request);
  ASSERT_EQ(response.status, 200) << response.transport_error;
  EXPECT_EQ(response.body, request.body);
  EXPECT_EQ(response.headers.at("x-seen-encoding"), "gzip");
}

TEST_F(HttpsTest, UntrustedCertificateIsTransportError) {
  for (const std::string& ca : {std::string(), dir_.File("other_ca.pem")}) {
    auto http = NewDefaultHttpExecutor(ca);
    const HttpResponse response = http->Execute(Post());
    EXPECT_EQ(response.status, 0) << "trusted with ca_file='" << ca << "'";
    EXPECT_FALSE(response.transport_error.empty());
  }
}

TEST_F(HttpsTest, MissingCaFileIsTransportErrorNotACrash) {
  auto http = NewDefaultHttpExecutor(dir_.File("does-not-exist.pem"));
  const HttpResponse response = http->Execute(Post());
  EXPECT_EQ(response.status, 0);
  EXPECT_FALSE(response.transport_error.empty());
}

}  // namespace
}  // namespace vitrine
