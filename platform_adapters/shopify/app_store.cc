#include "platform_adapters/shopify/app_store.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include <array>
#include <cctype>

#include "sync_server/common/sqlite_util.h"

namespace vitrine::shopify {
namespace {

// The server's self-finalizing statement and error/exec helpers (sync_server/common).
using server::sqlite::DbError;
using server::sqlite::Exec;
using server::sqlite::Stmt;

// Rolls back unless committed.
class Txn {
 public:
  explicit Txn(sqlite3* db) : db_(db) { status_ = Exec(db_, "BEGIN IMMEDIATE"); }
  ~Txn() {
    if (status_.ok() && !done_) (void)Exec(db_, "ROLLBACK");
  }
  const Status& status() const { return status_; }
  Status Commit() {
    done_ = true;
    return Exec(db_, "COMMIT");
  }

 private:
  sqlite3* db_;
  Status status_;
  bool done_ = false;
};

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS shopify_webhook_queue(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  received_ms INTEGER NOT NULL,
  shop TEXT NOT NULL,
  topic TEXT NOT NULL,
  api_version TEXT NOT NULL,
  webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  body BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  done_ms INTEGER,
  outcome TEXT);
CREATE INDEX IF NOT EXISTS shopify_webhook_queue_pending
  ON shopify_webhook_queue(id) WHERE done_ms IS NULL;
CREATE TABLE IF NOT EXISTS shopify_webhook_ids(
  key TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_versions(
  resource TEXT PRIMARY KEY, updated_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_shops(
  shop TEXT PRIMARY KEY, token BLOB, scopes TEXT NOT NULL DEFAULT '',
  installed_ms INTEGER NOT NULL, uninstalled_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS shopify_oauth_states(
  nonce TEXT PRIMARY KEY, shop TEXT NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_inventory_items(
  inventory_item_id TEXT PRIMARY KEY, product_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_inventory_levels(
  inventory_item_id TEXT NOT NULL, location_id TEXT NOT NULL, available INTEGER NOT NULL,
  PRIMARY KEY(inventory_item_id, location_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_settings(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_shop_keys(
  shop TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY(shop, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS shopify_data_exports(
  id INTEGER PRIMARY KEY, shop TEXT NOT NULL, customer_id TEXT NOT NULL,
  data_request_id TEXT NOT NULL, created_ms INTEGER NOT NULL, body BLOB NOT NULL);
)sql";

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], kB64[v & 63]};
  }
  if (i + 1 == in.size()) {
    const uint32_t v = uint32_t{static_cast<unsigned char>(in[i])} << 16;
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const uint32_t v = (uint32_t{static_cast<unsigned char>(in[i])} << 16) |
                       (uint32_t{static_cast<unsigned char>(in[i + 1])} << 8);
    out += {kB64[v >> 18], kB64[(v >> 12) & 63], kB64[(v >> 6) & 63], '='};
  }
  return out;
}

std::optional<std::string> Unbase64(const std::string& in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (p == nullptr) return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

constexpr size_t kNonce = 12;
constexpr size_t kTag = 16;

}  // namespace

std::optional<std::string> TokenCipher::ParseKey(const std::string& text) {
  if (text.size() == 64) {
    std::string key;
    for (size_t i = 0; i < 64; i += 2) {
      auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      const int hi = nibble(text[i]);
      const int lo = nibble(text[i + 1]);
      if (hi < 0 || lo < 0) return std::nullopt;
      key.push_back(static_cast<char>(hi * 16 + lo));
    }
    return key;
  }
  auto key = Unbase64(text);
  if (!key || key->size() != 32) return std::nullopt;
  return key;
}

StatusOr<std::string> TokenCipher::Seal(const std::string& plaintext) const {
  if (!enabled()) return "plain:" + plaintext;
  std::array<unsigned char, kNonce> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return Status(Status::Kind::kInternal, "token_cipher", "no randomness");
  }
  std::string out(reinterpret_cast<const char*>(nonce.data()), nonce.size());
  out.resize(kNonce + plaintext.size() + kTag);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  int total = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                         reinterpret_cast<const unsigned char*>(key_.data()), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data() + kNonce), &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok &&
       EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data() + kNonce + total),
                           &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTag),
                           out.data() + kNonce + plaintext.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return Status(Status::Kind::kInternal, "token_cipher", "encryption failed");
  return "v1:" + Base64(out);
}

StatusOr<std::string> TokenCipher::Open(const std::string& sealed) const {
  if (sealed.starts_with("plain:")) return sealed.substr(6);
  if (!sealed.starts_with("v1:")) {
    return Status(Status::Kind::kInternal, "token_cipher", "unknown token format");
  }
  if (!enabled()) {
    return Status(Status::Kind::kUnavailable, "token_cipher",
                  "token is encrypted but no key is configured");
  }
  const auto raw = Unbase64(sealed.substr(3));
  if (!raw || raw->size() < kNonce + kTag) {
    return Status(Status::Kind::kInternal, "token_cipher", "truncated token");
  }
  const size_t n = raw->size() - kNonce - kTag;
  std::string plain(n, '\0');
  std::string tag = raw->substr(kNonce + n);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                               reinterpret_cast<const unsigned char*>(key_.data()),
                               reinterpret_cast<const unsigned char*>(raw->data())) == 1 &&
            EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                              reinterpret_cast<const unsigned char*>(raw->data() + kNonce),
                              static_cast<int>(n)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTag), tag.data()) == 1;
  // The tag check happens here: a tampered token or a wrong key fails.
  ok = ok &&
       EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    return Status(Status::Kind::kUnauthorized, "token_cipher",
                  "token does not decrypt (wrong key or tampered)");
  }
  return plain;
}

