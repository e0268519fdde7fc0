#include "bench/ingest_bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "vitrine/v1/batch.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kEventsPerBatch = 50;
constexpr size_t kTemplatesPerConnection = 8;
constexpr const char* kWriteKey = "bench-write-key";

uint16_t FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint16_t port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// A serialized request whose 50 event ids sit at known offsets, so each send only patches ids.
struct Template {
  std::string request;             // headers + body
  std::vector<size_t> id_offsets;  // offsets of the 16-byte event ids within `request`
};

Template MakeTemplate(size_t connection, size_t index, uint16_t port) {
  vitrine::v1::Batch batch;
  batch.set_sent_at_ms(1'767'000'000'000);
  batch.mutable_context()->set_sdk_name("vitrine-bench");
  const std::string anon = "bench-anon-" + std::to_string(connection) + "-" + std::to_string(index);
  static const char* kTypes[] = {"product_viewed", "product_viewed", "product_viewed",
                                 "product_added_to_cart"};
  std::vector<std::string> markers;
  for (size_t i = 0; i < kEventsPerBatch; ++i) {
    auto* e = batch.add_events();
    // A recognisable placeholder, replaced per request.
    std::string marker = "\xEEVTID";
    marker += static_cast<char>(i);
    marker.resize(16, '\xEE');
    markers.push_back(marker);
    e->set_event_id(marker);
    e->set_type(kTypes[i % 4]);
    e->set_occurred_at_ms(1'767'000'000'000 + static_cast<int64_t>(i) * 1000);
    e->set_seq(i + 1);
    e->set_session_id(anon + "-s");
    e->set_anonymous_id(anon);
    auto* p = e->add_products();
    const size_t product = (connection * 7 + index * 13 + i) % 500;
    p->set_product_id("prod-" + std::to_string(product));
    p->set_sku("sku-" + std::to_string(product));
    p->set_price_micros(static_cast<int64_t>(1'000'000 + product * 10'000));
    p->set_currency("EUR");
    p->set_name("Product " + std::to_string(product));
    p->set_category("Skin Care/Face");
  }
  const std::string body = batch.SerializeAsString();
  Template t;
  t.request =
      "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
      "\r\nAuthorization: Bearer " + kWriteKey +
      "\r\nContent-Type: application/x-protobuf\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n";
  const size_t body_at = t.request.size();
  t.request += body;
  for (const auto& marker : markers) {
    const size_t at = body.find(marker);
    if (at != std::string::npos) t.id_offsets.push_back(body_at + at);
  }
  return t;
}

bool SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response (Content-Length framed); returns the status code, 0 on failure.
int ReadResponse(int fd, std::string& buf) {
  buf.clear();
  char chunk[16384];
  size_t header_end = std::string::npos;
  size_t need = 0;
  int status = 0;
  while (true) {
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        if (buf.size() < 12) return 0;
        status = std::atoi(buf.c_str() + 9);
        size_t length = 0;
        // Header names are case-insensitive; cpprest writes "Content-Length".
        for (const char* name : {"Content-Length:", "content-length:"}) {
          const size_t at = buf.find(name);
          if (at != std::string::npos && at < header_end) {
            length = std::strtoul(buf.c_str() + at + std::strlen(name), nullptr, 10);
          }
        }
        need = header_end + 4 + length;
      }
    }
    if (header_end != std::string::npos && buf.size() >= need) return status;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buf.append(chunk, static_cast<size_t>(n));
  }
}

int Connect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// CPU seconds (user + system) of process `pid` so far, from /proc; 0 when unreadable.
double ProcessCpuSeconds(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return 0;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Fields after the command name, which is in parentheses and may hold spaces.
  const char* p = std::strrchr(buf, ')');
  if (!p) return 0;
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  // state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2) {
    return 0;
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct ConnectionStats {
  uint64_t acked_events = 0;
  uint64_t errors = 0;
  std::vector<float> latencies_ms;
};

}  // namespace

