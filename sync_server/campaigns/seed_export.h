// Look-alike seeds from a campaign's engagement: the recipients with a human open (openers; a
// human click counts as an open) or a human click (clickers), as a Meta Custom Audience or Google
// Customer Match file (audience_export.h). Identifiers come from each recipient's profile
// (identify traits: email, phone, first/last name, country, zip), falling back to the address
// the campaign was sent to. Machine opens (privacy proxies, scanners) never make a seed.
//
// Thread safety: as the store and directory passed in.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_SEED_EXPORT_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_SEED_EXPORT_H_

#include <string>

#include "sync_server/campaigns/audience_export.h"
#include "sync_server/campaigns/campaign_store.h"
#include "sync_server/campaigns/recipient_directory.h"
#include "sync_server/common/status.h"

namespace vitrine::server::campaigns {

enum class SeedSource { kOpeners, kClickers };
enum class AdPlatform { kMeta, kGoogle };

struct SeedExport {
  std::string csv;
  ExportStats stats;
  int64_t engaged = 0;  // distinct recipients with a qualifying human engagement
};

// kNotFound when the campaign has no send records.
StatusOr<SeedExport> ExportCampaignSeed(CampaignStore& store, RecipientDirectory& directory,
                                        const std::string& campaign_id, SeedSource source,
                                        AdPlatform platform, const PhoneDefaults& phones);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_SEED_EXPORT_H_
