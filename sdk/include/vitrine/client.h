// vitrine::Client: capture shopper events, keep them safe offline, sync them, and answer
// "what should this shopper see now" from a locally cached snapshot.
//
// Thread safety: a Client is safe for concurrent use from any number of threads without external
// synchronization. Capture calls (Track and the typed helpers) and Recommend never do network I/O
// and never wait for the sync thread; they cost microseconds.
// Durability: once Track returns OK the event is in a memory-mapped journal file that survives
// the host process being killed; it is moved to the SQLite queue in the background and deleted
// only after the server acknowledged its event_id.
// Errors: every call returns a Status / StatusOr; no exception escapes.
#ifndef VITRINE_CLIENT_H_
#define VITRINE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vitrine/events.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"

namespace vitrine {

struct Options {
  // Required: where the SDK keeps its files (created if missing): queue.db, journal-*.bin.
  std::string data_dir;
  // Required: e.g. "https://sync.example.com". No trailing slash needed.
  std::string server_url;
  // Required: the storefront's public write key (can write events and read its own snapshot).
  std::string write_key;

  int64_t session_timeout_ms = 30 * 60 * 1000;  // inactivity that starts a new session
  size_t max_batch_events = 500;                // per POST /v1/batch
  size_t max_batch_bytes = 512 * 1024;          // uncompressed protobuf bytes per batch
  int64_t flush_interval_ms = 10'000;           // background send cadence when online
  int64_t persist_interval_ms = 50;             // journal -> SQLite cadence
  size_t journal_bytes = 4 * 1024 * 1024;       // per journal segment (two segments)
  size_t max_queue_bytes = 16 * 1024 * 1024;    // SQLite queue bound; see eviction order below
  int64_t max_event_age_ms = 30LL * 24 * 3600 * 1000;  // older events are dropped unsent
  // Backoff after a failed send: min(max, initial * 2^attempt) with full jitter; a server's
  // Retry-After wins when it is longer.
  int64_t backoff_initial_ms = 1000;
  int64_t backoff_max_ms = 5 * 60 * 1000;
  int64_t request_timeout_ms = 10'000;
  bool compress = true;                              // gzip request bodies
  int64_t default_snapshot_ttl_ms = 15 * 60 * 1000;  // when the server sets none
  std::string ca_file;                               // extra trusted CA (PEM) for HTTPS, optional
  std::string app_version;
  uint64_t random_seed = 0;  // 0 = seed from the OS (tests fix it)