StatusOr<std::unique_ptr<ShopifyAppStore>> ShopifyAppStore::Open(const std::string& path,
                                                                 TokenCipher cipher) {
  // WAL and synchronous=NORMAL like the main store: a 200 means the delivery is in the WAL.
  auto opened = server::sqlite::Open(path);
  if (!opened.ok()) return opened.status();
  sqlite3* db = *opened;
  if (Status s = Exec(db, kSchema); !s.ok()) {
    sqlite3_close(db);
    return s;
  }
  return std::unique_ptr<ShopifyAppStore>(new ShopifyAppStore(db, std::move(cipher)));
}

ShopifyAppStore::~ShopifyAppStore() { sqlite3_close(db_); }

StatusOr<EnqueueResult> ShopifyAppStore::Enqueue(const QueuedWebhook& hook, int64_t now_ms,
                                                 int64_t ttl_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_);
  if (!txn.status().ok()) return txn.status();
  {
    Stmt purge(db_, "DELETE FROM shopify_webhook_ids WHERE expires_ms <= ?");
    if (purge.Int(1, now_ms).Step() != SQLITE_DONE) return DbError(db_, "purge ids");
  }
  // Keys are prefixed so webhook ids and event ids never collide.
  std::vector<std::string> keys;
  if (!hook.webhook_id.empty()) keys.push_back("w:" + hook.webhook_id);
  if (!hook.event_id.empty()) keys.push_back("e:" + hook.event_id);
  for (const auto& key : keys) {
    Stmt seen(db_, "SELECT 1 FROM shopify_webhook_ids WHERE key = ?");
    const int rc = seen.Text(1, key).Step();
    if (rc == SQLITE_ROW) return EnqueueResult::kDuplicate;
    if (rc != SQLITE_DONE) return DbError(db_, "check id");
  }
  for (const auto& key : keys) {
    Stmt put(db_, "INSERT INTO shopify_webhook_ids(key, expires_ms) VALUES(?, ?)");
    if (put.Text(1, key).Int(2, now_ms + ttl_ms).Step() != SQLITE_DONE) {
      return DbError(db_, "record id");
    }
  }
  Stmt insert(db_,
              "INSERT INTO shopify_webhook_queue(received_ms, shop, topic, api_version, "
              "webhook_id, event_id, body) VALUES(?, ?, ?, ?, ?, ?, ?)");
  insert.Int(1, now_ms)
      .Text(2, hook.shop)
      .Text(3, hook.topic)
      .Text(4, hook.api_version)
      .Text(5, hook.webhook_id)
      .Text(6, hook.event_id)
      .Text(7, hook.body);
  if (insert.Step() != SQLITE_DONE) return DbError(db_, "enqueue");
  Status s = txn.Commit();
  if (!s.ok()) return s;
  return EnqueueResult::kQueued;
}

