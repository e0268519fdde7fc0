// JavaScript bindings of the SDK core (embind). Plain values only: every function takes and
// returns JS numbers, strings, arrays and plain objects, so nothing handed to JS ever needs
// delete(). The export list is exactly the functions in EMSCRIPTEN_BINDINGS below.
//
// One Client per module instance (a page has one shopper). Errors never throw into JS: every
// call returns {ok: true, ...} or {ok: false, code: "invalid_argument", error: "..."}; a value of
// the wrong JS type is reported the same way and leaves the client untouched.
//
// Background work (persist, send, snapshot refresh, message timers) runs as setTimeout tasks on
// the JS event loop. HTTP goes through a JS function given to open() as `http` (default:
// Module.fetchHttp, fetch() with keepalive and CompressionStream, in post.js):
//   http({method, url, headers, body: Uint8Array, timeoutMs}) ->
//        {status, headers, body: Uint8Array | string, error?}  or a Promise of it
// If it throws or its Promise rejects, the request counts as a transport failure and the events
// stay queued. Durable storage is a mirror the JS package drives (storageImport before open,
// storageChanges after), see wasm/src/memory_storage.h.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vitrine/client.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"
#include "wasm/src/event_loop_scheduler.h"
#include "wasm/src/memory_storage.h"

namespace vitrine::wasm {
namespace {

using emscripten::val;

val Result(const Status& status) {
  val out = val::object();
  out.set("ok", status.ok());
  if (!status.ok()) {
    out.set("code", std::string(StatusCodeName(status.code())));
    out.set("error", status.message());
  }
  return out;
}

val Error(const std::string& message) {
  return Result(Status(StatusCode::kInvalidArgument, message));
}

// Reads optional fields of a JS object with type checks; the first mismatch is kept in error().
class Reader {
 public:
  Reader(val object, std::string path) : object_(std::move(object)), path_(std::move(path)) {}

  static bool IsObject(const val& v) {
    return !v.isNull() && v.typeOf().as<std::string>() == "object" && !v.isArray();
  }

  bool Present(const char* key) const {
    const val v = object_[key];
    return !v.isUndefined() && !v.isNull();
  }

  void String(const char* key, std::string* out) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (!v.isString()) return Fail(key, "must be a string");
    *out = v.as<std::string>();
  }

  void Number(const char* key, double* out) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (!v.isNumber()) return Fail(key, "must be a number");
    *out = v.as<double>();
  }

  template <typename Int>
  void Integer(const char* key, Int* out) {
    if (!ok() || !Present(key)) return;
    double d = 0;
    Number(key, &d);
    if (!ok()) return;
    if (!std::isfinite(d) || std::trunc(d) != d ||
        d < static_cast<double>(std::numeric_limits<Int>::min()) ||
        d > static_cast<double>(std::numeric_limits<Int>::max())) {
      return Fail(key, "must be an integer in range");
    }
    *out = static_cast<Int>(d);
  }

