// CRM CSV import: the RFC 4180 reader, the generic format, and the UCI Online Retail samples.
#include "sync_server/analytics/crm_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace vitrine::server::analytics {
namespace {

std::vector<CsvRecord> ReadAll(const std::string& text, size_t max_field = 1 << 20) {
  std::istringstream in(text);
  CsvReader reader(in, max_field);
  std::vector<CsvRecord> out;
  while (auto r = reader.Next()) out.push_back(std::move(*r));
  return out;
}

TEST(CsvReaderTest, QuotingLineEndsAndLineNumbers) {
  const auto records = ReadAll(
      "\xEF\xBB\xBF"
      "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\n\"two\nlines\",,x\nlast");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].line, 1);
  EXPECT_EQ(records[0].fields, (std::vector<std::string>{"a", "b,c", "say \"hi\""}));
  EXPECT_EQ(records[1].line, 3);  // the blank line 2 is skipped
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"two\nlines", "", "x"}));
  EXPECT_EQ(records[2].line, 5);
  EXPECT_EQ(records[2].fields, (std::vector<std::string>{"last"}));
  for (const auto& r : records) EXPECT_EQ(r.error, "");
}

TEST(CsvReaderTest, MalformedRecordsAreReportedAndReadingGoesOn) {
  const auto records = ReadAll("\"a\"b,c\nok,1\nx\"y\nfine\n\"never closed,2\n3\n");
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].error, "text after a closing quote");
  EXPECT_EQ(records[1].error, "");
  EXPECT_EQ(records[1].fields, (std::vector<std::string>{"ok", "1"}));
  EXPECT_EQ(records[2].error, "quote inside an unquoted field");
  EXPECT_EQ(records[3].fields, (std::vector<std::string>{"fine"}));
  EXPECT_EQ(records[4].line, 5);
  EXPECT_EQ(records[4].error, "unterminated quoted field");
}

TEST(CsvReaderTest, OversizedFieldAndPartialBom) {
  const auto records = ReadAll("abcdefgh,1\nab,2\n", 4);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].error.find("longer than 4"), std::string::npos);
  EXPECT_EQ(records[1].error, "");
  const auto partial = ReadAll("\xEF\xBBx,1\n");
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].fields[0], "\xEF\xBBx");
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("\n\r\n").empty());
}

