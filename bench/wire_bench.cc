#include "bench/wire_bench.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sdk/src/core/event_builder.h"
#include "sdk/src/core/storage.h"
#include "sdk/src/core/sync_engine.h"
#include "vitrine/events.h"
#include "vitrine/testing.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/event.pb.h"

namespace {

using vitrine::Status;
using vitrine::StatusOr;
using vitrine::internal::QueuedEvent;
using vitrine::internal::QueueStats;

constexpr int kDevices = 20;
constexpr int kEventsPerDevice = 500;
constexpr int kCatalogSize = 2000;

// Just the queue part of a Store, ordered by seq.
class VectorStore : public vitrine::internal::Store {
 public:
  StatusOr<size_t> Insert(const std::vector<QueuedEvent>& events) override {
    for (const auto& e : events) queue_[e.seq] = e;
    return events.size();
  }
  StatusOr<std::vector<QueuedEvent>> ReadOldest(size_t max_count, size_t max_bytes) override {
    std::vector<QueuedEvent> out;
    size_t bytes = 0;
    for (const auto& [seq, e] : queue_) {
      if (out.size() >= max_count || (!out.empty() && bytes + e.payload.size() > max_bytes)) {
        break;
      }
      bytes += e.payload.size();
      out.push_back(e);
    }
    return out;
  }
  StatusOr<size_t> Remove(const std::vector<std::string>& ids) override {
    std::map<std::string, bool> remove;
    for (const auto& id : ids) remove[id] = true;
    size_t n = 0;
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (remove.count(it->second.event_id) != 0) {
        it = queue_.erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }
  Status DeadLetter(const std::vector<std::string>&, const std::string&) override {
    return Status(vitrine::StatusCode::kInternal, "unexpected dead letter");
  }
  StatusOr<size_t> Evict(uint64_t, int64_t) override { return size_t{0}; }
  StatusOr<QueueStats> Stats() override {
    QueueStats s;
    s.count = queue_.size();
    return s;
  }
  Status PurgeQueue() override {
    queue_.clear();
    return Status::Ok();
  }
  StatusOr<std::optional<std::string>> Get(std::string_view) override {
    return std::optional<std::string>();
  }
  Status Put(std::string_view, std::string_view) override { return Status::Ok(); }
  Status Delete(std::string_view) override { return Status::Ok(); }
  Status DeletePrefix(std::string_view) override { return Status::Ok(); }

 private:
  std::map<uint64_t, QueuedEvent> queue_;
};

// Records the body size and acks the ids it was told to.
class AckingHttp : public vitrine::HttpExecutor {
 public:
  vitrine::HttpResponse Execute(const vitrine::HttpRequest& request) override {
    body_bytes += request.body.size();
    vitrine::HttpResponse response;
    response.status = 200;
    response.body = ack.SerializeAsString();
    return response;
  }
  vitrine::v1::BatchAck ack;
  size_t body_bytes = 0;
};

std::vector<vitrine::Product> MakeCatalog(std::mt19937_64& rng) {
  static const char* kBrands[] = {"Lumière",    "Nordic Skin", "Botanica", "Dermalab", "Aqua Vita",
                                  "Rose & Oak", "Pure Theory", "Kōsei",    "Helio",    "Mira"};
  static const char* kCategories[] = {"Skin Care/Face/Serums",  "Skin Care/Face/Moisturisers",
                                      "Skin Care/Body/Lotions", "Hair Care/Shampoo",
                                      "Hair Care/Conditioner",  "Make-up/Eyes/Mascara",
                                      "Make-up/Lips/Lipstick",  "Fragrance/Women/Eau de Parfum",
                                      "Health/Vitamins/Daily",  "Health/Supplements/Omega"};
  static const char* kAdjectives[] = {"Hydrating", "Brightening", "Gentle",  "Intense",  "Daily",
                                      "Night",     "Repair",      "Calming", "Radiance", "Volume"};
  static const char* kNouns[] = {"Serum",   "Cream", "Cleanser", "Toner", "Mask",
                                 "Shampoo", "Balm",  "Oil",      "Mist",  "Capsules"};
  std::vector<vitrine::Product> catalog;
  catalog.reserve(kCatalogSize);
  for (int i = 0; i < kCatalogSize; ++i) {
    vitrine::Product p;
    char id[32];
    std::snprintf(id, sizeof(id), "prod-%05d", i);
    p.product_id = id;
    p.variant_id = p.product_id + "-v" + std::to_string(1 + rng() % 3);
    p.sku = "SKU" + std::to_string(100000 + i);
    p.price = static_cast<double>(499 + rng() % 9000) / 100.0;
    p.currency = "EUR";
    p.brand = kBrands[rng() % 10];
    p.category = kCategories[rng() % 10];
    p.name = std::string(p.brand) + " " + kAdjectives[rng() % 10] + " " + kNouns[rng() % 10] + " " +
             std::to_string(30 + 10 * (rng() % 20)) + " ml";
    p.url = "https://shop.example.com/products/" + p.product_id;
    p.image_url = "https://cdn.shop.example.com/img/" + p.product_id + ".jpg";
    catalog.push_back(std::move(p));
  }
  return catalog;
}

std::string UuidBytes(std::mt19937_64& rng) {
  std::string id(16, '\0');
  for (int half = 0; half < 2; ++half) {
    const uint64_t v = rng();
    for (int i = 0; i < 8; ++i) {
      id[static_cast<size_t>(half * 8 + i)] = static_cast<char>(v >> (8 * i));
    }
  }
  id[6] = static_cast<char>((id[6] & 0x0f) | 0x40);
  id[8] = static_cast<char>((id[8] & 0x3f) | 0x80);
  return id;
}

std::string UuidText(std::mt19937_64& rng) {
  static const char kHex[] = "0123456789abcdef";
  const std::string b = UuidBytes(rng);
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    const auto c = static_cast<unsigned char>(b[i]);
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xF]);
  }
  return out;
}

