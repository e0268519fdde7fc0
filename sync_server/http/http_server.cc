#include "sync_server/http/http_server.h"

#include <cpprest/http_listener.h>
#include <cpprest/json.h>
#include <openssl/crypto.h>
#include <pplx/threadpool.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "sync_server/batch_codec.h"
#include "sync_server/common/json_text.h"
#include "sync_server/http/cors.h"

namespace vitrine::server {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::methods;
using web::http::status_code;
using web::http::status_codes;

constexpr const char* kProtobuf = "application/x-protobuf";
constexpr const char* kJson = "application/json";

// Per-request bookkeeping for the access log and metrics.
struct RequestContext {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string method;
  std::string route;
  int events = 0;
  // The body of a non-batch request with one, read before routing (see Handle).
  std::optional<std::string> body;
  // Access-Control-Allow-Origin for this reply; empty: not a cross-origin read we allow.
  std::string cors_allow_origin;
};

std::string Header(const http_request& req, const char* name) {
  std::string value;
  req.headers().match(name, value);
  return value;
}

// "application/json; charset=utf-8" -> "application/json"
std::string MediaType(std::string value) {
  const auto semi = value.find(';');
  if (semi != std::string::npos) value.resize(semi);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  while (!value.empty() && value.front() == ' ') value.erase(value.begin());
  for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return value;
}

bool KeyEquals(const std::string& given, const std::string& expected) {
  return !expected.empty() && given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

status_code ToHttp(const Status& s) {
  switch (s.kind()) {
    case Status::Kind::kOk:
      return status_codes::OK;
    case Status::Kind::kInvalid:
      return status_codes::BadRequest;
    case Status::Kind::kUnauthorized:
      return status_codes::Unauthorized;
    case Status::Kind::kForbidden:
      return status_codes::Forbidden;
    case Status::Kind::kNotFound:
      return status_codes::NotFound;
    case Status::Kind::kTooLarge:
      return status_codes::RequestEntityTooLarge;
    case Status::Kind::kUnsupportedMedia:
      return status_codes::UnsupportedMediaType;
    case Status::Kind::kUnavailable:
      return status_codes::ServiceUnavailable;
    case Status::Kind::kInternal:
      return status_codes::InternalError;
  }
  return status_codes::InternalError;
}

std::string Hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::map<std::string, std::string> Query(const http_request& req) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : web::uri::split_query(req.request_uri().query())) {
    out[web::uri::decode(k)] = web::uri::decode(v);
  }
  return out;
}

std::string ContentTypeFor(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html" || ext == ".htm") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  return "application/octet-stream";
}

}  // namespace

struct HttpServer::Impl {
  explicit Impl(App* a) : app(a) {}

  App* app;
  CorsPolicy cors;  // set by Start from config().allowed_origins
  std::unique_ptr<web::http::experimental::listener::http_listener> listener;

  // ---- replies -------------------------------------------------------------------------------

