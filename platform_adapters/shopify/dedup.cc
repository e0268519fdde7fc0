#include "platform_adapters/shopify/dedup.h"

#include <utility>

namespace vitrine::shopify {

InMemoryWebhookDeduplicator::InMemoryWebhookDeduplicator(DedupOptions options) : options_(options) {
  if (options_.capacity == 0) options_.capacity = 1;
}

bool InMemoryWebhookDeduplicator::Seen(const std::string& key, int64_t now_ms) const {
  const auto it = expiry_.find(key);
  return it != expiry_.end() && it->second > now_ms;
}

void InMemoryWebhookDeduplicator::Expire(int64_t now_ms) {
  // order_ is sorted by expiry (constant TTL, time moving forward), so expired ids sit in front.
  // An entry whose key was re-recorded later is stale: drop it without touching the map.
  while (!order_.empty()) {
    const auto& [key, expires] = order_.front();
    const auto it = expiry_.find(key);
    const bool live = it != expiry_.end() && it->second == expires;
    if (live && expires > now_ms) break;
    if (live) expiry_.erase(it);
    order_.pop_front();
  }
}

void InMemoryWebhookDeduplicator::Record(std::string key, int64_t now_ms) {
  const int64_t expires = now_ms + options_.ttl_ms;
  expiry_[key] = expires;
  order_.emplace_back(std::move(key), expires);
}

DedupVerdict InMemoryWebhookDeduplicator::CheckAndRecord(std::string_view webhook_id,
                                                         std::string_view event_id,
                                                         int64_t now_ms) {
  if (webhook_id.empty() && event_id.empty()) return DedupVerdict::kNoId;
  std::string wkey = webhook_id.empty() ? std::string() : "w:" + std::string(webhook_id);
  std::string ekey = event_id.empty() ? std::string() : "e:" + std::string(event_id);
  const bool seen = (!wkey.empty() && Seen(wkey, now_ms)) || (!ekey.empty() && Seen(ekey, now_ms));
  if (seen) return DedupVerdict::kDuplicate;
  // Make room first so the ids just recorded are never the ones evicted.
  const size_t adding = (wkey.empty() ? 0 : 1) + (ekey.empty() ? 0 : 1);
  Expire(now_ms);
  while (expiry_.size() + adding > options_.capacity && !order_.empty()) {
    const auto& [key, expires] = order_.front();
    const auto it = expiry_.find(key);
    if (it != expiry_.end() && it->second == expires) expiry_.erase(it);
    order_.pop_front();
  }
  if (!wkey.empty()) Record(std::move(wkey), now_ms);
  if (!ekey.empty()) Record(std::move(ekey), now_ms);
  return DedupVerdict::kNew;
}

namespace {

bool Digits(std::string_view text, size_t at, size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<int64_t> ParseTimestampMs(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (!Digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !Digits(text, 11, 2, hour) ||
      text[13] != ':' || !Digits(text, 14, 2, minute) || text[16] != ':' ||
      !Digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int64_t scale = 100;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      millis += scale * (text[pos] - '0');
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!Digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;  // a zone is required: local times are ambiguous
  }
  if (pos != text.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds =
      days * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

VersionVerdict NewestVersionFilter::Offer(std::string_view resource_key, int64_t updated_at_ms) {
  std::string key(resource_key);
  const auto it = newest_.find(key);
  if (it != newest_.end()) {
    if (updated_at_ms <= it->second) return VersionVerdict::kStale;
    it->second = updated_at_ms;
    return VersionVerdict::kApply;
  }
  // Bounded: when full, forget everything (a stale apply is then possible but never a lost
  // update; the durable store is the real guard). Simple and predictable.
  if (newest_.size() >= capacity_) newest_.clear();
  newest_.emplace(std::move(key), updated_at_ms);
  return VersionVerdict::kApply;
}

}  // namespace vitrine::shopify
