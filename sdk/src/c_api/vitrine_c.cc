// The C ABI (vitrine.h) over vitrine::Client. Each entry point converts its arguments, calls the
// C++ API inside Guard (which turns any escaping exception into VT_INTERNAL) and converts the
// results into malloc'ed C values that the vt_free_* functions release.
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "vitrine.h"
#include "vitrine/client.h"
#include "vitrine/events.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"

struct vt_http_response {
  vitrine::HttpResponse* response;
};

struct vt_client {
  // Declared before `client` so it is destroyed after it: the Client uses it until it is gone.
  std::unique_ptr<vitrine::HttpExecutor> http;
  std::unique_ptr<vitrine::Client> client;
};

namespace {

using vitrine::Status;
using vitrine::StatusCode;

std::string Str(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

// malloc'ed copy, so hosts can release it without knowing C++ (vt_free_string).
char* Dup(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return out;
}

vt_status SetError(vt_status code, const std::string& message, char** error_message) {
  if (error_message != nullptr && code != VT_OK) {
    // Dup can fail only when memory is gone; the code still tells the story then.
    *error_message = static_cast<char*>(std::malloc(message.size() + 1));
    if (*error_message != nullptr) {
      std::memcpy(*error_message, message.data(), message.size());
      (*error_message)[message.size()] = '\0';
    }
  }
  return code;
}

vt_status FromStatus(const Status& s, char** error_message) {
  if (s.ok()) return VT_OK;
  return SetError(static_cast<vt_status>(s.code()),
                  s.message().empty() ? vitrine::StatusCodeName(s.code()) : s.message(),
                  error_message);
}

// Runs f (returning Status) with every exception turned into VT_INTERNAL.
template <typename F>
vt_status Guard(char** error_message, F&& f) {
  if (error_message != nullptr) *error_message = nullptr;
  try {
    return FromStatus(f(), error_message);
  } catch (const std::bad_alloc&) {
    return SetError(VT_INTERNAL, "out of memory", error_message);
  } catch (const std::exception& e) {
    return SetError(VT_INTERNAL, std::string("internal error: ") + e.what(), error_message);
  } catch (...) {
    return SetError(VT_INTERNAL, "internal error", error_message);
  }
}

Status Invalid(const char* what) { return Status(StatusCode::kInvalidArgument, what); }

vitrine::Product ToProduct(const vt_product& p) {
  vitrine::Product out;
  out.product_id = Str(p.product_id);
  out.variant_id = Str(p.variant_id);
  out.sku = Str(p.sku);
  out.price = p.price;
  out.currency = Str(p.currency);
  out.name = Str(p.name);
  out.brand = Str(p.brand);
  out.category = Str(p.category);
  out.quantity = p.quantity == 0 ? 1 : p.quantity;
  out.position = p.position;
  out.list_id = Str(p.list_id);
  out.url = Str(p.url);
  out.image_url = Str(p.image_url);
  return out;
}

Status ToProducts(const vt_product* products, size_t count, std::vector<vitrine::Product>* out) {
  if (count > 0 && products == nullptr) return Invalid("products is NULL but count is not 0");
  out->reserve(count);
  for (size_t i = 0; i < count; ++i) out->push_back(ToProduct(products[i]));
  return Status::Ok();
}

Status ToOrder(const vt_order& o, vitrine::Order* out) {
  out->order_id = Str(o.order_id);
  out->value = o.value;
  out->currency = Str(o.currency);
  out->tax = o.tax;
  out->shipping = o.shipping;
  out->coupon = Str(o.coupon);
  return ToProducts(o.products, o.product_count, &out->products);
}

Status ToMap(const vt_property* props, size_t count, const char* what,
             std::map<std::string, std::string>* out) {
  if (count > 0 && props == nullptr) {
    return Status(StatusCode::kInvalidArgument, std::string(what) + " is NULL but count is not 0");
  }
  for (size_t i = 0; i < count; ++i) {
    if (props[i].key == nullptr) {
      return Status(StatusCode::kInvalidArgument, std::string(what) + " key is NULL");
    }
    (*out)[props[i].key] = Str(props[i].value);
  }
  return Status::Ok();
}

void FillRecommendation(const vitrine::Recommendation& r, vt_recommendation* out) {
  out->product_id = Dup(r.product_id);
  out->title = Dup(r.title);
  out->price = r.price;
  out->currency = Dup(r.currency);
  out->image_url = Dup(r.image_url);
  out->url = Dup(r.url);
  out->category = Dup(r.category);
  out->brand = Dup(r.brand);
  out->score = r.score;
}

void ClearRecommendation(vt_recommendation* r) {
  std::free(r->product_id);
  std::free(r->title);
  std::free(r->currency);
  std::free(r->image_url);
  std::free(r->url);
  std::free(r->category);
  std::free(r->brand);
}

// calloc'ed so a half-filled array (allocation failure midway) frees cleanly.
vt_recommendation* NewRecommendations(const std::vector<vitrine::Recommendation>& in) {
  if (in.empty()) return nullptr;
  auto* out = static_cast<vt_recommendation*>(std::calloc(in.size(), sizeof(vt_recommendation)));
  if (out == nullptr) throw std::bad_alloc();
  try {
    for (size_t i = 0; i < in.size(); ++i) FillRecommendation(in[i], &out[i]);
  } catch (...) {
    vt_free_recommendations(out, in.size());
    throw;
  }
  return out;
}

void FillMessage(const vitrine::InAppMessageView& m, vt_message* out) {
  out->message_id = Dup(m.message_id);
  out->layout = Dup(m.layout);
  out->title = Dup(m.title);
  out->body = Dup(m.body);
  out->image_url = Dup(m.image_url);
  out->cta_label = Dup(m.cta_label);
  out->cta_url = Dup(m.cta_url);
  out->priority = m.priority;
  out->products = NewRecommendations(m.products);
  out->product_count = m.products.size();
}

void ClearMessage(vt_message* m) {
  std::free(m->message_id);
  std::free(m->layout);
  std::free(m->title);
  std::free(m->body);
  std::free(m->image_url);
  std::free(m->cta_label);
  std::free(m->cta_url);
  vt_free_recommendations(m->products, m->product_count);
}

// Adapts the host's C callback to the SDK's HttpExecutor.
class CallbackHttpExecutor final : public vitrine::HttpExecutor {
 public:
  CallbackHttpExecutor(vt_http_execute_fn fn, void* user_data) : fn_(fn), user_data_(user_data) {}

  vitrine::HttpResponse Execute(const vitrine::HttpRequest& request) override {
    std::vector<vt_http_header> headers;
    headers.reserve(request.headers.size());
    for (const auto& [name, value] : request.headers) {
      headers.push_back(vt_http_header{name.c_str(), value.c_str()});
    }
    vt_http_request c_request{};
    c_request.method = request.method.c_str();
    c_request.url = request.url.c_str();
    c_request.headers = headers.empty() ? nullptr : headers.data();
    c_request.header_count = headers.size();
    c_request.body =
        request.body.empty() ? nullptr : reinterpret_cast<const uint8_t*>(request.body.data());
    c_request.body_size = request.body.size();
    c_request.timeout_ms = request.timeout_ms;
    vitrine::HttpResponse response;
    vt_http_response handle{&response};
    fn_(user_data_, &c_request, &handle);
    if (response.status == 0 && response.transport_error.empty()) {
      response.transport_error = "host HTTP executor returned no status";
    }
    return response;
  }

 private:
  vt_http_execute_fn fn_;
  void* user_data_;
};

std::string Lower(const char* s) {
  std::string out = Str(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" {

const char* vt_status_name(vt_status status) {
  if (status < VT_OK || status > VT_INTERNAL) return "unknown";
  return vitrine::StatusCodeName(static_cast<StatusCode>(status));
}

void vt_free_string(char* s) { std::free(s); }

void vt_http_response_set_status(vt_http_response* response, int status) {
  if (response == nullptr) return;
  response->response->status = status;
}

void vt_http_response_add_header(vt_http_response* response, const char* name, const char* value) {
  if (response == nullptr || name == nullptr) return;
  try {
    response->response->headers[Lower(name)] = Str(value);
  } catch (...) {
  }
}

void vt_http_response_set_body(vt_http_response* response, const uint8_t* body, size_t size) {
  if (response == nullptr) return;
  try {
    if (body == nullptr || size == 0) {
      response->response->body.clear();
    } else {
      response->response->body.assign(reinterpret_cast<const char*>(body), size);
    }
  } catch (...) {
  }
}

void vt_http_response_set_transport_error(vt_http_response* response, const char* message) {
  if (response == nullptr) return;
  try {
    response->response->transport_error = Str(message);
    if (response->response->transport_error.empty()) {
      response->response->transport_error = "transport error";
    }
  } catch (...) {
  }
}

void vt_options_init(vt_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  const vitrine::Options d;
  options->struct_size = sizeof(vt_options);
  options->session_timeout_ms = d.session_timeout_ms;
  options->max_batch_events = d.max_batch_events;
  options->max_batch_bytes = d.max_batch_bytes;
  options->flush_interval_ms = d.flush_interval_ms;
  options->persist_interval_ms = d.persist_interval_ms;
  options->journal_bytes = d.journal_bytes;
  options->max_queue_bytes = d.max_queue_bytes;
  options->max_event_age_ms = d.max_event_age_ms;
  options->backoff_initial_ms = d.backoff_initial_ms;
  options->backoff_max_ms = d.backoff_max_ms;
  options->request_timeout_ms = d.request_timeout_ms;
  options->compress = d.compress ? 1 : 0;
  options->default_snapshot_ttl_ms = d.default_snapshot_ttl_ms;
  options->random_seed = d.random_seed;
}

vt_status vt_client_open(const vt_options* options, vt_client** out_client, char** error_message) {
  if (out_client != nullptr) *out_client = nullptr;
  return Guard(error_message, [&]() -> Status {
    if (options == nullptr || out_client == nullptr) {
      return Invalid("options and out_client are required");
    }
    // Only one layout exists so far; later versions will accept the older, smaller sizes and
    // default the fields those callers do not have.
    if (options->struct_size != sizeof(vt_options)) {
      return Invalid("options->struct_size must be sizeof(vt_options); call vt_options_init");
    }
    vitrine::Options o;
    o.data_dir = Str(options->data_dir);
    o.server_url = Str(options->server_url);
    o.write_key = Str(options->write_key);
    o.ca_file = Str(options->ca_file);
    o.app_version = Str(options->app_version);
    o.session_timeout_ms = options->session_timeout_ms;
    o.max_batch_events = options->max_batch_events;
    o.max_batch_bytes = options->max_batch_bytes;
    o.flush_interval_ms = options->flush_interval_ms;
    o.persist_interval_ms = options->persist_interval_ms;
    o.journal_bytes = options->journal_bytes;
    o.max_queue_bytes = options->max_queue_bytes;
    o.max_event_age_ms = options->max_event_age_ms;
    o.backoff_initial_ms = options->backoff_initial_ms;
    o.backoff_max_ms = options->backoff_max_ms;
    o.request_timeout_ms = options->request_timeout_ms;
    o.compress = options->compress != 0;
    o.default_snapshot_ttl_ms = options->default_snapshot_ttl_ms;
    o.random_seed = options->random_seed;

    auto handle = std::make_unique<vt_client>();
    if (options->http_execute != nullptr) {
      handle->http =
          std::make_unique<CallbackHttpExecutor>(options->http_execute, options->http_user_data);
      o.http = handle->http.get();
    }
    auto client = vitrine::Client::Open(o);
    if (!client.ok()) return client.status();
    handle->client = std::move(client).value();
    *out_client = handle.release();
    return Status::Ok();
  });
}

void vt_client_close(vt_client* client) {
  if (client == nullptr) return;
  try {
    client->client.reset();  // stops background work while the executor still exists
    delete client;
  } catch (...) {
  }
}

#define VT_REQUIRE_CLIENT(c) \
  if ((c) == nullptr || (c)->client == nullptr) return Invalid("client is NULL")

vt_status vt_track(vt_client* client, const vt_event* event, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (event == nullptr) return Invalid("event is NULL");
    if (event->struct_size != 0 && event->struct_size != sizeof(vt_event)) {
      return Invalid("event->struct_size must be sizeof(vt_event)");
    }
    vitrine::EventSpec spec;
    spec.type = Str(event->type);
    if (Status s = ToProducts(event->products, event->product_count, &spec.products); !s.ok()) {
      return s;
    }
    if (event->order != nullptr) {
      vitrine::Order order;
      if (Status s = ToOrder(*event->order, &order); !s.ok()) return s;
      spec.order = std::move(order);
    }
    spec.query = Str(event->query);
    spec.list_id = Str(event->list_id);
    spec.list_name = Str(event->list_name);
    spec.page_url = Str(event->page_url);
    spec.referrer = Str(event->referrer);
    spec.message_id = Str(event->message_id);
    spec.placement = Str(event->placement);
    spec.promotion_id = Str(event->promotion_id);
    spec.checkout_step = event->checkout_step;
    if (Status s = ToMap(event->traits, event->trait_count, "traits", &spec.traits); !s.ok()) {
      return s;
    }
    if (Status s = ToMap(event->properties, event->property_count, "properties", &spec.properties);
        !s.ok()) {
      return s;
    }
    return client->client->Track(spec);
  });
}

vt_status vt_page_viewed(vt_client* client, const char* url, const char* referrer,
                         char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->PageViewed(Str(url), Str(referrer));
  });
}

