// Local recommendation serving (internal). Answers Client::Recommend from the cached snapshot,
// re-ranked with this session's events (which the server has not seen yet), excluding items in
// the cart, already bought, or out of stock (replaced by in-stock neighbours).
//
// Thread safety: all methods are safe from any thread. SetSnapshot swaps an immutable index
// under a lock; Recommend reads it with a shared lock and never allocates per catalog item.
#ifndef VITRINE_SDK_CORE_RECOMMENDER_H_
#define VITRINE_SDK_CORE_RECOMMENDER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/client.h"
#include "vitrine/status.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::internal {

class Recommender {
 public:
  Recommender();
  ~Recommender();

  // Replaces the snapshot and rebuilds the index (scheduler thread; milliseconds for 10k items).
  void SetSnapshot(const v1::Snapshot& snapshot);
  // Folds one captured event into session state (views, clicks, cart adds/removes, orders).
  // Cheap: called on the capture path.
  void OnEvent(const v1::Event& event);
  // Starts a new session: session signals are cleared, cart and purchases are kept.
  void NewSession();
  // Forgets everything local: snapshot, session, cart, purchases (Reset / deletion).
  void Clear();

  StatusOr<std::vector<Recommendation>> Recommend(std::string_view placement,
                                                  const RecommendContext& context, size_t n) const;
  // Catalog lookup for message product feeds; nullopt when unknown or out of stock.
  std::optional<Recommendation> InStockItem(std::string_view product_id) const;
  std::vector<std::string> SegmentIds() const;

  // Cart and purchase sets persist across restarts (the Client stores this blob in the Store).
  std::string SerializeDurableState() const;
  Status RestoreDurableState(std::string_view blob);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_RECOMMENDER_H_