StatusOr<std::vector<QueuedWebhook>> ShopifyAppStore::Pending(size_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "SELECT id, received_ms, shop, topic, api_version, webhook_id, event_id, body, attempts "
         "FROM shopify_webhook_queue WHERE done_ms IS NULL ORDER BY id LIMIT ?");
  q.Int(1, static_cast<int64_t>(limit));
  std::vector<QueuedWebhook> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    QueuedWebhook h;
    h.id = q.ColInt(0);
    h.received_ms = q.ColInt(1);
    h.shop = q.ColText(2);
    h.topic = q.ColText(3);
    h.api_version = q.ColText(4);
    h.webhook_id = q.ColText(5);
    h.event_id = q.ColText(6);
    h.body = q.ColText(7);
    h.attempts = q.ColInt(8);
    out.push_back(std::move(h));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "pending");
  return out;
}

Status ShopifyAppStore::MarkDone(int64_t id, int64_t now_ms, const std::string& outcome) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE shopify_webhook_queue SET done_ms = ?, outcome = ? WHERE id = ?");
  if (q.Int(1, now_ms).Text(2, outcome).Int(3, id).Step() != SQLITE_DONE) {
    return DbError(db_, "mark done");
  }
  return Status::Ok();
}

Status ShopifyAppStore::MarkAttempt(int64_t id, const std::string& error) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "UPDATE shopify_webhook_queue SET attempts = attempts + 1, last_error = ? WHERE id = ?");
  if (q.Text(1, error).Int(2, id).Step() != SQLITE_DONE) return DbError(db_, "mark attempt");
  return Status::Ok();
}

StatusOr<std::vector<std::pair<int64_t, std::string>>> ShopifyAppStore::Outcomes() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "SELECT id, outcome FROM shopify_webhook_queue WHERE done_ms IS NOT NULL ORDER BY id");
  std::vector<std::pair<int64_t, std::string>> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.emplace_back(q.ColInt(0), q.ColText(1));
  if (rc != SQLITE_DONE) return DbError(db_, "outcomes");
  return out;
}

StatusOr<int64_t> ShopifyAppStore::PendingCount() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT COUNT(*) FROM shopify_webhook_queue WHERE done_ms IS NULL");
  if (q.Step() != SQLITE_ROW) return DbError(db_, "pending count");
  return q.ColInt(0);
}

StatusOr<bool> ShopifyAppStore::OfferVersion(const std::string& resource, int64_t updated_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "INSERT INTO shopify_versions(resource, updated_ms) VALUES(?, ?) "
         "ON CONFLICT(resource) DO UPDATE SET updated_ms = excluded.updated_ms "
         "WHERE excluded.updated_ms > shopify_versions.updated_ms");
  if (q.Text(1, resource).Int(2, updated_ms).Step() != SQLITE_DONE) {
    return DbError(db_, "offer version");
  }
  return sqlite3_changes(db_) > 0;
}

