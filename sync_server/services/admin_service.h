// Read-side admin queries: counts, profile lookup, a profile's events (debugging and tests).
//
// Thread safety: all methods are safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_SERVICES_ADMIN_SERVICE_H_
#define VITRINE_SYNC_SERVER_SERVICES_ADMIN_SERVICE_H_

#include <string>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/storage/store.h"

namespace vitrine::server {

class AdminService {
 public:
  explicit AdminService(Store* store) : store_(store) {}

  StatusOr<StoreStats> Stats() { return store_->Stats(); }
  // By user id when given, else by anonymous id. kNotFound when unknown.
  StatusOr<ProfileInfo> FindProfile(const std::string& user_id, const std::string& anonymous_id);
  // Newest first. kNotFound for an unknown profile.
  StatusOr<std::vector<v1::Event>> ListEvents(int64_t profile_id, size_t limit);

 private:
  Store* const store_;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_ADMIN_SERVICE_H_
