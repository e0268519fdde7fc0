#include "sync_server/analytics/crm_merge.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>

namespace vitrine::server::analytics {
namespace {

uint64_t Fnv1a(std::string_view text, uint64_t basis) {
  uint64_t h = basis;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int64_t Micros(double major) { return static_cast<int64_t>(std::llround(major * 1e6)); }

}  // namespace

std::string CrmOrderEventId(std::string_view order_id) {
  const std::string key = "crm-order:" + std::string(order_id);
  // Two 64-bit FNV-1a hashes with different offset bases: not cryptographic, only stable and
  // collision-unlikely across a shop's order ids.
  const uint64_t hi = Fnv1a(key, 0xcbf29ce484222325ULL);
  const uint64_t lo = Fnv1a(key, 0x84222325cbf29ce4ULL);
  std::string id(16, '\0');
  for (int i = 0; i < 8; ++i) {
    id[static_cast<size_t>(i)] = static_cast<char>((hi >> (56 - 8 * i)) & 0xff);
    id[static_cast<size_t>(8 + i)] = static_cast<char>((lo >> (56 - 8 * i)) & 0xff);
  }
  id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);  // version 4
  id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

std::vector<v1::Event> OrdersToEvents(const std::vector<OrderLine>& lines, MergeReport* report) {
  std::vector<std::string> order_ids;  // first appearance order
  std::map<std::string, std::vector<const OrderLine*>> by_order;
  for (const OrderLine& l : lines) {
    if (l.is_cancellation || l.quantity <= 0 || l.order_id.empty()) {
      ++report->skipped_lines;
      continue;
    }
    auto [it, fresh] = by_order.try_emplace(l.order_id);
    if (fresh) order_ids.push_back(l.order_id);
    it->second.push_back(&l);
  }
  std::vector<v1::Event> events;
  events.reserve(order_ids.size());
  for (const std::string& order_id : order_ids) {
    const auto& order_lines = by_order[order_id];
    const OrderLine& first = *order_lines.front();
    std::string inconsistent;
    for (const OrderLine* l : order_lines) {
      if (l->customer_id != first.customer_id || Lower(l->email) != Lower(first.email)) {
        inconsistent = "lines of order " + order_id + " name different customers";
      } else if (l->currency != first.currency) {
        inconsistent = "lines of order " + order_id + " use different currencies";
      } else if (l->quantity > std::numeric_limits<int32_t>::max()) {
        inconsistent = "a line of order " + order_id + " has a quantity beyond 2^31";
      }
      if (!inconsistent.empty()) break;
    }
    if (first.customer_id.empty() && first.email.empty()) {
      inconsistent = "order " + order_id + " has no customer id and no email";
    }
    if (!inconsistent.empty()) {
      for (const OrderLine* l : order_lines)
        report->issues.push_back({l->source_line, RowIssue::Kind::kError, inconsistent});
      continue;
    }
    v1::Event e;
    e.set_event_id(CrmOrderEventId(order_id));
    e.set_type("order_completed");
    e.set_occurred_at_ms(std::max<int64_t>(first.order_time, 1) * 1000);
    e.set_anonymous_id(first.email.empty() ? "crm:" + first.customer_id
                                           : "email:" + Lower(first.email));
    e.set_user_id(first.customer_id);
    (*e.mutable_properties())["source"] = "crm_import";
    auto* order = e.mutable_order();
    order->set_order_id(order_id);
    order->set_currency(first.currency);
    int64_t value = 0;
    for (const OrderLine* l : order_lines) {
      auto* p = e.add_products();
      p->set_product_id(l->product_id);
      p->set_sku(l->product_id);
      p->set_price_micros(Micros(l->unit_price));
      p->set_currency(l->currency);
      p->set_quantity(static_cast<int32_t>(l->quantity));
      if (!l->description.empty()) p->set_name(l->description);
      value += p->price_micros() * l->quantity;
    }
    order->set_value_micros(value);
    events.push_back(std::move(e));
  }
  report->orders = static_cast<int64_t>(events.size());
  return events;
}

StatusOr<MergeReport> MergeOrders(const std::vector<OrderLine>& lines, const IngestBatchFn& ingest,
                                  const MergeOptions& options) {
  MergeReport report;
  std::vector<v1::Event> events = OrdersToEvents(lines, &report);
  const size_t per_batch = std::max<size_t>(options.events_per_batch, 1);
  for (size_t begin = 0; begin < events.size(); begin += per_batch) {
    v1::Batch batch;
    const size_t end = std::min(events.size(), begin + per_batch);
    for (size_t i = begin; i < end; ++i) *batch.add_events() = std::move(events[i]);
    auto outcome = ingest(std::move(batch));
    if (!outcome.ok()) return outcome.status();
    report.stored += outcome->stored;
    report.duplicates += outcome->duplicates;
    if (options.progress) options.progress(static_cast<int64_t>(end), report.orders);
  }
  return report;
}

}  // namespace vitrine::server::analytics
