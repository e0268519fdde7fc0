// `vitrine-server analytics <command>`: the customer-analytics CLI. Runs against the database
// file directly (WAL: beside a serving process), prints progress of long jobs to stderr and
// results to stdout.
//
//   analytics import   --db F --file CSV [--format generic|online_retail] [--currency XXX]
//   analytics compute  --db F [--min-size 200] [--max-size 500] [--segments 0] [--seed 1]
//                      [--holdout 10]
//   analytics segments --db F                       segment descriptions (JSON)
//   analytics members  --db F --segment seg-001     profile ids, one per line
//   analytics export   --db F --out FILE [--segment seg-001]   profiles as CSV
//
// The server's types stay out of this library: main.cc hands in how to open the Store and how
// to run a body with the ingest of an opened App (CliHooks).
//
// Thread safety: runs on the calling thread.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_CLI_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_CLI_H_

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sync_server/analytics/crm_merge.h"
#include "sync_server/common/status.h"
#include "sync_server/storage/store.h"

namespace vitrine::server::analytics {

struct CliHooks {
  std::function<StatusOr<std::unique_ptr<Store>>(const std::string& db)> open_store;
  // Opens the server's ingest on `db`, calls `body` with it, closes it.
  std::function<Status(const std::string& db,
                       const std::function<Status(const IngestBatchFn&)>& body)>
      with_ingest;
  std::function<int64_t()> clock;  // Unix ms
  FILE* out = stdout;
  FILE* err = stderr;
};

// `args` are the words after "analytics". Returns the process exit code (0 ok, 1 failure,
// 2 usage).
int RunAnalyticsCli(const std::vector<std::string>& args, const CliHooks& hooks);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_ANALYTICS_CLI_H_
