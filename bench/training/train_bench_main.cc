// vitrine-train-bench [--customers N] [--events-per-customer K] [--json]
//
// A synthetic shop (5,000 products in 50 categories; every customer has a favourite category,
// browses, carts and orders 1-3 lines) is ingested through the real ingest service into a real
// SQLite file; then, timed: one full training (popularity, item-item, FBT) plus a snapshot for
// every customer, the nightly refresh. Defaults: 100,000 customers x 10 events = 1M events.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sync_server/server.h"

namespace {

using vitrine::server::App;
using vitrine::server::ServerConfig;
using vitrine::server::Status;

// prefix + number, without `"literal" + std::string` (GCC 12 reports a false -Wrestrict there).
std::string Id(const char* prefix, uint64_t n) {
  std::string id = prefix;
  id += std::to_string(n);
  return id;
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

std::string EventId(uint64_t n) {
  std::string id(16, '\0');
  for (int i = 0; i < 8; ++i)
    id[static_cast<size_t>(15 - i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  id[6] = static_cast<char>(0x80 | (id[6] & 0x0f));  // a v8 UUID like the SDK's
  id[8] = static_cast<char>(0x80 | (id[8] & 0x3f));
  return id;
}

int Main(int argc, char** argv) {
  size_t customers = 100'000;
  size_t per_customer = 10;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--customers") && i + 1 < argc) {
      customers = std::stoul(argv[++i]);
    } else if (!std::strcmp(argv[i], "--events-per-customer") && i + 1 < argc) {
      per_customer = std::stoul(argv[++i]);
    } else if (!std::strcmp(argv[i], "--json")) {
      json = true;
    } else {
      std::fprintf(stderr, "usage: %s [--customers N] [--events-per-customer K] [--json]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vitrine-train-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ServerConfig config;
  config.db = (dir / "bench.db").string();
  config.retrain_interval_s = 0;
  config.access_log = false;
  auto app = App::Open(config);
  if (!app.ok()) {
    std::fprintf(stderr, "open: %s\n", app.status().ToString().c_str());
    return 1;
  }

  constexpr int kProducts = 5000;
  constexpr int kCategories = 50;
  const char* kKinds[] = {"Serum",       "Cleanser",    "Toner",    "Mask",     "Shampoo",
                          "Conditioner", "Nail Polish", "Top Coat", "Lipstick", "Mascara"};
  std::vector<vitrine::v1::CatalogItem> catalog;
  for (int p = 0; p < kProducts; ++p) {
    vitrine::v1::CatalogItem item;
    item.set_product_id(Id("p", static_cast<uint64_t>(p)));
    item.set_title(Id("Brand", static_cast<uint64_t>(p % 97)) + " " + kKinds[p % 10] + " " +
                   std::to_string(p));
    item.set_category(Id("Cat", static_cast<uint64_t>(p % kCategories)) + "/Sub" +
                      std::to_string(p % 7));
    item.set_price_micros(5'000'000 + (p % 50) * 1'000'000);
    item.set_currency("EUR");
    item.set_stock(p % 23 == 0 ? 0 : 10);
    catalog.push_back(std::move(item));
  }
  if (Status s = (*app)->catalog().Upsert(catalog); !s.ok()) {
    std::fprintf(stderr, "catalog: %s\n", s.ToString().c_str());
    return 1;
  }

  // Ingest (not timed): batches of 500 through the writer, 32 in flight.
  std::mt19937_64 rng(7);
  const auto load_start = std::chrono::steady_clock::now();
  std::deque<std::future<Status>> in_flight;
  vitrine::v1::Batch batch;
  uint64_t n = 0;
  const int64_t t0 = 1'767'000'000'000;
  auto flush = [&] {
    auto promise = std::make_shared<std::promise<Status>>();
    in_flight.push_back(promise->get_future());
    (*app)->ingest().Submit(std::move(batch), [promise](auto r) {
      promise->set_value(r.ok() ? Status::Ok() : r.status());
    });
    batch = vitrine::v1::Batch();
    while (in_flight.size() > 32) {
      Status s = in_flight.front().get();
      in_flight.pop_front();
      if (!s.ok()) std::fprintf(stderr, "ingest: %s\n", s.ToString().c_str());
    }
  };
  for (size_t c = 0; c < customers; ++c) {
    const int favourite = static_cast<int>(rng() % kCategories);
    const std::string anon = Id("a", static_cast<uint64_t>(c));
    int64_t at = t0 + static_cast<int64_t>(rng() % (30LL * 86'400'000));
    auto pick = [&] {
      // 80% in the favourite category, the rest anywhere; popular products more often.
      const int r = static_cast<int>(rng() % 100);
      const int rank = static_cast<int>(std::min<uint64_t>(rng() % 100, rng() % 100));
      return r < 80 ? favourite + kCategories * rank : static_cast<int>(rng() % kProducts);
    };
    for (size_t e = 0; e < per_customer; ++e) {
      vitrine::v1::Event* ev = batch.add_events();
      ev->set_event_id(EventId(++n));
      ev->set_anonymous_id(anon);
      ev->set_session_id(Id("s", static_cast<uint64_t>(c)));
      ev->set_occurred_at_ms(at += 30'000);
      const int roll = static_cast<int>(rng() % 100);
      const int lines = roll < 85 ? 1 : 1 + static_cast<int>(rng() % 3);
      ev->set_type(roll < 70   ? "product_viewed"
                   : roll < 85 ? "product_added_to_cart"
                               : "order_completed");
      for (int l = 0; l < lines; ++l) {
        const int p = pick() % kProducts;
        auto* line = ev->add_products();
        line->set_product_id(Id("p", static_cast<uint64_t>(p)));
        line->set_quantity(1);
        line->set_price_micros(5'000'000);
        line->set_currency("EUR");
      }
      if (ev->type() == "order_completed") {
        ev->mutable_order()->set_order_id(Id("o", static_cast<uint64_t>(n)));
        ev->mutable_order()->set_value_micros(5'000'000 * lines);
        ev->mutable_order()->set_currency("EUR");
      }
      if (batch.events_size() >= 500) flush();
    }
  }
  if (batch.events_size() > 0) flush();
  while (!in_flight.empty()) {
    Status s = in_flight.front().get();
    in_flight.pop_front();
    if (!s.ok()) std::fprintf(stderr, "ingest: %s\n", s.ToString().c_str());
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  std::fprintf(stderr, "loaded %llu events for %zu customers in %.1f s\n",
               static_cast<unsigned long long>(n), customers, load_s);

  // Timed: the refresh.
  const auto train_start = std::chrono::steady_clock::now();
  if (Status s = (*app)->models().TrainNow(); !s.ok()) {
    std::fprintf(stderr, "train: %s\n", s.ToString().c_str());
    return 1;
  }
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - train_start).count();
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::vector<double>> bytes(threads);
  std::vector<std::thread> pool;
  const auto snap_start = std::chrono::steady_clock::now();
  for (unsigned w = 0; w < threads; ++w) {
    pool.emplace_back([&, w] {
      for (size_t c = w; c < customers; c += threads) {
        auto r = (*app)->snapshots().Build(Id("a", static_cast<uint64_t>(c)), "");
        if (r.ok()) bytes[w].push_back(static_cast<double>(r->snapshot.ByteSizeLong()));
      }
    });
  }
  for (auto& t : pool) t.join();
  const double snapshots_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - snap_start).count();
  std::vector<double> all;
  for (auto& b : bytes) all.insert(all.end(), b.begin(), b.end());
  const auto stats = (*app)->models().Current()->artifact().stats();
  (*app)->ingest().Stop();
  app->reset();
  std::filesystem::remove_all(dir);

  struct Row {
    const char* key;
    double value;
    const char* unit;
    const char* target;
  };
  const Row rows[] = {
      {"train_full_refresh_1m_s", train_s + snapshots_s, "s", "<= 60"},
      {"train_refresh_model_s", train_s, "s", ""},
      {"train_refresh_snapshots_s", snapshots_s, "s", ""},
      {"snapshot_bytes_p50", Percentile(all, 0.5), "bytes", ""},
      {"snapshot_bytes_p95", Percentile(all, 0.95), "bytes", ""},
      {"train_refresh_events", static_cast<double>(stats.events()), "events", ""},
      {"train_refresh_customers", static_cast<double>(all.size()), "snapshots", ""},
  };
  if (json) {
    std::printf("{");
    for (size_t i = 0; i < std::size(rows); ++i) {
      std::printf("%s\"%s\": %.3f", i ? ", " : "", rows[i].key, rows[i].value);
    }
    std::printf("}\n");
  } else {
    for (const auto& r : rows)
      std::printf("%-28s %16.2f  %-9s %s\n", r.key, r.value, r.unit, r.target);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
