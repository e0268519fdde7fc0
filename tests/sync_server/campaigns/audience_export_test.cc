// Look-alike exports: normalisation and hashing against the platforms' documented examples.
//
// Meta's examples and expected SHA-256 values are from the Conversions API "Customer Information
// Parameters" page (developers.facebook.com/docs/marketing-api/conversions-api/parameters/
// customer-information-parameters), which uses the same normalisation as Custom Audience
// customer files: email "John_Smith@gmail.com" -> "john_smith@gmail.com"; US phone
// "(650)555-1212" -> "16505551212"; first names "Mary" -> "mary", "Valéry" -> "valéry", "정".
// Google's rules are from Google Ads Help "Formatting guidelines for uploading hashed data"
// (support.google.com/google-ads/answer/7476159) and the Customer Match template: headers
// Email, Phone, First Name, Last Name, Country, Zip; phones in E.164 (the Google Ads API team's
// examples: +12125650000, +442070313000); names lower-cased (the template's "zoë,pérez").
#include "sync_server/campaigns/audience_export.h"

#include <gtest/gtest.h>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/common/utf8.h"

namespace vitrine::server::campaigns {
namespace {

const PhoneDefaults kUs{"1", "1", 10};
const PhoneDefaults kUk{"44", "0", 10};
const PhoneDefaults kRu{"7", "8", 10};

TEST(AudienceExportTest, MetaDocumentedEmailExample) {
  auto email = NormalizeEmail("  John_Smith@gmail.com ");
  ASSERT_TRUE(email);
  EXPECT_EQ(*email, "john_smith@gmail.com");
  EXPECT_EQ(Sha256Hex(*email), "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f");
}

TEST(AudienceExportTest, MetaDocumentedPhoneExample) {
  auto phone = NormalizePhoneMeta("(650)555-1212", kUs);
  ASSERT_TRUE(phone);
  EXPECT_EQ(*phone, "16505551212");
  EXPECT_EQ(Sha256Hex(*phone), "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176");
  // With spaces and '+': Meta wants the digits without '+'.
  EXPECT_EQ(NormalizePhoneMeta("+1 650 555 1212", kUs).value_or(""), "16505551212");
  EXPECT_EQ(NormalizePhoneMeta("1 (650) 555-1212", kUs).value_or(""), "16505551212");
  EXPECT_EQ(NormalizePhoneMeta("001 650 555 1212", {}).value_or(""), "16505551212");
}

TEST(AudienceExportTest, MetaDocumentedNameExamples) {
  EXPECT_EQ(Sha256Hex(NormalizeName("Mary").value_or("")),
            "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec");
  EXPECT_EQ(NormalizeName("Valéry").value_or(""), "valéry");
  EXPECT_EQ(Sha256Hex(NormalizeName("Valéry").value_or("")),
            "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c");
  EXPECT_EQ(Sha256Hex(NormalizeName("정").value_or("")),
            "8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14");
}

TEST(AudienceExportTest, CyrillicNamesSurviveLowerCasing) {
  EXPECT_EQ(NormalizeName("Иван").value_or(""), "иван");
  EXPECT_EQ(NormalizeName("  ВАЛЕРИЙ ").value_or(""), "валерий");
  EXPECT_EQ(NormalizeName("Ёлкина-Іваненко").value_or(""), "ёлкинаіваненко");
  // The hash is of the lower-case UTF-8 bytes, not of a transliteration or of '?' marks.
  EXPECT_EQ(Sha256Hex(NormalizeName("Иван").value_or("")), Sha256Hex("иван"));
  EXPECT_NE(Sha256Hex(NormalizeName("Иван").value_or("")), Sha256Hex("Иван"));
  // Google's template example.
  EXPECT_EQ(NormalizeName("Zoë").value_or(""), "zoë");
  EXPECT_EQ(NormalizeName("PÉREZ").value_or(""), "pérez");
  EXPECT_EQ(NormalizeName("O'Neil").value_or(""), "oneil");
  EXPECT_FALSE(NormalizeName("\xff\xfe"));  // invalid UTF-8 is refused, not hashed
  EXPECT_FALSE(NormalizeName(" - "));
}

TEST(AudienceExportTest, GooglePhonesAreE164WithPlus) {
  EXPECT_EQ(NormalizePhoneGoogle("(212) 565-0000", kUs).value_or(""), "+12125650000");
  EXPECT_EQ(NormalizePhoneGoogle("+44 20 7031 3000", kUk).value_or(""), "+442070313000");
  EXPECT_EQ(NormalizePhoneGoogle("020 7031 3000", kUk).value_or(""), "+442070313000");
  EXPECT_EQ(NormalizePhoneGoogle("1-800-888-8888", kUs).value_or(""), "+18008888888");
  EXPECT_EQ(NormalizePhoneGoogle("1(800)888-8888", kUs).value_or(""), "+18008888888");
}

TEST(AudienceExportTest, MetaAndGooglePhonesDifferOnlyByPlus) {
  for (const char* raw : {"+7 916 123-45-67", "8 (916) 123-45-67", "9161234567"}) {
    SCOPED_TRACE(raw);
    EXPECT_EQ(NormalizePhoneMeta(raw, kRu).value_or(""), "79161234567");
    EXPECT_EQ(NormalizePhoneGoogle(raw, kRu).value_or(""), "+79161234567");
  }
  EXPECT_NE(Sha256Hex("79161234567"), Sha256Hex("+79161234567"));
  EXPECT_FALSE(NormalizePhoneMeta("12-34", kRu));    // too short
  EXPECT_FALSE(NormalizePhoneMeta("call me", kRu));  // no digits
  EXPECT_FALSE(NormalizeEmail("not-an-email"));
  EXPECT_FALSE(NormalizeEmail("a@b@c"));
}

TEST(AudienceExportTest, CsvFilesPerPlatform) {
  std::vector<SeedCustomer> seed = {
      {" Ivan.Petrov@Example.RU ", "8 (916) 123-45-67", "Иван", "Петров", "RU", "101000"},
      {"mary@example.com", "", "Mary", "Smith", "us", "94016"},
      {"ivan.petrov@example.ru", "+7 916 1234567", "Ivan", "P", "RU", ""},  // same person
      {"", "", "Nobody", "Here", "US", ""},                                 // nothing usable
  };
  ExportStats meta_stats;
  const std::string meta = ExportMetaCsv(seed, kRu, &meta_stats);
  EXPECT_EQ(meta_stats.rows, 2);
  EXPECT_EQ(meta_stats.duplicates, 1);
  EXPECT_EQ(meta_stats.skipped, 1);
  const std::string meta_row1 = Sha256Hex("ivan.petrov@example.ru") + "," +
                                Sha256Hex("79161234567") + "," + Sha256Hex("иван") + "," +
                                Sha256Hex("петров") + "," + Sha256Hex("101000") + "," +
                                Sha256Hex("ru");
  EXPECT_EQ(meta, "email,phone,fn,ln,zip,country\r\n" + meta_row1 + "\r\n" +
                      Sha256Hex("mary@example.com") + ",," + Sha256Hex("mary") + "," +
                      Sha256Hex("smith") + "," + Sha256Hex("94016") + "," + Sha256Hex("us") +
                      "\r\n");

  const std::string google = ExportGoogleCsv(seed, kRu);
  const std::string google_row1 = Sha256Hex("ivan.petrov@example.ru") + "," +
                                  Sha256Hex("+79161234567") + "," + Sha256Hex("иван") + "," +
                                  Sha256Hex("петров") + ",ru,101000";
  EXPECT_EQ(google.substr(0, google.find("\r\n")), "Email,Phone,First Name,Last Name,Country,Zip");
  EXPECT_NE(google.find("\r\n" + google_row1 + "\r\n"), std::string::npos) << google;
  // No clear-text identifier leaks into either file.
  for (const std::string* file : {&meta, &google}) {
    EXPECT_EQ(file->find("example"), std::string::npos);
    EXPECT_EQ(file->find("Иван"), std::string::npos);
    EXPECT_EQ(file->find("916"), std::string::npos);
  }
}

TEST(AudienceExportTest, NeutralAudienceNames) {
  const int64_t jan15 = 1'768'435'200'000;  // 2026-01-15T00:00:00Z
  const std::string a = NeutralAudienceName(jan15, "segment 17: hair-loss buyers / openers");
  const std::string b = NeutralAudienceName(jan15, "campaign spring-sale clickers");
  EXPECT_TRUE(a.starts_with("vitrine-seed-20260115-")) << a;
  EXPECT_EQ(a.size(), std::string("vitrine-seed-20260115-").size() + 6);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, NeutralAudienceName(jan15, "segment 17: hair-loss buyers / openers"));
  for (const char* word : {"hair", "loss", "segment", "openers", "17"}) {
    EXPECT_EQ(a.find(word), std::string::npos) << word;
  }
}

TEST(AudienceExportTest, TopByValuePicksTheHighestLtv) {
  const std::vector<double> ltv = {10, 500, 20, 400, 30, 300, 40, 200, 50, 100};
  EXPECT_EQ(TopByValue(ltv, 0.3), (std::vector<size_t>{1, 3, 5}));
  EXPECT_EQ(TopByValue(ltv, 0.01).size(), 1u);
  EXPECT_TRUE(TopByValue(ltv, 0).empty());
}

TEST(Utf8Test, LowerCasingAndBoundaries) {
  EXPECT_EQ(Utf8ToLower("ÀÉÎÕÜ ĞŞİ ΑΒΓ ЖЩЯ ЁЇЎ").value_or(""), "àéîõü ğşi αβγ жщя ёїў");
  EXPECT_FALSE(Utf8ToLower("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(Utf8ToLower("\xed\xa0\x80"));  // surrogate
  const std::string s = "aжb";                // 'ж' is two bytes at [1, 3)
  EXPECT_EQ(Utf8PrefixLength(s, 2), 1u);
  EXPECT_EQ(Utf8PrefixLength(s, 3), 3u);
}

}  // namespace
}  // namespace vitrine::server::campaigns
