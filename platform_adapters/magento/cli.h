// `vitrine-server magento import ...`: imports a Magento 2 shop into the server's database
// through the admin REST API (importer.h), with progress on stderr and a JSON summary on stdout.
//
//   vitrine-server magento import --base-url https://shop.example --token <integration token>
//       [--db vitrine.db] [--store-code default] [--since "2024-01-01 00:00:00"] [--msi]
//       [--consumer-key K --consumer-secret S --access-token T --access-token-secret TS]
//       [--page-size 300] [--only products,customers,orders,refunds] [--ca-file FILE]
//
// --store-code (or --store) names the store view whose catalog is imported (REST path
// /rest/<code>/V1/...); orders and refunds of every view come in either way.
//
// --since takes Magento's UTC format or "auto" (the watermark the previous import of this
// database stored). Orders and customers go through the ingest service in batches, so they are
// deduplicated like everything else (an order already reported by the storefront counts once).
//
// Thread safety: runs on the calling thread; opens its own App on --db (do not run it against a
// database a serving process is writing at the same moment: the identity graph is in memory).
#ifndef VITRINE_PLATFORM_ADAPTERS_MAGENTO_CLI_H_
#define VITRINE_PLATFORM_ADAPTERS_MAGENTO_CLI_H_

#include <cstdio>
#include <string>
#include <vector>

namespace vitrine::magento {

// `args` are the words after "magento". Returns the process exit code.
int RunCli(const std::vector<std::string>& args, std::FILE* out, std::FILE* err);

std::string CliUsage();

}  // namespace vitrine::magento

#endif  // VITRINE_PLATFORM_ADAPTERS_MAGENTO_CLI_H_
