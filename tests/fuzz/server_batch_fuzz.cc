// Fuzz target: the server's protobuf batch decoder and validator (POST /v1/batch), also through
// the capped inflater. Must never crash, leak or read out of bounds, whatever the bytes.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sync_server/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  vitrine::server::IngestLimits limits;
  limits.max_inflated_bytes = 1 << 20;
  auto batch = vitrine::server::DecodeBatch(bytes, vitrine::server::BodyFormat::kProtobuf, limits);
  if (batch.ok()) {
    // Whatever validates must survive a round trip unchanged.
    const std::string again = batch->SerializeAsString();
    auto reparsed =
        vitrine::server::DecodeBatch(again, vitrine::server::BodyFormat::kProtobuf, limits);
    if (!reparsed.ok()) __builtin_trap();
  }
  auto inflated = vitrine::server::Inflate(bytes, limits.max_inflated_bytes);
  if (inflated.ok()) {
    if (inflated->size() > limits.max_inflated_bytes) __builtin_trap();
    (void)vitrine::server::DecodeBatch(*inflated, vitrine::server::BodyFormat::kProtobuf, limits);
  }
  return 0;
}