Status ShopifyAppStore::PutShop(const std::string& shop, const std::string& access_token,
                                const std::string& scopes, int64_t now_ms) {
  auto sealed = cipher_.Seal(access_token);
  if (!sealed.ok()) return sealed.status();
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "INSERT INTO shopify_shops(shop, token, scopes, installed_ms, uninstalled_ms) "
         "VALUES(?, ?, ?, ?, 0) ON CONFLICT(shop) DO UPDATE SET token = excluded.token, "
         "scopes = excluded.scopes, installed_ms = excluded.installed_ms, uninstalled_ms = 0");
  if (q.Text(1, shop).Text(2, *sealed).Text(3, scopes).Int(4, now_ms).Step() != SQLITE_DONE) {
    return DbError(db_, "put shop");
  }
  return Status::Ok();
}

StatusOr<std::optional<ShopRow>> ShopifyAppStore::GetShop(const std::string& shop) {
  std::string sealed;
  ShopRow row;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt q(db_,
           "SELECT token, scopes, installed_ms, uninstalled_ms FROM shopify_shops WHERE shop = ?");
    const int rc = q.Text(1, shop).Step();
    if (rc == SQLITE_DONE) return std::optional<ShopRow>();
    if (rc != SQLITE_ROW) return DbError(db_, "get shop");
    row.shop = shop;
    sealed = q.ColText(0);  // NULL once revoked: ""
    row.scopes = q.ColText(1);
    row.installed_ms = q.ColInt(2);
    row.uninstalled_ms = q.ColInt(3);
  }
  if (!sealed.empty()) {
    auto token = cipher_.Open(sealed);
    if (!token.ok()) return token.status();
    row.access_token = std::move(*token);
  }
  return std::optional<ShopRow>(std::move(row));
}

StatusOr<std::vector<ShopRow>> ShopifyAppStore::ListInstalledShops() {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt q(db_, "SELECT shop FROM shopify_shops WHERE token IS NOT NULL ORDER BY shop");
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) names.push_back(q.ColText(0));
    if (rc != SQLITE_DONE) return DbError(db_, "list shops");
  }
  std::vector<ShopRow> out;
  for (const auto& name : names) {
    auto row = GetShop(name);
    if (!row.ok()) return row.status();
    if (row->has_value() && !(*row)->access_token.empty()) out.push_back(std::move(**row));
  }
  return out;
}

StatusOr<bool> ShopifyAppStore::RevokeShop(const std::string& shop, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "UPDATE shopify_shops SET token = NULL, uninstalled_ms = ? WHERE shop = ?");
  if (q.Int(1, now_ms).Text(2, shop).Step() != SQLITE_DONE) return DbError(db_, "revoke");
  return sqlite3_changes(db_) > 0;
}

Status ShopifyAppStore::PutOAuthState(const std::string& nonce, const std::string& shop,
                                      int64_t expires_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "INSERT OR REPLACE INTO shopify_oauth_states(nonce, shop, expires_ms) VALUES(?,?,?)");
  if (q.Text(1, nonce).Text(2, shop).Int(3, expires_ms).Step() != SQLITE_DONE) {
    return DbError(db_, "put state");
  }
  return Status::Ok();
}

StatusOr<bool> ShopifyAppStore::ConsumeOAuthState(const std::string& nonce, const std::string& shop,
                                                  int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "DELETE FROM shopify_oauth_states WHERE nonce = ? RETURNING shop, expires_ms");
  const int rc = q.Text(1, nonce).Step();
  if (rc == SQLITE_DONE) return false;
  if (rc != SQLITE_ROW) return DbError(db_, "consume state");
  const bool ok = q.ColText(0) == shop && q.ColInt(1) > now_ms;
  while (q.Step() == SQLITE_ROW) {
  }
  return ok;
}

