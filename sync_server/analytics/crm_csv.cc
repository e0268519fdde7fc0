#include "sync_server/analytics/crm_csv.h"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "sync_server/analytics/rfm_summary.h"

namespace vitrine::server::analytics {

// ---------------------------------------------------------------- RFC 4180 reader

std::optional<CsvRecord> CsvReader::Next() {
  std::streambuf* buf = in_.rdbuf();
  if (buf == nullptr) return std::nullopt;
  using Traits = std::streambuf::traits_type;
  if (!started_) {
    started_ = true;
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (buf->sgetc() == static_cast<unsigned char>(kBom[0])) {
      std::string head;
      for (char expected : kBom) {
        if (buf->sgetc() != static_cast<unsigned char>(expected)) break;
        head.push_back(static_cast<char>(buf->sbumpc()));
      }
      // A partial BOM is data: it starts the first field.
      if (head.size() != kBom.size()) pending_ = std::move(head);
    }
  }
  enum class State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted };
  while (true) {
    CsvRecord record;
    record.line = line_;
    std::string field;
    State state = State::kFieldStart;
    bool any = false;
    bool oversized = false;
    if (!pending_.empty()) {
      field = std::move(pending_);
      pending_.clear();
      state = State::kUnquoted;
      any = true;
    }
    auto append = [&](char c) {
      if (field.size() >= max_field_bytes_) {
        if (!oversized && record.error.empty()) {
          record.error = "field longer than " + std::to_string(max_field_bytes_) + " bytes";
        }
        oversized = true;
        return;
      }
      field.push_back(c);
    };
    auto end_field = [&] {
      record.fields.push_back(std::move(field));
      field.clear();
      oversized = false;
      state = State::kFieldStart;
    };
    bool at_eof = false;
    while (true) {
      const int ci = buf->sbumpc();
      if (ci == Traits::eof()) {
        at_eof = true;
        if (state == State::kQuoted && record.error.empty()) {
          record.error = "unterminated quoted field";
        }
        break;
      }
      any = true;
      const char c = static_cast<char>(ci);
      if (c == '\r' && state != State::kQuoted) {
        if (buf->sgetc() == '\n') buf->sbumpc();
        ++line_;
        break;
      }
      if (c == '\n') {
        ++line_;
        if (state != State::kQuoted) break;
      }
      switch (state) {
        case State::kFieldStart:
          if (c == '"') {
            state = State::kQuoted;
          } else if (c == ',') {
            end_field();
          } else {
            append(c);
            state = State::kUnquoted;
          }
          break;
        case State::kUnquoted:
          if (c == ',') {
            end_field();
          } else {
            if (c == '"' && record.error.empty()) {
              record.error = "quote inside an unquoted field";
            }
            append(c);
          }
          break;
        case State::kQuoted:
          if (c == '"') {
            state = State::kQuoteInQuoted;
          } else {
            append(c);
          }
          break;
        case State::kQuoteInQuoted:
          if (c == '"') {
            append('"');
            state = State::kQuoted;
          } else if (c == ',') {
            end_field();
          } else {
            if (record.error.empty()) record.error = "text after a closing quote";
            append(c);
            state = State::kUnquoted;
          }
          break;
      }
    }
    if (!any && at_eof) return std::nullopt;
    // A blank line: no fields and nothing in the current one.
    if (record.fields.empty() && field.empty() && state == State::kFieldStart) {
      if (at_eof) return std::nullopt;
      continue;
    }
    record.fields.push_back(std::move(field));
    return record;
  }
}

// ---------------------------------------------------------------- field parsers

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads between min and max decimal digits from the front of `s`.
std::optional<int> TakeDigits(std::string_view& s, size_t min_digits, size_t max_digits) {
  size_t n = 0;
  int value = 0;
  while (n < max_digits && n < s.size() && s[n] >= '0' && s[n] <= '9') {
    value = value * 10 + (s[n] - '0');
    ++n;
  }
  if (n < min_digits) return std::nullopt;
  s.remove_prefix(n);
  return value;
}

