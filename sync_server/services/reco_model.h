// The first recommendation model: time-decayed popularity and item-item co-occurrence
// (co-views / co-carts of the same profile within a time window), updated incrementally as the
// ingest writer commits events, so no request ever scans the event table.
//
// Popularity: each view adds 1, each cart add 3 and each ordered line 5, decayed with a
// configurable half-life. Scores are kept in a fixed time frame (weight * 2^((t - t0) / half_life))
// so an update is O(1); a View normalises them to "now".
//
// Thread safety: all methods are safe to call concurrently (one internal mutex). Views are
// immutable and shared.
#ifndef VITRINE_SYNC_SERVER_SERVICES_RECO_MODEL_H_
#define VITRINE_SYNC_SERVER_SERVICES_RECO_MODEL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::server {

struct RecoModelOptions {
  double half_life_days = 7.0;
  int64_t cooc_window_ms = 60 * 60 * 1000;  // co-occurrence window within one profile
  size_t recent_per_profile = 20;           // items remembered per profile for co-occurrence
  size_t popular_size = 100;                // items kept in a View's popular list
  int64_t refresh_ms = 0;                   // minimum time between View rebuilds; 0: when dirty
};

class RecoModel {
 public:
  explicit RecoModel(RecoModelOptions options);

  // An immutable ranking at one moment.
  struct View {
    int64_t built_at_ms = 0;
    uint64_t version = 0;
    std::vector<v1::ScoredItem> popular;                // best first, at most popular_size
    std::unordered_map<std::string, float> popularity;  // normalised score of every item
  };

  void Observe(int64_t profile_id, const v1::Event& event);

  // Read-your-writes for a writer that acks before it feeds the model: Announce() before the
  // acks go out, Applied(ticket) once the observations are in. CurrentView() waits for every
  // announcement made before it was called, so a client that got its ack sees its events.
  uint64_t Announce();
  void Applied(uint64_t ticket);
  void ForgetProfile(int64_t profile_id);

  // The latest View, rebuilt first when events arrived since and refresh_ms has passed.
  std::shared_ptr<const View> CurrentView(int64_t now_ms);

  // Best co-occurring items of `product_id`, cosine-normalised, best first (ties by id).
  std::vector<v1::ScoredItem> Neighbours(const std::string& product_id, size_t n);

  // What event product lines told us about an item (title, price, category), if anything.
  std::optional<v1::CatalogItem> ItemFromEvents(const std::string& product_id);

  size_t item_count();

 private:
  struct Item {
    std::string product_id;
    double popularity = 0;    // in the t0 frame
    double interactions = 0;  // weight of co-occurrence participation
    std::unordered_map<uint32_t, float> cooc;
    v1::CatalogItem from_events;
  };
  struct Recent {
    uint32_t item;
    int64_t at_ms;
    float weight;
  };

  uint32_t InternLocked(const v1::ProductLine& line);
  void AddPopularityLocked(uint32_t item, double weight, int64_t at_ms);

  const RecoModelOptions options_;
  const double half_life_ms_;
  std::mutex mu_;
  std::condition_variable applied_cv_;
  uint64_t announced_ = 0;  // guarded by mu_
  uint64_t applied_ = 0;    // guarded by mu_
  int64_t t0_ms_ = 0;       // frame origin; set by the first event
  bool has_t0_ = false;
  int64_t max_event_ms_ = 0;
  uint64_t changes_ = 0;
  std::unordered_map<std::string, uint32_t> index_;
  std::vector<Item> items_;
  std::unordered_map<int64_t, std::deque<Recent>> recent_;
  std::shared_ptr<const View> view_;
  uint64_t view_changes_ = ~uint64_t{0};
};

}  // namespace vitrine::server

#endif  // VITRINE_SYNC_SERVER_SERVICES_RECO_MODEL_H_