Status ShopifyAppStore::MapInventoryItem(const std::string& inventory_item_id,
                                         const std::string& product_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "INSERT INTO shopify_inventory_items(inventory_item_id, product_id) VALUES(?, ?) "
         "ON CONFLICT(inventory_item_id) DO UPDATE SET product_id = excluded.product_id");
  if (q.Text(1, inventory_item_id).Text(2, product_id).Step() != SQLITE_DONE) {
    return DbError(db_, "map inventory item");
  }
  return Status::Ok();
}

StatusOr<std::optional<ShopifyAppStore::ProductStock>> ShopifyAppStore::SetInventoryLevel(
    const std::string& inventory_item_id, const std::string& location_id, int64_t available) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    Stmt q(db_,
           "INSERT INTO shopify_inventory_levels(inventory_item_id, location_id, available) "
           "VALUES(?, ?, ?) ON CONFLICT(inventory_item_id, location_id) DO UPDATE SET "
           "available = excluded.available");
    if (q.Text(1, inventory_item_id).Text(2, location_id).Int(3, available).Step() != SQLITE_DONE) {
      return DbError(db_, "set level");
    }
  }
  Stmt product(db_, "SELECT product_id FROM shopify_inventory_items WHERE inventory_item_id = ?");
  const int rc = product.Text(1, inventory_item_id).Step();
  if (rc == SQLITE_DONE) return std::optional<ProductStock>();
  if (rc != SQLITE_ROW) return DbError(db_, "item product");
  ProductStock stock;
  stock.product_id = product.ColText(0);
  Stmt sum(db_,
           "SELECT COALESCE(SUM(l.available), 0) FROM shopify_inventory_levels l JOIN "
           "shopify_inventory_items i USING(inventory_item_id) WHERE i.product_id = ?");
  if (sum.Text(1, stock.product_id).Step() != SQLITE_ROW) return DbError(db_, "sum levels");
  stock.available = sum.ColInt(0);
  return std::optional<ProductStock>(std::move(stock));
}

Status ShopifyAppStore::PutSetting(const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "INSERT OR REPLACE INTO shopify_settings(key, value) VALUES(?, ?)");
  if (q.Text(1, key).Text(2, value).Step() != SQLITE_DONE) return DbError(db_, "put setting");
  return Status::Ok();
}

StatusOr<std::optional<std::string>> ShopifyAppStore::GetSetting(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT value FROM shopify_settings WHERE key = ?");
  const int rc = q.Text(1, key).Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(db_, "get setting");
  return std::optional<std::string>(q.ColText(0));
}

Status ShopifyAppStore::RecordShopKeys(const std::string& shop,
                                       const std::vector<std::string>& keys) {
  if (keys.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_);
  if (!txn.status().ok()) return txn.status();
  for (const std::string& key : keys) {
    Stmt q(db_, "INSERT OR IGNORE INTO shopify_shop_keys(shop, key) VALUES(?, ?)");
    if (q.Text(1, shop).Text(2, key).Step() != SQLITE_DONE) return DbError(db_, "record key");
  }
  return txn.Commit();
}

StatusOr<std::vector<std::string>> ShopifyAppStore::ShopKeys(const std::string& shop) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "SELECT key FROM shopify_shop_keys WHERE shop = ? ORDER BY key");
  q.Text(1, shop);
  std::vector<std::string> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) out.push_back(q.ColText(0));
  if (rc != SQLITE_DONE) return DbError(db_, "shop keys");
  return out;
}

