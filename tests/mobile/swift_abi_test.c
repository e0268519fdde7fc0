/* The C ABI exactly as sdk/ios/Sources/Vitrine/Vitrine.swift drives it (the Swift wrapper cannot
 * be compiled here), call for call and in the same shapes:
 *  - Vitrine.init: vt_options_init + the fields Options sets, http_execute = the executor
 *    trampoline with an opaque user_data, vt_client_open; a bad option -> VitrineError from
 *    vt_status_name + the message, released with vt_free_string;
 *  - the trampoline: reads method/url/headers/body, answers either
 *    vt_http_response_set_transport_error (URLSession error: offline) or set_status +
 *    add_header per header + set_body (here a fake server: it decodes the batch's event ids and
 *    acks them with a hand-encoded BatchAck);
 *  - capture: product structs with every field strdup'd (CStrings.product), page_viewed with a
 *    NULL referrer, search, order with a product array, vt_track with struct_size and sorted
 *    properties, identify with traits, reset, consent, deletion;
 *  - flush offline (VT_UNAVAILABLE) then online; recommend with NULL context (+ free), pending
 *    messages (+ free), listener set and removed, message viewed/clicked/dismissed, foreground,
 *    stats (+ free), close, close(NULL).
 * Usage: swift_abi_test <temp dir>. Exit 0 on success; every failed check is printed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vitrine.h"

static int failures = 0;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                            \
      fprintf(stderr, "\n");                                                   \
    }                                                                          \
  } while (0)

/* ---- a minimal protobuf reader/writer for Batch.events[].event_id and BatchAck ---- */
static int read_varint(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *p < end; shift += 7) {
    const uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

/* Calls fn(field, data, size) for each length-delimited field; skips the others. */
static int for_each_bytes_field(const uint8_t* p, const uint8_t* end,
                                void (*fn)(void*, uint64_t, const uint8_t*, size_t), void* ctx) {
  while (p < end) {
    uint64_t key = 0;
    uint64_t n = 0;
    if (!read_varint(&p, end, &key)) return 0;
    switch (key & 7) {
      case 0:
        if (!read_varint(&p, end, &n)) return 0;
        break;
      case 1:
        p += 8;
        break;
      case 5:
        p += 4;
        break;
      case 2:
        if (!read_varint(&p, end, &n) || n > (uint64_t)(end - p)) return 0;
        fn(ctx, key >> 3, p, (size_t)n);
        p += n;
        break;
      default:
        return 0;
    }
  }
  return p == end;
}

typedef struct fake_server {
  pthread_mutex_t mu;
  int offline;       /* answer like URLSession without a network */
  int calls;         /* executor calls */
  int batches_acked; /* POST /v1/batch answered 200 */
  int events_acked;
  int saw_write_key;  /* a header carried the write key */
  int saw_bad_header; /* a header with a NULL name or value */
  uint8_t ack[65536];
  size_t ack_size;
} fake_server;

static void add_ack(void* ctx, uint64_t field, const uint8_t* data, size_t size) {
  fake_server* s = (fake_server*)ctx;
  if (field != 1 || size > 64 || s->ack_size + size + 2 > sizeof(s->ack)) return;
  s->ack[s->ack_size++] = 0x0a; /* field 1, length-delimited: acked_event_ids */
  s->ack[s->ack_size++] = (uint8_t)size;
  memcpy(s->ack + s->ack_size, data, size);
  s->ack_size += size;
  s->events_acked++;
}

static void on_batch_field(void* ctx, uint64_t field, const uint8_t* data, size_t size) {
  if (field == 3) for_each_bytes_field(data, data + size, add_ack, ctx); /* Batch.events */
}

/* The Swift executor trampoline's shape. */
static void execute(void* user_data, const vt_http_request* request, vt_http_response* response) {
  fake_server* s = (fake_server*)user_data;
  pthread_mutex_lock(&s->mu);
  s->calls++;
  for (size_t i = 0; i < request->header_count; ++i) {
    const vt_http_header* h = &request->headers[i];
    if (h->name == NULL || h->value == NULL) {
      s->saw_bad_header = 1;
    } else if (strstr(h->value, "wk_swift") != NULL) {
      s->saw_write_key = 1;
    }
  }
  if (s->offline) {
    pthread_mutex_unlock(&s->mu);
    vt_http_response_set_transport_error(response,
                                         "The Internet connection appears to be offline.");
    return;
  }
  if (strcmp(request->method, "POST") == 0 && strstr(request->url, "/v1/batch") != NULL) {
    s->ack_size = 0;
    const uint8_t* body = request->body;
    if (body == NULL || !for_each_bytes_field(body, body + request->body_size, on_batch_field, s)) {
      vt_http_response_set_status(response, 400);
    } else {
      s->batches_acked++;
      vt_http_response_set_status(response, 200);
      vt_http_response_add_header(response, "Content-Type", "application/x-protobuf");
      vt_http_response_set_body(response, s->ack, s->ack_size);
    }
  } else {
    vt_http_response_set_status(response, 304); /* snapshot: not modified */
    vt_http_response_add_header(response, "ETag", "\"v0\"");
  }
  pthread_mutex_unlock(&s->mu);
}

static void on_message(void* user_data, const vt_message* message) {
  (void)user_data;
  (void)message;
}

/* CStrings.dup: every string handed to the ABI is a heap copy freed after the call. */
#define MAX_DUPS 64
typedef struct cstrings {
  char* owned[MAX_DUPS];
  int count;
} cstrings;

static const char* cdup(cstrings* s, const char* v) {
  if (v == NULL || s->count == MAX_DUPS) return NULL;
  char* p = strdup(v);
  s->owned[s->count++] = p;
  return p;
}

static void free_all(cstrings* s) {
  for (int i = 0; i < s->count; ++i) free(s->owned[i]);
  s->count = 0;
}

static vt_product product(cstrings* s, const char* id, const char* currency) {
  vt_product p;
  memset(&p, 0, sizeof(p)); /* vt_product() in Swift */
  p.product_id = cdup(s, id);
  p.variant_id = cdup(s, "v-1");
  p.sku = cdup(s, "sku-swift-1");
  p.price = 12.5;
  p.currency = cdup(s, currency);
  p.name = cdup(s, "Crème \xF0\x9F\xA7\xB4"); /* non-ASCII and non-BMP survive as UTF-8 */
  p.brand = NULL;
  p.category = cdup(s, "Skin Care/Face");
  p.quantity = 1;
  p.position = 0;
  return p;
}

static void make_dir(const char* path) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
    exit(2);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <temp dir>\n", argv[0]);
    return 2;
  }
  char data_dir[1024];
  make_dir(argv[1]);
  snprintf(data_dir, sizeof(data_dir), "%s/run-%ld", argv[1], (long)getpid());
  make_dir(data_dir);

  fake_server server;
  memset(&server, 0, sizeof(server));
  pthread_mutex_init(&server.mu, NULL);
  server.offline = 1;

  /* ---- Vitrine.init ---- */
  cstrings strings = {{0}, 0};
  vt_options options;
  vt_options_init(&options);
  options.data_dir = cdup(&strings, data_dir);
  options.server_url = cdup(&strings, "https://sync.example.com");
  options.write_key = NULL; /* first: a missing write key must throw, not crash */
  options.http_execute = execute;
  options.http_user_data = &server;
  vt_client* client = NULL;
  char* error = NULL;
  vt_status st = vt_client_open(&options, &client, &error);
  CHECK(st == VT_INVALID_ARGUMENT && client == NULL, "open without write key: %s",
        vt_status_name(st));
  CHECK(error != NULL && strstr(error, "write_key") != NULL, "message: %s",
        error ? error : "(null)");
  CHECK(strcmp(vt_status_name(st), "invalid_argument") == 0, "name %s", vt_status_name(st));
  vt_free_string(error);
  error = NULL;

  options.write_key = cdup(&strings, "wk_swift");
  options.app_version = cdup(&strings, "1.2.3");
  options.compress = 0; /* Options.compress (true by default in Swift): the fake server reads raw */
  options.flush_interval_ms = 60000;
  st = vt_client_open(&options, &client, &error);
  free_all(&strings);
  CHECK(st == VT_OK && client != NULL && error == NULL, "open: %s (%s)", vt_status_name(st),
        error ? error : "");
  vt_free_string(error);
  if (client == NULL) return 1;

  /* ---- capture ---- */
  int captured = 0;
  vt_product p = product(&strings, "sku-swift-1", "EUR");
  st = vt_product_viewed(client, &p, &error);
  CHECK(st == VT_OK && error == NULL, "product_viewed: %s", vt_status_name(st));
  captured += st == VT_OK;
  st = vt_product_added_to_cart(client, &p, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "added_to_cart: %s", vt_status_name(st));
  st = vt_product_removed_from_cart(client, &p, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "removed_from_cart: %s", vt_status_name(st));
  free_all(&strings);

  st = vt_page_viewed(client, "app://home", NULL, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "page_viewed: %s", vt_status_name(st));
  st = vt_search_submitted(client, "serum", &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "search: %s", vt_status_name(st));

  vt_product lines[2];
  lines[0] = product(&strings, "sku-a", "EUR");
  lines[1] = product(&strings, "sku-b", "EUR");
  vt_order order;
  memset(&order, 0, sizeof(order));
  order.order_id = cdup(&strings, "ord-swift-1");
  order.value = 25.0;
  order.currency = cdup(&strings, "EUR");
  order.products = lines;
  order.product_count = 2;
  st = vt_order_completed(client, &order, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "order: %s (%s)", vt_status_name(st), error ? error : "");
  vt_free_string(error);
  error = NULL;

  vt_property props[2] = {{cdup(&strings, "a"), cdup(&strings, "1")},
                          {cdup(&strings, "b"), cdup(&strings, "2")}};
  vt_event event;
  memset(&event, 0, sizeof(event));
  event.struct_size = sizeof(vt_event); /* MemoryLayout<vt_event>.size */
  event.type = cdup(&strings, "product_list_viewed");
  event.products = lines;
  event.product_count = 2;
  event.properties = props;
  event.property_count = 2;
  st = vt_track(client, &event, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "track: %s (%s)", vt_status_name(st), error ? error : "");
  vt_free_string(error);
  error = NULL;
  free_all(&strings);

  /* An invalid event throws VitrineError with a message naming the field. */
  vt_product bad = product(&strings, "sku-bad", "");
  st = vt_product_viewed(client, &bad, &error);
  CHECK(st == VT_INVALID_ARGUMENT, "bad product: %s", vt_status_name(st));
  CHECK(error != NULL && strstr(error, "currency") != NULL, "message %s", error ? error : "");
  vt_free_string(error);
  error = NULL;
  free_all(&strings);
  vt_event unknown;
  memset(&unknown, 0, sizeof(unknown));
  unknown.struct_size = sizeof(vt_event);
  unknown.type = "not_an_event";
  st = vt_track(client, &unknown, &error);
  CHECK(st == VT_UNKNOWN_EVENT && error != NULL, "unknown type: %s", vt_status_name(st));
  vt_free_string(error);
  error = NULL;

  vt_property traits[1] = {{"tier", "gold"}};
  st = vt_identify(client, "cust-swift", traits, 1, &error);
  captured += st == VT_OK;
  CHECK(st == VT_OK, "identify: %s", vt_status_name(st));

  /* ---- flush offline, then online ---- */
  st = vt_flush(client, &error);
  CHECK(st == VT_UNAVAILABLE, "offline flush: %s", vt_status_name(st));
  CHECK(error != NULL && strstr(error, "offline") != NULL, "offline message: %s",
        error ? error : "");
  vt_free_string(error);
  error = NULL;
  vt_stats stats;
  memset(&stats, 0, sizeof(stats));
  st = vt_get_stats(client, &stats, &error);
  CHECK(st == VT_OK && stats.queued == (uint64_t)captured, "queued %llu of %d",
        (unsigned long long)stats.queued, captured);
  CHECK(stats.last_error != NULL && strstr(stats.last_error, "offline") != NULL, "last_error %s",
        stats.last_error ? stats.last_error : "(null)");
  vt_free_stats(&stats);

  pthread_mutex_lock(&server.mu);
  server.offline = 0;
  pthread_mutex_unlock(&server.mu);
  st = vt_flush(client, &error);
  CHECK(st == VT_OK, "online flush: %s (%s)", vt_status_name(st), error ? error : "");
  vt_free_string(error);
  error = NULL;
  memset(&stats, 0, sizeof(stats));
  st = vt_get_stats(client, &stats, &error);
  CHECK(st == VT_OK && stats.queued == 0 && stats.acked == (uint64_t)captured,
        "after flush: queued %llu acked %llu of %d", (unsigned long long)stats.queued,
        (unsigned long long)stats.acked, captured);
  CHECK(stats.user_id != NULL && strcmp(stats.user_id, "cust-swift") == 0, "user %s",
        stats.user_id ? stats.user_id : "(null)");
  CHECK(stats.anonymous_id != NULL && stats.anonymous_id[0] != '\0', "anonymous id");
  vt_free_stats(&stats);
  pthread_mutex_lock(&server.mu);
  CHECK(server.events_acked == captured, "server acked %d of %d", server.events_acked, captured);
  CHECK(server.saw_write_key, "no request carried the write key");
  CHECK(!server.saw_bad_header, "a header had a NULL name or value");
  pthread_mutex_unlock(&server.mu);

  /* ---- serving and messages ---- */
  vt_recommendation* recs = NULL;
  size_t rec_count = 7;
  st = vt_recommend(client, "home", NULL, NULL, 8, &recs, &rec_count, &error);
  CHECK(st == VT_OK && rec_count == 0 && recs == NULL, "recommend without snapshot: %s %zu",
        vt_status_name(st), rec_count);
  vt_free_recommendations(recs, rec_count);
  st = vt_recommend(client, "", NULL, NULL, 8, &recs, &rec_count, &error);
  CHECK(st == VT_INVALID_ARGUMENT || st == VT_OK, "recommend with empty placement: %s",
        vt_status_name(st));
  vt_free_string(error);
  error = NULL;
  vt_free_recommendations(recs, rec_count);

  vt_message* messages = NULL;
  size_t message_count = 3;
  st = vt_pending_messages(client, &messages, &message_count, &error);
  CHECK(st == VT_OK && message_count == 0, "pending: %s %zu", vt_status_name(st), message_count);
  vt_free_messages(messages, message_count);
  int listener_state = 0;
  CHECK(vt_set_message_listener(client, on_message, &listener_state) == VT_OK, "set listener");
  CHECK(vt_set_message_listener(client, NULL, NULL) == VT_OK, "remove listener");
  CHECK(vt_message_viewed(client, "m-1", &error) == VT_OK, "viewed");
  CHECK(vt_message_clicked(client, "m-1", &error) == VT_OK, "clicked");
  CHECK(vt_message_dismissed(client, "m-1", &error) == VT_OK, "dismissed");
  CHECK(vt_on_foreground(client) == VT_OK, "foreground");

  /* ---- identity, consent, deletion ---- */
  CHECK(vt_reset(client, &error) == VT_OK, "reset");
  CHECK(vt_set_consent(client, 0, &error) == VT_OK, "consent off");
  p = product(&strings, "sku-swift-1", "EUR");
  st = vt_product_viewed(client, &p, &error);
  CHECK(st == VT_CONSENT_DENIED && error != NULL, "capture without consent: %s",
        vt_status_name(st));
  vt_free_string(error);
  error = NULL;
  free_all(&strings);
  CHECK(vt_set_consent(client, 1, &error) == VT_OK, "consent on");
  st = vt_request_deletion(client, &error);
  CHECK(st == VT_OK, "deletion: %s (%s)", vt_status_name(st), error ? error : "");
  vt_free_string(error);
  error = NULL;

  vt_client_close(client);
  vt_client_close(NULL);
  pthread_mutex_destroy(&server.mu);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("OK\n");
  return 0;
}
