// Capture-time validation and conversion of public EventSpec values into wire events (internal).
// The server enforces the same rules; validating here turns bad input into an error value at the
// call site instead of a rejected batch later.
//
// Thread safety: pure functions.
#ifndef VITRINE_SDK_CORE_EVENT_BUILDER_H_
#define VITRINE_SDK_CORE_EVENT_BUILDER_H_

#include <string>
#include <string_view>

#include "sdk/src/core/storage.h"
#include "vitrine/events.h"
#include "vitrine/status.h"
#include "vitrine/v1/event.pb.h"

namespace vitrine::internal {

// Validates `spec` and fills the payload fields of `out` (type, products, order, query, ...).
// Identity, time, ids and sequence are stamped by the Client afterwards.
Status BuildEvent(const EventSpec& spec, v1::Event& out);

// Eviction class of an event type (see Options in client.h).
EventPriority PriorityOf(std::string_view type);

// Event ids are RFC 9562 version-8 UUIDs: 60 random bits chosen per anonymous identity (new on
// Reset and deletion, so ids cannot link identities), then the install's strictly increasing
// seq in the low 62 bits. Unique without coordination, stable across retries, and they compress
// in a batch (the random part repeats), where random v4 ids would cost 16 bytes each.
std::string MakeEventId(uint64_t identity_bits, uint64_t seq);

// 12.34 -> 12340000; rejects NaN, infinities, negatives and values beyond 9e12.
Status ToMicros(double amount, std::string_view field, int64_t& micros);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_EVENT_BUILDER_H_
