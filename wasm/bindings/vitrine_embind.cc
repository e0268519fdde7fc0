// JavaScript bindings of the SDK core (embind). Plain values only: every function takes and
// returns JS numbers, strings, arrays and plain objects, so nothing handed to JS ever needs
// delete(). The export list is exactly the functions in EMSCRIPTEN_BINDINGS below.
//
// One Client per module instance (a page has one shopper). Errors never throw into JS: every
// call returns {ok: true, ...} or {ok: false, code: "invalid_argument", error: "..."}; a value of
// the wrong JS type is reported the same way and leaves the client untouched.
//
// Background work (persist, send, snapshot refresh, message timers) runs as setTimeout tasks on
// the JS event loop. HTTP goes through a JS function given to open() as `http`:
//   http({method, url, headers, body: Uint8Array, timeoutMs}) ->
//        {status, headers, body: Uint8Array | string, error?}
// It is called synchronously from those tasks (a fetch()-based executor is a later slice); if it
// throws, the request counts as a transport failure and the events stay queued.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "vitrine/client.h"
#include "vitrine/platform.h"
#include "vitrine/status.h"

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

// Synchronous HTTP through the JS function given to open(). The call goes through
// Module.vitrineCallSafely (post.js), so a JS exception becomes an error value here instead of
// unwinding through C++ frames.
class JsHttpExecutor final : public HttpExecutor {
 public:
  explicit JsHttpExecutor(val fn) : fn_(std::move(fn)) {}

  HttpResponse Execute(const HttpRequest& request) override {
    HttpResponse response;
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

    const val outcome = val::module_property("vitrineCallSafely")(fn_, req);
    if (!outcome["ok"].as<bool>()) {
      response.transport_error = "http hook threw: " + outcome["error"].as<std::string>();
      return response;
    }
    const val res = outcome["value"];
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
    response.status = std::isfinite(status) ? static_cast<int>(status) : 0;
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

 private:
  val fn_;
};

struct State {
  std::unique_ptr<Clock> clock;
  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<HttpExecutor> http;
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
  s.scheduler = NewThreadScheduler(*s.clock);  // the event-loop scheduler in this build
  s.http = http.isUndefined() || http.isNull() ? NewDefaultHttpExecutor()
                                               : std::make_unique<JsHttpExecutor>(http);
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
  for (const Recommendation& rec : *recs) {
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
    items.call<void>("push", item);
  }
  val out = Result(Status::Ok());
  out.set("items", items);
  return out;
}

val Flush() {
  Client* client = GetState().client.get();
  if (!client) return NotOpen();
  return Result(client->Flush());
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
  emscripten::function("stats", &vitrine::wasm::Stats);
}
