// Test helper: runs tests/sync_server/campaigns/smtp_sink.py (a real aiosmtpd SMTP server on
// 127.0.0.1, port 0) as a child process, and the independent MIME checker check_mime.py.
//
// Thread safety: one test thread owns a SmtpSink.
#ifndef VITRINE_TESTS_SYNC_SERVER_CAMPAIGNS_SMTP_SINK_H_
#define VITRINE_TESTS_SYNC_SERVER_CAMPAIGNS_SMTP_SINK_H_

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace vitrine::server::campaigns::testing {

// A python3 that can import aiosmtpd ("" when none): Debian's python3-aiosmtpd lives in the
// system interpreter, which may not be the first python3 on PATH.
inline std::string PythonWithAiosmtpd() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    const std::string cmd = std::string(py) + " -c 'import aiosmtpd' >/dev/null 2>&1";
    if (std::system(cmd.c_str()) == 0) return py;
  }
  return "";
}

inline std::string ScriptDir() {
  return std::filesystem::path(VITRINE_SMTP_SINK).parent_path().string();
}

class SmtpSink {
 public:
  // Starts the server writing messages into `out_dir`; port() is 0 when it failed to start.
  SmtpSink(const std::string& python, const std::string& out_dir,
           const std::vector<std::string>& extra_args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    std::vector<std::string> args = {python, VITRINE_SMTP_SINK, out_dir};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    // Wait (bounded) for "READY <port>\n".
    std::string line;
    pollfd p{fds[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 20'000) > 0) {
      char buf[64];
      const ssize_t n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(fds[0]);
    if (line.starts_with("READY ")) port_ = static_cast<uint16_t>(std::stoi(line.substr(6)));
  }
  ~SmtpSink() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

inline std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return "";
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// check_mime.py's view of every message in `dir`: one key -> value map per message.
inline std::vector<std::map<std::string, std::string>> CheckMime(const std::string& python,
                                                                 const std::string& dir) {
  const std::string cmd = python + " " + ScriptDir() + "/check_mime.py " + dir;
  std::vector<std::map<std::string, std::string>> out;
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  std::string all;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) all.append(buf, n);
  ::pclose(p);
  std::istringstream lines(all);
  std::string line;
  while (std::getline(lines, line)) {
    std::map<std::string, std::string> m;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '\t')) {
      const size_t eq = field.find('=');
      if (eq != std::string::npos) m[field.substr(0, eq)] = field.substr(eq + 1);
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace vitrine::server::campaigns::testing

#endif  // VITRINE_TESTS_SYNC_SERVER_CAMPAIGNS_SMTP_SINK_H_
