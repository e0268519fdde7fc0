// Decoding and validation of what clients send: the body of POST /v1/batch (protobuf or the
// protobuf JSON mapping, optionally gzip/zlib compressed) and the admin JSON payloads.
// These are the functions the fuzz targets call; they never throw and never abort on any input.
//
// Validation follows the rules the SDK enforces at capture time, so an event the SDK accepted is
// never refused here, and a client that skips the SDK cannot store garbage.
//
// Thread safety: pure functions of their inputs.
#ifndef VITRINE_SYNC_SERVER_BATCH_CODEC_H_
#define VITRINE_SYNC_SERVER_BATCH_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/common/status.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server {

struct IngestLimits {
  size_t max_body_bytes = 4u << 20;       // on the wire, before inflating
  size_t max_inflated_bytes = 16u << 20;  // after inflating a compressed body (zip bombs)
  size_t max_events = 5000;               // per batch
};

enum class BodyFormat { kProtobuf, kJson };

// Inflates a gzip or zlib stream (auto-detected). Refuses (kTooLarge) as soon as the output would
// pass `max_out` bytes, so a small bomb never allocates more than the cap.
StatusOr<std::string> Inflate(std::string_view compressed, size_t max_out);

// Checks one event. The returned Status carries `event_index` = `index`.
Status ValidateEvent(const v1::Event& event, int index, bool allow_server_side);

// Parses `body` (already inflated) and validates every event: the first problem refuses the
// whole batch. kInvalid for malformed input or an invalid event, kTooLarge for too many events.
StatusOr<v1::Batch> DecodeBatch(std::string_view body, BodyFormat format,
                                const IngestLimits& limits, bool allow_server_side = false);

// The serialized bytes of each event of a protobuf Batch `body`, cut from the body itself (the
// ingest writer stores them without serializing again). Empty when the body does not parse as
// a plain sequence of fields.
std::vector<std::string> SplitEventPayloads(std::string_view body);

// Admin payloads.
Status ValidateInAppMessage(const v1::InAppMessage& message);
StatusOr<v1::InAppMessage> DecodeInAppMessageJson(std::string_view json);
StatusOr<v1::CatalogItem> DecodeCatalogItemJson(std::string_view json);

// Protobuf JSON mapping used for every JSON answer: snake_case names, zero values printed.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_BATCH_CODEC_H_