IngestBenchResult RunIngestBench(const std::string& server_bin, size_t connections,
                                 double seconds) {
  IngestBenchResult result{0, 0, connections};
  if (connections == 0 || seconds <= 0) return result;
  if (!std::filesystem::exists(server_bin)) {
    std::fprintf(stderr, "ingest bench: no server binary at %s\n", server_bin.c_str());
    return result;
  }
  std::random_device rd;
  const uint64_t run_salt = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("vitrine-ingest-bench-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  const uint16_t port = FreePort();
  const std::string ready = (dir / "ready").string();
  const std::string db = (dir / "bench.db").string();
  const std::string log = (dir / "server.log").string();

  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    const std::string listen = "http://127.0.0.1:" + std::to_string(port);
    ::execl(server_bin.c_str(), server_bin.c_str(), "serve", "--listen", listen.c_str(), "--db",
            db.c_str(), "--write-key", kWriteKey, "--admin-key", "bench-admin-key", "--ready-file",
            ready.c_str(), "--access-log", "false", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto stop_server = [&] {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };
  if (pid < 0) {
    std::fprintf(stderr, "ingest bench: fork failed\n");
    stop_server();
    return result;
  }
  // The server writes the ready file once it listens: poll for it (a launcher, not a test).
  const auto ready_deadline = Clock::now() + std::chrono::seconds(30);
  while (!std::filesystem::exists(ready)) {
    int status = 0;
    if (Clock::now() > ready_deadline || ::waitpid(pid, &status, WNOHANG) == pid) {
      std::fprintf(stderr, "ingest bench: server did not become ready (log: %s)\n", log.c_str());
      stop_server();
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

  std::vector<std::vector<Template>> templates(connections);
  for (size_t c = 0; c < connections; ++c) {
    for (size_t i = 0; i < kTemplatesPerConnection; ++i)
      templates[c].push_back(MakeTemplate(c, i, port));
  }

  const auto start = Clock::now();
  const auto warmup = std::chrono::duration<double>(std::min(1.0, seconds * 0.1));
  const auto measure_from = start + std::chrono::duration_cast<Clock::duration>(warmup);
  const auto end = measure_from + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  std::vector<ConnectionStats> stats(connections);
  std::vector<std::thread> threads;
  threads.reserve(connections);
  for (size_t c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      ConnectionStats& s = stats[c];
      s.latencies_ms.reserve(4096);
      int fd = Connect(port);
      std::string response;
      uint64_t counter = 0;
      while (Clock::now() < end) {
        if (fd < 0) {
          ++s.errors;
          fd = Connect(port);
          if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        Template& t = templates[c][counter % kTemplatesPerConnection];
        std::string request = t.request;
        for (size_t k = 0; k < t.id_offsets.size(); ++k) {
          // Unique per run, connection, request and event.
          const uint64_t hi = run_salt ^ (static_cast<uint64_t>(c) << 40);
          const uint64_t lo = counter * kEventsPerBatch + k;
          std::memcpy(&request[t.id_offsets[k]], &hi, 8);
          std::memcpy(&request[t.id_offsets[k] + 8], &lo, 8);
        }
        ++counter;
        const auto sent_at = Clock::now();
        const int status = SendAll(fd, request) ? ReadResponse(fd, response) : 0;
        const auto done_at = Clock::now();
        if (status == 0) {
          ::close(fd);
          fd = -1;
          ++s.errors;
          continue;
        }
        if (sent_at < measure_from || done_at > end) continue;
        if (status == 200) {
          s.acked_events += kEventsPerBatch;
        } else {
          ++s.errors;
        }
        s.latencies_ms.push_back(static_cast<float>(
            std::chrono::duration<double, std::milli>(done_at - sent_at).count()));
      }
      if (fd >= 0) ::close(fd);
    });
  }
  // CPU shares over the measured window.
  double server_cpu = 0;
  double client_cpu = 0;
  std::thread cpu_probe([&] {
    std::this_thread::sleep_until(measure_from);
    const double server0 = ProcessCpuSeconds(pid);
    const double client0 = ProcessCpuSeconds(::getpid());
    std::this_thread::sleep_until(end);
    server_cpu = ProcessCpuSeconds(pid) - server0;
    client_cpu = ProcessCpuSeconds(::getpid()) - client0;
  });
  for (auto& t : threads) t.join();
  cpu_probe.join();
  result.server_cores = server_cpu / seconds;
  result.client_cores = client_cpu / seconds;

  uint64_t events = 0;
  uint64_t errors = 0;
  std::vector<float> all;
  for (const auto& s : stats) {
    events += s.acked_events;
    errors += s.errors;
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
  }
  result.events_per_s = static_cast<double>(events) / seconds;
  if (!all.empty()) {
    const size_t k =
        std::min(all.size() - 1, static_cast<size_t>(static_cast<double>(all.size()) * 0.99));
    std::nth_element(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
    result.p99_ms = all[k];
  }
  if (errors > 0) {
    std::fprintf(stderr, "ingest bench: %llu failed requests at %zu connections\n",
                 static_cast<unsigned long long>(errors), connections);
  }
  stop_server();
  return result;
}