vt_status vt_product_viewed(vt_client* client, const vt_product* product, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (product == nullptr) return Invalid("product is NULL");
    return client->client->ProductViewed(ToProduct(*product));
  });
}

vt_status vt_product_added_to_cart(vt_client* client, const vt_product* product,
                                   char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (product == nullptr) return Invalid("product is NULL");
    return client->client->ProductAddedToCart(ToProduct(*product));
  });
}

vt_status vt_product_removed_from_cart(vt_client* client, const vt_product* product,
                                       char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (product == nullptr) return Invalid("product is NULL");
    return client->client->ProductRemovedFromCart(ToProduct(*product));
  });
}

vt_status vt_search_submitted(vt_client* client, const char* query, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->SearchSubmitted(Str(query));
  });
}

vt_status vt_order_completed(vt_client* client, const vt_order* order, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (order == nullptr) return Invalid("order is NULL");
    vitrine::Order o;
    if (Status s = ToOrder(*order, &o); !s.ok()) return s;
    return client->client->OrderCompleted(o);
  });
}

vt_status vt_identify(vt_client* client, const char* user_id, const vt_property* traits,
                      size_t trait_count, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    std::map<std::string, std::string> t;
    if (Status s = ToMap(traits, trait_count, "traits", &t); !s.ok()) return s;
    return client->client->Identify(Str(user_id), t);
  });
}

