/* Vitrine SDK: the stable C ABI, for Swift, JNI and any host that cannot link C++.
 *
 * Contract
 * - Handles are opaque (vt_client). Every function that can fail returns a vt_status whose
 *   numbers are vitrine::StatusCode's (VT_OK = 0); the free functions return nothing.
 * - Errors: functions taking `char** error_message` accept NULL there. When it is not NULL it is
 *   set to NULL on success and, on failure, to a NUL-terminated message the caller releases with
 *   vt_free_string. No C++ exception ever crosses this boundary: anything unexpected inside
 *   becomes VT_INTERNAL.
 * - Strings: inputs are NUL-terminated UTF-8; NULL means "empty" unless a function says it is
 *   required. Inputs are copied before the call returns; the caller keeps ownership.
 * - Ownership of outputs: every string, array or struct the SDK hands out is allocated by the
 *   SDK and released with exactly one call to the matching vt_free_* function
 *   (vt_free_string, vt_free_recommendations, vt_free_messages, vt_free_stats). Nothing else
 *   needs freeing.
 * - Thread safety: a vt_client may be used from any number of threads at once, like
 *   vitrine::Client; vt_client_close must be the last call on it and must not race others.
 *   Capture calls and vt_recommend never do network I/O. vt_flush blocks until the send attempt
 *   is over.
 * - Callbacks (HTTP executor, message listener) run on the SDK's background thread, one at a
 *   time, and must not call vt_client_close. Pointers passed to a callback are valid only during
 *   that call.
 * - ABI evolution: structs passed in by the host start with `struct_size`; fill it with
 *   sizeof(the struct) (the *_init functions do), and new fields are only ever appended.
 */
#ifndef VITRINE_H_
#define VITRINE_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes (same numbers as vitrine::StatusCode) ---- */
typedef int vt_status;
enum {
  VT_OK = 0,
  VT_INVALID_ARGUMENT = 1, /* the caller's input is wrong; retrying will not help */
  VT_UNKNOWN_EVENT = 2,    /* event type not in the vocabulary */
  VT_CONSENT_DENIED = 3,   /* capture is off because the user opted out */
  VT_STORAGE_FULL = 4,     /* disk full or queue bound reached and nothing evictable */
  VT_STORAGE_BUSY = 5,     /* database locked by someone else */
  VT_STORAGE_ERROR = 6,    /* any other storage failure */
  VT_UNAVAILABLE = 7,      /* network down, server 5xx, timeout */
  VT_RATE_LIMITED = 8,     /* server asked to slow down (429 / Retry-After) */
  VT_REJECTED = 9,         /* server refused the request permanently (4xx) */
  VT_NOT_FOUND = 10,
  VT_SHUTDOWN = 11, /* the client was closed */
  VT_INTERNAL = 12
};

/* "ok", "invalid_argument", ...; a static string, never freed. */
const char* vt_status_name(vt_status status);

/* Releases a string the SDK returned (error messages). NULL is fine. */
void vt_free_string(char* s);

/* ---- Host-provided HTTP executor ----
 * Mobile hosts perform HTTP with their own stack (OkHttp, URLSession). The SDK calls `execute`
 * for exactly one request at a time, on its background thread, and owns batching, retries and
 * backoff: the executor must not retry. It answers by calling the vt_http_response_* setters,
 * which copy what they are given. Leaving the status at 0 (and optionally setting a transport
 * error) means "no HTTP answer" (offline, DNS, TLS, timeout). */
typedef struct vt_http_header {
  const char* name;
  const char* value;
} vt_http_header;

typedef struct vt_http_request {
  const char* method; /* "GET" or "POST" */
  const char* url;    /* absolute */
  const vt_http_header* headers;
  size_t header_count;
  const uint8_t* body; /* may be NULL when body_size is 0 */
  size_t body_size;
  int64_t timeout_ms;
} vt_http_request;

