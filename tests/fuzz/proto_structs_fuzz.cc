// Fuzz target: the browser build's struct codec (proto/structs) against protobuf on any input.
// For the messages the SDK and the server decode from the network (Event, Batch, BatchAck,
// Snapshot), protobuf and the structs must both accept or both refuse, and on acceptance the
// structs must re-encode exactly protobuf's deterministic encoding without unknown fields.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tests/proto/structs_parity.h"
#include "vitrine/v1/batch.pb.h"
#include "vitrine/v1/batch.structs.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/event.structs.h"
#include "vitrine/v1/snapshot.pb.h"
#include "vitrine/v1/snapshot.structs.h"

namespace {

template <typename Proto, typename Struct>
void Check(std::string_view input) {
  const std::string why = vitrine::proto_parity::Disagreement<Proto, Struct>(input);
  if (!why.empty()) {
    std::fprintf(stderr, "structs/protobuf disagreement: %s\n", why.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Check<vitrine::v1::Event, vitrine::v1_structs::Event>(input);
  Check<vitrine::v1::Batch, vitrine::v1_structs::Batch>(input);
  Check<vitrine::v1::BatchAck, vitrine::v1_structs::BatchAck>(input);
  Check<vitrine::v1::Snapshot, vitrine::v1_structs::Snapshot>(input);
  return 0;
}
