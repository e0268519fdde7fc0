// CRM order import from CSV: an RFC 4180 reader and two formats, returned as values (the only I/O
// is reading the given stream). Bad rows never abort an import: each one is reported with its line
// number and a reason, and the valid rows are returned; only a missing or unusable header fails
// the whole import. Nothing is written anywhere, so a failed import leaves nothing half-done.
//
// ---- Generic format (the one to ask CRMs and shops to export) ----
// A header row naming exactly these columns, in any order (an unknown or duplicated column is an
// error, so a typo cannot silently drop data):
//   customer_id  platform customer id; may be empty when email is given
//   email        may be empty when customer_id is given; kept as written, trimmed
//   order_id     required; lines of one order share it (used to avoid double counting orders
//                already seen through the SDK)
//   order_date   ISO 8601: YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.fraction]] with an optional
//                Z or +HH:MM / -HH:MM offset (a space may replace the T); read as UTC otherwise
//   product_id   required
//   quantity     integer >= 1 (returns are not imported through this format)
//   unit_price   decimal >= 0 with a '.' separator, in the currency's major unit (12.50)
//   currency     ISO 4217 code, three upper-case letters; one currency per import: rows in
//                another currency than the first valid row's (or ImportOptions::currency) are
//                rejected
// Example:
//   customer_id,email,order_id,order_date,product_id,quantity,unit_price,currency
//   c-17,ann@example.com,A-1001,2024-03-05T14:20:00Z,sku-9,2,12.50,EUR
//
// ---- UCI Online Retail (Chen, Sain & Guo 2012) ----
// Columns InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country;
// extra columns are ignored (and listed). Invoice dates: YYYY-MM-DD HH:MM[:SS],
// DD-MM-YYYY HH:MM[:SS] or the original file's M/D/YYYY H:MM. CustomerID may be a float
// ("17850.0", read as "17850"). Rows are classified, never silently dropped:
//   - invoice "C..." = cancellation: kept (is_cancellation, quantity negative) and counted;
//   - no CustomerID ("NA" or empty): skipped, counted, listed;
//   - negative quantity on a normal invoice or invoice "A..." (stock/bad-debt adjustments):
//     skipped, counted, listed;
//   - anything malformed: rejected with a reason.
// Currency is that of ImportOptions::currency (the UCI shop sells in GBP).
//
// Thread safety: plain functions over the caller's stream.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_CRM_CSV_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_CRM_CSV_H_

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

// ---- RFC 4180 reader ----
struct CsvRecord {
  int64_t line = 0;  // 1-based physical line where the record starts
  std::vector<std::string> fields;
  std::string error;  // non-empty: the record is malformed (fields are then unreliable)
};

// Reads records one at a time: comma separated, fields optionally in double quotes with "" for a
// quote, CRLF or LF line ends, line breaks allowed inside quotes. A malformed record (text after
// a closing quote, an unterminated quote, an oversized field) is returned with `error` set and
// reading resumes at the next line. A UTF-8 byte-order mark at the start is skipped.
class CsvReader {
 public:
  // REQUIRES: `in` outlives the reader.
  explicit CsvReader(std::istream& in, size_t max_field_bytes = 1 << 20)
      : in_(in), max_field_bytes_(max_field_bytes) {}
  // nullopt at end of input. Blank lines are skipped.
  std::optional<CsvRecord> Next();

 private:
  std::istream& in_;
  size_t max_field_bytes_;
  int64_t line_ = 1;
  bool started_ = false;
  std::string pending_;  // bytes of a partial byte-order mark, which are data
};

// ---- Import results ----
struct OrderLine {
  int64_t source_line = 0;
  std::string customer_id;  // may be empty in the generic format when email is set
  std::string email;
  std::string order_id;
  int64_t order_time = 0;  // seconds since 1970-01-01 UTC
  std::string product_id;
  std::string description;  // Online Retail only
  std::string country;      // Online Retail only
  int64_t quantity = 0;     // negative for cancellations
  double unit_price = 0;    // major currency unit
  std::string currency;
  bool is_cancellation = false;
};

struct RowIssue {
  enum class Kind {
    kError,            // malformed: rejected
    kMissingCustomer,  // valid order line without a customer: skipped
    kAdjustment,       // stock or accounting adjustment, not a purchase: skipped
    kCancellation,     // kept in `lines`, flagged
  };
  int64_t line = 0;
  Kind kind = Kind::kError;
  std::string reason;
};

struct ImportResult {
  std::vector<OrderLine> lines;  // valid rows, cancellations included, in file order
  std::vector<RowIssue> issues;  // every row not imported as a plain order line, in file order
  int64_t rows_read = 0;         // data rows (header excluded)
  int64_t errors = 0;
  int64_t missing_customer = 0;
  int64_t adjustments = 0;
  int64_t cancellations = 0;
  std::vector<std::string> ignored_columns;  // Online Retail extra columns
};

struct ImportOptions {
  // Generic format: the import's currency; empty = the first valid row's.
  // Online Retail: the currency given to every line (default GBP).
  std::string currency;
  // Stop listing issues after this many (they are still counted).
  size_t max_listed_issues = 10000;
};

// kInvalid when the header is missing, lacks a required column, or (generic format) has an
// unknown or duplicated column. Everything else is a per-row issue.
StatusOr<ImportResult> ImportGenericCsv(std::istream& in, const ImportOptions& options = {});
StatusOr<ImportResult> ImportOnlineRetailCsv(std::istream& in, const ImportOptions& options = {});

// Parsers shared with other importers; nullopt when the text is not valid.
// ISO 8601 as described for order_date above -> seconds since the epoch (UTC).
std::optional<int64_t> ParseIso8601(std::string_view text);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_CRM_CSV_H_