vt_status vt_reset(vt_client* client, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->Reset();
  });
}

vt_status vt_set_consent(vt_client* client, int granted, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->SetConsent(granted != 0);
  });
}

vt_status vt_request_deletion(vt_client* client, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->RequestDeletion();
  });
}

vt_status vt_flush(vt_client* client, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->Flush();
  });
}

vt_status vt_on_foreground(vt_client* client) {
  return Guard(nullptr, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    client->client->OnForeground();
    return Status::Ok();
  });
}

vt_status vt_recommend(vt_client* client, const char* placement, const char* context_product_id,
                       const char* context_category, size_t n, vt_recommendation** out,
                       size_t* out_count, char** error_message) {
  if (out != nullptr) *out = nullptr;
  if (out_count != nullptr) *out_count = 0;
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (out == nullptr || out_count == nullptr) return Invalid("out and out_count are required");
    vitrine::RecommendContext context;
    context.product_id = Str(context_product_id);
    context.category = Str(context_category);
    auto recs = client->client->Recommend(Str(placement), context, n);
    if (!recs.ok()) return recs.status();
    *out = NewRecommendations(*recs);
    *out_count = recs->size();
    return Status::Ok();
  });
}

void vt_free_recommendations(vt_recommendation* recommendations, size_t count) {
  if (recommendations == nullptr) return;
  for (size_t i = 0; i < count; ++i) ClearRecommendation(&recommendations[i]);
  std::free(recommendations);
}

