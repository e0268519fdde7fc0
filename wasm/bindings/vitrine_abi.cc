// The module's C ABI: plain `extern "C"` functions over UTF-8 JSON text, so the module carries
// no embind runtime and its JS glue stays small. post.js wraps them into the JS functions the
// package calls (open, track, recommend, ...: plain values in and out, nothing to delete()).
//
// Calling convention (post.js does all of it):
//  - arguments: one JSON array of the JS arguments, written by JS into memory from vt_alloc; JS
//    frees it with vt_free after the call;
//  - result: a buffer from malloc, [uint32 length, little endian][length bytes of UTF-8 JSON];
//    JS reads it and frees it with vt_free. Every function returns one (never null), and errors
//    are values in it: {"ok":false,"code":"invalid_argument","error":"event.type is required"}.
//    Input of the wrong shape is reported that way and leaves the client untouched; nothing here
//    throws or aborts on bad input.
//  - binary data (storage mirror entries, HTTP bodies) goes as raw bytes, see the functions.
//
// One Client per module instance (a page has one shopper). Background work (persist, send,
// snapshot refresh, message timers) runs as setTimeout tasks on the JS event loop. HTTP goes out
// through vt_js_http (post.js: the `http` hook given to open(), default fetch()); the answer
// comes back through vt_http_done, synchronously or later. Due in-app messages go to
// Module.onMessage through vt_js_message when open() was told to (listen != 0).
#include <emscripten/em_js.h>
#include <emscripten/emscripten.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/client.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"
#include "wasm/src/event_loop_scheduler.h"
#include "wasm/src/json_lite.h"
#include "wasm/src/memory_storage.h"

// JS side (post.js): vitrineHttp runs the hook and answers through _vt_http_done; vitrineMessage
// hands a message to Module.onMessage, catching whatever the host's callback throws.
// clang-format off
EM_JS(void, vt_js_http,
      (uint32_t id, const char* meta, size_t meta_len, const uint8_t* body, size_t body_len), {
        Module['vitrineHttp'](id, meta, meta_len, body, body_len);
      });
EM_JS(void, vt_js_message, (const char* json, size_t len), {
  Module['vitrineMessage'](json, len);
});
// clang-format on

