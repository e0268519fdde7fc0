#include "sync_server/common/cli_flags.h"

namespace vitrine::server {
namespace {

Status UsageError(std::string message) {
  return Status(Status::Kind::kInvalid, "usage", std::move(message));
}

}  // namespace

StatusOr<CliFlags> ParseCliFlags(std::span<const std::string> args,
                                 const std::set<std::string>& with_value,
                                 const std::set<std::string>& switches) {
  CliFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!args[i].starts_with("--")) return UsageError("unexpected argument '" + args[i] + "'");
    std::string key = args[i].substr(2);
    std::string value;
    const size_t eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key.resize(eq);
    }
    if (switches.count(key)) {
      if (eq != std::string::npos) return UsageError("--" + key + " takes no value");
      flags.insert_or_assign(key, std::string(1, '1'));  // not = "1": GCC 12 false -Wrestrict
      continue;
    }
    if (!with_value.count(key)) return UsageError("unknown option --" + key);
    if (eq == std::string::npos) {
      if (i + 1 >= args.size()) return UsageError("--" + key + " needs a value");
      value = args[++i];
    }
    flags[key] = std::move(value);
  }
  return flags;
}

}  // namespace vitrine::server