// One shopper's next action, as the storefront would report it.
vitrine::EventSpec NextSpec(std::mt19937_64& rng, const std::vector<vitrine::Product>& catalog,
                            std::vector<vitrine::Product>& cart, int index, int order_counter) {
  vitrine::EventSpec spec;
  const vitrine::Product& item = catalog[rng() % catalog.size()];
  if (index % 50 == 49 && !cart.empty()) {
    spec.type = "order_completed";
    vitrine::Order order;
    order.order_id = "ORD-" + std::to_string(100000 + order_counter);
    order.currency = "EUR";
    for (const auto& line : cart) order.value += line.price * line.quantity;
    order.shipping = 4.95;
    order.products = cart;
    spec.order = order;
    cart.clear();
    return spec;
  }
  const uint64_t roll = rng() % 100;
  if (roll < 45) {
    spec.type = "page_viewed";
    spec.page_url = roll < 10
                        ? "https://shop.example.com/"
                        : "https://shop.example.com/collections/" + std::to_string(rng() % 40) +
                              "?page=" + std::to_string(1 + rng() % 3);
    spec.referrer = roll < 5 ? "https://www.google.com/" : "https://shop.example.com/";
  } else if (roll < 87) {
    spec.type = "product_viewed";
    spec.products.push_back(item);
  } else {
    spec.type = "product_added_to_cart";
    vitrine::Product line = item;
    line.quantity = 1 + static_cast<int32_t>(rng() % 2);
    spec.products.push_back(line);
    cart.push_back(line);
  }
  return spec;
}

}  // namespace

double RunWireBytesPerEventBench() {
  std::mt19937_64 rng(20240601);
  const std::vector<vitrine::Product> catalog = MakeCatalog(rng);
  vitrine::testing::ManualClock clock(1'767'225'600'000);
  VectorStore store;
  AckingHttp http;
  vitrine::internal::SyncConfig config;
  config.server_url = "https://sync.example.com";
  config.write_key = "wk_live_bench";
  config.max_batch_events = kEventsPerDevice;
  config.app_version = "4.2.0";
  vitrine::internal::SyncEngine engine(config, store, http, clock);

  size_t events_sent = 0;
  int order_counter = 0;
  uint64_t seq = 0;
  for (int device = 0; device < kDevices; ++device) {
    const std::string anonymous_id = UuidText(rng);
    const uint64_t identity_bits = rng();
    const std::string user_id = device % 2 == 0 ? "cust-" + std::to_string(10000 + device) : "";
    int session = 1;
    std::vector<vitrine::Product> cart;
    std::vector<QueuedEvent> queued;
    http.ack.Clear();
    for (int i = 0; i < kEventsPerDevice; ++i) {
      // 5-60 s between actions, a new session (> 30 min gap) now and then.
      clock.AdvanceMs(rng() % 40 == 0 ? 45 * 60 * 1000
                                      : static_cast<int64_t>(5000 + rng() % 55000));
      if (i > 0 && rng() % 40 == 0) ++session;
      const vitrine::EventSpec spec = NextSpec(rng, catalog, cart, i, order_counter);
      if (spec.type == "order_completed") ++order_counter;
      vitrine::v1::Event event;
      if (const Status st = vitrine::internal::BuildEvent(spec, event); !st.ok()) {
        std::fprintf(stderr, "wire bench: BuildEvent(%s): %s\n", spec.type.c_str(),
                     st.ToString().c_str());
        return 0;
      }
      // Stamped as Client::Capture does.
      event.set_event_id(vitrine::internal::MakeEventId(identity_bits, seq + 1));
      event.set_occurred_at_ms(clock.NowMs());
      event.set_seq(++seq);
      event.set_session_id(anonymous_id + "/" + std::to_string(session));
      event.set_anonymous_id(anonymous_id);
      event.set_user_id(user_id);
      event.set_consent(vitrine::v1::CONSENT_STATE_GRANTED);
      QueuedEvent q;
      q.event_id = event.event_id();
      q.seq = event.seq();
      q.occurred_at_ms = event.occurred_at_ms();
      q.priority = vitrine::internal::PriorityOf(event.type());
      q.payload = event.SerializeAsString();
      http.ack.add_acked_event_ids(q.event_id);
      queued.push_back(std::move(q));
    }
    if (!store.Insert(queued).ok()) return 0;
    const vitrine::internal::SendResult r = engine.SendOnce();
    if (r.outcome != vitrine::internal::SendOutcome::kAcked || r.acked != queued.size()) {
      std::fprintf(stderr, "wire bench: send failed: %s\n", r.status.ToString().c_str());
      return 0;
    }
    events_sent += r.acked;
  }
  return events_sent == 0 ? 0
                          : static_cast<double>(http.body_bytes) / static_cast<double>(events_sent);
}