StatusOr<int64_t> ShopifyAppStore::ForgetShop(const std::string& shop, int64_t keep_delivery) {
  std::lock_guard<std::mutex> lock(mu_);
  Txn txn(db_);
  if (!txn.status().ok()) return txn.status();
  int64_t deleted = 0;
  // Keys first: the inventory and version rows are found through them.
  const char* const kByKey[] = {
      "DELETE FROM shopify_inventory_levels WHERE inventory_item_id IN (SELECT substr(key, 3) "
      "FROM shopify_shop_keys WHERE shop = ?1 AND key LIKE 'i:%')",
      "DELETE FROM shopify_inventory_items WHERE inventory_item_id IN (SELECT substr(key, 3) "
      "FROM shopify_shop_keys WHERE shop = ?1 AND key LIKE 'i:%')",
      "DELETE FROM shopify_versions WHERE resource IN (SELECT 'gid://shopify/Customer/' || "
      "substr(key, 3) FROM shopify_shop_keys WHERE shop = ?1 AND key LIKE 'u:%')",
      "DELETE FROM shopify_shop_keys WHERE shop = ?1",
      "DELETE FROM shopify_shops WHERE shop = ?1",
      "DELETE FROM shopify_oauth_states WHERE shop = ?1",
      "DELETE FROM shopify_settings WHERE substr(key, 1, length('import:' || ?1 || ':')) = "
      "'import:' || ?1 || ':'",
      "DELETE FROM shopify_data_exports WHERE shop = ?1",
  };
  for (const char* sql : kByKey) {
    Stmt q(db_, sql);
    if (q.Text(1, shop).Step() != SQLITE_DONE) return DbError(db_, "forget shop");
    deleted += sqlite3_changes(db_);
  }
  Stmt queue(db_, "DELETE FROM shopify_webhook_queue WHERE shop = ? AND id != ?");
  if (queue.Text(1, shop).Int(2, keep_delivery).Step() != SQLITE_DONE) {
    return DbError(db_, "forget deliveries");
  }
  deleted += sqlite3_changes(db_);
  Status s = txn.Commit();
  if (!s.ok()) return s;
  return deleted;
}

Status ShopifyAppStore::PutDataExport(const DataExport& data_export) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "INSERT OR REPLACE INTO shopify_data_exports(id, shop, customer_id, data_request_id, "
         "created_ms, body) VALUES(?, ?, ?, ?, ?, ?)");
  q.Int(1, data_export.id)
      .Text(2, data_export.shop)
      .Text(3, data_export.customer_id)
      .Text(4, data_export.data_request_id)
      .Int(5, data_export.created_ms)
      .Text(6, data_export.body);
  if (q.Step() != SQLITE_DONE) return DbError(db_, "put export");
  return Status::Ok();
}

StatusOr<std::vector<ShopifyAppStore::DataExport>> ShopifyAppStore::ListDataExports() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "SELECT id, shop, customer_id, data_request_id, created_ms, length(body) "
         "FROM shopify_data_exports ORDER BY id");
  std::vector<DataExport> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    DataExport e;
    e.id = q.ColInt(0);
    e.shop = q.ColText(1);
    e.customer_id = q.ColText(2);
    e.data_request_id = q.ColText(3);
    e.created_ms = q.ColInt(4);
    e.bytes = q.ColInt(5);
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return DbError(db_, "list exports");
  return out;
}

StatusOr<std::optional<ShopifyAppStore::DataExport>> ShopifyAppStore::GetDataExport(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_,
         "SELECT shop, customer_id, data_request_id, created_ms, body FROM shopify_data_exports "
         "WHERE id = ?");
  const int rc = q.Int(1, id).Step();
  if (rc == SQLITE_DONE) return std::optional<DataExport>();
  if (rc != SQLITE_ROW) return DbError(db_, "get export");
  DataExport e;
  e.id = id;
  e.shop = q.ColText(0);
  e.customer_id = q.ColText(1);
  e.data_request_id = q.ColText(2);
  e.created_ms = q.ColInt(3);
  e.body = q.ColBlob(4);
  e.bytes = static_cast<int64_t>(e.body.size());
  return std::optional<DataExport>(std::move(e));
}

StatusOr<bool> ShopifyAppStore::DeleteDataExport(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt q(db_, "DELETE FROM shopify_data_exports WHERE id = ?");
  if (q.Int(1, id).Step() != SQLITE_DONE) return DbError(db_, "delete export");
  return sqlite3_changes(db_) > 0;
}

}  // namespace vitrine::shopify