vt_status vt_pending_messages(vt_client* client, vt_message** out, size_t* out_count,
                              char** error_message) {
  if (out != nullptr) *out = nullptr;
  if (out_count != nullptr) *out_count = 0;
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (out == nullptr || out_count == nullptr) return Invalid("out and out_count are required");
    const std::vector<vitrine::InAppMessageView> messages = client->client->PendingMessages();
    if (messages.empty()) return Status::Ok();
    auto* array = static_cast<vt_message*>(std::calloc(messages.size(), sizeof(vt_message)));
    if (array == nullptr) throw std::bad_alloc();
    try {
      for (size_t i = 0; i < messages.size(); ++i) FillMessage(messages[i], &array[i]);
    } catch (...) {
      vt_free_messages(array, messages.size());
      throw;
    }
    *out = array;
    *out_count = messages.size();
    return Status::Ok();
  });
}

void vt_free_messages(vt_message* messages, size_t count) {
  if (messages == nullptr) return;
  for (size_t i = 0; i < count; ++i) ClearMessage(&messages[i]);
  std::free(messages);
}

vt_status vt_set_message_listener(vt_client* client, vt_message_fn listener, void* user_data) {
  return Guard(nullptr, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (listener == nullptr) {
      client->client->SetMessageListener(nullptr);
      return Status::Ok();
    }
    client->client->SetMessageListener(
        [listener, user_data](const vitrine::InAppMessageView& view) {
          vt_message m{};
          try {
            FillMessage(view, &m);
          } catch (...) {
            ClearMessage(&m);  // out of memory: skip this delivery rather than throw
            return;
          }
          listener(user_data, &m);
          ClearMessage(&m);
        });
    return Status::Ok();
  });
}