  void Bool(const char* key, bool* out) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (v.typeOf().as<std::string>() != "boolean") return Fail(key, "must be a boolean");
    *out = v.as<bool>();
  }

  // {key: "value", ...} with string values.
  void StringMap(const char* key, std::map<std::string, std::string>* out) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (!IsObject(v)) return Fail(key, "must be an object of strings");
    const val keys = val::global("Object").call<val>("keys", v);
    const unsigned n = keys["length"].as<unsigned>();
    for (unsigned i = 0; i < n; ++i) {
      const std::string k = keys[i].as<std::string>();
      const val item = v[k];
      if (!item.isString()) return Fail(key, "." + k + " must be a string");
      (*out)[k] = item.as<std::string>();
    }
  }

  // An array of objects; `each` reads one element with a child Reader.
  template <typename Fn>
  void Array(const char* key, Fn each) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (!v.isArray()) return Fail(key, "must be an array");
    const unsigned n = v["length"].as<unsigned>();
    for (unsigned i = 0; i < n && ok(); ++i) {
      const std::string path = path_ + key + "[" + std::to_string(i) + "]";
      if (!IsObject(v[i])) return Fail(key, "[" + std::to_string(i) + "] must be an object");
      Reader child(v[i], path + ".");
      each(child);
      if (!child.ok()) error_ = child.error();
    }
  }

  template <typename Fn>
  void Object(const char* key, Fn read) {
    if (!ok() || !Present(key)) return;
    const val v = object_[key];
    if (!IsObject(v)) return Fail(key, "must be an object");
    Reader child(v, path_ + key + ".");
    read(child);
    if (!child.ok()) error_ = child.error();
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  // "event.products[0].price must be a number"; `why` may continue the path ("[2] must ...").
  void Fail(const std::string& key, const std::string& why) {
    const bool continues_path = !why.empty() && (why[0] == '.' || why[0] == '[');
    error_ = path_ + key + (continues_path ? "" : " ") + why;
  }

  val object_;
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

// HTTP through a JS function (the `http` option of open(), else Module.fetchHttp from post.js,
// which uses fetch()). The hook may answer synchronously (an object) or with a Promise; either
// way the call goes through Module.vitrineHttpCall (post.js), so a JS exception or a rejected
// promise becomes a transport error here instead of unwinding through C++ frames. A Promise's
// answer comes back through httpDone(id, response), and the Client continues on its scheduler.
class JsHttpExecutor final : public HttpExecutor {
 public:
  explicit JsHttpExecutor(val fn) : fn_(std::move(fn)) {}

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
    val req = val::object();
    req.set("method", request.method);
    req.set("url", request.url);
    val headers = val::object();
    for (const auto& [k, v] : request.headers) headers.set(k, v);
    req.set("headers", headers);
    // A copy: the view into wasm memory is invalidated when the memory grows.
    req.set("body",
            val(emscripten::typed_memory_view(
                    request.body.size(), reinterpret_cast<const uint8_t*>(request.body.data())))
                .call<val>("slice"));
    req.set("timeoutMs", static_cast<double>(request.timeout_ms));

    const double id = static_cast<double>(++last_id_);
    const val outcome = val::module_property("vitrineHttpCall")(fn_, req, id);
    if (!outcome["ok"].as<bool>()) {
      HttpResponse response;
      response.transport_error = "http hook threw: " + outcome["error"].as<std::string>();
      return done(std::move(response));
    }
    if (outcome["pending"].as<bool>()) {
      pending_.emplace(last_id_, std::move(done));
      return;
    }
    done(ToResponse(outcome["value"]));
  }

  // The answer to a request whose hook returned a Promise. Unknown ids (answered twice, or
  // after close) are ignored.
  void Complete(uint32_t id, const val& res) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    std::function<void(HttpResponse)> done = std::move(it->second);
    pending_.erase(it);
    done(ToResponse(res));
  }

 private:
  static HttpResponse ToResponse(const val& res) {
    HttpResponse response;
    if (!Reader::IsObject(res)) {
      response.transport_error = "http hook returned no object";
      return response;
    }
    Reader r(res, "response.");
    double status = 0;
    r.Number("status", &status);
    r.String("error", &response.transport_error);
    r.StringMap("headers", &response.headers);
    if (!r.ok()) {
      response.transport_error = r.error();
      return response;
    }
    response.status =
        std::isfinite(status) && status >= 0 && status < 1000 ? static_cast<int>(status) : 0;
    std::map<std::string, std::string> lowered;
    for (auto& [k, v] : response.headers) {
      std::string key = k;
      for (char& c : key) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      lowered[key] = v;
    }
    response.headers = std::move(lowered);
    const val body = res["body"];
    if (body.isString()) {
      response.body = body.as<std::string>();
    } else if (body.instanceof (val::global("Uint8Array"))) {
      response.body.resize(body["length"].as<size_t>());
      val(emscripten::typed_memory_view(response.body.size(),
                                        reinterpret_cast<uint8_t*>(response.body.data())))
          .call<void>("set", body);
    }
    return response;
  }

  val fn_;
  uint32_t last_id_ = 0;
  std::map<uint32_t, std::function<void(HttpResponse)>> pending_;
};

