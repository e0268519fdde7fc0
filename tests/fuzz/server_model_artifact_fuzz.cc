// Fuzz target: the trained-model artifact decoder (what the server loads from its database at
// start and after every training). Must never crash, whatever the bytes; what loads must answer
// lookups and a personal ranking.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "sync_server/training/trained_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto model = vitrine::training::TrainedModel::Parse(bytes);
  if (!model.ok()) return 0;
  const auto& artifact = (*model)->artifact();
  std::vector<std::string> history;
  for (int i = 0; i < artifact.product_ids_size() && i < 5; ++i) {
    history.push_back(artifact.product_ids(i));
    (void)(*model)->NeighboursOf(artifact.product_ids(i));
    (void)(*model)->FrequentlyBoughtWith(artifact.product_ids(i));
  }
  for (const auto& n : artifact.neighbours()) history.push_back(n.product_id());
  const auto personal = (*model)->Personal(history, {}, 10);
  if (personal.size() > 10) __builtin_trap();
  return 0;
}
