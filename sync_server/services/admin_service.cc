#include "sync_server/services/admin_service.h"

namespace vitrine::server {

StatusOr<ProfileInfo> AdminService::FindProfile(const std::string& user_id,
                                                const std::string& anonymous_id) {
  if (user_id.empty() && anonymous_id.empty()) {
    return Status(Status::Kind::kInvalid, "missing_parameter", "give user_id or anonymous_id");
  }
  auto id = user_id.empty() ? store_->FindProfileByAnonymous(anonymous_id)
                            : store_->FindProfileByUser(user_id);
  if (!id.ok()) return id.status();
  if (!id->has_value()) return Status(Status::Kind::kNotFound, "not_found", "no such profile");
  auto info = store_->GetProfile(**id);
  if (!info.ok()) return info.status();
  if (!info->has_value()) return Status(Status::Kind::kNotFound, "not_found", "no such profile");
  return std::move(**info);
}

StatusOr<std::vector<v1::Event>> AdminService::ListEvents(int64_t profile_id, size_t limit) {
  auto info = store_->GetProfile(profile_id);
  if (!info.ok()) return info.status();
  if (!info->has_value()) return Status(Status::Kind::kNotFound, "not_found", "no such profile");
  return store_->ListProfileEvents(profile_id, limit);
}

}  // namespace vitrine::server
