// Starts a real vitrine-server process on a loopback port for end-to-end tests and talks to its
// admin API through the SDK's own HTTP executor. The server writes a ready file once it listens,
// so the harness waits on that instead of sleeping.
//
// Thread safety: one harness per test; not shared between threads.
#ifndef VITRINE_TESTS_INTEGRATION_SERVER_HARNESS_H_
#define VITRINE_TESTS_INTEGRATION_SERVER_HARNESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/free_port.h"
#include "vitrine/platform.h"

namespace vitrine::testing {

inline constexpr char kWriteKey[] = "wk_integration";
inline constexpr char kAdminKey[] = "ak_integration";

class ServerProcess {
 public:
  // Starts the server with its database in `dir`. Check ok() before use.
  explicit ServerProcess(const std::string& dir, std::vector<std::string> extra_args = {})
      : dir_(dir), http_(NewDefaultHttpExecutor()) {
    Start(std::move(extra_args));
  }
  // HTTPS: the server presents `cert`/`key`; the admin client trusts `ca_file`.
  struct Tls {
    std::string cert, key, ca_file;
  };
  ServerProcess(const std::string& dir, const Tls& tls)
      : dir_(dir), http_(NewDefaultHttpExecutor(tls.ca_file)), scheme_("https") {
    Start({"--tls-cert", tls.cert, "--tls-key", tls.key});
  }
  ~ServerProcess() { Stop(); }

  bool ok() const { return pid_ > 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }
  std::string url() const { return scheme_ + "://127.0.0.1:" + std::to_string(port_); }

  // SIGKILL (simulates a crash) or SIGTERM, then reap.
  void Stop(int signal_number = SIGTERM) {
    if (pid_ <= 0) return;
    kill(pid_, signal_number);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // Restarts on the same port and database.
  void Restart() {
    Stop();
    Start(last_args_);
  }

  HttpResponse Admin(const std::string& method, const std::string& path,
                     const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.url = url() + path;
    request.headers["Authorization"] = std::string("Bearer ") + kAdminKey;
    if (!body.empty()) request.headers["Content-Type"] = "application/json";
    request.body = body;
    return http_->Execute(request);
  }

  // Reads an integer field from a JSON answer ("events": 123 or "profile_id": "7"); -1 when
  // absent. (No std::regex: GCC 12 warns inside it under -O2 + ASan.)
  static long long JsonInt(const std::string& json, const std::string& field) {
    std::vector<long long> all = JsonInts(json, field);
    return all.empty() ? -1 : all.front();
  }
  // Every integer value of `field` in a JSON text, in order.
  static std::vector<long long> JsonInts(const std::string& json, const std::string& field) {
    std::vector<long long> out;
    const std::string key = "\"" + field + "\"";
    for (size_t at = json.find(key); at != std::string::npos; at = json.find(key, at + 1)) {
      size_t i = at + key.size();
      while (i < json.size() && (json[i] == ' ' || json[i] == ':' || json[i] == '"')) ++i;
      const size_t start = i;
      if (i < json.size() && json[i] == '-') ++i;
      while (i < json.size() && json[i] >= '0' && json[i] <= '9') ++i;
      if (i > start) out.push_back(std::stoll(json.substr(start, i - start)));
    }
    return out;
  }

  long long StatsField(const std::string& field) {
    HttpResponse r = Admin("GET", "/v1/admin/stats");
    if (r.status != 200) return -1;
    return JsonInt(r.body, field);
  }

 private:
  void Start(std::vector<std::string> extra_args) {
    last_args_ = extra_args;
    const std::string bin = VITRINE_SERVER_BIN;
    if (bin.empty() || !std::filesystem::exists(bin)) {
      error_ = "vitrine-server binary not built: '" + bin + "'";
      return;
    }
    if (port_ == 0) port_ = FreePort();
    const std::string ready = dir_ + "/server.ready";
    std::filesystem::remove(ready);
    std::vector<std::string> args = {
        bin,           "serve",   "--listen",    url(),     "--db",         dir_ + "/server.db",
        "--write-key", kWriteKey, "--admin-key", kAdminKey, "--ready-file", ready};
    for (auto& a : extra_args) args.push_back(a);
    const std::string log = dir_ + "/server.log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = freopen(log.c_str(), "a", stderr);
      (void)out;
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    // Wait (bounded) for the ready file: the server writes it once it accepts connections.
    for (int i = 0; i < 3000; ++i) {
      if (std::filesystem::exists(ready)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "vitrine-server exited during start; see " + log;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    error_ = "vitrine-server did not become ready in 30 s";
    Stop(SIGKILL);
  }

  std::string dir_;
  std::unique_ptr<HttpExecutor> http_;
  std::vector<std::string> last_args_;
  std::string scheme_ = "http";
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string error_;
};

}  // namespace vitrine::testing

#endif  // VITRINE_TESTS_INTEGRATION_SERVER_HARNESS_H_