TEST(Iso8601Test, DatesTimesAndOffsets) {
  EXPECT_EQ(ParseIso8601("1970-01-01"), 0);
  EXPECT_EQ(ParseIso8601("1970-01-02T00:00:01Z"), 86401);
  EXPECT_EQ(ParseIso8601("2024-03-05 14:20"), ParseIso8601("2024-03-05T14:20:00"));
  EXPECT_EQ(ParseIso8601("2024-03-05T16:20:00+02:00"), ParseIso8601("2024-03-05T14:20:00Z"));
  EXPECT_EQ(ParseIso8601("2024-03-05T14:20:00.250-01:30"), ParseIso8601("2024-03-05T15:50:00Z"));
  EXPECT_EQ(ParseIso8601("2024-02-29"), ParseIso8601("2024-03-01").value() - 86400);
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-3-5", "05/03/2024", "2024-03-05T25:00",
                          "2024-03-05T14:20:00X", "", "2024-03-05T", "2024-03-05T14:20+2"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

constexpr char kGenericHeader[] =
    "customer_id,email,order_id,order_date,product_id,quantity,unit_price,currency\n";

TEST(GenericCsvTest, ValidRowsImportAndBadRowsAreReportedByLine) {
  std::istringstream in(std::string(kGenericHeader) +
                        "c-1,ann@example.com,A-1,2024-03-05T14:20:00Z,sku-9,2,12.50,EUR\n"  // 2
                        ",bob@example.com,A-2,2024-03-06,sku-1,1,3,EUR\n"                   // 3
                        "c-3,,A-3,2024-13-06,sku-1,1,3,EUR\n"                               // 4
                        "c-4,,A-4,2024-03-06,sku-1,0,3,EUR\n"                               // 5
                        "c-5,,A-5,2024-03-06,sku-1,1,-3,EUR\n"                              // 6
                        "c-6,,A-6,2024-03-06,sku-1,1,3,USD\n"                               // 7
                        ",,A-7,2024-03-06,sku-1,1,3,EUR\n"                                  // 8
                        "c-8,,A-8,2024-03-06,sku-1,1\n"                                     // 9
                        "c-9,,A-9,2024-03-06,sku-1,1,1e3,EUR\n"                             // 10
                        "c-10,not-an-email,A-10,2024-03-06,sku-1,1,3,EUR\n"                 // 11
                        "\"c-11\",,\"A-11\",2024-03-07,\"sku,2\",3,0.99,eur\n"              // 12
                        "c-12,,A-12,2024-03-07,sku-2,3,0.99,EUR\n");                        // 13
  auto result = ImportGenericCsv(in);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows_read, 12);
  ASSERT_EQ(result->lines.size(), 3u);
  EXPECT_EQ(result->lines[0].customer_id, "c-1");
  EXPECT_EQ(result->lines[0].quantity, 2);
  EXPECT_DOUBLE_EQ(result->lines[0].unit_price, 12.5);
  EXPECT_EQ(result->lines[0].order_time, ParseIso8601("2024-03-05T14:20:00Z"));
  EXPECT_EQ(result->lines[0].currency, "EUR");
  EXPECT_EQ(result->lines[1].email, "bob@example.com");
  EXPECT_EQ(result->lines[2].source_line, 13);
  EXPECT_EQ(result->errors, 9);
  ASSERT_EQ(result->issues.size(), 9u);
  const std::vector<std::pair<int64_t, std::string>> expected = {
      {4, "order_date"},  {5, "quantity"},    {6, "unit_price"},
      {7, "differs"},     {8, "both empty"},  {9, "expected 8 fields"},
      {10, "unit_price"}, {11, "has no '@'"}, {12, "currency 'eur'"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(result->issues[i].line, expected[i].first);
    EXPECT_EQ(result->issues[i].kind, RowIssue::Kind::kError);
    EXPECT_NE(result->issues[i].reason.find(expected[i].second), std::string::npos)
        << result->issues[i].reason;
  }
}

TEST(GenericCsvTest, HeaderProblemsFailTheWholeImport) {
  auto import = [](const std::string& text) {
    std::istringstream in(text);
    return ImportGenericCsv(in);
  };
  EXPECT_EQ(import("").status().code(), "missing_header");
  EXPECT_EQ(import("customer_id,email,order_id,order_date,product_id,quantity,unit_price,"
                   "currency,coupon\n")
                .status()
                .code(),
            "unknown_column");
  EXPECT_EQ(import("customer_id,email,order_id,order_date,product_id,quantity,unit_price\n")
                .status()
                .code(),
            "missing_column");
  EXPECT_EQ(import("customer_id,customer_id,email,order_id,order_date,product_id,quantity,"
                   "unit_price,currency\n")
                .status()
                .code(),
            "duplicate_column");
  EXPECT_EQ(import("\"customer_id,email\n").status().code(), "malformed_header");
  // Columns in another order are fine.
  auto reordered = import(
      "currency,unit_price,quantity,product_id,order_date,order_id,email,customer_id\n"
      "GBP,1.5,2,p,2024-01-01,o,,c\n");
  ASSERT_TRUE(reordered.ok());
  ASSERT_EQ(reordered->lines.size(), 1u);
  EXPECT_EQ(reordered->lines[0].customer_id, "c");
  EXPECT_EQ(reordered->lines[0].currency, "GBP");
  // A fixed import currency rejects the others from the first row on.
  std::istringstream in(std::string(kGenericHeader) + "c,,o,2024-01-01,p,1,1,GBP\n");
  ImportOptions options;
  options.currency = "EUR";
  auto fixed = ImportGenericCsv(in, options);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->lines.size(), 0u);
  EXPECT_EQ(fixed->errors, 1);
}