  void Send(http_request& req, RequestContext& ctx, http_response resp) {
    const int code = resp.status_code();
    if (!ctx.cors_allow_origin.empty()) {
      resp.headers().add("Access-Control-Allow-Origin", ctx.cors_allow_origin);
      resp.headers().add("Access-Control-Expose-Headers", CorsPolicy::kExposeHeaders);
      if (ctx.cors_allow_origin != "*") resp.headers().add("Vary", "Origin");
    }
    app->metrics().CountRequest(ctx.route, code);
    if (app->config().access_log) {
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ctx.start)
              .count();
      char line[512];
      const int n = std::snprintf(line, sizeof line,
                                  "{\"ts_ms\":%lld,\"method\":\"%s\",\"route\":\"%s\",\"status\":%"
                                  "d,\"ms\":%.3f,\"events\":%d}\n",
                                  static_cast<long long>(App::SystemClockMs()),
                                  JsonEscape(ctx.method).c_str(), JsonEscape(ctx.route).c_str(),
                                  code, ms, ctx.events);
      if (n > 0) std::fwrite(line, 1, std::min(static_cast<size_t>(n), sizeof line - 1), stderr);
    }
    // A client that went away makes reply() fail: observe it so pplx never aborts on it.
    req.reply(resp).then([](pplx::task<void> t) {
      try {
        t.get();
      } catch (...) {
      }
    });
  }

  void SendBody(http_request& req, RequestContext& ctx, status_code code, std::string body,
                const std::string& content_type) {
    http_response resp(code);
    resp.set_body(std::move(body), content_type);
    Send(req, ctx, std::move(resp));
  }

  void SendError(http_request& req, RequestContext& ctx, const Status& s, bool json) {
    v1::Error error;
    error.set_code(s.code());
    error.set_message(s.message());
    error.set_event_index(s.event_index());
    if (json) {
      SendBody(req, ctx, ToHttp(s), ToJson(error), kJson);
    } else {
      SendBody(req, ctx, ToHttp(s), error.SerializeAsString(), kProtobuf);
    }
  }

  // JSON unless the client asked for protobuf (or the default is protobuf and it did not ask for
  // JSON).
  static bool WantsJson(const http_request& req, bool default_json) {
    const std::string accept = Header(req, "Accept");
    if (accept.find(kProtobuf) != std::string::npos) return false;
    if (accept.find(kJson) != std::string::npos) return true;
    return default_json;
  }

  // ---- auth ----------------------------------------------------------------------------------

  enum class Scope { kWrite, kAdmin };

  Status Authorize(const http_request& req, Scope scope) {
    const std::string auth = Header(req, "Authorization");
    if (auth.empty()) {
      return Status(Status::Kind::kUnauthorized, "unauthorized",
                    "missing Authorization: Bearer <key>");
    }
    if (!auth.starts_with("Bearer ")) {
      return Status(Status::Kind::kUnauthorized, "unauthorized",
                    "Authorization must be 'Bearer <key>'");
    }
    const std::string key = auth.substr(7);
    const auto& c = app->config();
    if (KeyEquals(key, c.admin_key)) return Status::Ok();
    if (KeyEquals(key, c.write_key)) {
      if (scope == Scope::kWrite) return Status::Ok();
      return Status(Status::Kind::kForbidden, "forbidden",
                    "a write key cannot use admin endpoints");
    }
    return Status(Status::Kind::kUnauthorized, "unauthorized", "unknown key");
  }

  // ---- routing -------------------------------------------------------------------------------

  void Handle(http_request req) {
    RequestContext ctx;
    ctx.method = req.method();
    std::string path = req.relative_uri().path();
    ctx.route = path;
    if (!ApplyCors(req, ctx, path)) return;
    // Handlers of JSON bodies (identify, admin) get theirs read first, in a continuation: waiting
    // for it with .get() would hold a pool thread while the read itself needs one, which deadlocks
    // a small pool. /v1/batch reads its own body asynchronously; oversized bodies are refused by
    // the handler from Content-Length without being read.
    const bool has_body =
        ctx.method == methods::POST || ctx.method == methods::PUT || ctx.method == methods::PATCH;
    if (has_body && path != "/v1/batch" &&
        req.headers().content_length() <= app->config().limits.max_body_bytes) {
      req.extract_vector().then([this, req, ctx = std::move(ctx), path = std::move(path)](
                                    pplx::task<std::vector<unsigned char>> task) mutable {
        try {
          std::vector<unsigned char> body = task.get();
          ctx.body.emplace(body.begin(), body.end());
        } catch (...) {
          ctx.body.emplace();  // a broken upload reads as an empty (invalid) body
        }
        RouteGuarded(req, ctx, path);
      });
      return;
    }
    RouteGuarded(req, ctx, path);
  }

  // Cross-origin reads by a storefront's browser (see cors.h). Answers preflights itself and
  // refuses the device API to an origin that is not allowed; false when it has replied.
  bool ApplyCors(http_request& req, RequestContext& ctx, const std::string& path) {
    const std::string origin = Header(req, "Origin");
    const bool browser_facing = IsBrowserFacingRoute(path);
    const bool allowed = browser_facing && cors.Allows(origin, Header(req, "Host"));
    if (allowed) ctx.cors_allow_origin = cors.AllowOriginValue(origin);
    if (ctx.method == methods::OPTIONS) {
      if (!allowed) {
        ctx.route = browser_facing ? "preflight" : "unknown";
        SendError(
            req, ctx,
            Status(Status::Kind::kForbidden, "origin_not_allowed",
                   browser_facing ? "origin '" + origin + "' is not in the server's allowed-origins"
                                  : "no cross-origin access to " + path),
            true);
        return false;
      }
      ctx.route = "preflight";
      http_response resp(status_codes::NoContent);
      resp.headers().add("Access-Control-Allow-Methods", CorsPolicy::kAllowMethods);
      resp.headers().add("Access-Control-Allow-Headers", CorsPolicy::kAllowHeaders);
      resp.headers().add("Access-Control-Max-Age", CorsPolicy::kMaxAgeSeconds);
      Send(req, ctx, std::move(resp));
      return false;
    }
    // A page on another origin can still send simple requests (a form post, a beacon): the
    // device API refuses them outright rather than only hiding the answer.
    if (!origin.empty() && !allowed && path.starts_with("/v1/") && browser_facing) {
      SendError(req, ctx,
                Status(Status::Kind::kForbidden, "origin_not_allowed",
                       "origin '" + origin + "' is not in the server's allowed-origins"),
                true);
      return false;
    }
    return true;
  }

  void RouteGuarded(http_request& req, RequestContext& ctx, const std::string& path) {
    try {
      Route(req, ctx, path);
    } catch (const std::exception& e) {
      SendError(req, ctx, Status(Status::Kind::kInternal, "internal", e.what()), true);
    } catch (...) {
      SendError(req, ctx, Status(Status::Kind::kInternal, "internal", "unexpected error"), true);
    }
  }

  void MethodNotAllowed(http_request& req, RequestContext& ctx, const char* allow) {
    http_response resp(status_codes::MethodNotAllowed);
    resp.headers().add("Allow", allow);
    v1::Error error;
    error.set_code("method_not_allowed");
    error.set_message(ctx.method + " is not allowed on " + ctx.route + " (allowed: " + allow + ")");
    error.set_event_index(-1);
    resp.set_body(ToJson(error), kJson);
    Send(req, ctx, std::move(resp));
  }

  void Route(http_request& req, RequestContext& ctx, const std::string& path) {
    const std::string& m = ctx.method;
    if (path == "/healthz") {
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
      return Healthz(req, ctx);
    }
    if (path == "/metrics") {
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
      return SendBody(req, ctx, status_codes::OK, app->metrics().Render(),
                      "text/plain; version=0.0.4");
    }
    if (path == "/v1/batch") {
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "POST");
      return Batch(req, ctx);
    }
    if (path == "/v1/snapshot") {
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
      return Snapshot(req, ctx);
    }
    if (path == "/v1/identify") {
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "POST");
      return Identify(req, ctx);
    }