struct State {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<EventLoopScheduler> scheduler;
  std::unique_ptr<JsHttpExecutor> http;
  std::unique_ptr<Client> client;

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

val RecommendationValue(const Recommendation& rec) {
  val item = val::object();
  item.set("productId", rec.product_id);
  item.set("title", rec.title);
  item.set("price", rec.price);
  item.set("currency", rec.currency);
  item.set("imageUrl", rec.image_url);
  item.set("url", rec.url);
  item.set("category", rec.category);
  item.set("brand", rec.brand);
  item.set("score", rec.score);
  return item;
}

val MessageValue(const InAppMessageView& m) {
  val out = val::object();
  out.set("messageId", m.message_id);
  out.set("layout", m.layout);
  out.set("title", m.title);
  out.set("body", m.body);
  out.set("imageUrl", m.image_url);
  out.set("ctaLabel", m.cta_label);
  out.set("ctaUrl", m.cta_url);
  out.set("priority", m.priority);
  val products = val::array();
  for (const Recommendation& rec : m.products)
    products.call<void>("push", RecommendationValue(rec));
  out.set("products", products);
  return out;
}

val NotOpen() { return Result(Status(StatusCode::kShutdown, "open() first")); }

// open({serverUrl, writeKey, dataDir?, http?, compress?, sessionTimeoutMs?, flushIntervalMs?,
//       appVersion?, randomSeed?})
val Open(val options) {
  if (!Reader::IsObject(options)) return Error("options must be an object");
  Options o;
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
  const val http = options["http"];
  if (r.ok() && !http.isUndefined() && !http.isNull() &&
      http.typeOf().as<std::string>() != "function") {
    return Error("options.http must be a function");
  }
  if (!r.ok()) return Error(r.error());

  State& s = GetState();
  s.Close();
  s.clock = NewSystemClock();
  s.scheduler = std::make_unique<EventLoopScheduler>(*s.clock);
  s.http = std::make_unique<JsHttpExecutor>(
      http.isUndefined() || http.isNull() ? val::module_property("fetchHttp") : http);
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
  // Due messages go to Module.onMessage when the host set one; else they wait for messages().
  if (!val::module_property("onMessage").isUndefined()) {
    s.client->SetMessageListener([](const InAppMessageView& m) {
      (void)val::module_property("vitrineCallSafely")(val::module_property("onMessage"),
                                                      MessageValue(m));
    });
  }
  return Result(Status::Ok());
}

val Close() {
  GetState().Close();
  return Result(Status::Ok());
}

// track({type, products?, order?, query?, listId?, listName?, pageUrl?, referrer?, messageId?,
//        placement?, promotionId?, checkoutStep?, traits?, properties?})
val Track(val event) {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  if (!Reader::IsObject(event)) return Error("event must be an object");
  EventSpec spec;
  Reader r(event, "event.");
  r.String("type", &spec.type);
  ReadProducts(r, "products", &spec.products);
  r.Object("order", [&spec](Reader& o) {
    Order order;
    o.String("orderId", &order.order_id);
    o.Number("value", &order.value);
    o.String("currency", &order.currency);
    o.Number("tax", &order.tax);
    o.Number("shipping", &order.shipping);
    o.String("coupon", &order.coupon);
    ReadProducts(o, "products", &order.products);
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
  return Result(client->Track(spec));
}

val Identify(val user_id, val traits) {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  if (!user_id.isString()) return Error("userId must be a string");
  val wrapper = val::object();
  wrapper.set("traits", traits);
  std::map<std::string, std::string> t;
  Reader r(wrapper, "");
  r.StringMap("traits", &t);
  if (!r.ok()) return Error(r.error());
  return Result(client->Identify(user_id.as<std::string>(), t));
}

val SetConsent(val granted) {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  if (granted.typeOf().as<std::string>() != "boolean") return Error("granted must be a boolean");
  return Result(client->SetConsent(granted.as<bool>()));
}

// recommend(placement, {productId?, category?}?, n) -> {ok, items: [{productId, title, ...}]}
val Recommend(val placement, val context, val n) {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  if (!placement.isString()) return Error("placement must be a string");
  RecommendContext ctx;
  if (!context.isUndefined() && !context.isNull()) {
    if (!Reader::IsObject(context)) return Error("context must be an object");
    Reader r(context, "context.");
    r.String("productId", &ctx.product_id);
    r.String("category", &ctx.category);
    if (!r.ok()) return Error(r.error());
  }
  if (!n.isNumber()) return Error("n must be a number");
  const double count = n.as<double>();
  if (!std::isfinite(count) || count < 0 || std::trunc(count) != count) {
    return Error("n must be a non-negative integer");
  }
  // Above 100 the core answers invalid_argument; clamp to keep the cast defined.
  auto recs = client->Recommend(placement.as<std::string>(), ctx,
                                static_cast<size_t>(std::min(count, 1e6)));
  if (!recs.ok()) return Result(recs.status());
  val items = val::array();
  for (const Recommendation& rec : *recs) items.call<void>("push", RecommendationValue(rec));
  val out = Result(Status::Ok());
  out.set("items", items);
  return out;
}

// flush(): schedules a send of everything queued.
val Flush() {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  return Result(client->Flush());
}

// flushNow() for pagehide: as flush(), and the tasks that are due run before this returns, so
// the request is already handed to the HTTP hook (fetch with keepalive) when it does.
val FlushNow() {
  State& s = GetState();
  if (!s.client) return NotOpen();
  const Status st = s.client->Flush();
  if (st.ok()) s.scheduler->RunDueNow();
  return Result(st);
}

val HttpDone(val id, val response) {
  State& s = GetState();
  if (s.http && id.isNumber()) s.http->Complete(id.as<uint32_t>(), response);
  return val::undefined();
}

// messages() -> [{messageId, layout, title, body, imageUrl, ctaLabel, ctaUrl, priority,
// products}]: the due messages not yet handed to onMessage (each is returned once).
val Messages() {
  Client* client = GetState().client.get();
  if (!client) return val::array();
  val out = val::array();
  for (const InAppMessageView& m : client->PendingMessages()) {
    out.call<void>("push", MessageValue(m));
  }
  return out;
}

// messageEvent(kind, messageId): kind is "viewed", "clicked" or "dismissed".
val MessageEvent(val kind, val message_id) {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  if (!kind.isString()) return Error("kind must be a string");
  if (!message_id.isString()) return Error("messageId must be a string");
  const std::string k = kind.as<std::string>();
  const std::string id = message_id.as<std::string>();
  if (k == "viewed") return Result(client->MessageViewed(id));
  if (k == "clicked") return Result(client->MessageClicked(id));
  if (k == "dismissed") return Result(client->MessageDismissed(id));
  return Error("kind must be viewed, clicked or dismissed");
}

// storageImport(dataDir, [[key, Uint8Array], ...]) before open(): loads a mirror (see
// wasm/src/memory_storage.h). Returns {ok, skipped}.
val StorageImport(val data_dir, val entries) {
  if (!data_dir.isString()) return Error("dataDir must be a string");
  if (!entries.isArray()) return Error("entries must be an array");
  std::vector<std::pair<std::string, std::string>> in;
  const unsigned n = entries["length"].as<unsigned>();
  in.reserve(n);
  for (unsigned i = 0; i < n; ++i) {
    const val e = entries[i];
    if (!e.isArray() || !e[0].isString() || !e[1].instanceof (val::global("Uint8Array"))) {
      return Error("entries[" + std::to_string(i) + "] must be [string, Uint8Array]");
    }
    std::string value(e[1]["length"].as<size_t>(), '\0');
    val(emscripten::typed_memory_view(value.size(), reinterpret_cast<uint8_t*>(value.data())))
        .call<void>("set", e[1]);
    in.emplace_back(e[0].as<std::string>(), std::move(value));
  }
  auto skipped = internal::ImportMirror(data_dir.as<std::string>(), in);
  if (!skipped.ok()) return Result(skipped.status());
  val out = Result(Status::Ok());
  out.set("skipped", static_cast<double>(*skipped));
  return out;
}

// storageChanges(dataDir) -> [[key, Uint8Array | null], ...]: the mirror writes since last call.
val StorageChanges(val data_dir) {
  val out = val::array();
  if (!data_dir.isString()) return out;
  for (const internal::MirrorChange& c : internal::TakeMirrorChanges(data_dir.as<std::string>())) {
    val pair = val::array();
    pair.call<void>("push", c.key);
    if (c.value) {
      pair.call<void>("push",
                      val(emscripten::typed_memory_view(
                              c.value->size(), reinterpret_cast<const uint8_t*>(c.value->data())))
                          .call<val>("slice"));
    } else {
      pair.call<void>("push", val::null());
    }
    out.call<void>("push", pair);
  }
  return out;
}

val Stats() {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  const ClientStats st = client->Stats();
  val out = Result(Status::Ok());
  out.set("tracked", static_cast<double>(st.tracked));
  out.set("queued", static_cast<double>(st.queued));
  out.set("acked", static_cast<double>(st.acked));
  out.set("evicted", static_cast<double>(st.evicted));
  out.set("rejected", static_cast<double>(st.rejected));
  out.set("sendAttempts", static_cast<double>(st.send_attempts));
  out.set("sendFailures", static_cast<double>(st.send_failures));
  out.set("lastError", st.last_error);
  out.set("anonymousId", st.anonymous_id);
  out.set("userId", st.user_id);
  out.set("sessionId", st.session_id);
  out.set("snapshotEtag", st.snapshot_etag);
  return out;
}

}  // namespace
}  // namespace vitrine::wasm

EMSCRIPTEN_BINDINGS(vitrine) {
  emscripten::function("open", &vitrine::wasm::Open);
  emscripten::function("close", &vitrine::wasm::Close);
  emscripten::function("track", &vitrine::wasm::Track);
  emscripten::function("identify", &vitrine::wasm::Identify);
  emscripten::function("setConsent", &vitrine::wasm::SetConsent);
  emscripten::function("recommend", &vitrine::wasm::Recommend);
  emscripten::function("flush", &vitrine::wasm::Flush);
  emscripten::function("flushNow", &vitrine::wasm::FlushNow);
  emscripten::function("stats", &vitrine::wasm::Stats);
  emscripten::function("messages", &vitrine::wasm::Messages);
  emscripten::function("messageEvent", &vitrine::wasm::MessageEvent);
  emscripten::function("httpDone", &vitrine::wasm::HttpDone);
  emscripten::function("storageImport", &vitrine::wasm::StorageImport);
  emscripten::function("storageChanges", &vitrine::wasm::StorageChanges);
}