bool TakeChar(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

std::optional<int64_t> ToEpochSeconds(int year, int month, int day, int hour, int minute,
                                      int second) {
  const auto civil = DayFromCivil(year, month, day);
  if (!civil || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  return int64_t{*civil} * 86400 + hour * 3600 + minute * 60 + second;
}

// HH:MM[:SS] (hours one or two digits when `loose_hour`); the rest of `s` is left.
bool TakeTime(std::string_view& s, bool loose_hour, bool allow_seconds, int& h, int& m, int& sec) {
  auto hh = TakeDigits(s, loose_hour ? 1 : 2, 2);
  if (!hh || !TakeChar(s, ':')) return false;
  auto mm = TakeDigits(s, 2, 2);
  if (!mm) return false;
  h = *hh;
  m = *mm;
  sec = 0;
  if (allow_seconds && TakeChar(s, ':')) {
    auto ss = TakeDigits(s, 2, 2);
    if (!ss) return false;
    sec = *ss;
  }
  return true;
}

// UCI Online Retail invoice dates, see the header.
std::optional<int64_t> ParseRetailDate(std::string_view text) {
  text = Trim(text);
  int year = 0, month = 0, day = 0, h = 0, m = 0, sec = 0;
  std::string_view s = text;
  if (s.size() >= 5 && s[4] == '-') {  // YYYY-MM-DD HH:MM[:SS]
    auto y = TakeDigits(s, 4, 4);
    if (!y || !TakeChar(s, '-')) return std::nullopt;
    auto mo = TakeDigits(s, 2, 2);
    if (!mo || !TakeChar(s, '-')) return std::nullopt;
    auto d = TakeDigits(s, 2, 2);
    if (!d) return std::nullopt;
    year = *y, month = *mo, day = *d;
  } else if (s.size() >= 3 && s[2] == '-') {  // DD-MM-YYYY HH:MM[:SS]
    auto d = TakeDigits(s, 2, 2);
    if (!d || !TakeChar(s, '-')) return std::nullopt;
    auto mo = TakeDigits(s, 2, 2);
    if (!mo || !TakeChar(s, '-')) return std::nullopt;
    auto y = TakeDigits(s, 4, 4);
    if (!y) return std::nullopt;
    year = *y, month = *mo, day = *d;
  } else {  // M/D/YYYY H:MM
    auto mo = TakeDigits(s, 1, 2);
    if (!mo || !TakeChar(s, '/')) return std::nullopt;
    auto d = TakeDigits(s, 1, 2);
    if (!d || !TakeChar(s, '/')) return std::nullopt;
    auto y = TakeDigits(s, 4, 4);
    if (!y) return std::nullopt;
    year = *y, month = *mo, day = *d;
  }
  if (!TakeChar(s, ' ') || !TakeTime(s, /*loose_hour=*/true, /*allow_seconds=*/true, h, m, sec) ||
      !s.empty()) {
    return std::nullopt;
  }
  return ToEpochSeconds(year, month, day, h, m, sec);
}

std::optional<int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Plain decimal: digits with an optional '.' part and sign; no exponent, no inf/nan.
std::optional<double> ParseDecimal(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s.size() > 64) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) return std::nullopt;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "17850", "17850.0" -> "17850"; "NA" or "" -> empty.
std::optional<std::string> ParseRetailCustomer(std::string_view s) {
  s = Trim(s);
  if (s.empty() || s == "NA") return std::string();
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  std::string_view rest = s.substr(digits);
  if (digits == 0 || digits > 18) return std::nullopt;
  if (!rest.empty()) {
    if (rest.front() != '.') return std::nullopt;
    for (char c : rest.substr(1)) {
      if (c != '0') return std::nullopt;
    }
  }
  return std::string(s.substr(0, digits));
}

bool IsCurrencyCode(std::string_view s) {
  if (s.size() != 3) return false;
  for (char c : s) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

// Quotes a value for an error message, shortened so a huge field cannot flood the report.
std::string Shown(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.push_back('\'');
  return out;
}

class IssueSink {
 public:
  IssueSink(ImportResult& result, size_t max_listed) : result_(result), max_listed_(max_listed) {}
  void Add(int64_t line, RowIssue::Kind kind, std::string reason) {
    switch (kind) {
      case RowIssue::Kind::kError:
        ++result_.errors;
        break;
      case RowIssue::Kind::kMissingCustomer:
        ++result_.missing_customer;
        break;
      case RowIssue::Kind::kAdjustment:
        ++result_.adjustments;
        break;
      case RowIssue::Kind::kCancellation:
        ++result_.cancellations;
        break;
    }
    if (result_.issues.size() < max_listed_) {
      result_.issues.push_back(RowIssue{line, kind, std::move(reason)});
    }
  }

 private:
  ImportResult& result_;
  size_t max_listed_;
};

// Maps header names to column positions. `known` lists the accepted names; the first
// `required` of them must be present.
struct Header {
  std::vector<int> column;  // per known name: index in the record, -1 if absent
  size_t width = 0;
};

template <size_t N>
StatusOr<Header> ReadHeader(CsvReader& reader, const std::array<std::string_view, N>& known,
                            bool unknown_is_error, std::vector<std::string>* ignored) {
  auto record = reader.Next();
  if (!record) return Status(Status::Kind::kInvalid, "missing_header", "the CSV is empty");
  if (!record->error.empty()) {
    return Status(Status::Kind::kInvalid, "malformed_header",
                  "line " + std::to_string(record->line) + ": " + record->error);
  }
  Header header;
  header.width = record->fields.size();
  header.column.assign(N, -1);
  for (size_t i = 0; i < record->fields.size(); ++i) {
    const std::string_view name = Trim(record->fields[i]);
    size_t k = 0;
    while (k < N && known[k] != name) ++k;
    if (k == N) {
      if (unknown_is_error) {
        return Status(Status::Kind::kInvalid, "unknown_column",
                      "unknown column " + Shown(name) + " in the header");
      }
      if (ignored != nullptr) ignored->emplace_back(name);
      continue;
    }
    if (header.column[k] != -1) {
      return Status(Status::Kind::kInvalid, "duplicate_column",
                    "column " + Shown(name) + " appears twice in the header");
    }
    header.column[k] = static_cast<int>(i);
  }
  for (size_t k = 0; k < N; ++k) {
    if (header.column[k] == -1) {
      return Status(Status::Kind::kInvalid, "missing_column",
                    "the header lacks column " + Shown(known[k]));
    }
  }
  return header;
}

// The next record with the header's width. Every record read is counted; malformed ones are
// reported to `issues` and skipped.
std::optional<CsvRecord> NextDataRow(CsvReader& reader, const Header& header, ImportResult& result,
                                     IssueSink& issues) {
  while (auto record = reader.Next()) {
    ++result.rows_read;
    if (!record->error.empty()) {
      issues.Add(record->line, RowIssue::Kind::kError, record->error);
      continue;
    }
    if (record->fields.size() != header.width) {
      issues.Add(record->line, RowIssue::Kind::kError,
                 "expected " + std::to_string(header.width) + " fields, found " +
                     std::to_string(record->fields.size()));
      continue;
    }
    return record;
  }
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> ParseIso8601(std::string_view text) {
  std::string_view s = Trim(text);
  auto y = TakeDigits(s, 4, 4);
  if (!y || !TakeChar(s, '-')) return std::nullopt;
  auto mo = TakeDigits(s, 2, 2);
  if (!mo || !TakeChar(s, '-')) return std::nullopt;
  auto d = TakeDigits(s, 2, 2);
  if (!d) return std::nullopt;
  int h = 0, m = 0, sec = 0;
  int64_t offset = 0;
  if (!s.empty()) {
    if (!TakeChar(s, 'T') && !TakeChar(s, ' ')) return std::nullopt;
    if (!TakeTime(s, /*loose_hour=*/false, /*allow_seconds=*/true, h, m, sec)) return std::nullopt;
    if (TakeChar(s, '.')) {  // fraction of a second: checked, then dropped
      if (!TakeDigits(s, 1, 9)) return std::nullopt;
    }
    if (TakeChar(s, 'Z')) {
    } else if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
      const int sign = s.front() == '-' ? -1 : 1;
      s.remove_prefix(1);
      auto oh = TakeDigits(s, 2, 2);
      if (!oh || !TakeChar(s, ':')) return std::nullopt;
      auto om = TakeDigits(s, 2, 2);
      if (!om || *oh > 23 || *om > 59) return std::nullopt;
      offset = sign * (int64_t{*oh} * 3600 + int64_t{*om} * 60);
    }
    if (!s.empty()) return std::nullopt;
  }
  auto local = ToEpochSeconds(*y, *mo, *d, h, m, sec);
  if (!local) return std::nullopt;
  return *local - offset;
}

// ---------------------------------------------------------------- generic format

StatusOr<ImportResult> ImportGenericCsv(std::istream& in, const ImportOptions& options) {
  enum Col { kCustomer, kEmail, kOrder, kDate, kProduct, kQuantity, kPrice, kCurrency };
  static constexpr std::array<std::string_view, 8> kColumns = {
      "customer_id", "email",    "order_id",   "order_date",
      "product_id",  "quantity", "unit_price", "currency"};
  if (!options.currency.empty() && !IsCurrencyCode(options.currency)) {
    return Status(Status::Kind::kInvalid, "invalid_currency",
                  "ImportOptions::currency " + Shown(options.currency) + " is not ISO 4217");
  }
  CsvReader reader(in);
  auto header = ReadHeader(reader, kColumns, /*unknown_is_error=*/true, nullptr);
  if (!header.ok()) return header.status();
  ImportResult result;
  IssueSink issues(result, options.max_listed_issues);
  std::string currency = options.currency;
  while (auto record = NextDataRow(reader, *header, result, issues)) {
    const int64_t line = record->line;
    auto field = [&](Col c) {
      return Trim(record->fields[static_cast<size_t>(header->column[c])]);
    };
    OrderLine out;
    out.source_line = line;
    out.customer_id = field(kCustomer);
    out.email = field(kEmail);
    out.order_id = field(kOrder);
    out.product_id = field(kProduct);
    std::string error;
    if (out.customer_id.empty() && out.email.empty()) {
      error = "customer_id and email are both empty";
    } else if (!out.email.empty() && out.email.find('@') == std::string::npos) {
      error = "email " + Shown(out.email) + " has no '@'";
    } else if (out.order_id.empty()) {
      error = "order_id is empty";
    } else if (out.product_id.empty()) {
      error = "product_id is empty";
    }
    const auto time = ParseIso8601(field(kDate));
    const auto quantity = ParseInt(field(kQuantity));
    const auto price = ParseDecimal(field(kPrice));
    const std::string_view row_currency = field(kCurrency);
    if (!error.empty()) {
    } else if (!time) {
      error = "order_date " + Shown(field(kDate)) + " is not an ISO 8601 date";
    } else if (!quantity || *quantity < 1) {
      error = "quantity " + Shown(field(kQuantity)) + " is not an integer >= 1";
    } else if (!price || *price < 0) {
      error = "unit_price " + Shown(field(kPrice)) + " is not a decimal >= 0";
    } else if (!IsCurrencyCode(row_currency)) {
      error = "currency " + Shown(row_currency) + " is not an ISO 4217 code";
    } else if (!currency.empty() && row_currency != currency) {
      error = "currency " + Shown(row_currency) + " differs from the import's " + currency;
    }
    if (!error.empty()) {
      issues.Add(line, RowIssue::Kind::kError, std::move(error));
      continue;
    }
    if (currency.empty()) currency = row_currency;
    out.order_time = *time;
    out.quantity = *quantity;
    out.unit_price = *price;
    out.currency = currency;
    result.lines.push_back(std::move(out));
  }
  return result;
}

// ---------------------------------------------------------------- UCI Online Retail

StatusOr<ImportResult> ImportOnlineRetailCsv(std::istream& in, const ImportOptions& options) {
  enum Col { kInvoice, kStock, kDescription, kQuantity, kDate, kPrice, kCustomer, kCountry };
  static constexpr std::array<std::string_view, 8> kColumns = {
      "InvoiceNo",   "StockCode", "Description", "Quantity",
      "InvoiceDate", "UnitPrice", "CustomerID",  "Country"};
  const std::string currency = options.currency.empty() ? "GBP" : options.currency;
  if (!IsCurrencyCode(currency)) {
    return Status(Status::Kind::kInvalid, "invalid_currency",
                  "ImportOptions::currency " + Shown(currency) + " is not ISO 4217");
  }
  CsvReader reader(in);
  ImportResult result;
  auto header = ReadHeader(reader, kColumns, /*unknown_is_error=*/false, &result.ignored_columns);
  if (!header.ok()) return header.status();
  IssueSink issues(result, options.max_listed_issues);
  while (auto record = NextDataRow(reader, *header, result, issues)) {
    const int64_t line = record->line;
    auto field = [&](Col c) {
      return Trim(record->fields[static_cast<size_t>(header->column[c])]);
    };
    const std::string_view invoice = field(kInvoice);
    const auto quantity = ParseInt(field(kQuantity));
    const auto price = ParseDecimal(field(kPrice));
    const auto time = ParseRetailDate(field(kDate));
    const auto customer = ParseRetailCustomer(field(kCustomer));
    std::string error;
    if (invoice.empty()) {
      error = "InvoiceNo is empty";
    } else if (field(kStock).empty()) {
      error = "StockCode is empty";
    } else if (!quantity || *quantity == 0) {
      error = "Quantity " + Shown(field(kQuantity)) + " is not a non-zero integer";
    } else if (!price) {
      error = "UnitPrice " + Shown(field(kPrice)) + " is not a decimal";
    } else if (!time) {
      error = "InvoiceDate " + Shown(field(kDate)) + " is not a supported date";
    } else if (!customer) {
      error = "CustomerID " + Shown(field(kCustomer)) + " is not a number";
    }
    if (!error.empty()) {
      issues.Add(line, RowIssue::Kind::kError, std::move(error));
      continue;
    }
    const bool cancellation = invoice.front() == 'C';
    // Precedence: adjustments, then rows without a customer, then cancellations.
    if (invoice.front() == 'A' || *price < 0 || (!cancellation && *quantity < 0)) {
      issues.Add(line, RowIssue::Kind::kAdjustment,
                 "invoice " + Shown(invoice) + " quantity " + std::to_string(*quantity) +
                     " is an adjustment, not a purchase");
      continue;
    }
    if (customer->empty()) {
      issues.Add(line, RowIssue::Kind::kMissingCustomer,
                 "invoice " + Shown(invoice) + " has no CustomerID");
      continue;
    }
    if (cancellation && *quantity > 0) {
      issues.Add(line, RowIssue::Kind::kError,
                 "cancellation " + Shown(invoice) + " has a positive quantity");
      continue;
    }
    OrderLine out;
    out.source_line = line;
    out.customer_id = *customer;
    out.order_id = invoice;
    out.order_time = *time;
    out.product_id = field(kStock);
    out.description = field(kDescription);
    out.country = field(kCountry);
    out.quantity = *quantity;
    out.unit_price = *price;
    out.currency = currency;
    out.is_cancellation = cancellation;
    if (cancellation) {
      issues.Add(line, RowIssue::Kind::kCancellation,
                 "cancellation " + Shown(invoice) + " of " + std::to_string(-*quantity) + " x " +
                     out.product_id);
    }
    result.lines.push_back(std::move(out));
  }
  return result;
}

}  // namespace vitrine::server::analytics
