#include "sync_server/services/content_service.h"

#include <algorithm>
#include <mutex>

#include "sync_server/batch_codec.h"

namespace vitrine::server {

Status CatalogService::Load() {
  auto items = store_->ListCatalog();
  if (!items.ok()) return items.status();
  std::unique_lock lock(mu_);
  items_.clear();
  for (auto& item : *items) items_[item.product_id()] = std::move(item);
  return Status::Ok();
}

Status CatalogService::Upsert(const std::vector<v1::CatalogItem>& items) {
  Status s = store_->UpsertCatalog(items);
  if (!s.ok()) return s;
  std::unique_lock lock(mu_);
  for (const auto& item : items) items_[item.product_id()] = item;
  return Status::Ok();
}

std::optional<v1::CatalogItem> CatalogService::Get(const std::string& product_id) const {
  std::shared_lock lock(mu_);
  auto it = items_.find(product_id);
  if (it == items_.end()) return std::nullopt;
  return it->second;
}

size_t CatalogService::size() const {
  std::shared_lock lock(mu_);
  return items_.size();
}

Status MessageService::Load() {
  auto messages = store_->ListMessages();
  if (!messages.ok()) return messages.status();
  std::unique_lock lock(mu_);
  messages_.clear();
  for (auto& m : *messages) messages_[m.id()] = std::move(m);
  return Status::Ok();
}

Status MessageService::Put(const v1::InAppMessage& message) {
  Status s = ValidateInAppMessage(message);
  if (!s.ok()) return s;
  s = store_->PutMessage(message);
  if (!s.ok()) return s;
  std::unique_lock lock(mu_);
  messages_[message.id()] = message;
  return Status::Ok();
}

Status MessageService::Delete(const std::string& id) {
  auto deleted = store_->DeleteMessage(id);
  if (!deleted.ok()) return deleted.status();
  std::unique_lock lock(mu_);
  const bool cached = messages_.erase(id) > 0;
  if (!*deleted && !cached) {
    return Status(Status::Kind::kNotFound, "not_found", "no message with id '" + id + "'");
  }
  return Status::Ok();
}

std::vector<v1::InAppMessage> MessageService::List() const {
  std::shared_lock lock(mu_);
  std::vector<v1::InAppMessage> out;
  out.reserve(messages_.size());
  for (const auto& [id, m] : messages_) out.push_back(m);
  return out;
}

std::vector<v1::InAppMessage> MessageService::Active(int64_t now_ms) const {
  std::vector<v1::InAppMessage> out;
  {
    std::shared_lock lock(mu_);
    for (const auto& [id, m] : messages_) {
      if (m.starts_at_ms() > now_ms) continue;
      if (m.expires_at_ms() != 0 && m.expires_at_ms() <= now_ms) continue;
      out.push_back(m);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.priority() > b.priority(); });
  return out;
}

}  // namespace vitrine::server
