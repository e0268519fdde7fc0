// Child process for the kill test. `track DIR URL FIRST` tracks product views numbered FIRST,
// FIRST+1, ... forever, printing each number on stdout right after Track returned OK (so the
// parent knows which events were promised), while the client syncs in the background.
// `drain DIR URL` opens the same data dir, flushes until the queue is empty, prints the
// install's anonymous id and exits 0.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "vitrine/client.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s track|drain DIR URL [FIRST]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  vitrine::Options options;
  options.data_dir = argv[2];
  options.server_url = argv[3];
  options.write_key = "wk_integration";
  options.flush_interval_ms = 20;   // send while tracking, so kills land mid-request too
  options.persist_interval_ms = 5;  // and mid-persist
  options.max_batch_events = 100;
  options.backoff_initial_ms = 10;
  options.backoff_max_ms = 200;
  auto client = vitrine::Client::Open(options);
  if (!client.ok()) {
    std::fprintf(stderr, "open: %s\n", client.status().ToString().c_str());
    return 3;
  }
  if (mode == "drain") {
    for (int i = 0; i < 200 && (*client)->Stats().queued > 0; ++i) (void)(*client)->Flush();
    (void)(*client)->Flush();
    std::printf("%s\n", (*client)->Stats().anonymous_id.c_str());
    std::fflush(stdout);
    return (*client)->Stats().queued == 0 ? 0 : 4;
  }
  long long n = argc > 4 ? std::atoll(argv[4]) : 0;
  vitrine::EventSpec spec;
  spec.type = "product_viewed";
  vitrine::Product p;
  p.sku = "sku";
  p.price = 5;
  p.currency = "EUR";
  spec.products.push_back(p);
  for (;; ++n) {
    spec.products[0].product_id = "p-" + std::to_string(n % 97);
    spec.properties["n"] = std::to_string(n);
    vitrine::Status s = (*client)->Track(spec);
    if (!s.ok()) {
      std::fprintf(stderr, "track: %s\n", s.ToString().c_str());
      return 5;
    }
    // One write per line: a kill can cut the line, never interleave it.
    const std::string line = std::to_string(n) + "\n";
    if (write(STDOUT_FILENO, line.data(), line.size()) < 0) return 6;
  }
}
