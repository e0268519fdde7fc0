#include "sync_server/campaigns/campaign_report.h"

namespace vitrine::server::campaigns {

OrderLookup OrdersFromStore(Store* store, size_t max_events_per_profile) {
  return [store, max_events_per_profile](
             const std::string& recipient_id) -> StatusOr<std::vector<OrderRecord>> {
    std::vector<OrderRecord> out;
    auto profile = store->FindProfileByUser(recipient_id);
    if (!profile.ok()) return profile.status();
    if (!profile->has_value()) return out;
    auto events = store->ListProfileEvents(**profile, max_events_per_profile);
    if (!events.ok()) return events.status();
    for (const auto& e : *events) {
      if (e.type() != "order_completed") continue;
      out.push_back(
          {recipient_id, e.occurred_at_ms(), static_cast<double>(e.order().value_micros()) / 1e6});
    }
    return out;
  };
}

StatusOr<std::string> RenderCampaignReport(CampaignStore& store, const std::string& campaign_id,
                                           const OrderLookup& orders,
                                           const CampaignReportOptions& options) {
  auto sends = store.ListSends(campaign_id);
  if (!sends.ok()) return sends.status();
  if (sends->empty()) {
    return Status(Status::Kind::kNotFound, "no_such_campaign",
                  "no sends recorded for campaign " + campaign_id);
  }
  auto engagements = store.ListEngagements(campaign_id);
  if (!engagements.ok()) return engagements.status();
  std::vector<OrderRecord> all_orders;
  for (const SendRecord& s : *sends) {
    auto mine = orders(s.recipient_id);
    if (!mine.ok()) return mine.status();
    all_orders.insert(all_orders.end(), mine->begin(), mine->end());
  }
  const auto outcomes =
      BuildOutcomes(*sends, *engagements, all_orders, options.attribution_window_ms);
  const Funnel funnel = ComputeFunnel(outcomes);
  std::vector<UpliftEstimate> uplifts;
  for (UpliftMetric m :
       {UpliftMetric::kRevenue, UpliftMetric::kOrders, UpliftMetric::kConversion}) {
    uplifts.push_back(PooledUplift(outcomes, m, options.confidence));
  }
  if (options.json) return RenderJsonReport(campaign_id, funnel, uplifts);
  return RenderTextReport("Campaign " + campaign_id, funnel, uplifts);
}

}  // namespace vitrine::server::campaigns
