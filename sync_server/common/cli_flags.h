// Command-line flags of the server's sub-commands (`analytics`, `magento import`,
// `campaign-report`, ...): "--key value", "--key=value" and bare switches, each checked against
// the sub-command's known names so that a typo is an error rather than a silently ignored flag.
//
// Thread safety: a pure function.
#ifndef VITRINE_SYNC_SERVER_COMMON_CLI_FLAGS_H_
#define VITRINE_SYNC_SERVER_COMMON_CLI_FLAGS_H_

#include <map>
#include <set>
#include <span>
#include <string>

#include "sync_server/common/status.h"

namespace vitrine::server {

// Flag name (without "--") -> value; a switch present maps to "1".
using CliFlags = std::map<std::string, std::string>;

// Errors are Kind::kInvalid with code "usage" and a message for the user ("unknown option
// --x", "--db needs a value", "unexpected argument 'y'"). A flag given twice keeps the last.
StatusOr<CliFlags> ParseCliFlags(std::span<const std::string> args,
                                 const std::set<std::string>& with_value,
                                 const std::set<std::string>& switches = {});

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_COMMON_CLI_FLAGS_H_
