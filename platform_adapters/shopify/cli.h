// `vitrine-server shopify import`: imports a shop through the Admin API into the server's
// database (catalog, profiles, orders), with progress on `err` and a JSON summary on `out`.
//
//   vitrine-server shopify import --shop example.myshopify.com [--token shpat_...] [--db FILE]
//       [--admin-base-url URL] [--api-version 2024-04] [--full] [--only products,orders,...]
//
// Without --token the token stored at install (VITRINE_SHOPIFY_TOKEN_KEY to decrypt it) is used.
// --full ignores the updated_at watermarks of earlier runs. Other flags go to the server config
// parser (--db and the rest, as for `serve`). Runs beside a serving process (SQLite WAL).
#ifndef VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CLI_H_
#define VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CLI_H_

#include <cstdio>
#include <string>
#include <vector>

namespace vitrine::shopify {

// Returns the process exit code (0 ok, 1 failure, 2 usage).
int RunCli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

}  // namespace vitrine::shopify

#endif  // VITRINE_PLATFORM_ADAPTERS_SHOPIFY_CLI_H_
