// A deterministic customer base of any size built from real data, for the segmentation test,
// the propensity evaluation and the benchmarks (issue: "100,000 customers from real data").
//
// How it is built (documented because the figures in docs/benchmarks.md depend on it):
//  - WHAT customers buy: the Amazon Beauty 5-core sequences (amazon/Beauty.txt, 22,363 real
//    shoppers, 12,101 items, in time order). Customer i follows sequence i mod 22,363; copies
//    beyond the first start at a different position of the sequence (offset = copy number), so
//    repeated sequences are rotated rather than identical.
//  - Category and brand of an item: its attributes (amazon/Beauty_item2attributes.json,
//    anonymised integers, categories and brand mixed). Category = the item's attribute shared by
//    the most items (the broadest), brand = the one shared by the fewest (the most specific), named
//    "cat-<id>" / "brand-<id>".
//  - WHEN they buy: a BG/NBD process with the published CDNOW parameters (r=0.243, alpha=4.414,
//    a=0.793, b=2.426; weeks): per customer a purchase rate lambda ~ Gamma(r, 1/alpha) and a
//    drop-out probability p ~ Beta(a, b); birth uniform over the first 12 weeks (the CDNOW cohort
//    was acquired in one quarter); exponential inter-purchase times; after each repeat purchase
//    the customer drops out with probability p; observation ends at `weeks`.
//  - Each purchase buys the next item of the customer's sequence (cycling), quantity 1, and is
//    preceded by a view of it; every second purchase also views the item after it (browsing).
//  - Prices are synthetic and deterministic per item: 4 + (FNV-1a(item) mod 4600) / 100, so
//    4.00-49.99 in the shop's currency.
// Random numbers: std::mt19937_64 seeded with (seed, customer); Gamma/Beta draws through
// libstdc++'s distributions, so the base is identical run to run on one standard library.
//
// Thread safety: pure function; reads the two files.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_SYNTHETIC_BASE_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_SYNTHETIC_BASE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "sync_server/analytics/clv_models.h"
#include "sync_server/analytics/profile_attributes.h"
#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

struct SyntheticBaseOptions {
  int customers = 100'000;
  uint64_t seed = 1;
  int64_t start_ms = 852'076'800'000;  // 1997-01-01, as CDNOW
  double weeks = 78;
  BgNbdParams timing{0.243, 4.414, 0.793, 2.426};
};

// Activity lines of the base; profile ids are 1..customers. kNotFound when the files are absent
// from `amazon_dir`, kInvalid when they cannot be parsed.
StatusOr<std::vector<ActivityLine>> BuildBeautyBase(const std::string& amazon_dir,
                                                    const SyntheticBaseOptions& options = {});

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_SYNTHETIC_BASE_H_
