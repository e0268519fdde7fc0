// Kill test: a child process tracking in a loop is SIGKILLed at random moments (after a random
// number of acknowledged Track calls, read from its stdout, so no timing sleeps). After a final
// restart drains the queue, every event whose Track returned OK is on the server exactly once.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>

#include "tests/integration/server_harness.h"
#include "tests/support/temp_dir.h"

namespace vitrine {
namespace {

using testing::ServerProcess;
using testing::TempDir;

struct Child {
  pid_t pid = -1;
  int out = -1;
};

Child Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  // A small pipe keeps the child at most a few hundred lines ahead of what the parent read.
  fcntl(fds[1], F_SETPIPE_SZ, 4096);
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[1]);
  c.out = fds[0];
  return c;
}

TEST(KillTest, EveryAcknowledgedTrackReachesTheServerExactlyOnce) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_TRUE(server.ok()) << server.error();
  // Installs: each one is killed and restarted kTrialsPerInstall times (the restart replays its
  // journal and resends its queue), then drained.
  constexpr int kTrials = 24;
  constexpr int kTrialsPerInstall = 4;
  auto install_dir = [&](int trial) {
    return dir.path() + "/sdk-" + std::to_string(trial / kTrialsPerInstall);
  };
  std::mt19937 rng(20261122);
  std::set<long long> promised;
  for (int trial = 0; trial < kTrials; ++trial) {
    const long long first = static_cast<long long>(trial) * 1'000'000;
    Child child = Spawn(
        {VITRINE_KILL_CHILD_BIN, "track", install_dir(trial), server.url(), std::to_string(first)});
    ASSERT_GT(child.pid, 0);
    const int kill_after = std::uniform_int_distribution<int>(1, 400)(rng);
    std::string pending;
    int lines = 0;
    char buf[4096];
    auto take_lines = [&] {
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        promised.insert(std::stoll(pending.substr(0, nl)));
        pending.erase(0, nl + 1);
        ++lines;
      }
    };
    while (lines < kill_after) {
      const ssize_t got = read(child.out, buf, sizeof buf);
      if (got <= 0) break;
      pending.append(buf, static_cast<size_t>(got));
      take_lines();
    }
    kill(child.pid, SIGKILL);
    // Lines written before the kill are promises too.
    for (ssize_t got; (got = read(child.out, buf, sizeof buf)) > 0;) {
      pending.append(buf, static_cast<size_t>(got));
    }
    take_lines();
    close(child.out);
    int status = 0;
    waitpid(child.pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child ended on its own in trial " << trial << " (exit " << WEXITSTATUS(status) << ")";
    if (trial % 8 == 7) server.Restart();  // the server restarts sometimes too
  }

  std::map<long long, int> seen;
  for (int install = 0; install < kTrials / kTrialsPerInstall; ++install) {
    Child drain = Spawn(
        {VITRINE_KILL_CHILD_BIN, "drain", install_dir(install * kTrialsPerInstall), server.url()});
    std::string anonymous_id;
    char buf[256];
    for (ssize_t got; (got = read(drain.out, buf, sizeof buf)) > 0;) {
      anonymous_id.append(buf, static_cast<size_t>(got));
    }
    while (!anonymous_id.empty() && anonymous_id.back() == '\n') anonymous_id.pop_back();
    int status = 0;
    waitpid(drain.pid, &status, 0);
    close(drain.out);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "drain failed";
    HttpResponse profile = server.Admin("GET", "/v1/admin/profiles?anonymous_id=" + anonymous_id);
    ASSERT_EQ(profile.status, 200) << profile.body;
    const long long profile_id = ServerProcess::JsonInt(profile.body, "profile_id");
    ASSERT_GT(profile_id, 0) << profile.body;
    HttpResponse events = server.Admin(
        "GET", "/v1/admin/events?limit=10000&profile_id=" + std::to_string(profile_id));
    ASSERT_EQ(events.status, 200) << events.body.substr(0, 500);
    const std::vector<long long> numbers = ServerProcess::JsonInts(events.body, "n");
    for (long long n : numbers) ++seen[n];
    const size_t listed = numbers.size();
    ASSERT_LT(listed, 10000u) << "the admin listing is capped at 10,000 events per profile";
  }

  // Every promised number exactly once; unpromised extras are allowed only one per kill (a kill
  // between Track returning and the number being printed).
  size_t missing = 0, duplicated = 0;
  for (long long n : promised) {
    if (seen[n] == 0) ++missing;
  }
  for (const auto& [n, count] : seen) {
    if (count > 1) ++duplicated;
  }
  EXPECT_GT(promised.size(), 100u);
  EXPECT_EQ(missing, 0u) << "of " << promised.size() << " promised events";
  EXPECT_EQ(duplicated, 0u);
  EXPECT_LE(seen.size(), promised.size() + kTrials);
  EXPECT_EQ(server.StatsField("events"), static_cast<long long>(seen.size()));
}

}  // namespace
}  // namespace vitrine
