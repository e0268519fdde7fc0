/* The C ABI exercised from plain C, the way a Swift or JNI host uses it: a host HTTP executor
 * that records requests and answers 503 (no server needed), valid and invalid capture, local
 * recommendations without a snapshot, flush, consent, stats, and the free functions.
 * Usage: c_api_test <temp dir> [vitrine-server binary, unused]. Exit 0 on success; every failed
 * check is printed. */
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

/* ---- A recording host executor ---- */
#define MAX_REQUESTS 64
typedef struct recorded_request {
  char method[8];
  char url[256];
  char content_type[64];
  size_t body_size;
  int body_has_product; /* the body carries "sku-c-1" (uncompressed protobuf strings are raw) */
} recorded_request;

typedef struct recorder {
  pthread_mutex_t mu;
  recorded_request requests[MAX_REQUESTS];
  int count;
} recorder;

static int contains(const uint8_t* data, size_t size, const char* needle) {
  const size_t n = strlen(needle);
  if (data == NULL || size < n) return 0;
  for (size_t i = 0; i + n <= size; ++i) {
    if (memcmp(data + i, needle, n) == 0) return 1;
  }
  return 0;
}

static void copy_str(char* dst, size_t cap, const char* src) {
  snprintf(dst, cap, "%s", src != NULL ? src : "");
}

static void record_and_answer_503(void* user_data, const vt_http_request* request,
                                  vt_http_response* response) {
  recorder* r = (recorder*)user_data;
  pthread_mutex_lock(&r->mu);
  if (r->count < MAX_REQUESTS) {
    recorded_request* rec = &r->requests[r->count++];
    copy_str(rec->method, sizeof(rec->method), request->method);
    copy_str(rec->url, sizeof(rec->url), request->url);
    rec->content_type[0] = '\0';
    for (size_t i = 0; i < request->header_count; ++i) {
      const char* name = request->headers[i].name;
      if (name != NULL &&
          (strcmp(name, "Content-Type") == 0 || strcmp(name, "content-type") == 0)) {
        copy_str(rec->content_type, sizeof(rec->content_type), request->headers[i].value);
      }
    }
    rec->body_size = request->body_size;
    rec->body_has_product = contains(request->body, request->body_size, "sku-c-1");
  }
  pthread_mutex_unlock(&r->mu);
  vt_http_response_set_status(response, 503);
  vt_http_response_add_header(response, "Content-Type", "text/plain");
  vt_http_response_set_body(response, (const uint8_t*)"busy", 4);
}

