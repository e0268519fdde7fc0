// A campaign's funnel and uplift from what is stored: send records and engagements from the
// campaign store, orders from the profiles (order_completed events of each recipient's profile).
// For the CLI (text with bar charts) and the admin API / console (JSON).
//
// Thread safety: as the store and order lookup passed in.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_REPORT_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_REPORT_H_

#include <functional>
#include <string>
#include <vector>

#include "sync_server/campaigns/campaign_store.h"
#include "sync_server/campaigns/measurement.h"
#include "sync_server/storage/store.h"

namespace vitrine::server::campaigns {

// A recipient's orders (any time; the report applies the attribution window).
using OrderLookup =
    std::function<StatusOr<std::vector<OrderRecord>>(const std::string& recipient_id)>;

// Orders from the server's store: the profile of user id = recipient id, its order_completed
// events (value in the order's currency units). `store` must outlive the lookup.
OrderLookup OrdersFromStore(Store* store, size_t max_events_per_profile = 5000);

struct CampaignReportOptions {
  int64_t attribution_window_ms = 7 * 86'400'000LL;
  double confidence = 0.95;
  bool json = false;
};

// kNotFound when the campaign has no send records.
StatusOr<std::string> RenderCampaignReport(CampaignStore& store, const std::string& campaign_id,
                                           const OrderLookup& orders,
                                           const CampaignReportOptions& options = {});

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_CAMPAIGN_REPORT_H_