namespace vitrine::wasm {
namespace {

// A result buffer for JS: [uint32 length][bytes], freed by JS with vt_free.
uint8_t* Buffer(std::string_view bytes) {
  auto* out = static_cast<uint8_t*>(std::malloc(4 + bytes.size()));
  if (!out) return nullptr;  // out of memory: post.js reports it as an error value
  const auto n = static_cast<uint32_t>(bytes.size());
  std::memcpy(out, &n, 4);  // wasm is little endian
  std::memcpy(out + 4, bytes.data(), bytes.size());
  return out;
}

// {"ok":true} or {"ok":false,"code":...,"error":...}, left open for more members.
JsonOut ResultOut(const Status& status) {
  JsonOut out;
  out.BeginObject().Key("ok").Bool(status.ok());
  if (!status.ok()) {
    out.Key("code").String(StatusCodeName(status.code()));
    out.Key("error").String(status.message());
  }
  return out;
}

uint8_t* Done(JsonOut& out) {
  out.EndObject();
  return Buffer(out.text());
}

uint8_t* Result(const Status& status) {
  JsonOut out = ResultOut(status);
  return Done(out);
}

uint8_t* Error(const std::string& message) {
  return Result(Status(StatusCode::kInvalidArgument, message));
}

// Reads optional members of a JSON object with type checks; the first mismatch is kept in
// error(). Absent and null members are both "not given".
class Reader {
 public:
  Reader(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  static bool IsObject(const Json* v) { return v && v->kind == Json::kObject; }

  const Json* Get(const char* key) const {
    const Json* v = object_.Find(key);
    return v && v->kind != Json::kNull ? v : nullptr;
  }

  void String(const char* key, std::string* out) {
    const Json* v = Next(key);
    if (!v) return;
    if (v->kind != Json::kString) return Fail(key, "must be a string");
    *out = v->string;
  }

  void Number(const char* key, double* out) {
    const Json* v = Next(key);
    if (!v) return;
    if (v->kind != Json::kNumber) return Fail(key, "must be a number");
    *out = v->number;
  }

  template <typename Int>
  void Integer(const char* key, Int* out) {
    const Json* v = Next(key);
    if (!v) return;
    if (v->kind != Json::kNumber) return Fail(key, "must be a number");
    const double d = v->number;
    if (!std::isfinite(d) || std::trunc(d) != d ||
        d < static_cast<double>(std::numeric_limits<Int>::min()) ||
        d > static_cast<double>(std::numeric_limits<Int>::max())) {
      return Fail(key, "must be an integer in range");
    }
    *out = static_cast<Int>(d);
  }

  void Bool(const char* key, bool* out) {
    const Json* v = Next(key);
    if (!v) return;
    if (v->kind != Json::kBool) return Fail(key, "must be a boolean");
    *out = v->boolean;
  }

  // {key: "value", ...} with string values.
  void StringMap(const char* key, std::map<std::string, std::string>* out) {
    const Json* v = Next(key);
    if (!v) return;
    if (!IsObject(v)) return Fail(key, "must be an object of strings");
    for (size_t i = 0; i < v->keys.size(); ++i) {
      if (v->items[i].kind != Json::kString)
        return Fail(key, "." + v->keys[i] + " must be a string");
      (*out)[v->keys[i]] = v->items[i].string;
    }
  }

  // An array of objects; `each` reads one element with a child Reader.
  template <typename Fn>
  void Array(const char* key, Fn each) {
    const Json* v = Next(key);
    if (!v) return;
    if (v->kind != Json::kArray) return Fail(key, "must be an array");
    for (size_t i = 0; i < v->items.size() && ok(); ++i) {
      if (!IsObject(&v->items[i])) {
        return Fail(key, "[" + std::to_string(i) + "] must be an object");
      }
      Reader child(v->items[i], path_ + key + "[" + std::to_string(i) + "].");
      each(child);
      if (!child.ok()) error_ = child.error();
    }
  }

  template <typename Fn>
  void Object(const char* key, Fn read) {
    const Json* v = Next(key);
    if (!v) return;
    if (!IsObject(v)) return Fail(key, "must be an object");
    Reader child(*v, path_ + key + ".");
    read(child);
    if (!child.ok()) error_ = child.error();
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  // The member to read next, or nullptr when there is none or an error was already found.
  const Json* Next(const char* key) const { return ok() ? Get(key) : nullptr; }

  // "event.products[0].price must be a number"; `why` may continue the path ("[2] must ...").
  void Fail(const std::string& key, const std::string& why) {
    const bool continues_path = !why.empty() && (why[0] == '.' || why[0] == '[');
    error_ = path_ + key + (continues_path ? "" : " ") + why;
  }

  const Json& object_;
  std::string path_;
  std::string error_;
};

void ReadProduct(Reader& r, Product* p) {
  r.String("productId", &p->product_id);
  r.String("variantId", &p->variant_id);
  r.String("sku", &p->sku);
  r.Number("price", &p->price);
  r.String("currency", &p->currency);
  r.String("name", &p->name);
  r.String("brand", &p->brand);
  r.String("category", &p->category);
  r.Integer("quantity", &p->quantity);
  r.Integer("position", &p->position);
  r.String("listId", &p->list_id);
  r.String("url", &p->url);
  r.String("imageUrl", &p->image_url);
}

void ReadProducts(Reader& r, const char* key, std::vector<Product>* out) {
  r.Array(key, [out](Reader& item) {
    Product p;
    ReadProduct(item, &p);
    out->push_back(std::move(p));
  });
}

// HTTP through JS (vt_js_http). The answer comes back through Complete, from inside the
// vt_js_http call when the hook answered synchronously, else later from the event loop. A hook
// that throws or rejects is answered as a transport error by post.js.
class JsHttpExecutor final : public HttpExecutor {
 public:
  HttpResponse Execute(const HttpRequest& request) override {
    HttpResponse out;
    bool answered = false;
    ExecuteAsync(request, [&](HttpResponse r) {
      out = std::move(r);
      answered = true;
    });
    if (!answered) out.transport_error = "the http hook answered asynchronously";
    return out;
  }

  void ExecuteAsync(const HttpRequest& request, std::function<void(HttpResponse)> done) override {
    JsonOut meta;
    meta.BeginObject();
    meta.Key("method").String(request.method);
    meta.Key("url").String(request.url);
    meta.Key("headers").BeginObject();
    for (const auto& [k, v] : request.headers) meta.Key(k).String(v);
    meta.EndObject();
    meta.Key("timeoutMs").Number(static_cast<double>(request.timeout_ms));
    meta.EndObject();
    const uint32_t id = ++last_id;
    // Registered first: a synchronous answer arrives before vt_js_http returns.
    pending_.emplace(id, std::move(done));
    vt_js_http(id, meta.text().data(), meta.text().size(),
               reinterpret_cast<const uint8_t*>(request.body.data()), request.body.size());
  }

  // The answer to request `id`: meta is JSON {status, headers, error} (or not an object), body
  // the response bytes. Unknown ids (answered twice, or after close) are ignored.
  void Complete(uint32_t id, std::string_view meta, std::string body) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    std::function<void(HttpResponse)> done = std::move(it->second);
    pending_.erase(it);
    HttpResponse response = ToResponse(meta);
    if (response.transport_error.empty()) response.body = std::move(body);
    done(std::move(response));
  }

 private:
  static HttpResponse ToResponse(std::string_view meta) {
    HttpResponse response;
    Json res;
    if (!ParseJson(meta, &res, nullptr) || res.kind != Json::kObject) {
      response.transport_error = "http hook returned no object";
      return response;
    }
    Reader r(res, "response.");
    double status = 0;
    r.Number("status", &status);
    r.String("error", &response.transport_error);
    std::map<std::string, std::string> headers;
    r.StringMap("headers", &headers);
    if (!r.ok()) {
      response.transport_error = r.error();
      return response;
    }
    response.status =
        std::isfinite(status) && status >= 0 && status < 1000 ? static_cast<int>(status) : 0;
    for (auto& [k, v] : headers) {
      std::string key = k;
      for (char& c : key) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      response.headers[key] = v;
    }
    return response;
  }

  // Shared by every executor, so a late answer meant for a closed client's request can never
  // match a request of the next one.
  static inline uint32_t last_id = 0;
  std::map<uint32_t, std::function<void(HttpResponse)>> pending_;
};

struct State {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<EventLoopScheduler> scheduler;
  std::unique_ptr<JsHttpExecutor> http;
  std::unique_ptr<Client> client;
  std::string data_dir;

