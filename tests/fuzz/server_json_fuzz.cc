// Fuzz target: the server's JSON decoders (POST /v1/batch as JSON, admin messages and catalog
// items). Must never crash, whatever the text.
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
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto batch = vitrine::server::DecodeBatch(text, vitrine::server::BodyFormat::kJson,
                                            vitrine::server::IngestLimits{});
  if (batch.ok()) {
    // A valid batch printed as JSON must parse back to a valid batch.
    auto again = vitrine::server::DecodeBatch(vitrine::server::ToJson(*batch),
                                              vitrine::server::BodyFormat::kJson,
                                              vitrine::server::IngestLimits{});
    if (!again.ok()) __builtin_trap();
  }
  (void)vitrine::server::DecodeInAppMessageJson(text);
  (void)vitrine::server::DecodeCatalogItemJson(text);
  return 0;
}
