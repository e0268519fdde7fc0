// Merges imported CRM orders (crm_csv.h) into the server's unified profiles by turning each order
// into an order_completed event and handing it to the server's ingest (services/ingest_service.h),
// so the identity graph, order_id deduplication and group commit are the ingest's own, not a copy:
//  - user_id = the CRM customer_id (the shop's platform customer id, which the storefront also
//    sends as the SDK user id once the shopper logs in);
//  - anonymous_id = "email:<lower-cased email>" when the row has an email, else
//    "crm:<customer_id>". The email alias is linked to the customer's profile like any anonymous
//    id, so a later row with the same email and a customer id (or an SDK identify) merges the
//    profiles through the ingest's usual anonymous -> user merge;
//  - event_id = 16 bytes derived from "crm-order:" + order_id (FNV-1a 128-style, v4 bits set):
//    re-importing the same file stores nothing twice, and an order the SDK already sent is
//    claimed by its order_id and acked as a duplicate, never counted twice.
// Cancellation invoices and non-positive quantities are not orders: they are counted and skipped.
// Lines of one order that disagree on the customer or the currency reject the whole order (listed
// with the lines' numbers) rather than guessing.
//
// Thread safety: MergeOrders runs on the calling thread and calls `ingest` from it.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_CRM_MERGE_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_CRM_MERGE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/analytics/crm_csv.h"
#include "sync_server/common/status.h"
#include "vitrine/v1/batch.pb.h"

namespace vitrine::server::analytics {

struct IngestOutcome {
  int64_t stored = 0;
  int64_t duplicates = 0;
};
// Stores one batch (the server's IngestService::Ingest); the batch is all-or-nothing.
using IngestBatchFn = std::function<StatusOr<IngestOutcome>(v1::Batch)>;

struct MergeOptions {
  size_t events_per_batch = 500;
  // (orders done, orders total); may be empty.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct MergeReport {
  int64_t orders = 0;         // distinct orders turned into events
  int64_t stored = 0;         // new orders stored
  int64_t duplicates = 0;     // already known (same order_id through the SDK or a previous import)
  int64_t skipped_lines = 0;  // cancellations and non-positive quantities
  std::vector<RowIssue> issues;  // orders rejected (inconsistent lines)
};

// The events for `lines` (one per order, in order of first appearance), and the issues of the
// orders that could not be built.
std::vector<v1::Event> OrdersToEvents(const std::vector<OrderLine>& lines, MergeReport* report);

// OrdersToEvents, then ingest in batches. A failed batch stops the merge with its status; the
// batches before it stay stored (each is durable and idempotent, so re-running the import
// completes it without double counting).
StatusOr<MergeReport> MergeOrders(const std::vector<OrderLine>& lines, const IngestBatchFn& ingest,
                                  const MergeOptions& options = {});

// The 16-byte event id of an imported order.
std::string CrmOrderEventId(std::string_view order_id);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_CRM_MERGE_H_
