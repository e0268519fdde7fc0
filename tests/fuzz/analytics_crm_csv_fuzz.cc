// Fuzz target: the CRM CSV importers (RFC 4180 reader, generic format, UCI Online Retail).
// Must never crash, whatever the bytes; every data row is accounted for exactly once.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "sync_server/analytics/crm_csv.h"

namespace {

void Check(const vitrine::server::StatusOr<vitrine::server::analytics::ImportResult>& result) {
  if (!result.ok()) return;
  const auto& r = *result;
  // Cancellations are both imported and listed; every other row is exactly one of the rest.
  const int64_t imported_plain = static_cast<int64_t>(r.lines.size()) - r.cancellations;
  if (imported_plain < 0) __builtin_trap();
  if (imported_plain + r.cancellations + r.errors + r.missing_customer + r.adjustments !=
      r.rows_read) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  {
    std::istringstream in(text);
    vitrine::server::analytics::CsvReader reader(in, 64);
    int64_t last_line = 0;
    while (auto record = reader.Next()) {
      if (record->line <= last_line || record->fields.empty()) __builtin_trap();
      last_line = record->line;
    }
  }
  {
    std::istringstream in(text);
    Check(vitrine::server::analytics::ImportGenericCsv(in));
  }
  {
    std::istringstream in(text);
    Check(vitrine::server::analytics::ImportOnlineRetailCsv(in));
  }
  (void)vitrine::server::analytics::ParseIso8601(text);
  return 0;
}