#ifdef VITRINE_HAVE_CAMPAIGNS
    // ---- campaigns: email tracking routes (no key; see Tracking below) ----
    if (path.starts_with("/t/")) return Tracking(req, ctx, path);
#endif
    for (const auto& module : app->route_modules()) {
      if (path.starts_with(module->prefix())) return Module(req, ctx, *module, path);
    }
    if (path.starts_with("/v1/admin/")) return Admin(req, ctx, path);
    if (!app->config().static_dir.empty() && m == methods::GET && !path.starts_with("/v1/")) {
      return Static(req, ctx, path);
    }
    ctx.route = "unknown";
    SendError(req, ctx, Status(Status::Kind::kNotFound, "not_found", "no route " + path), true);
  }

  // ---- handlers ------------------------------------------------------------------------------

#ifdef VITRINE_HAVE_CAMPAIGNS
  // ---- campaigns: email tracking handlers (begin) ----
  // No key: these URLs are in emails. TrackingService verifies the signed token; this only maps
  // its answers onto HTTP. GET /t/o/{token}: the open pixel (always the GIF, so a forged token
  // learns nothing). GET /t/c/{token}: 302 to the URL signed into the token, else 400 (no open
  // redirect). /t/u/{token}: GET shows a confirmation page and changes nothing (RFC 8058: link
  // scanners fetch everything); POST unsubscribes.
  void Tracking(http_request& req, RequestContext& ctx, const std::string& path) {
    const std::string& m = ctx.method;
    const std::string prefix = path.substr(0, std::min<size_t>(path.size(), 5));
    const std::string token = path.size() > 5 ? path.substr(5) : std::string();
    const std::string user_agent = Header(req, "User-Agent");
    const std::string ip = req.remote_address();
    ctx.route = prefix.size() == 5 ? prefix.substr(0, 4) : path;  // no tokens in metric labels
    auto html = [&](status_code code, const std::string& body) {
      http_response resp(code);
      resp.headers().add("Cache-Control", "no-store");
      resp.set_body(body, "text/html; charset=utf-8");
      Send(req, ctx, std::move(resp));
    };
    const std::string invalid_page =
        "<!doctype html><meta charset=\"utf-8\"><title>Link not valid</title>"
        "<p>This link is not valid or has expired.</p>";
    if (prefix == "/t/o/") {
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
      (void)app->tracking().Open(token, user_agent, ip);
      const std::string& gif = campaigns::TrackingService::PixelGif();
      http_response resp(status_codes::OK);
      resp.headers().add("Cache-Control", "no-store, private");
      resp.set_body(std::vector<unsigned char>(gif.begin(), gif.end()));
      resp.headers().set_content_type("image/gif");
      return Send(req, ctx, std::move(resp));
    }
    if (prefix == "/t/c/") {
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
      auto url = app->tracking().Click(token, user_agent, ip);
      if (!url.ok()) return html(status_codes::BadRequest, invalid_page);
      http_response resp(status_codes::Found);
      resp.headers().add("Location", *url);
      resp.headers().add("Cache-Control", "no-store");
      return Send(req, ctx, std::move(resp));
    }
    if (prefix == "/t/u/") {
      if (m == methods::GET) {
        auto page = app->tracking().UnsubscribePage(token, path);
        if (!page.ok()) return html(status_codes::BadRequest, invalid_page);
        return html(status_codes::OK, *page);
      }
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "GET, POST");
      Status s = app->tracking().Unsubscribe(token);
      if (s.kind() == Status::Kind::kInvalid) return html(status_codes::BadRequest, invalid_page);
      if (!s.ok()) return html(status_codes::ServiceUnavailable, "<p>Please try again.</p>");
      return html(status_codes::OK,
                  "<!doctype html><meta charset=\"utf-8\"><title>Unsubscribed</title>"
                  "<p>You are unsubscribed and will not get these emails again.</p>");
    }
    SendError(req, ctx, Status(Status::Kind::kNotFound, "not_found", "no route " + path), true);
  }
  // ---- campaigns: email tracking handlers (end) ----

  // ---- campaigns: admin handlers (begin) ----
  // POST /v1/admin/campaigns creates (and sends now or at send_at_ms), GET lists;
  // GET /v1/admin/campaigns/{id} is the campaign with its funnel + uplift report (JSON, or the
  // text charts with ?format=text); PUT /v1/admin/audiences/{id} saves a segment's members.
  void AdminCampaigns(http_request& req, RequestContext& ctx, const std::string& sub) {
    const std::string& m = ctx.method;
    ctx.route = sub == "campaigns"              ? "/v1/admin/campaigns"
                : sub.starts_with("campaigns/") ? "/v1/admin/campaigns/{id}"
                                                : "/v1/admin/audiences/{id}";
    Status auth = Authorize(req, Scope::kAdmin);
    if (!auth.ok()) return SendError(req, ctx, auth, true);
    auto& service = app->campaigns();
    if (sub == "campaigns") {
      if (m == methods::GET) {
        auto list = service.List();
        if (!list.ok()) return SendError(req, ctx, list.status(), true);
        std::string out = "{\"campaigns\":[";
        for (size_t i = 0; i < list->size(); ++i) {
          if (i) out += ",";
          out += campaigns::CampaignInfoJson((*list)[i]);
        }
        out += "]}";
        return SendBody(req, ctx, status_codes::OK, std::move(out), kJson);
      }
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "GET, POST");
      auto body = JsonBody(req, ctx);
      if (!body) return;
      auto request = campaigns::ParseCampaignRequest(*body);
      if (!request.ok()) return SendError(req, ctx, request.status(), true);
      auto info = service.Create(*request);
      if (!info.ok()) return SendError(req, ctx, info.status(), true);
      http_response resp(status_codes::Created);
      resp.headers().add("Location", "/v1/admin/campaigns/" + info->id);
      resp.set_body(campaigns::CampaignInfoJson(*info), kJson);
      return Send(req, ctx, std::move(resp));
    }
    const size_t slash = sub.find('/');
    const std::string id = web::uri::decode(sub.substr(slash + 1));
    if (sub.starts_with("audiences/")) {
      if (m != methods::PUT) return MethodNotAllowed(req, ctx, "PUT");
      auto body = JsonBody(req, ctx);
      if (!body) return;
      auto members = campaigns::ParseAudienceMembers(*body);
      if (!members.ok()) return SendError(req, ctx, members.status(), true);
      Status s = service.SaveAudience(id, *members);
      if (!s.ok()) return SendError(req, ctx, s, true);
      return SendBody(
          req, ctx, status_codes::OK,
          "{\"id\":" + JsonString(id) + ",\"members\":" + std::to_string(members->size()) + "}",
          kJson);
    }
    if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
    auto q = Query(req);
    const bool text = q["format"] == "text";
    auto info = service.Get(id);
    if (!info.ok()) return SendError(req, ctx, info.status(), true);
    auto report = service.Report(id, !text);
    if (!report.ok()) return SendError(req, ctx, report.status(), true);
    if (text) {
      return SendBody(req, ctx, status_codes::OK, std::move(*report), "text/plain; charset=utf-8");
    }
    return SendBody(
        req, ctx, status_codes::OK,
        "{\"campaign\":" + campaigns::CampaignInfoJson(*info) + ",\"report\":" + *report + "}",
        kJson);
  }
  // ---- campaigns: admin handlers (end) ----