typedef struct vt_http_response vt_http_response; /* opaque; filled through the setters */

void vt_http_response_set_status(vt_http_response* response, int status);
/* Header names are matched case-insensitively (stored lower-cased). */
void vt_http_response_add_header(vt_http_response* response, const char* name, const char* value);
void vt_http_response_set_body(vt_http_response* response, const uint8_t* body, size_t size);
void vt_http_response_set_transport_error(vt_http_response* response, const char* message);

typedef void (*vt_http_execute_fn)(void* user_data, const vt_http_request* request,
                                   vt_http_response* response);

/* ---- Options ---- */
typedef struct vt_options {
  size_t struct_size;     /* sizeof(vt_options); set by vt_options_init */
  const char* data_dir;   /* required; created if missing */
  const char* server_url; /* required, e.g. "https://sync.example.com" */
  const char* write_key;  /* required: the storefront's public write key */
  const char* ca_file;    /* optional extra trusted CA (PEM), default executor only */
  const char* app_version;
  int64_t session_timeout_ms;
  size_t max_batch_events;
  size_t max_batch_bytes;
  int64_t flush_interval_ms;
  int64_t persist_interval_ms;
  size_t journal_bytes;
  size_t max_queue_bytes;
  int64_t max_event_age_ms;
  int64_t backoff_initial_ms;
  int64_t backoff_max_ms;
  int64_t request_timeout_ms;
  int compress; /* non-zero: gzip request bodies */
  int64_t default_snapshot_ttl_ms;
  uint64_t random_seed; /* 0 = seed from the OS */
  /* NULL: the platform's built-in HTTP client. Otherwise called for every request;
   * http_user_data is passed back untouched and must stay valid until vt_client_close. */
  vt_http_execute_fn http_execute;
  void* http_user_data;
} vt_options;

/* Zeroes *options and fills every number with the C++ SDK's defaults (vitrine::Options). */
void vt_options_init(vt_options* options);

/* ---- Event values (all strings optional unless the event type requires them) ---- */
typedef struct vt_product {
  const char* product_id;
  const char* variant_id;
  const char* sku;
  double price;
  const char* currency;
  const char* name;
  const char* brand;
  const char* category; /* "Skin Care/Face/Serums" */
  int32_t quantity;     /* 0 is read as 1, so a zero-initialised struct is one item */
  int32_t position;
  const char* list_id;
  const char* url;
  const char* image_url;
} vt_product;

typedef struct vt_order {
  const char* order_id;
  double value;
  const char* currency;
  double tax;
  double shipping;
  const char* coupon;
  const vt_product* products;
  size_t product_count;
} vt_order;

typedef struct vt_property {
  const char* key;
  const char* value;
} vt_property;

/* A generic event for vt_track; `type` is a vocabulary name ("product_viewed"). */
typedef struct vt_event {
  size_t struct_size; /* sizeof(vt_event); 0 is accepted as the current size */
  const char* type;
  const vt_product* products;
  size_t product_count;
  const vt_order* order; /* NULL: none */
  const char* query;
  const char* list_id;
  const char* list_name;
  const char* page_url;
  const char* referrer;
  const char* message_id;
  const char* placement;
  const char* promotion_id;
  int32_t checkout_step;
  const vt_property* traits;
  size_t trait_count;
  const vt_property* properties;
  size_t property_count;
} vt_event;

/* ---- Client lifecycle ---- */
typedef struct vt_client vt_client;

/* Opens (or creates) local state in options->data_dir and starts background work. On success
 * *out_client is set; close it with vt_client_close. */
vt_status vt_client_open(const vt_options* options, vt_client** out_client, char** error_message);
/* Persists what is in memory, stops background work and frees the client. NULL is fine. */
void vt_client_close(vt_client* client);

/* ---- Capture (microseconds, no network) ---- */
vt_status vt_track(vt_client* client, const vt_event* event, char** error_message);
vt_status vt_page_viewed(vt_client* client, const char* url, const char* referrer,
                         char** error_message);
