// Look-alike seed exports: customers (openers, clickers, top LTV) as Meta Custom Audience and
// Google Customer Match customer files, normalised per platform and SHA-256 hashed.
//
// The two platforms normalise differently, and a hash of a differently normalised value never
// matches, so each has its own normaliser:
//   email  both: trim, lower-case.
//   phone  Meta: digits only, no '+', country code included ("16505551212").
//          Google: E.164 with '+' ("+16505551212").
//   names  both: Unicode-aware lower-case (UTF-8, so "Иван" -> "иван", "Valéry" -> "valéry");
//          whitespace and punctuation removed.
//   country/zip  Meta: hashed (country as lower-case ISO 3166-1 alpha-2); Google: sent in clear
//          (Customer Match hashes only Email, Phone, First Name and Last Name).
// Hashes are lowercase hex SHA-256 of the UTF-8 bytes.
//
// Audience names are neutral ("vitrine-seed-20260115-3f9a2c"): they never carry a segment,
// campaign or product name, because ad platforms show audience names to everyone with account
// access and a name such as "hair-loss buyers" would disclose sensitive customer attributes.
//
// Thread safety: pure functions.
#ifndef VITRINE_SYNC_SERVER_CAMPAIGNS_AUDIENCE_EXPORT_H_
#define VITRINE_SYNC_SERVER_CAMPAIGNS_AUDIENCE_EXPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vitrine::server::campaigns {

// How to complete a phone number written without its country code.
struct PhoneDefaults {
  std::string country_code;  // calling code digits, e.g. "1", "44", "7"; "" = numbers must be
                             // international (with '+' or 00)
  std::string trunk_prefix;  // national prefix dropped before adding the code: "0" (UK, DE),
                             // "8" (RU), "1" (US/CA)
  int national_digits = 0;   // length of a national significant number (10 for US, RU); 0 unknown
};

// Normalised identifiers; nullopt when the input cannot be used (empty, not an email, not a
// plausible phone number, invalid UTF-8).
std::optional<std::string> NormalizeEmail(std::string_view email);
// The international digits of a phone number (country code first, no '+'), 8..15 digits.
std::optional<std::string> NormalizePhoneDigits(std::string_view phone,
                                                const PhoneDefaults& defaults);
std::optional<std::string> NormalizePhoneMeta(std::string_view phone,
                                              const PhoneDefaults& defaults);
std::optional<std::string> NormalizePhoneGoogle(std::string_view phone,
                                                const PhoneDefaults& defaults);
std::optional<std::string> NormalizeName(std::string_view name);
// ISO 3166-1 alpha-2, lower-case ("US" -> "us"); nullopt unless two ASCII letters.
std::optional<std::string> NormalizeCountry(std::string_view country);
// Lower-case, spaces removed ("WC2H 8LG" -> "wc2h8lg").
std::optional<std::string> NormalizeZip(std::string_view zip);

// One customer of a seed list, as the profile holds it (raw, not normalised).
struct SeedCustomer {
  std::string email;
  std::string phone;
  std::string first_name;
  std::string last_name;
  std::string country;  // ISO alpha-2
  std::string zip;
};

struct ExportStats {
  int64_t rows = 0;     // written
  int64_t skipped = 0;  // no usable identifier
  int64_t duplicates = 0;
};

// Meta Custom Audience customer file: header "email,phone,fn,ln,zip,country", every value
// normalised and hashed. Rows without a usable email or phone are skipped; rows whose identifiers
// were already written are skipped as duplicates.
std::string ExportMetaCsv(const std::vector<SeedCustomer>& customers, const PhoneDefaults& defaults,
                          ExportStats* stats = nullptr);
// Google Customer Match file (hashed variant): header "Email,Phone,First Name,Last Name,Country,
// Zip"; Email, Phone and names hashed, Country and Zip normalised in clear.
std::string ExportGoogleCsv(const std::vector<SeedCustomer>& customers,
                            const PhoneDefaults& defaults, ExportStats* stats = nullptr);

// "vitrine-seed-YYYYMMDD-xxxxxx": the UTC date of `created_at_ms` and 6 hex digits of
// SHA-256(`unique`) so two exports the same day differ. `unique` is never shown.
std::string NeutralAudienceName(int64_t created_at_ms, std::string_view unique);

// Top `fraction` of customers by value (ties keep input order): the "top LTV" seed. Returns
// indexes into `values`, at least one when values is non-empty and fraction > 0.
std::vector<size_t> TopByValue(const std::vector<double>& values, double fraction);

}  // namespace vitrine::server::campaigns

#endif  // VITRINE_SYNC_SERVER_CAMPAIGNS_AUDIENCE_EXPORT_H_