#endif

  void Healthz(http_request& req, RequestContext& ctx) {
    Status s = app->store().Ping();
    if (s.ok()) return SendBody(req, ctx, status_codes::OK, "ok\n", "text/plain");
    SendBody(req, ctx, status_codes::ServiceUnavailable, "db: " + s.message() + "\n", "text/plain");
  }

  void Batch(http_request& req, RequestContext& ctx) {
    const std::string type = MediaType(Header(req, "Content-Type"));
    const bool json_body = type == kJson;
    const bool reply_json = WantsJson(req, json_body);
    const auto reject = [this, &req, &ctx, reply_json](const Status& s) {
      app->metrics().CountRejectedBatch(static_cast<size_t>(ctx.events));
      SendError(req, ctx, s, reply_json);
    };
    Status auth = Authorize(req, Scope::kWrite);
    if (!auth.ok()) return reject(auth);
    if (!json_body && type != kProtobuf && type != "application/protobuf") {
      return reject(Status(
          Status::Kind::kUnsupportedMedia, "unsupported_media_type",
          "Content-Type must be application/x-protobuf or application/json, got '" + type + "'"));
    }
    const std::string encoding = MediaType(Header(req, "Content-Encoding"));
    const bool compressed = encoding == "gzip" || encoding == "deflate";
    if (!compressed && !encoding.empty() && encoding != "identity") {
      return reject(Status(Status::Kind::kUnsupportedMedia, "unsupported_encoding",
                           "Content-Encoding must be gzip or absent, got '" + encoding + "'"));
    }
    const IngestLimits limits = app->config().limits;
    if (req.headers().content_length() > limits.max_body_bytes) {
      return reject(Status(Status::Kind::kTooLarge, "body_too_large",
                           "body exceeds " + std::to_string(limits.max_body_bytes) + " bytes"));
    }
    const auto received = ctx.start;
    req.extract_vector().then([this, req, ctx, compressed, json_body, reply_json, limits,
                               received](pplx::task<std::vector<unsigned char>> task) mutable {
      const auto reject_async = [&](const Status& s) {
        app->metrics().CountRejectedBatch(static_cast<size_t>(ctx.events));
        SendError(req, ctx, s, reply_json);
      };
      try {
        std::vector<unsigned char> body;
        try {
          body = task.get();
        } catch (const std::exception& e) {
          return reject_async(Status(Status::Kind::kInvalid, "bad_body",
                                     std::string("cannot read body: ") + e.what()));
        }
        if (body.size() > limits.max_body_bytes) {
          return reject_async(
              Status(Status::Kind::kTooLarge, "body_too_large",
                     "body exceeds " + std::to_string(limits.max_body_bytes) + " bytes"));
        }
        std::string_view bytes(reinterpret_cast<const char*>(body.data()), body.size());
        std::string inflated;
        if (compressed) {
          auto out = Inflate(bytes, limits.max_inflated_bytes);
          if (!out.ok()) return reject_async(out.status());
          inflated = std::move(*out);
          bytes = inflated;
        }
        auto batch =
            DecodeBatch(bytes, json_body ? BodyFormat::kJson : BodyFormat::kProtobuf, limits);
        if (!batch.ok()) return reject_async(batch.status());
        ctx.events = batch->events_size();
        // Cut each event's bytes from the body here, on the pool, rather than have the single
        // writer thread serialize them again.
        std::vector<std::string> payloads;
        if (!json_body) payloads = SplitEventPayloads(bytes);
        // The callback runs on the ingest writer thread: hand the answer to the pool at once
        // so the writer can start the next group commit.
        app->ingest().Submit(
            std::move(*batch), std::move(payloads),
            [this, req, ctx, reply_json, received](StatusOr<IngestResult> r) mutable {
              // pplx wants a const-callable task: carry the mutable parts in a shared state.
              auto state = std::make_shared<
                  std::tuple<http_request, RequestContext, StatusOr<IngestResult>>>(req, ctx,
                                                                                    std::move(r));
              pplx::create_task([this, state, reply_json, received] {
                AnswerBatch(std::get<0>(*state), std::get<1>(*state), reply_json, received,
                            std::move(std::get<2>(*state)));
              });
            });
      } catch (const std::exception& e) {
        SendError(req, ctx, Status(Status::Kind::kInternal, "internal", e.what()), reply_json);
      }
    });
  }

  void AnswerBatch(http_request& req, RequestContext& ctx, bool reply_json,
                   std::chrono::steady_clock::time_point received, StatusOr<IngestResult> result) {
    try {
      if (!result.ok()) return SendError(req, ctx, result.status(), reply_json);
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - received)
              .count();
      app->metrics().ObserveIngest(ms, result->stored, result->duplicates);
      v1::BatchAck ack;
      ack.mutable_acked_event_ids()->Reserve(static_cast<int>(result->acked_event_ids.size()));
      for (auto& id : result->acked_event_ids) ack.add_acked_event_ids(std::move(id));
      ack.set_server_time_ms(App::SystemClockMs());
      ack.set_stored(result->stored);
      ack.set_duplicates(result->duplicates);
      if (reply_json) {
        SendBody(req, ctx, status_codes::OK, ToJson(ack), kJson);
      } else {
        SendBody(req, ctx, status_codes::OK, ack.SerializeAsString(), kProtobuf);
      }
    } catch (const std::exception& e) {
      SendError(req, ctx, Status(Status::Kind::kInternal, "internal", e.what()), reply_json);
    }
  }

  void Snapshot(http_request& req, RequestContext& ctx) {
    const bool json = WantsJson(req, false);
    Status auth = Authorize(req, Scope::kWrite);
    if (!auth.ok()) return SendError(req, ctx, auth, json);
    auto q = Query(req);
    auto result = app->snapshots().Build(q["anonymous_id"], q["user_id"]);
    if (!result.ok()) return SendError(req, ctx, result.status(), json);
    const std::string if_none_match = Header(req, "If-None-Match");
    bool not_modified = false;
    if (!if_none_match.empty()) {
      std::stringstream tags(if_none_match);
      std::string tag;
      while (std::getline(tags, tag, ',')) {
        while (!tag.empty() && tag.front() == ' ') tag.erase(tag.begin());
        while (!tag.empty() && tag.back() == ' ') tag.pop_back();
        if (tag == "*" || tag == result->etag) not_modified = true;
      }
    }
    app->metrics().CountSnapshot(not_modified);
    http_response resp(not_modified ? status_codes::NotModified : status_codes::OK);
    resp.headers().add("ETag", result->etag);
    resp.headers().add("Cache-Control", "private, no-cache");
    if (!not_modified) {
      if (json) {
        resp.set_body(ToJson(result->snapshot), kJson);
      } else {
        resp.set_body(result->snapshot.SerializeAsString(), kProtobuf);
      }
    }
    Send(req, ctx, std::move(resp));
  }

  // Reads a JSON body (admin and identify); replies 400 and returns nullopt when it is not JSON.
  std::optional<std::string> JsonBody(http_request& req, RequestContext& ctx) {
    if (req.headers().content_length() > app->config().limits.max_body_bytes) {
      SendError(req, ctx, Status(Status::Kind::kTooLarge, "body_too_large", "body too large"),
                true);
      return std::nullopt;
    }
    if (ctx.body) return std::move(*ctx.body);
    // Not read up front (a method Handle does not expect a body with): read it here.
    std::vector<unsigned char> body = req.extract_vector().get();
    return std::string(body.begin(), body.end());
  }

  static std::string ProfileJson(const ProfileInfo& p) {
    web::json::value v = web::json::value::object();
    v["profile_id"] = web::json::value::string(std::to_string(p.profile_id));
    v["user_id"] = web::json::value::string(p.user_id);
    std::vector<web::json::value> anons;
    for (const auto& a : p.anonymous_ids) anons.push_back(web::json::value::string(a));
    v["anonymous_ids"] = web::json::value::array(anons);
    v["event_count"] = web::json::value::number(p.event_count);
    v["order_count"] = web::json::value::number(p.order_count);
    return v.serialize();
  }

  void Identify(http_request& req, RequestContext& ctx) {
    Status auth = Authorize(req, Scope::kWrite);
    if (!auth.ok()) return SendError(req, ctx, auth, true);
    auto body = JsonBody(req, ctx);
    if (!body) return;
    std::error_code ec;
    web::json::value v = web::json::value::parse(*body, ec);
    if (ec || !v.is_object()) {
      return SendError(
          req, ctx, Status(Status::Kind::kInvalid, "malformed_json", "body is not a JSON object"),
          true);
    }
    auto text = [&v](const char* key) {
      return v.has_string_field(key) ? v.at(key).as_string() : std::string();
    };
    const std::string anonymous_id = text("anonymous_id");
    const std::string user_id = text("user_id");
    if (anonymous_id.empty() || user_id.empty()) {
      return SendError(req, ctx,
                       Status(Status::Kind::kInvalid, "invalid_identify",
                              "anonymous_id and user_id are required strings"),
                       true);
    }
    std::map<std::string, std::string> traits;
    if (v.has_object_field("traits")) {
      for (const auto& [k, t] : v.at("traits").as_object()) {
        traits[k] = t.is_string() ? t.as_string() : t.serialize();
      }
    }
    auto profile = app->ingest().Identify(anonymous_id, user_id, traits);
    if (!profile.ok()) return SendError(req, ctx, profile.status(), true);
    auto info = app->admin().FindProfile(user_id, "");
    if (!info.ok()) return SendError(req, ctx, info.status(), true);
    SendBody(req, ctx, status_codes::OK, ProfileJson(*info), kJson);
  }

  void Admin(http_request& req, RequestContext& ctx, const std::string& path) {
    const std::string& m = ctx.method;
    const std::string sub = path.substr(std::string("/v1/admin/").size());
#ifdef VITRINE_HAVE_CAMPAIGNS
    // ---- campaigns: admin routes (begin) ----
    if (sub == "campaigns" || sub.starts_with("campaigns/") || sub.starts_with("audiences/")) {
      return AdminCampaigns(req, ctx, sub);
    }
    // ---- campaigns: admin routes (end) ----
#endif
    if (sub == "messages" || sub == "catalog" || sub == "stats" || sub == "profiles" ||
        sub == "events" || sub == "train") {
      ctx.route = path;
    } else if (sub.starts_with("messages/")) {
      ctx.route = "/v1/admin/messages/{id}";
    } else {
      ctx.route = "unknown";
      return SendError(req, ctx, Status(Status::Kind::kNotFound, "not_found", "no route " + path),
                       true);
    }
    Status auth = Authorize(req, Scope::kAdmin);
    if (!auth.ok()) return SendError(req, ctx, auth, true);

    if (sub == "messages") {
      if (m == methods::GET) {
        std::string out = "{\"messages\":[";
        bool first = true;
        for (const auto& msg : app->messages().List()) {
          if (!first) out += ",";
          first = false;
          out += ToJson(msg);
        }
        out += "]}";
        return SendBody(req, ctx, status_codes::OK, std::move(out), kJson);
      }
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "GET, POST");
      auto body = JsonBody(req, ctx);
      if (!body) return;
      auto message = DecodeInAppMessageJson(*body);
      if (!message.ok()) return SendError(req, ctx, message.status(), true);
      Status s = app->messages().Put(*message);
      if (!s.ok()) return SendError(req, ctx, s, true);
      return SendBody(req, ctx, status_codes::Created, ToJson(*message), kJson);
    }
    if (sub.starts_with("messages/")) {
      if (m != methods::DEL) return MethodNotAllowed(req, ctx, "DELETE");
      const std::string id = web::uri::decode(sub.substr(std::string("messages/").size()));
      Status s = app->messages().Delete(id);
      if (!s.ok()) return SendError(req, ctx, s, true);
      return Send(req, ctx, http_response(status_codes::NoContent));
    }
    if (sub == "catalog") {
      if (m != methods::POST) return MethodNotAllowed(req, ctx, "POST");
      auto body = JsonBody(req, ctx);
      if (!body) return;
      std::error_code ec;
      web::json::value v = web::json::value::parse(*body, ec);
      if (ec || !v.is_object() || !v.has_array_field("items")) {
        return SendError(req, ctx,
                         Status(Status::Kind::kInvalid, "malformed_json",
                                "body must be {\"items\":[CatalogItem...]}"),
                         true);
      }
      std::vector<v1::CatalogItem> items;
      for (const auto& item : v.at("items").as_array()) {
        auto decoded = DecodeCatalogItemJson(item.serialize());
        if (!decoded.ok()) {
          return SendError(
              req, ctx,
              Status(decoded.status().kind(), decoded.status().code(),
                     "items[" + std::to_string(items.size()) + "]: " + decoded.status().message()),
              true);
        }
        items.push_back(std::move(*decoded));
      }
      Status s = app->catalog().Upsert(items);
      if (!s.ok()) return SendError(req, ctx, s, true);
      return SendBody(req, ctx, status_codes::OK,
                      "{\"upserted\":" + std::to_string(items.size()) + "}", kJson);
    }
    if (sub == "train") {
      // POST starts a retrain in the background (202; 409 while one runs); GET reports progress.
      if (m == methods::POST) {
        if (!app->models().TrainAsync()) {
          return SendError(
              req, ctx,
              Status(Status::Kind::kInvalid, "training_running",
                     "a training is already running; GET /v1/admin/train for progress"),
              true);
        }
        return SendBody(req, ctx, status_codes::Accepted, "{\"started\":true}", kJson);
      }
      if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET, POST");
      const TrainingStatus t = app->models().status();
      web::json::value out = web::json::value::object();
      out[U("running")] = web::json::value::boolean(t.running);
      out[U("progress")] = web::json::value::number(t.progress);
      out[U("detail")] = web::json::value::string(t.detail);
      out[U("version")] = web::json::value::string(t.version);
      out[U("last_started_ms")] = web::json::value::number(t.last_started_ms);
      out[U("last_finished_ms")] = web::json::value::number(t.last_finished_ms);
      out[U("last_seconds")] = web::json::value::number(t.last_seconds);
      out[U("last_error")] = web::json::value::string(t.last_error);
      out[U("runs")] = web::json::value::number(t.runs);
      out[U("failures")] = web::json::value::number(t.failures);
      return SendBody(req, ctx, status_codes::OK, out.serialize(), kJson);
    }
    if (m != methods::GET) return MethodNotAllowed(req, ctx, "GET");
    auto q = Query(req);
    if (sub == "stats") {
      auto stats = app->admin().Stats();
      if (!stats.ok()) return SendError(req, ctx, stats.status(), true);
      std::ostringstream out;
      out << "{\"events\":" << stats->events << ",\"profiles\":" << stats->profiles
          << ",\"orders\":" << stats->orders << ",\"catalog_items\":" << stats->catalog_items
          << "}";
      return SendBody(req, ctx, status_codes::OK, out.str(), kJson);
    }
    if (sub == "profiles") {
      auto info = app->admin().FindProfile(q["user_id"], q["anonymous_id"]);
      if (!info.ok()) return SendError(req, ctx, info.status(), true);
      return SendBody(req, ctx, status_codes::OK, ProfileJson(*info), kJson);
    }
    // events
    int64_t profile_id = 0;
    size_t limit = 100;
    try {
      profile_id = std::stoll(q["profile_id"]);
      if (q.count("limit")) limit = static_cast<size_t>(std::stoul(q["limit"]));
    } catch (...) {
      return SendError(req, ctx,
                       Status(Status::Kind::kInvalid, "missing_parameter",
                              "profile_id (and optional limit) must be numbers"),
                       true);
    }
    limit = std::min<size_t>(limit, 10000);
    auto events = app->admin().ListEvents(profile_id, limit);
    if (!events.ok()) return SendError(req, ctx, events.status(), true);
    std::string out = "{\"events\":[";
    for (size_t i = 0; i < events->size(); ++i) {
      if (i) out += ",";
      std::string json = ToJson((*events)[i]);
      // Add the id in hex next to the JSON mapping's base64, for people reading logs.
      json.insert(1, "\"event_id_hex\":\"" + Hex((*events)[i].event_id()) + "\",");
      out += json;
    }
    out += "]}";
    SendBody(req, ctx, status_codes::OK, std::move(out), kJson);
  }

  // A mounted feature module (route_module.h): key scope, whole body, reply as it says.
  void Module(http_request& req, RequestContext& ctx, RouteModule& module,
              const std::string& path) {
    HttpExchange exchange;
    exchange.method = ctx.method;
    exchange.path = web::uri::decode(path);
    exchange.raw_query = req.relative_uri().query();
    for (const auto& [k, v] : web::uri::split_query(exchange.raw_query)) {
      exchange.query[web::uri::decode(k)] = web::uri::decode(v);
    }
    for (const auto& [name, value] : req.headers()) {
      std::string lower = name;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      exchange.headers[lower] = value;
    }
    ctx.route = module.RouteLabel(exchange);
    if (module.auth() != RouteAuth::kNone) {
      const Status auth =
          Authorize(req, module.auth() == RouteAuth::kAdminKey ? Scope::kAdmin : Scope::kWrite);
      if (!auth.ok()) return SendError(req, ctx, auth, true);
    }
    const bool has_body =
        ctx.method == methods::POST || ctx.method == methods::PUT || ctx.method == methods::PATCH;
    if (has_body && !ctx.body) {  // Handle left it unread: over the size limit
      return SendError(
          req, ctx,
          Status(Status::Kind::kTooLarge, "too_large",
                 "body over " + std::to_string(app->config().limits.max_body_bytes) + " bytes"),
          true);
    }
    if (ctx.body) exchange.body = std::move(*ctx.body);
    HttpReply reply = module.Handle(exchange);
    http_response resp(static_cast<status_code>(reply.status));
    for (const auto& [name, value] : reply.headers) resp.headers().add(name, value);
    resp.set_body(std::move(reply.body), reply.content_type);
    Send(req, ctx, std::move(resp));
  }

  void Static(http_request& req, RequestContext& ctx, const std::string& path) {
    ctx.route = "static";
    std::filesystem::path rel = web::uri::decode(path == "/" ? std::string("/index.html") : path);
    for (const auto& part : rel) {
      if (part == "..") {
        return SendError(req, ctx, Status(Status::Kind::kNotFound, "not_found", "no such file"),
                         true);
      }
    }
    const auto file = std::filesystem::path(app->config().static_dir) / rel.relative_path();
    std::ifstream in(file, std::ios::binary);
    if (!in || std::filesystem::is_directory(file)) {
      return SendError(req, ctx, Status(Status::Kind::kNotFound, "not_found", "no such file"),
                       true);
    }
    std::stringstream data;
    data << in.rdbuf();
    SendBody(req, ctx, status_codes::OK, data.str(), ContentTypeFor(file));
  }
};

