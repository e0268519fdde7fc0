#include "sync_server/campaigns/audience_export.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <numeric>
#include <set>

#include "sync_server/campaigns/crypto.h"
#include "sync_server/common/utf8.h"

namespace vitrine::server::campaigns {

std::optional<std::string> NormalizeEmail(std::string_view email) {
  auto lower = Utf8ToLower(TrimAscii(email));
  if (!lower) return std::nullopt;
  const size_t at = lower->find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= lower->size() ||
      lower->find('@', at + 1) != std::string::npos ||
      lower->find_first_of(" \t\r\n") != std::string::npos) {
    return std::nullopt;
  }
  return lower;
}

std::optional<std::string> NormalizePhoneDigits(std::string_view phone,
                                                const PhoneDefaults& defaults) {
  const std::string_view trimmed = TrimAscii(phone);
  std::string digits;
  for (char c : trimmed) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (digits.empty()) return std::nullopt;
  std::string full;
  if (!trimmed.empty() && trimmed.front() == '+') {
    full = digits;  // already international
  } else if (digits.starts_with("00")) {
    full = digits.substr(2);  // international call prefix
  } else if (!defaults.country_code.empty() && !defaults.trunk_prefix.empty() &&
             digits.starts_with(defaults.trunk_prefix) &&
             (defaults.national_digits == 0 ||
              digits.size() ==
                  defaults.trunk_prefix.size() + static_cast<size_t>(defaults.national_digits)) &&
             // "1 650 555 1212" in the US: the trunk prefix 1 is also the country code.
             defaults.trunk_prefix != defaults.country_code) {
    full = defaults.country_code + digits.substr(defaults.trunk_prefix.size());
  } else if (!defaults.country_code.empty() && defaults.national_digits > 0 &&
             digits.size() == static_cast<size_t>(defaults.national_digits)) {
    full = defaults.country_code + digits;
  } else {
    full = digits;  // assume the country code is there
  }
  // "Remove leading zeros" (Meta): a country code never starts with 0.
  full.erase(0, std::min(full.find_first_not_of('0'), full.size()));
  if (full.size() < 8 || full.size() > 15) return std::nullopt;  // E.164 allows at most 15
  return full;
}

std::optional<std::string> NormalizePhoneMeta(std::string_view phone,
                                              const PhoneDefaults& defaults) {
  return NormalizePhoneDigits(phone, defaults);
}

std::optional<std::string> NormalizePhoneGoogle(std::string_view phone,
                                                const PhoneDefaults& defaults) {
  auto digits = NormalizePhoneDigits(phone, defaults);
  if (!digits) return std::nullopt;
  return "+" + *digits;
}

std::optional<std::string> NormalizeName(std::string_view name) {
  auto cps = DecodeUtf8(TrimAscii(name));
  if (!cps) return std::nullopt;
  std::string out;
  for (char32_t cp : *cps) {
    // ASCII whitespace, punctuation and digits go ("O'Neil" -> "oneil", "Mary-Ann" -> "maryann");
    // so do the Unicode spaces and general punctuation block; letters of any script stay.
    if (cp < 0x80 && !((cp >= U'a' && cp <= U'z') || (cp >= U'A' && cp <= U'Z'))) continue;
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x206F) || cp == 0x3000) continue;
    AppendUtf8(ToLowerCodePoint(cp), out);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::optional<std::string> NormalizeCountry(std::string_view country) {
  const std::string_view t = TrimAscii(country);
  if (t.size() != 2) return std::nullopt;
  std::string out;
  for (char c : t) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c < 'a' || c > 'z') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> NormalizeZip(std::string_view zip) {
  auto lower = Utf8ToLower(TrimAscii(zip));
  if (!lower) return std::nullopt;
  std::erase_if(*lower, [](char c) { return c == ' ' || c == '\t'; });
  if (lower->empty()) return std::nullopt;
  return lower;
}

namespace {

std::string HashOrEmpty(const std::optional<std::string>& v) { return v ? Sha256Hex(*v) : ""; }
std::string ClearOrEmpty(const std::optional<std::string>& v) { return v ? *v : ""; }

// CSV field: quoted only when needed (hex hashes and normalised country/zip rarely are).
std::string CsvField(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

enum class Platform { kMeta, kGoogle };

std::string Export(const std::vector<SeedCustomer>& customers, const PhoneDefaults& defaults,
                   ExportStats* stats, Platform platform) {
  ExportStats local;
  std::string out = platform == Platform::kMeta
                        ? "email,phone,fn,ln,zip,country\r\n"
                        : "Email,Phone,First Name,Last Name,Country,Zip\r\n";
  std::set<std::string> seen;
  for (const SeedCustomer& c : customers) {
    const auto email = NormalizeEmail(c.email);
    const auto phone = platform == Platform::kMeta ? NormalizePhoneMeta(c.phone, defaults)
                                                   : NormalizePhoneGoogle(c.phone, defaults);
    if (!email && !phone) {
      ++local.skipped;
      continue;
    }
    const std::string email_hash = HashOrEmpty(email);
    const std::string phone_hash = HashOrEmpty(phone);
    if (!seen.insert(email_hash + "|" + phone_hash).second) {
      ++local.duplicates;
      continue;
    }
    const std::string fn = HashOrEmpty(NormalizeName(c.first_name));
    const std::string ln = HashOrEmpty(NormalizeName(c.last_name));
    std::vector<std::string> fields;
    if (platform == Platform::kMeta) {
      fields = {email_hash,
                phone_hash,
                fn,
                ln,
                HashOrEmpty(NormalizeZip(c.zip)),
                HashOrEmpty(NormalizeCountry(c.country))};
    } else {
      fields = {email_hash,
                phone_hash,
                fn,
                ln,
                ClearOrEmpty(NormalizeCountry(c.country)),
                ClearOrEmpty(NormalizeZip(c.zip))};
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out.push_back(',');
      out += CsvField(fields[i]);
    }
    out += "\r\n";
    ++local.rows;
  }
  if (stats) *stats = local;
  return out;
}

}  // namespace

std::string ExportMetaCsv(const std::vector<SeedCustomer>& customers, const PhoneDefaults& defaults,
                          ExportStats* stats) {
  return Export(customers, defaults, stats, Platform::kMeta);
}

std::string ExportGoogleCsv(const std::vector<SeedCustomer>& customers,
                            const PhoneDefaults& defaults, ExportStats* stats) {
  return Export(customers, defaults, stats, Platform::kGoogle);
}

std::string NeutralAudienceName(int64_t created_at_ms, std::string_view unique) {
  const std::time_t t = static_cast<std::time_t>(created_at_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y%m%d", &tm);
  return std::string("vitrine-seed-") + date + "-" + Sha256Hex(unique).substr(0, 6);
}

std::vector<size_t> TopByValue(const std::vector<double>& values, double fraction) {
  if (values.empty() || !(fraction > 0)) return {};
  std::vector<size_t> idx(values.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return values[a] > values[b]; });
  const double want = std::ceil(std::min(fraction, 1.0) * static_cast<double>(values.size()));
  idx.resize(std::max<size_t>(1, static_cast<size_t>(want)));
  return idx;
}

}  // namespace vitrine::server::campaigns