vt_status vt_message_viewed(vt_client* client, const char* message_id, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->MessageViewed(Str(message_id));
  });
}

vt_status vt_message_clicked(vt_client* client, const char* message_id, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->MessageClicked(Str(message_id));
  });
}

vt_status vt_message_dismissed(vt_client* client, const char* message_id, char** error_message) {
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    return client->client->MessageDismissed(Str(message_id));
  });
}

vt_status vt_get_stats(vt_client* client, vt_stats* out, char** error_message) {
  if (out != nullptr) std::memset(out, 0, sizeof(*out));
  return Guard(error_message, [&]() -> Status {
    VT_REQUIRE_CLIENT(client);
    if (out == nullptr) return Invalid("out is NULL");
    const vitrine::ClientStats s = client->client->Stats();
    vt_stats tmp{};
    tmp.tracked = s.tracked;
    tmp.queued = s.queued;
    tmp.acked = s.acked;
    tmp.evicted = s.evicted;
    tmp.rejected = s.rejected;
    tmp.send_attempts = s.send_attempts;
    tmp.send_failures = s.send_failures;
    tmp.next_send_at_ms = s.next_send_at_ms;
    tmp.last_retry_after_ms = s.last_retry_after_ms;
    try {
      tmp.last_error = Dup(s.last_error);
      tmp.anonymous_id = Dup(s.anonymous_id);
      tmp.user_id = Dup(s.user_id);
      tmp.session_id = Dup(s.session_id);
      tmp.snapshot_etag = Dup(s.snapshot_etag);
    } catch (...) {
      vt_free_stats(&tmp);
      throw;
    }
    *out = tmp;
    return Status::Ok();
  });
}

void vt_free_stats(vt_stats* stats) {
  if (stats == nullptr) return;
  std::free(stats->last_error);
  std::free(stats->anonymous_id);
  std::free(stats->user_id);
  std::free(stats->session_id);
  std::free(stats->snapshot_etag);
  stats->last_error = stats->anonymous_id = stats->user_id = stats->session_id =
      stats->snapshot_etag = nullptr;
}

}  // extern "C"