  // Injected platform parts; null = this platform's default. Not owned; must outlive the Client.
  Clock* clock = nullptr;
  Scheduler* scheduler = nullptr;
  HttpExecutor* http = nullptr;
};
// Eviction order when max_queue_bytes is reached: page_viewed, then other browsing events
// (list views, clicks, promotions, recommendation/message impressions), then product views and
// searches, then cart/wishlist/checkout events; orders, identify, consent and deletion requests
// are never evicted. Within a class, oldest first. Age eviction applies to every class except
// orders and deletion requests.

struct Recommendation {
  std::string product_id;
  std::string title;
  double price = 0;
  std::string currency;
  std::string image_url;
  std::string url;
  std::string category;
  std::string brand;
  double score = 0;
};

// What the host passes to Recommend: where the list is shown and what it is about.
struct RecommendContext {
  std::string product_id;  // "similar to this" (product page), optional
  std::string category;    // restrict to a category prefix, optional
};

struct InAppMessageView {
  std::string message_id;
  std::string layout;
  std::string title;
  std::string body;
  std::string image_url;
  std::string cta_label;
  std::string cta_url;
  std::vector<Recommendation> products;  // the message's product feed, in stock only
  int32_t priority = 0;
};

struct ClientStats {
  uint64_t tracked = 0;   // Track calls that returned OK since start
  uint64_t queued = 0;    // events persisted and not yet acked
  uint64_t acked = 0;     // acked since start
  uint64_t evicted = 0;   // dropped by the queue bounds since start
  uint64_t rejected = 0;  // refused permanently by the server (kept in dead_letter)
  uint64_t send_attempts = 0;
  uint64_t send_failures = 0;
  int64_t next_send_at_ms = 0;      // when the next send attempt is due (0 = none scheduled)
  int64_t last_retry_after_ms = 0;  // the last Retry-After the server asked for
  std::string last_error;
  std::string anonymous_id;
  std::string user_id;
  std::string session_id;
  std::string snapshot_etag;
};

class Client {
 public:
  // Opens (or creates) the local state in options.data_dir, replays any journal left by a killed
  // process, and schedules the first sync and snapshot refresh.
  static StatusOr<std::unique_ptr<Client>> Open(const Options& options);
  // Persists what is in memory and stops background work; does not wait for the network.
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- Capture (caller's thread, microseconds) ---
  Status Track(const EventSpec& event);
  // The same, and on OK *event_id (not null) receives the event's id: the UUID the server stores
  // it under and deduplicates by, as RFC 9562 text (lower-case 8-4-4-4-12). Unchanged on error.
  Status Track(const EventSpec& event, std::string* event_id);
  Status PageViewed(const std::string& url, const std::string& referrer = "");
  Status ProductListViewed(const std::string& list_id, const std::string& list_name,
                           const std::vector<Product>& products);
  Status ProductClicked(const Product& product, const std::string& list_id = "");
  Status ProductViewed(const Product& product);
  Status SearchSubmitted(const std::string& query);
  Status ProductAddedToWishlist(const Product& product);
  Status ProductRemovedFromWishlist(const Product& product);
  Status ProductAddedToCart(const Product& product);
  Status ProductRemovedFromCart(const Product& product);
  Status CartViewed(const std::vector<Product>& products);
  Status CheckoutStarted(const std::vector<Product>& products);
  Status CheckoutStepCompleted(int32_t step);
  Status OrderCompleted(const Order& order);
  Status OrderRefunded(const Order& order);
  Status OrderCancelled(const Order& order);
  Status PromotionViewed(const std::string& promotion_id);
  Status PromotionClicked(const std::string& promotion_id);
  Status UserSignedIn(const std::string& user_id);
  Status UserSignedOut();
  Status AccountCreated(const std::string& user_id,
                        const std::map<std::string, std::string>& traits);
  Status RecommendationViewed(const std::string& placement,
                              const std::vector<std::string>& product_ids);
  Status RecommendationClicked(const std::string& placement, const Product& product);

  // --- Identity and consent ---
  // Links this install's anonymous id to a known customer; the server merges the profiles.
  // Refreshes the snapshot.
  Status Identify(const std::string& user_id, const std::map<std::string, std::string>& traits);
  // Signs out locally: new anonymous id, new session, user id cleared, local caches cleared.
  Status Reset();
  // false: stops capture and purges the local queue (events not yet sent are deleted).
  Status SetConsent(bool granted);
  // Purges local queue and caches and queues a deletion request for the server (sent durably).
  Status RequestDeletion();

  // --- Sync ---
  // Persists, sends everything queued and refreshes the snapshot if due; returns when the
  // attempt is over. With the default scheduler it blocks the caller; with an injected scheduler
  // it only schedules (call the scheduler's RunDue).
  Status Flush();
  // Forces a snapshot revalidation (If-None-Match) on the next background turn. Hosts call it
  // on app foreground.
  void OnForeground();

  // --- Local serving (caller's thread, microseconds, works offline) ---
  // placement: "home", "product_page", "cart", "frequently_bought_together", ... ; n: how many
  // (<= 100). "cart" leads with what is bought together with the cart's items;
  // "frequently_bought_together" lists only the complements of context.product_id (and of the
  // cart), or, when there are none, what is similar to it. Other placements use every signal.
  StatusOr<std::vector<Recommendation>> Recommend(const std::string& placement,
                                                  const RecommendContext& context, size_t n);

  // --- In-app messages ---
  // Called on the scheduler thread when a message is due; the host renders it. Optional: hosts
  // may poll with PendingMessages instead.
  void SetMessageListener(std::function<void(const InAppMessageView&)> listener);
  std::vector<InAppMessageView> PendingMessages();
  Status MessageViewed(const std::string& message_id);
  Status MessageClicked(const std::string& message_id);
  Status MessageDismissed(const std::string& message_id);

  ClientStats Stats() const;

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine

#endif  // VITRINE_CLIENT_H_
