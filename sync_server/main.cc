// vitrine-server: `serve` runs the sync server; `demo-load` fills a database with the demo shop;
// `train` trains the recommendation models once and stores the new version.
#include <google/protobuf/stubs/logging.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sync_server/config.h"
#include "sync_server/http/http_server.h"
#include "sync_server/server.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "vitrine-server: %s\n", message.c_str());
  return 2;
}

int Serve(const vitrine::server::ServerConfig& config) {
  using vitrine::server::App;
  if (config.write_key.empty()) {
    return Fail("refusing to start: no write key (--write-key or write-key in --config)");
  }
  if (config.admin_key.empty()) {
    return Fail("refusing to start: no admin key (--admin-key or admin-key in --config)");
  }
  if (config.write_key == config.admin_key) {
    return Fail("refusing to start: the write key and the admin key must differ");
  }
  // Block the stop signals before any thread starts, so only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Before anything touches cpprest: its pool is sized once, on first use.
  vitrine::server::Status threads =
      vitrine::server::HttpServer::ConfigureThreads(config.http_threads);
  if (!threads.ok()) return Fail(threads.ToString());
  auto app = App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  if (config.demo) {
    vitrine::server::Status s = (*app)->LoadDemo();
    if (!s.ok()) return Fail("demo: " + s.ToString());
  }
  (*app)->models().StartSchedule();
  vitrine::server::HttpServer http(app->get());
  vitrine::server::Status s = http.Start();
  if (!s.ok()) return Fail(s.ToString());
  std::fprintf(stderr, "{\"msg\":\"listening\",\"listen\":\"%s\",\"db\":\"%s\"}\n",
               config.listen.c_str(), config.db.c_str());
  if (!config.ready_file.empty()) {
    std::ofstream ready(config.ready_file, std::ios::trunc);
    ready << "ready\n";
  }
  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "{\"msg\":\"stopping\",\"signal\":%d}\n", sig);
  (*app)->ingest().Stop();
  http.Stop();
  return 0;
}

int DemoLoad(vitrine::server::ServerConfig config) {
  auto app = vitrine::server::App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  vitrine::server::Status s = (*app)->LoadDemo();
  if (!s.ok()) return Fail("demo: " + s.ToString());
  auto stats = (*app)->admin().Stats();
  if (stats.ok()) {
    std::printf("{\"events\":%lld,\"profiles\":%lld,\"orders\":%lld,\"catalog_items\":%lld}\n",
                static_cast<long long>(stats->events), static_cast<long long>(stats->profiles),
                static_cast<long long>(stats->orders),
                static_cast<long long>(stats->catalog_items));
  }
  return 0;
}

int Train(const vitrine::server::ServerConfig& config) {
  auto app = vitrine::server::App::Open(config);
  if (!app.ok()) return Fail("cannot open " + config.db + ": " + app.status().ToString());
  vitrine::server::Status s = (*app)->models().TrainNow();
  const auto status = (*app)->models().status();
  if (!s.ok()) {
    return Fail("training failed: " + s.ToString() + " (still serving " +
                (status.version.empty() ? std::string("the live model") : status.version) + ")");
  }
  const auto model = (*app)->models().Current();
  const auto& stats = model->artifact().stats();
  std::printf(
      "{\"version\":\"%s\",\"events\":%lld,\"profiles\":%lld,\"items\":%lld,\"baskets\":%lld,"
      "\"neighbour_links\":%lld,\"fbt_pairs\":%lld,\"sequential\":%s,\"seconds\":%.2f}\n",
      model->version().c_str(), static_cast<long long>(stats.events()),
      static_cast<long long>(stats.profiles()), static_cast<long long>(stats.items()),
      static_cast<long long>(stats.baskets()), static_cast<long long>(stats.neighbour_links()),
      static_cast<long long>(stats.fbt_pairs()), model->has_sequential() ? "true" : "false",
      stats.seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Malformed client input is answered with a 400; protobuf need not also log it.
  google::protobuf::SetLogHandler(nullptr);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::fputs(vitrine::server::ConfigUsage().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  auto config = vitrine::server::ParseConfig(args);
  if (!config.ok()) return Fail(config.status().message() + "\n" + vitrine::server::ConfigUsage());
  if (command == "serve") return Serve(*config);
  if (command == "demo-load") return DemoLoad(*config);
  if (command == "train") return Train(*config);
  return Fail("unknown command '" + command + "'\n" + vitrine::server::ConfigUsage());
}