vt_status vt_product_viewed(vt_client* client, const vt_product* product, char** error_message);
vt_status vt_product_added_to_cart(vt_client* client, const vt_product* product,
                                   char** error_message);
vt_status vt_product_removed_from_cart(vt_client* client, const vt_product* product,
                                       char** error_message);
vt_status vt_search_submitted(vt_client* client, const char* query, char** error_message);
vt_status vt_order_completed(vt_client* client, const vt_order* order, char** error_message);

/* ---- Identity and consent ---- */
vt_status vt_identify(vt_client* client, const char* user_id, const vt_property* traits,
                      size_t trait_count, char** error_message);
vt_status vt_reset(vt_client* client, char** error_message);
/* granted == 0 stops capture and purges the local queue. */
vt_status vt_set_consent(vt_client* client, int granted, char** error_message);
vt_status vt_request_deletion(vt_client* client, char** error_message);

/* ---- Sync ---- */
/* Persists, sends what is queued and refreshes the snapshot if due; blocks until done. */
vt_status vt_flush(vt_client* client, char** error_message);
/* Asks for a snapshot revalidation on the next background turn (call on app foreground). */
vt_status vt_on_foreground(vt_client* client);

/* ---- Local recommendations ---- */
typedef struct vt_recommendation {
  char* product_id;
  char* title;
  double price;
  char* currency;
  char* image_url;
  char* url;
  char* category;
  char* brand;
  double score;
} vt_recommendation;

/* placement: "home", "product_page", "cart", ...; context_product_id / context_category are
 * optional (NULL). On success *out is an array of *out_count items (NULL when 0) released with
 * one vt_free_recommendations call. With no snapshot yet the list is empty. */
vt_status vt_recommend(vt_client* client, const char* placement, const char* context_product_id,
                       const char* context_category, size_t n, vt_recommendation** out,
                       size_t* out_count, char** error_message);
void vt_free_recommendations(vt_recommendation* recommendations, size_t count);

/* ---- In-app messages ---- */
typedef struct vt_message {
  char* message_id;
  char* layout;
  char* title;
  char* body;
  char* image_url;
  char* cta_label;
  char* cta_url;
  vt_recommendation* products;
  size_t product_count;
  int32_t priority;
} vt_message;

/* Messages due now; *out released with one vt_free_messages call. */
vt_status vt_pending_messages(vt_client* client, vt_message** out, size_t* out_count,
                              char** error_message);
void vt_free_messages(vt_message* messages, size_t count);

/* Called on the SDK's background thread when a message is due; `message` is valid only during
 * the call (copy what you keep). NULL listener removes it. */
typedef void (*vt_message_fn)(void* user_data, const vt_message* message);
vt_status vt_set_message_listener(vt_client* client, vt_message_fn listener, void* user_data);

vt_status vt_message_viewed(vt_client* client, const char* message_id, char** error_message);
vt_status vt_message_clicked(vt_client* client, const char* message_id, char** error_message);
vt_status vt_message_dismissed(vt_client* client, const char* message_id, char** error_message);

/* ---- Stats ---- */
typedef struct vt_stats {
  uint64_t tracked;
  uint64_t queued;
  uint64_t acked;
  uint64_t evicted;
  uint64_t rejected;
  uint64_t send_attempts;
  uint64_t send_failures;
  int64_t next_send_at_ms;
  int64_t last_retry_after_ms;
  char* last_error;
  char* anonymous_id;
  char* user_id;
  char* session_id;
  char* snapshot_etag;
} vt_stats;

/* Fills *out; release its strings with vt_free_stats (the struct itself is the caller's). */
vt_status vt_get_stats(vt_client* client, vt_stats* out, char** error_message);
void vt_free_stats(vt_stats* stats);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VITRINE_H_ */
