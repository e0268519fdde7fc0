#include "sync_server/campaigns/seed_export.h"

#include <map>
#include <set>

namespace vitrine::server::campaigns {

StatusOr<SeedExport> ExportCampaignSeed(CampaignStore& store, RecipientDirectory& directory,
                                        const std::string& campaign_id, SeedSource source,
                                        AdPlatform platform, const PhoneDefaults& phones) {
  auto sends = store.ListSends(campaign_id);
  if (!sends.ok()) return sends.status();
  if (sends->empty()) {
    return Status(Status::Kind::kNotFound, "no_such_campaign",
                  "no sends recorded for campaign " + campaign_id);
  }
  auto engagements = store.ListEngagements(campaign_id);
  if (!engagements.ok()) return engagements.status();
  std::set<std::string> engaged;
  for (const Engagement& e : *engagements) {
    if (!e.human()) continue;
    const bool counts = source == SeedSource::kOpeners ? (e.kind == Engagement::Kind::kOpen ||
                                                          e.kind == Engagement::Kind::kClick)
                                                       : e.kind == Engagement::Kind::kClick;
    if (counts) engaged.insert(e.recipient_id);
  }
  std::vector<SeedCustomer> customers;
  for (const SendRecord& s : *sends) {  // audience order: a stable file
    if (!engaged.count(s.recipient_id)) continue;
    SeedCustomer c;
    c.email = s.email;
    auto profile = directory.Lookup(s.recipient_id);
    if (!profile.ok()) return profile.status();
    if (profile->has_value()) {
      const RecipientProfile& p = **profile;
      if (!p.email.empty()) c.email = p.email;
      c.phone = p.phone;
      c.first_name = p.first_name;
      c.last_name = p.last_name;
      c.country = p.country;
      c.zip = p.zip;
    }
    customers.push_back(std::move(c));
  }
  SeedExport out;
  out.engaged = static_cast<int64_t>(engaged.size());
  out.csv = platform == AdPlatform::kMeta ? ExportMetaCsv(customers, phones, &out.stats)
                                          : ExportGoogleCsv(customers, phones, &out.stats);
  return out;
}

}  // namespace vitrine::server::campaigns
