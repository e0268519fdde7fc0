// Deterministic generator of a believable beauty & health shop for the demo and for benchmarks:
// categories, brands, products with real-sounding names, prices and stock, and shoppers whose
// browsing, carts and repeat orders follow realistic patterns. Same options -> same shop.
// Optionally loads real public titles and sequences (Amazon Beauty, ../shared/datasets/amazon)
// instead of generated ones; prices and stock are then synthesised deterministically.
//
// Thread safety: pure functions of their inputs.
#ifndef VITRINE_SYNC_SERVER_DEMO_DEMO_SHOP_H_
#define VITRINE_SYNC_SERVER_DEMO_DEMO_SHOP_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::demo {

struct DemoOptions {
  uint64_t seed = 42;
  size_t customers = 2000;             // 100000 for the reference beauty shop
  size_t products = 600;               // generated catalog size (ignored with amazon_dir)
  int64_t end_ms = 1'767'225'600'000;  // history ends here (2026-01-01T00:00:00Z)
  int history_days = 180;
  // When non-empty: the folder holding beauty_s3rec_id_asin_title.tsv and Beauty.txt; titles and
  // users' sequences come from there (customers = min(customers, users in the file)). If the
  // catalog file cannot be read the shop is empty (no catalog, customers or batches).
  std::string amazon_dir;
};

struct DemoCustomer {
  std::string user_id;       // "cust-000123"
  std::string anonymous_id;  // the device id the history was captured under
  std::string email;
  std::string first_name;
  std::string last_name;
};

struct DemoShop {
  std::vector<v1::CatalogItem> catalog;
  std::vector<DemoCustomer> customers;
  // The shoppers' history as the SDK would have sent it: valid events in the vocabulary
  // (page/product views, list views, searches, cart adds/removes, checkouts, orders with
  // order_id, identify), grouped into batches of at most 500 events, oldest first.
  std::vector<v1::Batch> batches;
};

// The default size (2,000 customers, 600 products: ~96,000 events in ~190 batches) takes ~0.25 s
// and ~140 MB in a Release build. Events carry occurred_at_ms in (end_ms - history_days, end_ms);
// callers that want a "live" shop pass end_ms = now.
DemoShop GenerateDemoShop(const DemoOptions& options);

// The same shop, but the history is handed to `sink` one batch at a time (oldest first, the very
// batches GenerateDemoShop would return) instead of being kept: the returned DemoShop has empty
// `batches`. Use it for large runs: 100,000 customers make ~4.7 million events, ~6.8 GB as Batch
// messages (~28 s), but ~0.26 GB streamed (~7 s, Release); only a compact form of the history
// (~40 bytes per event) is kept while the batches are made.
DemoShop StreamDemoShop(const DemoOptions& options, const std::function<void(v1::Batch&&)>& sink);

}  // namespace vitrine::demo

#endif  // VITRINE_SYNC_SERVER_DEMO_DEMO_SHOP_H_
