// The event vocabulary of the wire contract (DESIGN.md): the names `vitrine.v1.Event.type` may
// carry. One list for the SDK (capture-time validation), the server (ingest validation) and tools.
//
// Thread safety: immutable data.
#ifndef VITRINE_PROTO_VITRINE_V1_VOCABULARY_H_
#define VITRINE_PROTO_VITRINE_V1_VOCABULARY_H_

#include <string_view>
#include <vector>

namespace vitrine::v1 {

// In DESIGN.md order, plus "deletion_requested" (sent by the SDK's RequestDeletion through the
// durable queue; not a shopper action).
const std::vector<std::string_view>& EventTypes();
bool IsKnownEventType(std::string_view type);
// Recorded by the server only (email tracking); refused from devices.
bool IsServerSideEventType(std::string_view type);

}  // namespace vitrine::v1

#endif  // VITRINE_PROTO_VITRINE_V1_VOCABULARY_H_
