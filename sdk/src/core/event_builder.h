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

// 12.34 -> 12340000; rejects NaN, infinities, negatives and values beyond 9e12.
Status ToMicros(double amount, std::string_view field, int64_t& micros);

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_EVENT_BUILDER_H_