  void Close() {
    client.reset();  // persists; before the scheduler and executor it uses
    if (scheduler) scheduler->Shutdown();
    scheduler.reset();
    http.reset();
    clock.reset();
  }
};

State& GetState() {
  static State* state = new State();  // never destroyed: the module lives as long as the page
  return *state;
}

void WriteRecommendation(JsonOut& out, const Recommendation& rec) {
  out.BeginObject();
  out.Key("productId").String(rec.product_id);
  out.Key("title").String(rec.title);
  out.Key("price").Number(rec.price);
  out.Key("currency").String(rec.currency);
  out.Key("imageUrl").String(rec.image_url);
  out.Key("url").String(rec.url);
  out.Key("category").String(rec.category);
  out.Key("brand").String(rec.brand);
  out.Key("score").Number(rec.score);
  out.EndObject();
}

void WriteMessage(JsonOut& out, const InAppMessageView& m) {
  out.BeginObject();
  out.Key("messageId").String(m.message_id);
  out.Key("layout").String(m.layout);
  out.Key("title").String(m.title);
  out.Key("body").String(m.body);
  out.Key("imageUrl").String(m.image_url);
  out.Key("ctaLabel").String(m.cta_label);
  out.Key("ctaUrl").String(m.cta_url);
  out.Key("priority").Number(m.priority);
  out.Key("products").BeginArray();
  for (const Recommendation& rec : m.products) WriteRecommendation(out, rec);
  out.EndArray();
  out.EndObject();
}

uint8_t* NotOpen() { return Result(Status(StatusCode::kShutdown, "open() first")); }

// The JSON argument array of a call; false (with an error result in *fail) when it is not one.
bool Args(const char* json, size_t len, Json* args, uint8_t** fail) {
  if (ParseJson(std::string_view(json ? json : "", json ? len : 0), args, nullptr) &&
      args->kind == Json::kArray) {
    return true;
  }
  *fail = Error("arguments must be a JSON array");
  return false;
}

// The i-th argument (a null value when not given).
const Json& Arg(const Json& args, size_t i) {
  static const Json* null_value = new Json();
  return i < args.items.size() ? args.items[i] : *null_value;
}

bool IsNullish(const Json& v) { return v.kind == Json::kNull; }

}  // namespace
}  // namespace vitrine::wasm

using vitrine::Client;
using vitrine::Status;
using vitrine::StatusCode;
using vitrine::wasm::Arg;
using vitrine::wasm::Error;
using vitrine::wasm::GetState;
using vitrine::wasm::Json;
using vitrine::wasm::JsonOut;
using vitrine::wasm::Reader;
using vitrine::wasm::Result;
using vitrine::wasm::State;

extern "C" {

EMSCRIPTEN_KEEPALIVE void* vt_alloc(size_t n) { return std::malloc(n ? n : 1); }
EMSCRIPTEN_KEEPALIVE void vt_free(void* p) { std::free(p); }

// open([{serverUrl, writeKey, dataDir?, compress?, sessionTimeoutMs?, flushIntervalMs?,
//        appVersion?, randomSeed?}], listen): listen != 0 sends due messages to Module.onMessage.
EMSCRIPTEN_KEEPALIVE uint8_t* vt_open(const char* json, size_t len, int listen) {
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& options = Arg(args, 0);
  if (!Reader::IsObject(&options)) return Error("options must be an object");
  vitrine::Options o;
  o.data_dir = "/vitrine";
  o.compress = false;  // no gzip in the module; the browser compresses in fetch()
  Reader r(options, "options.");
  r.String("serverUrl", &o.server_url);
  r.String("writeKey", &o.write_key);
  r.String("dataDir", &o.data_dir);
  r.String("appVersion", &o.app_version);
  r.Bool("compress", &o.compress);
  r.Integer("sessionTimeoutMs", &o.session_timeout_ms);
  r.Integer("flushIntervalMs", &o.flush_interval_ms);
  r.Integer("randomSeed", &o.random_seed);
  if (!r.ok()) return Error(r.error());

  State& s = GetState();
  s.Close();
  s.clock = vitrine::NewSystemClock();
  s.scheduler = std::make_unique<vitrine::wasm::EventLoopScheduler>(*s.clock);
  s.http = std::make_unique<vitrine::wasm::JsHttpExecutor>();
  // Injected, so Flush() schedules the send instead of waiting for it on this one thread.
  o.clock = s.clock.get();
  o.scheduler = s.scheduler.get();
  o.http = s.http.get();
  auto client = Client::Open(o);
  if (!client.ok()) {
    s.Close();
    return Result(client.status());
  }
  s.client = std::move(client).value();
  s.data_dir = o.data_dir;
  if (listen) {
    s.client->SetMessageListener([](const vitrine::InAppMessageView& m) {
      JsonOut out;
      vitrine::wasm::WriteMessage(out, m);
      vt_js_message(out.text().data(), out.text().size());
    });
  }
  return Result(Status::Ok());
}

EMSCRIPTEN_KEEPALIVE uint8_t* vt_close() {
  GetState().Close();
  return Result(Status::Ok());
}

// track([{type, products?, order?, query?, listId?, listName?, pageUrl?, referrer?, messageId?,
//         placement?, promotionId?, checkoutStep?, traits?, properties?}])
//   -> {ok: true, eventId: "<uuid>"} | error
EMSCRIPTEN_KEEPALIVE uint8_t* vt_track(const char* json, size_t len) {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& event = Arg(args, 0);
  if (!Reader::IsObject(&event)) return Error("event must be an object");
  vitrine::EventSpec spec;
  Reader r(event, "event.");
  r.String("type", &spec.type);
  vitrine::wasm::ReadProducts(r, "products", &spec.products);
  r.Object("order", [&spec](Reader& o) {
    vitrine::Order order;
    o.String("orderId", &order.order_id);
    o.Number("value", &order.value);
    o.String("currency", &order.currency);
    o.Number("tax", &order.tax);
    o.Number("shipping", &order.shipping);
    o.String("coupon", &order.coupon);
    vitrine::wasm::ReadProducts(o, "products", &order.products);
    spec.order = std::move(order);
  });
  r.String("query", &spec.query);
  r.String("listId", &spec.list_id);
  r.String("listName", &spec.list_name);
  r.String("pageUrl", &spec.page_url);
  r.String("referrer", &spec.referrer);
  r.String("messageId", &spec.message_id);
  r.String("placement", &spec.placement);
  r.String("promotionId", &spec.promotion_id);
  r.Integer("checkoutStep", &spec.checkout_step);
  r.StringMap("traits", &spec.traits);
  r.StringMap("properties", &spec.properties);
  if (!r.ok()) return Error(r.error());
  if (spec.type.empty()) return Error("event.type is required");
  std::string event_id;
  const Status st = client->Track(spec, &event_id);
  JsonOut out = vitrine::wasm::ResultOut(st);
  if (st.ok()) out.Key("eventId").String(event_id);
  return vitrine::wasm::Done(out);
}

// identify([userId, traits?])
EMSCRIPTEN_KEEPALIVE uint8_t* vt_identify(const char* json, size_t len) {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& user_id = Arg(args, 0);
  if (user_id.kind != Json::kString) return Error("userId must be a string");
  // The traits argument read as the member "traits" of a wrapper, for the same checks/messages.
  Json wrapper;
  wrapper.kind = Json::kObject;
  wrapper.keys.emplace_back("traits");
  wrapper.items.push_back(Arg(args, 1));
  std::map<std::string, std::string> traits;
  Reader r(wrapper, "");
  r.StringMap("traits", &traits);
  if (!r.ok()) return Error(r.error());
  return Result(client->Identify(user_id.string, traits));
}

// setConsent([granted])
EMSCRIPTEN_KEEPALIVE uint8_t* vt_set_consent(const char* json, size_t len) {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& granted = Arg(args, 0);
  if (granted.kind != Json::kBool) return Error("granted must be a boolean");
  return Result(client->SetConsent(granted.boolean));
}

// recommend([placement, {productId?, category?}?, n]) -> {ok, items: [{productId, title, ...}]}
EMSCRIPTEN_KEEPALIVE uint8_t* vt_recommend(const char* json, size_t len) {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& placement = Arg(args, 0);
  const Json& context = Arg(args, 1);
  const Json& n = Arg(args, 2);
  if (placement.kind != Json::kString) return Error("placement must be a string");
  vitrine::RecommendContext ctx;
  if (!vitrine::wasm::IsNullish(context)) {
    if (!Reader::IsObject(&context)) return Error("context must be an object");
    Reader r(context, "context.");
    r.String("productId", &ctx.product_id);
    r.String("category", &ctx.category);
    if (!r.ok()) return Error(r.error());
  }
  if (n.kind != Json::kNumber) return Error("n must be a number");
  const double count = n.number;
  if (!std::isfinite(count) || count < 0 || std::trunc(count) != count) {
    return Error("n must be a non-negative integer");
  }
  // Above 100 the core answers invalid_argument; clamp to keep the cast defined.
  auto recs = client->Recommend(placement.string, ctx, static_cast<size_t>(std::min(count, 1e6)));
  if (!recs.ok()) return Result(recs.status());
  JsonOut out = vitrine::wasm::ResultOut(Status::Ok());
  out.Key("items").BeginArray();
  for (const vitrine::Recommendation& rec : *recs) vitrine::wasm::WriteRecommendation(out, rec);
  out.EndArray();
  return vitrine::wasm::Done(out);
}

// flush(): schedules a send of everything queued.
EMSCRIPTEN_KEEPALIVE uint8_t* vt_flush() {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  return Result(client->Flush());
}

// flushNow() for pagehide: as flush(), and the tasks that are due run before this returns, so
// the request is already handed to the HTTP hook (fetch with keepalive) when it does.
EMSCRIPTEN_KEEPALIVE uint8_t* vt_flush_now() {
  State& s = GetState();
  if (!s.client) return vitrine::wasm::NotOpen();
  const Status st = s.client->Flush();
  if (st.ok()) s.scheduler->RunDueNow();
  return Result(st);
}

// The answer to HTTP request `id`: meta is JSON {status, headers, error?}, body raw bytes.
EMSCRIPTEN_KEEPALIVE void vt_http_done(uint32_t id, const char* meta, size_t meta_len,
                                       const char* body, size_t body_len) {
  State& s = GetState();
  if (!s.http) return;
  s.http->Complete(id, std::string_view(meta ? meta : "", meta ? meta_len : 0),
                   body ? std::string(body, body_len) : std::string());
}

// messages() -> [{messageId, layout, title, body, imageUrl, ctaLabel, ctaUrl, priority,
// products}]: the due messages not yet handed to onMessage (each is returned once).
EMSCRIPTEN_KEEPALIVE uint8_t* vt_messages() {
  Client* client = GetState().client.get();
  JsonOut out;
  out.BeginArray();
  if (client) {
    for (const vitrine::InAppMessageView& m : client->PendingMessages()) {
      vitrine::wasm::WriteMessage(out, m);
    }
  }
  out.EndArray();
  return vitrine::wasm::Buffer(out.text());
}

// messageEvent([kind, messageId]): kind is "viewed", "clicked" or "dismissed".
EMSCRIPTEN_KEEPALIVE uint8_t* vt_message_event(const char* json, size_t len) {
  Client* client = GetState().client.get();
  if (!client) return vitrine::wasm::NotOpen();
  Json args;
  uint8_t* fail = nullptr;
  if (!vitrine::wasm::Args(json, len, &args, &fail)) return fail;
  const Json& kind = Arg(args, 0);
  const Json& message_id = Arg(args, 1);
  if (kind.kind != Json::kString) return Error("kind must be a string");
  if (message_id.kind != Json::kString) return Error("messageId must be a string");
  const std::string& k = kind.string;
  const std::string& id = message_id.string;
  if (k == "viewed") return Result(client->MessageViewed(id));
  if (k == "clicked") return Result(client->MessageClicked(id));
  if (k == "dismissed") return Result(client->MessageDismissed(id));
  return Error("kind must be viewed, clicked or dismissed");
}

// storageImport before open: loads a mirror (see wasm/src/memory_storage.h). `entries` is a
// sequence of [uint32 key length][key][uint32 value length][value]. -> {ok, skipped}
EMSCRIPTEN_KEEPALIVE uint8_t* vt_storage_import(const char* dir, size_t dir_len,
                                                const uint8_t* entries, size_t entries_len) {
  std::vector<std::pair<std::string, std::string>> in;
  size_t pos = 0;
  auto field = [&](std::string* out) {
    uint32_t n = 0;
    if (entries_len - pos < 4) return false;
    std::memcpy(&n, entries + pos, 4);
    pos += 4;
    if (entries_len - pos < n) return false;
    out->assign(reinterpret_cast<const char*>(entries + pos), n);
    pos += n;
    return true;
  };
  while (pos < entries_len) {
    std::pair<std::string, std::string> e;
    if (!field(&e.first) || !field(&e.second)) return Error("storage entries are malformed");
    in.push_back(std::move(e));
  }
  auto skipped = vitrine::internal::ImportMirror(std::string(dir, dir_len), in);
  if (!skipped.ok()) return Result(skipped.status());
  JsonOut out = vitrine::wasm::ResultOut(Status::Ok());
  out.Key("skipped").Number(static_cast<double>(*skipped));
  return vitrine::wasm::Done(out);
}

// storageChanges: the mirror writes since the last call, as a sequence of [uint32 key length]
// [key][int32 value length, -1 for a delete][value] in the result buffer (not JSON).
EMSCRIPTEN_KEEPALIVE uint8_t* vt_storage_changes(const char* dir, size_t dir_len) {
  std::string out;
  auto put32 = [&out](uint32_t n) { out.append(reinterpret_cast<const char*>(&n), 4); };
  for (const auto& c : vitrine::internal::TakeMirrorChanges(std::string(dir, dir_len))) {
    put32(static_cast<uint32_t>(c.key.size()));
    out += c.key;
    put32(c.value ? static_cast<uint32_t>(c.value->size()) : UINT32_MAX);
    if (c.value) out += *c.value;
  }
  return vitrine::wasm::Buffer(out);
}

EMSCRIPTEN_KEEPALIVE uint8_t* vt_stats() {
  State& s = GetState();
  Client* client = s.client.get();
  if (!client) return vitrine::wasm::NotOpen();
  const vitrine::ClientStats st = client->Stats();
  JsonOut out = vitrine::wasm::ResultOut(Status::Ok());
  out.Key("tracked").Number(static_cast<double>(st.tracked));
  out.Key("queued").Number(static_cast<double>(st.queued));
  out.Key("journaled")
      .Number(static_cast<double>(vitrine::internal::JournaledEventCount(s.data_dir)));
  out.Key("acked").Number(static_cast<double>(st.acked));
  out.Key("evicted").Number(static_cast<double>(st.evicted));
  out.Key("rejected").Number(static_cast<double>(st.rejected));
  out.Key("sendAttempts").Number(static_cast<double>(st.send_attempts));
  out.Key("sendFailures").Number(static_cast<double>(st.send_failures));
  out.Key("lastError").String(st.last_error);
  out.Key("anonymousId").String(st.anonymous_id);
  out.Key("userId").String(st.user_id);
  out.Key("sessionId").String(st.session_id);
  out.Key("snapshotEtag").String(st.snapshot_etag);
  return vitrine::wasm::Done(out);
}

}  // extern "C"