HttpReply HttpReply::Error(int status, std::string_view code, std::string_view message) {
  v1::Error error;
  error.set_code(std::string(code));
  error.set_message(std::string(message));
  error.set_event_index(-1);
  return Json(status, ToJson(error));
}

HttpServer::HttpServer(App* app) : impl_(std::make_unique<Impl>(app)) {}

Status HttpServer::ConfigureThreads(size_t threads) {
  if (threads == 0) {
    threads = std::max<size_t>(4, 2 * static_cast<size_t>(std::thread::hardware_concurrency()));
  }
  try {
    crossplat::threadpool::initialize_with_threads(threads);
  } catch (const std::exception& e) {
    return Status(Status::Kind::kInvalid, "invalid_config",
                  std::string("cannot size the HTTP thread pool: ") + e.what());
  }
  return Status::Ok();
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  const ServerConfig& c = impl_->app->config();
  auto cors = CorsPolicy::Parse(c.allowed_origins);
  if (!cors.ok()) return cors.status();
  impl_->cors = std::move(cors).value();
  web::http::experimental::listener::http_listener_config config;
  if (c.listen.starts_with("https://")) {
    if (c.tls_cert.empty() || c.tls_key.empty()) {
      return Status(Status::Kind::kInvalid, "invalid_config",
                    "https:// needs --tls-cert and --tls-key");
    }
    const std::string cert = c.tls_cert;
    const std::string key = c.tls_key;
    config.set_ssl_context_callback([cert, key](boost::asio::ssl::context& ctx) {
      ctx.set_options(boost::asio::ssl::context::default_workarounds |
                      boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                      boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
      ctx.use_certificate_chain_file(cert);
      ctx.use_private_key_file(key, boost::asio::ssl::context::pem);
    });
  }
  try {
    impl_->listener = std::make_unique<web::http::experimental::listener::http_listener>(
        web::uri(c.listen), config);
    impl_->listener->support(
        [impl = impl_.get()](http_request req) { impl->Handle(std::move(req)); });
    // cpprest answers OPTIONS itself (200, no CORS headers) unless a handler is registered for
    // it by name: preflights must reach ApplyCors.
    impl_->listener->support(
        methods::OPTIONS, [impl = impl_.get()](http_request req) { impl->Handle(std::move(req)); });
    impl_->listener->open().wait();
  } catch (const std::exception& e) {
    impl_->listener.reset();
    return Status(Status::Kind::kUnavailable, "listen_failed",
                  "cannot listen on " + c.listen + ": " + e.what());
  }
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (...) {
  }
  impl_->listener.reset();
}

}  // namespace vitrine::server
