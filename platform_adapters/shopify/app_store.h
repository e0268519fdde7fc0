// Durable state of the Shopify app inside the server's SQLite file (its own connection and
// tables, prefixed `shopify_`): the webhook queue, the ids already accepted, newest-applied
// versions, installed shops and their access tokens, OAuth states, inventory levels.
//
// Why a queue in SQLite: Shopify wants an answer within 5 s and retries otherwise, so the HTTP
// handler only verifies, deduplicates and appends (one transaction: the ids are recorded together
// with the queued delivery, so a crash can neither lose an accepted delivery nor accept it twice);
// the worker applies deliveries later and marks them done. A delivery applied but not yet marked
// done when the process dies is applied again after restart: every apply is idempotent
// (deterministic event ids, catalog upserts, newest-wins versions).
//
// Tokens: stored encrypted with AES-256-GCM when a 32-byte key is configured (TokenCipher);
// without a key they are stored in clear and Open logs nothing: the README says to set one.
//
// Thread safety: every method may be called from any thread; one mutex serializes the connection.
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_APP_STORE_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_APP_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sync_server/common/status.h"

struct sqlite3;

namespace vitrine::shopify {

using server::Status;
using server::StatusOr;

struct QueuedWebhook {
  int64_t id = 0;
  int64_t received_ms = 0;
  std::string shop;
  std::string topic;
  std::string api_version;
  std::string webhook_id;
  std::string event_id;
  std::string body;
  int64_t attempts = 0;
};

enum class EnqueueResult { kQueued, kDuplicate };

struct ShopRow {
  std::string shop;
  std::string access_token;  // decrypted; empty once uninstalled
  std::string scopes;
  int64_t installed_ms = 0;
  int64_t uninstalled_ms = 0;  // 0 while installed
};

// AES-256-GCM for tokens at rest: "v1:" + base64(12-byte nonce | ciphertext | 16-byte tag).
class TokenCipher {
 public:
  // `key`: 32 raw bytes, or empty (no encryption).
  explicit TokenCipher(std::string key) : key_(std::move(key)) {}
  bool enabled() const { return key_.size() == 32; }
  StatusOr<std::string> Seal(const std::string& plaintext) const;
  StatusOr<std::string> Open(const std::string& sealed) const;
  // Key from text: 64 hex digits or base64 of 32 bytes; nullopt when malformed.
  static std::optional<std::string> ParseKey(const std::string& text);

 private:
  std::string key_;
};

class ShopifyAppStore {
 public:
  static StatusOr<std::unique_ptr<ShopifyAppStore>> Open(const std::string& path,
                                                         TokenCipher cipher);
  ~ShopifyAppStore();
  ShopifyAppStore(const ShopifyAppStore&) = delete;
  ShopifyAppStore& operator=(const ShopifyAppStore&) = delete;

  // One transaction: if the webhook id or event id was accepted within the TTL, kDuplicate and
  // nothing changes; otherwise the ids are recorded (expiring at now + ttl) and `hook` queued.
  // Expired ids are purged on the way.
  StatusOr<EnqueueResult> Enqueue(const QueuedWebhook& hook, int64_t now_ms, int64_t ttl_ms);
  // Oldest first, not yet done, at most `limit`.
  StatusOr<std::vector<QueuedWebhook>> Pending(size_t limit);
  // Marks a delivery done with its outcome ("applied", "stale", "ignored: ...", "failed: ...").
  Status MarkDone(int64_t id, int64_t now_ms, const std::string& outcome);
  // Counts a failed attempt (the delivery stays pending).
  Status MarkAttempt(int64_t id, const std::string& error);
  // Done deliveries and their outcomes, oldest first (tests and the admin view).
  StatusOr<std::vector<std::pair<int64_t, std::string>>> Outcomes();
  StatusOr<int64_t> PendingCount();

  // Newest-wins: true (and recorded) when `updated_ms` is newer than what was applied for
  // `resource`; equal is not newer.
  StatusOr<bool> OfferVersion(const std::string& resource, int64_t updated_ms);

  // Installed shops.
  Status PutShop(const std::string& shop, const std::string& access_token,
                 const std::string& scopes, int64_t now_ms);
  StatusOr<std::optional<ShopRow>> GetShop(const std::string& shop);
  // Shops with a token (installed and not uninstalled), tokens decrypted.
  StatusOr<std::vector<ShopRow>> ListInstalledShops();
  // app/uninstalled: forgets the token (the row stays, with uninstalled_ms set). false: unknown.
  StatusOr<bool> RevokeShop(const std::string& shop, int64_t now_ms);

  // OAuth state nonces: single use, expiring.
  Status PutOAuthState(const std::string& nonce, const std::string& shop, int64_t expires_ms);
  // true when the nonce exists for `shop` and has not expired; it is consumed either way.
  StatusOr<bool> ConsumeOAuthState(const std::string& nonce, const std::string& shop,
                                   int64_t now_ms);

  // Inventory: item -> product, and available units per (item, location).
  Status MapInventoryItem(const std::string& inventory_item_id, const std::string& product_id);
  // Records the level; returns the item's product and its total available over its known items
  // and locations, or nullopt when the item's product is unknown.
  struct ProductStock {
    std::string product_id;
    int64_t available = 0;
  };
  StatusOr<std::optional<ProductStock>> SetInventoryLevel(const std::string& inventory_item_id,
                                                          const std::string& location_id,
                                                          int64_t available);

  // Key/value for importer cursors ("import:<shop>:products" -> updated_at watermark).
  Status PutSetting(const std::string& key, const std::string& value);
  StatusOr<std::optional<std::string>> GetSetting(const std::string& key);

  // ---- what belongs to a shop (shop/redact) ----
  // The server's profiles carry no shop, so the app remembers which keys each shop gave it:
  // "u:<user id>" and "a:<anonymous id>" of every event ingested for the shop (webhooks and
  // import), "i:<inventory item id>" of its inventory items. Idempotent.
  Status RecordShopKeys(const std::string& shop, const std::vector<std::string>& keys);
  StatusOr<std::vector<std::string>> ShopKeys(const std::string& shop);
  // shop/redact, once the shop's profiles were deleted from the server: removes in one
  // transaction every row held for `shop` (the shop and its token, OAuth states, import
  // watermarks "import:<shop>:*", inventory items and levels of its "i:" keys, customer versions
  // of its "u:" keys, its data exports, its keys, its queued deliveries except `keep_delivery`,
  // the shop/redact delivery itself, which is marked done after). Returns the rows deleted.
  StatusOr<int64_t> ForgetShop(const std::string& shop, int64_t keep_delivery);

  // ---- data exports (customers/data_request) ----
  // One per delivery: the id is the delivery's queue id, so applying it again replaces it.
  struct DataExport {
    int64_t id = 0;
    std::string shop;
    std::string customer_id;
    std::string data_request_id;
    int64_t created_ms = 0;
    std::string body;  // JSON document; empty in listings
    int64_t bytes = 0;
  };
  Status PutDataExport(const DataExport& data_export);
  StatusOr<std::vector<DataExport>> ListDataExports();  // oldest first, without bodies
  StatusOr<std::optional<DataExport>> GetDataExport(int64_t id);
  StatusOr<bool> DeleteDataExport(int64_t id);  // false: no such export

 private:
  ShopifyAppStore(sqlite3* db, TokenCipher cipher) : db_(db), cipher_(std::move(cipher)) {}
  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
  TokenCipher cipher_;
};

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_APP_STORE_H_
