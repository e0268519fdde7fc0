// Catalog items and in-app messages: small, read on every snapshot, written by admins. Both are
// cached in memory (loaded at startup) and written through to the store.
//
// Thread safety: all methods are safe to call concurrently.
#ifndef VITRINE_SYNC_SERVER_SERVICES_CONTENT_SERVICE_H_
#define VITRINE_SYNC_SERVER_SERVICES_CONTENT_SERVICE_H_

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "sync_server/common/status.h"
#include "sync_server/storage/store.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server {

class CatalogService {
 public:
  explicit CatalogService(Store* store) : store_(store) {}
  Status Load();
  // REQUIRES: every item has a product_id (DecodeCatalogItemJson).
  Status Upsert(const std::vector<v1::CatalogItem>& items);
  std::optional<v1::CatalogItem> Get(const std::string& product_id) const;
  // Calls `read` with the item under the lock, without copying it; false when unknown. `read`
  // must not call back into the service.
  template <typename Fn>
  bool Read(const std::string& product_id, Fn&& read) const {
    std::shared_lock lock(mu_);
    auto it = items_.find(product_id);
    if (it == items_.end()) return false;
    read(it->second);
    return true;
  }
  size_t size() const;

 private:
  Store* const store_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, v1::CatalogItem> items_;
};

class MessageService {
 public:
  explicit MessageService(Store* store) : store_(store) {}
  Status Load();
  // Validates (ValidateInAppMessage) and stores; an existing id is replaced.
  Status Put(const v1::InAppMessage& message);
  // kNotFound when there is no such message.
  Status Delete(const std::string& id);
  std::vector<v1::InAppMessage> List() const;
  // Started and not expired at `now_ms`, highest priority first (ties by id).
  std::vector<v1::InAppMessage> Active(int64_t now_ms) const;

 private:
  Store* const store_;
  mutable std::shared_mutex mu_;
  std::map<std::string, v1::InAppMessage> messages_;
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_CONTENT_SERVICE_H_