static int ends_with(const char* s, const char* suffix) {
  const size_t a = strlen(s);
  const size_t b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void make_dir(const char* path) {
  if (mkdir(path, 0700) != 0 && errno != EEXIST) {
    fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
    exit(2);
  }
}

static vt_product sample_product(void) {
  vt_product p;
  memset(&p, 0, sizeof(p));
  p.product_id = "sku-c-1";
  p.variant_id = "sku-c-1-red";
  p.price = 19.99;
  p.currency = "EUR";
  p.name = "Serum";
  p.category = "Skin Care/Face/Serums";
  return p;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <temp dir> [server binary]\n", argv[0]);
    return 2;
  }
  char data_dir[1024];
  make_dir(argv[1]);
  snprintf(data_dir, sizeof(data_dir), "%s/run-%ld", argv[1], (long)getpid());
  make_dir(data_dir);

  recorder rec;
  memset(&rec, 0, sizeof(rec));
  pthread_mutex_init(&rec.mu, NULL);

  /* ---- open ---- */
  vt_options options;
  vt_options_init(&options);
  CHECK(options.struct_size == sizeof(vt_options), "vt_options_init must set struct_size");
  CHECK(options.max_batch_events > 0, "defaults must be filled in");
  options.data_dir = data_dir;
  options.server_url = "https://sync.invalid";
  options.write_key = "wk_test";
  options.compress = 0; /* so the test can look into the protobuf body */
  options.random_seed = 42;
  options.http_execute = record_and_answer_503;
  options.http_user_data = &rec;

  char* err = NULL;
  vt_client* client = NULL;
  vt_status st = vt_client_open(&options, &client, &err);
  CHECK(st == VT_OK && client != NULL, "open: %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);
  if (client == NULL) return 1;

  /* ---- invalid open arguments are error values ---- */
  vt_client* none = NULL;
  st = vt_client_open(NULL, &none, &err);
  CHECK(st == VT_INVALID_ARGUMENT && none == NULL && err != NULL, "open(NULL): %s",
        vt_status_name(st));
  vt_free_string(err);

  /* ---- valid capture ---- */
  vt_product product = sample_product();
  st = vt_product_viewed(client, &product, &err);
  CHECK(st == VT_OK && err == NULL, "product_viewed: %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);
  st = vt_product_added_to_cart(client, &product, NULL);
  CHECK(st == VT_OK, "added_to_cart: %s", vt_status_name(st));
  st = vt_page_viewed(client, "https://shop.example/home", NULL, NULL);
  CHECK(st == VT_OK, "page_viewed: %s", vt_status_name(st));

  vt_order order;
  memset(&order, 0, sizeof(order));
  order.order_id = "o-c-1";
  order.value = 19.99;
  order.currency = "EUR";
  order.products = &product;
  order.product_count = 1;
  st = vt_order_completed(client, &order, &err);
  CHECK(st == VT_OK, "order_completed: %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);

  vt_property props[1] = {{"source", "c_api_test"}};
  vt_event generic;
  memset(&generic, 0, sizeof(generic));
  generic.struct_size = sizeof(generic);
  generic.type = "search_submitted";
  generic.query = "serum";
  generic.properties = props;
  generic.property_count = 1;
  st = vt_track(client, &generic, &err);
  CHECK(st == VT_OK, "track(search_submitted): %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);

  /* ---- invalid capture: right code and a message ---- */
  vt_event unknown;
  memset(&unknown, 0, sizeof(unknown));
  unknown.type = "teleport_requested";
  st = vt_track(client, &unknown, &err);
  CHECK(st == VT_UNKNOWN_EVENT, "unknown type gave %s", vt_status_name(st));
  CHECK(err != NULL && strlen(err) > 0, "unknown type must come with a message");
  vt_free_string(err);

  vt_product no_currency = sample_product();
  no_currency.currency = NULL;
  st = vt_product_viewed(client, &no_currency, &err);
  CHECK(st == VT_INVALID_ARGUMENT, "missing currency gave %s", vt_status_name(st));
  CHECK(err != NULL && strstr(err, "currency") != NULL, "message should name the field: %s",
        err ? err : "(null)");
  vt_free_string(err);

  st = vt_product_viewed(client, NULL, &err);
  CHECK(st == VT_INVALID_ARGUMENT && err != NULL, "NULL product gave %s", vt_status_name(st));
  vt_free_string(err);
  st = vt_track(NULL, &generic, &err);
  CHECK(st == VT_INVALID_ARGUMENT, "NULL client gave %s", vt_status_name(st));
  vt_free_string(err);

  vt_order empty_order;
  memset(&empty_order, 0, sizeof(empty_order));
  empty_order.order_id = "o-c-2";
  empty_order.currency = "EUR";
  st = vt_order_completed(client, &empty_order, &err);
  CHECK(st == VT_INVALID_ARGUMENT, "order without lines gave %s", vt_status_name(st));
  vt_free_string(err);

  /* ---- recommend with no snapshot: OK and empty, or a clear error ---- */
  vt_recommendation* recs = NULL;
  size_t rec_count = 99;
  st = vt_recommend(client, "home", NULL, NULL, 5, &recs, &rec_count, &err);
  CHECK((st == VT_OK && rec_count == 0 && recs == NULL) || (st != VT_OK && err != NULL),
        "recommend without snapshot: %s, %zu items", vt_status_name(st), rec_count);
  vt_free_string(err);
  vt_free_recommendations(recs, rec_count);

  /* ---- messages and stats ---- */
  vt_message* messages = NULL;
  size_t message_count = 99;
  st = vt_pending_messages(client, &messages, &message_count, NULL);
  CHECK(st == VT_OK && message_count == 0, "pending messages: %s, %zu", vt_status_name(st),
        message_count);
  vt_free_messages(messages, message_count);

  vt_stats stats;
  st = vt_get_stats(client, &stats, NULL);
  CHECK(st == VT_OK, "stats: %s", vt_status_name(st));
  CHECK(stats.tracked >= 5, "tracked = %llu, want >= 5", (unsigned long long)stats.tracked);
  CHECK(stats.anonymous_id != NULL && strlen(stats.anonymous_id) > 0, "anonymous id missing");
  vt_free_stats(&stats);

  /* ---- flush: one POST /v1/batch through the host executor, protobuf body ---- */
  st = vt_flush(client, &err);
  CHECK(st != VT_OK, "flush against a 503 server should report the failure");
  CHECK(st == VT_UNAVAILABLE || st == VT_OK, "flush gave %s (%s)", vt_status_name(st),
        err ? err : "");
  vt_free_string(err);
  pthread_mutex_lock(&rec.mu);
  int batch_posts = 0;
  for (int i = 0; i < rec.count; ++i) {
    const recorded_request* r = &rec.requests[i];
    if (strcmp(r->method, "POST") == 0 && ends_with(r->url, "/v1/batch")) {
      ++batch_posts;
      CHECK(strstr(r->url, "https://sync.invalid") == r->url, "url %s", r->url);
      CHECK(strcmp(r->content_type, "application/x-protobuf") == 0, "content type '%s'",
            r->content_type);
      CHECK(r->body_size > 0 && r->body_has_product,
            "batch body (%zu bytes) should carry the tracked product", r->body_size);
    }
  }
  CHECK(batch_posts >= 1, "no POST /v1/batch among %d requests", rec.count);
  pthread_mutex_unlock(&rec.mu);

  st = vt_get_stats(client, &stats, NULL);
  CHECK(st == VT_OK && stats.send_failures >= 1, "send_failures = %llu",
        (unsigned long long)stats.send_failures);
  CHECK(stats.queued >= 5, "events must stay queued after a 503, queued = %llu",
        (unsigned long long)stats.queued);
  vt_free_stats(&stats);

  /* ---- consent off: capture refused ---- */
  st = vt_set_consent(client, 0, &err);
  CHECK(st == VT_OK, "set_consent(0): %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);
  st = vt_product_viewed(client, &product, &err);
  CHECK(st == VT_CONSENT_DENIED, "track without consent gave %s", vt_status_name(st));
  CHECK(err != NULL, "consent denial must come with a message");
  vt_free_string(err);
  st = vt_set_consent(client, 1, NULL);
  CHECK(st == VT_OK, "set_consent(1): %s", vt_status_name(st));
  st = vt_search_submitted(client, "after consent", NULL);
  CHECK(st == VT_OK, "track after consent granted again: %s", vt_status_name(st));

  /* ---- identity ---- */
  vt_property traits[1] = {{"email_hash", "abc"}};
  st = vt_identify(client, "user-c-1", traits, 1, &err);
  CHECK(st == VT_OK, "identify: %s (%s)", vt_status_name(st), err ? err : "");
  vt_free_string(err);
  st = vt_get_stats(client, &stats, NULL);
  CHECK(st == VT_OK && stats.user_id != NULL && strcmp(stats.user_id, "user-c-1") == 0,
        "user id after identify: %s", stats.user_id ? stats.user_id : "(null)");
  vt_free_stats(&stats);
  st = vt_reset(client, NULL);
  CHECK(st == VT_OK, "reset: %s", vt_status_name(st));

  CHECK(strcmp(vt_status_name(VT_CONSENT_DENIED), "consent_denied") == 0, "name: %s",
        vt_status_name(VT_CONSENT_DENIED));
  CHECK(strcmp(vt_status_name(1000), "unknown") == 0, "out of range name");

  vt_client_close(client);
  vt_client_close(NULL);

  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  pthread_mutex_destroy(&rec.mu);
  printf("c_api_test: all checks passed (%d host HTTP requests seen)\n", rec.count);
  return 0;
}
