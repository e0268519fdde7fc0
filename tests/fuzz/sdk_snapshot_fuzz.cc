// Fuzz target: snapshot decoding and everything the SDK builds from a snapshot (recommender
// index, message definitions), plus the two local state decoders (recommender durable state,
// message engine state). Any input must give an error value or a result, never a crash.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sdk/src/core/message_engine.h"
#include "sdk/src/core/recommender.h"
#include "vitrine/testing.h"

namespace {

using vitrine::internal::MessageEngine;
using vitrine::internal::Recommender;

vitrine::v1::Event EventFor(const std::string& type, const vitrine::v1::Snapshot& s, int k,
                            int64_t t) {
  vitrine::v1::Event e;
  e.set_type(type);
  e.set_occurred_at_ms(t);
  if (s.catalog_size() > 0) {
    const auto& c = s.catalog(k % s.catalog_size());
    auto* p = e.add_products();
    p->set_product_id(c.product_id());
    p->set_category(c.category());
    p->set_price_micros(c.price_micros());
    p->set_currency(c.currency());
  }
  e.mutable_order()->set_value_micros(k * 1'000'000);
  return e;
}

void ExerciseSnapshot(const vitrine::v1::Snapshot& s) {
  vitrine::testing::ManualClock clock;
  Recommender recommender;
  MessageEngine engine(clock);
  recommender.SetSnapshot(s);
  engine.SetSnapshot(s);
  const int64_t t = clock.NowMs();
  // Events of the types the engines react to, on the snapshot's own items and on the arming
  // event types its messages name.
  const char* kTypes[] = {
      "product_viewed",        "product_clicked",           "product_list_viewed",
      "product_added_to_cart", "product_removed_from_cart", "checkout_started",
      "order_completed"};
  int k = 0;
  for (const char* type : kTypes) {
    ++k;
    const auto e = EventFor(type, s, k, t + k);
    recommender.OnEvent(e);
    engine.OnEvent(e);
  }
  for (int m = 0; m < s.messages_size() && m < 16; ++m) {
    engine.OnEvent(EventFor(s.messages(m).trigger().event_type(), s, m, t));
  }
  vitrine::RecommendContext ctx;
  (void)recommender.Recommend("home", ctx, 10);
  if (s.catalog_size() > 0) {
    ctx.product_id = s.catalog(0).product_id();
    ctx.category = s.catalog(0).category();
    (void)recommender.Recommend("product_page", ctx, 100);
    (void)recommender.InStockItem(s.catalog(0).product_id());
  }
  (void)recommender.SegmentIds();
  (void)engine.TakeDue();
  (void)engine.NextDueMs();
  clock.AdvanceMs(24LL * 3600 * 1000);
  (void)engine.TakeDue();

  // State written from fuzzed definitions must read back.
  MessageEngine other(clock);
  if (!other.RestoreState(engine.SerializeState()).ok()) __builtin_trap();
  Recommender other_rec;
  if (!other_rec.RestoreDurableState(recommender.SerializeDurableState()).ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Invalid UTF-8 in string fields is an expected parse failure, not news worth a log line.
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  vitrine::v1::Snapshot snapshot;
  if (snapshot.ParseFromArray(data, static_cast<int>(size))) ExerciseSnapshot(snapshot);

  // The raw bytes as persisted state. Accepted state must survive a serialize round trip.
  Recommender recommender;
  if (recommender.RestoreDurableState(input).ok()) {
    const std::string again = recommender.SerializeDurableState();
    Recommender second;
    if (!second.RestoreDurableState(again).ok() || second.SerializeDurableState() != again) {
      __builtin_trap();
    }
  }
  vitrine::testing::ManualClock clock;
  MessageEngine engine(clock);
  if (engine.RestoreState(input).ok()) {
    const std::string again = engine.SerializeState();
    MessageEngine second(clock);
    if (!second.RestoreState(again).ok() || second.SerializeState() != again) __builtin_trap();
    (void)engine.TakeDue();
    (void)engine.NextDueMs();
  }
  return 0;
}