TEST(OnlineRetailCsvTest, HandWrittenRowsAreClassified) {
  std::istringstream in(
      "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
      "536365,85123A,\"WHITE HANGING HEART, T-LIGHT\",6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
      "C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527.0,United Kingdom\n"
      "536414,22139,,56,2010-12-01 11:52:00,0,NA,United Kingdom\n"
      "572516,22336,damaged,-71,24-10-2011 14:45,0,,United Kingdom\n"
      "A563185,B,Adjust bad debt,1,12/08/2011 14:50,11062.06,,United Kingdom\n"
      "C536380,22,Oops,3,2010-12-01 09:41:00,1,14527,United Kingdom\n"
      "536366,22633,HAND WARMER,6,2010-13-01 08:28:00,1.85,17850,United Kingdom\n"
      "536367,84879,BIRD,x,2010-12-01 08:34:00,1.69,13047,United Kingdom\n"
      "536368,84880,BIRD,1,2010-12-01 08:34:00,1.69,13047.5,United Kingdom\n"
      "536369,84881,BIRD,1,2010-12-01 08:34:00,1.69,13047\n");
  auto result = ImportOnlineRetailCsv(in);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows_read, 10);
  ASSERT_EQ(result->lines.size(), 2u);
  const OrderLine& first = result->lines[0];
  EXPECT_EQ(first.customer_id, "17850");
  EXPECT_EQ(first.description, "WHITE HANGING HEART, T-LIGHT");
  EXPECT_EQ(first.order_time, ParseIso8601("2010-12-01T08:26:00Z"));
  EXPECT_EQ(first.currency, "GBP");
  EXPECT_FALSE(first.is_cancellation);
  EXPECT_TRUE(result->lines[1].is_cancellation);
  EXPECT_EQ(result->lines[1].customer_id, "14527");
  EXPECT_EQ(result->lines[1].quantity, -1);
  EXPECT_EQ(result->cancellations, 1);
  EXPECT_EQ(result->missing_customer, 1);
  EXPECT_EQ(result->adjustments, 2);
  EXPECT_EQ(result->errors, 5);
  ASSERT_EQ(result->issues.size(), 9u);
  EXPECT_EQ(result->issues[0].line, 3);
  EXPECT_EQ(result->issues[0].kind, RowIssue::Kind::kCancellation);
  EXPECT_EQ(result->issues[1].line, 4);
  EXPECT_EQ(result->issues[1].kind, RowIssue::Kind::kMissingCustomer);
  EXPECT_EQ(result->issues[2].kind, RowIssue::Kind::kAdjustment);
  EXPECT_EQ(result->issues[3].kind, RowIssue::Kind::kAdjustment);
  EXPECT_NE(result->issues[4].reason.find("positive quantity"), std::string::npos);
  EXPECT_NE(result->issues[5].reason.find("InvoiceDate"), std::string::npos);
  EXPECT_NE(result->issues[6].reason.find("Quantity"), std::string::npos);
  EXPECT_NE(result->issues[7].reason.find("CustomerID"), std::string::npos);
  EXPECT_NE(result->issues[8].reason.find("expected 8 fields"), std::string::npos);
}

// ---- the real samples in the shared datasets folder

std::filesystem::path RetailDir() {
  return std::filesystem::path(VITRINE_SHARED_DIR) / "datasets" / "online_retail";
}

#define REQUIRE_RETAIL(file)                              \
  std::ifstream in(RetailDir() / file, std::ios::binary); \
  if (!in) GTEST_SKIP() << "datasets folder absent: no " << (RetailDir() / file).string()

TEST(OnlineRetailCsvTest, GulertanSample) {
  REQUIRE_RETAIL("gulertan_online_retail_sample_20k.csv");
  auto result = ImportOnlineRetailCsv(in);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  // 20,000 rows: 5,078 without CustomerID (48 of them stock adjustments with negative
  // quantities, 8 cancellations), 350 cancellations in all.
  EXPECT_EQ(result->rows_read, 20000);
  EXPECT_EQ(result->errors, 0) << (result->issues.empty() ? "" : result->issues[0].reason);
  EXPECT_EQ(result->adjustments, 48);
  EXPECT_EQ(result->missing_customer, 5078 - 48);
  EXPECT_EQ(result->cancellations, 350 - 8);
  EXPECT_EQ(result->lines.size(), 20000u - 5078u);
  EXPECT_EQ(result->lines[0].customer_id, "12621");  // line 3; line 2 has no customer
  EXPECT_EQ(result->lines[0].source_line, 3);
  EXPECT_EQ(result->lines[0].order_time, ParseIso8601("2011-06-16T14:45:00Z"));
  EXPECT_EQ(result->issues[0].line, 2);
  EXPECT_EQ(result->issues[0].kind, RowIssue::Kind::kMissingCustomer);
}

TEST(OnlineRetailCsvTest, HadaroshaniHeadWithDerivedColumns) {
  REQUIRE_RETAIL("hadaroshani_online_retail_head10k.csv");
  auto result = ImportOnlineRetailCsv(in);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows_read, 10000);
  EXPECT_EQ(result->lines.size(), 10000u);
  EXPECT_EQ(result->ignored_columns, (std::vector<std::string>{"Revenue", "Month"}));
  EXPECT_EQ(result->lines[0].order_id, "536365");
  EXPECT_EQ(result->lines[0].customer_id, "17850");
  EXPECT_EQ(result->lines[0].order_time, ParseIso8601("2010-12-01T08:26:00Z"));
}

TEST(OnlineRetailCsvTest, VikashSampleWithDayFirstDates) {
  REQUIRE_RETAIL("vikash_online_retail_sample_10k.csv");
  auto result = ImportOnlineRetailCsv(in);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->rows_read, 10000);
  EXPECT_EQ(result->errors, 0) << (result->issues.empty() ? "" : result->issues[0].reason);
  EXPECT_EQ(result->lines.size(), 10000u);
  EXPECT_EQ(result->lines[0].customer_id, "16764");
  EXPECT_EQ(result->lines[0].order_time, ParseIso8601("2011-11-18T12:27:00Z"));
}

}  // namespace
}  // namespace vitrine::server::analytics
