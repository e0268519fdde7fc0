#include "platform_adapters/magento/server_module.h"

#include <cstdlib>

#include "sync_server/batch_codec.h"

namespace vitrine::magento {
namespace {

using server::HttpExchange;
using server::HttpReply;

}  // namespace

Status AppSink::IngestOne(const v1::Event& event) {
  // The ingest service requires validated batches; a record that does not validate (an order
  // without lines, say) is reported, not stored half-way.
  if (Status s = server::ValidateEvent(event, 0, /*allow_server_side=*/true); !s.ok()) return s;
  v1::Batch batch;
  *batch.add_events() = event;
  auto result = app_->ingest().Ingest(std::move(batch));
  return result.ok() ? Status::Ok() : result.status();
}

Status AppSink::OnCatalog(const std::vector<v1::CatalogItem>& items) {
  return app_->catalog().Upsert(items);
}

Status AppSink::OnCustomer(const Customer& customer) { return IngestOne(customer.event); }

Status AppSink::OnOrder(const Order& order) {
  // An order without lines (fully refunded and pruned, a test order) cannot be an order event.
  if (order.event.products_size() == 0) return Status::Ok();
  return IngestOne(order.event);
}

Status AppSink::OnRefund(const CreditMemo& refund) {
  // A memo without any item row cannot be an order event (records.h keeps every row it has).
  if (refund.event.products_size() == 0) return Status::Ok();
  return IngestOne(refund.event);
}

Status AppSink::OnProductDeleted(int64_t product_id) {
  auto item = app_->catalog().Get(std::to_string(product_id));
  if (!item) return Status::Ok();
  item->set_stock(0);  // the store has no delete; out of stock is never recommended
  return app_->catalog().Upsert({*item});
}

StatusOr<std::unique_ptr<MagentoRouteModule>> MagentoRouteModule::Create(
    server::App* app, MagentoModuleOptions options) {
  std::unique_ptr<MagentoRouteModule> module(new MagentoRouteModule());
  if (options.inbox_path.empty()) options.inbox_path = app->config().db;
  if (!options.clock_ms) options.clock_ms = app->clock();
  if (!options.clock_ms) options.clock_ms = server::App::SystemClockMs;
  auto inbox = NotificationInbox::Open(options.inbox_path);
  if (!inbox.ok()) return inbox.status();
  module->inbox_ = std::move(*inbox);
  module->sink_ = std::make_unique<AppSink>(app);
  ProcessorOptions processor;
  processor.clock = options.clock_ms;
  processor.catalog_store = options.catalog_store;
  module->processor_ =
      std::make_unique<InboxProcessor>(module->inbox_.get(), module->sink_.get(), processor);
  if (options.start_processor) module->processor_->Start();
  module->options_ = std::move(options);
  return module;
}

MagentoRouteModule::~MagentoRouteModule() {
  if (processor_) processor_->Stop();
}

std::string MagentoRouteModule::RouteLabel(const HttpExchange& request) const {
  return request.path == "/v1/magento/events" ? "/v1/magento/events" : "/v1/magento/*";
}

HttpReply MagentoRouteModule::Handle(const HttpExchange& request) {
  if (request.path != "/v1/magento/events") {
    return HttpReply::Error(404, "not_found", "no such Magento route");
  }
  if (request.method != "POST") {
    HttpReply reply = HttpReply::Error(405, "method_not_allowed", "POST only");
    reply.headers.emplace_back("Allow", "POST");
    return reply;
  }
  const int64_t now_ms = options_.clock_ms();
  const SignatureVerdict verdict =
      VerifyNotification(request.headers, request.body, options_.signature, now_ms / 1000);
  if (verdict != SignatureVerdict::kValid) {
    // One answer for every failure: a prober learns nothing about which part was wrong.
    return HttpReply::Error(401, "bad_signature",
                            verdict == SignatureVerdict::kStale
                                ? "signature timestamp outside the allowed window"
                                : "missing or invalid X-Vitrine-Signature");
  }
  const std::string& event_id = request.headers.at(std::string(kEventIdHeader));
  auto stored = inbox_->Enqueue(event_id, request.body, now_ms);
  if (!stored.ok()) {
    // Not stored: Magento's module retries later.
    HttpReply reply = HttpReply::Error(503, "unavailable", stored.status().message());
    reply.headers.emplace_back("Retry-After", "5");
    return reply;
  }
  if (!*stored) return HttpReply::Json(200, R"({"status":"duplicate"})");
  processor_->Notify();
  return HttpReply::Json(202, R"({"status":"queued"})");
}

Status MountMagento(server::App& app) {
  const char* secret = std::getenv("VITRINE_MAGENTO_SECRET");
  if (secret == nullptr || *secret == '\0') return Status::Ok();
  MagentoModuleOptions options;
  options.signature.secrets.emplace_back(secret);
  if (const char* previous = std::getenv("VITRINE_MAGENTO_SECRET_PREVIOUS");
      previous != nullptr && *previous != '\0') {
    options.signature.secrets.emplace_back(previous);
  }
  if (const char* store = std::getenv("VITRINE_MAGENTO_STORE");
      store != nullptr && *store != '\0') {
    options.catalog_store = store;
  }
  auto module = MagentoRouteModule::Create(&app, std::move(options));
  if (!module.ok()) return module.status();
  app.Mount(std::move(*module));
  return Status::Ok();
}

}  // namespace vitrine::magento
