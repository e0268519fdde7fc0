// Per-profile customer attributes computed from what the profile did (views, carts, orders):
// order history (first/last order, count, average order value, total spend), RFM scores,
// time-decayed category and brand affinities, price tier, favourite products, best products for
// the profile, and the CLV model outputs (P(alive), churn, expected purchases, expected next order
// date, LTV) from a BG/NBD + Gamma-Gamma fit over every buyer (clv_models.h).
//
// Input is a flat list of activity lines (one per product line of an event), so the same code
// serves the server's stored events (profile_job.h reads them from the Store) and synthetic bases.
// Orders are identified by order_id: lines of one order share it, and an order_id is counted once
// even if it appears again (an order seen through the SDK and again through a CRM import).
//
// Definitions (documented here because marketers read them):
//  - time-decayed weight of a line = kind weight (view 1, cart 3, order 5 by default) x quantity
//    x 0.5^(age / half_life); affinities are the profile's weights per category/brand,
//    normalised to sum to 1, top `top_affinities` kept;
//  - RFM scores 1..5: the share of the other buyers with a strictly worse value, in fifths, the
//    best being 5 (recency: days
//    since the last order, fewer is better; frequency: orders; monetary: total spend);
//  - price tier: the profile's quantity-weighted mean unit price over its ordered lines (viewed
//    lines when it never ordered) against the terciles of the distinct products' prices:
//    "budget" / "mid" / "premium" ("" when no price was seen);
//  - favourites: the products with the highest decayed weight; best products: products the profile
//    has not ordered, from its top categories, by decayed popularity among all profiles, scaled by
//    the profile's affinity to the category;
//  - time unit of the models: weeks; calibration ends at `as_of_ms` (the day it falls in);
//  - expected next order date: the time t at which E[Y(t) | history] reaches 1 purchase (BG/NBD),
//    found by bisection within `next_order_horizon_weeks`; none when not reached;
//  - LTV: clv_models.h LifetimeValue with the Gamma-Gamma expected spend (the profile's own
//    average order value when Gamma-Gamma could not be fitted).
//
// Errors: kInvalid for a non-positive half-life or as_of; a model fit that fails leaves the model
// outputs NaN (reported in ProfilesResult::model_note) rather than failing the whole run.
// Thread safety: pure functions over values; the progress callback runs on the calling thread.
#ifndef VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_ATTRIBUTES_H_
#define VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_ATTRIBUTES_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/analytics/clv_models.h"
#include "sync_server/analytics/segmentation.h"
#include "sync_server/common/status.h"

namespace vitrine::server::analytics {

// kRefund lines (order_refunded) take their amount off the order with the same order_id; an
// order refunded in full is no purchase at all (not in the order count, RFM or the LTV fits).
enum class ActivityKind { kView, kCart, kOrder, kRefund };

// One product line of one event.
struct ActivityLine {
  int64_t profile_id = 0;
  ActivityKind kind = ActivityKind::kView;
  int64_t time_ms = 0;
  std::string order_id;  // kOrder and kRefund; lines of one order share it
  std::string product_id;
  std::string category;  // as sent ("A/B/C"); empty when unknown
  std::string brand;
  double unit_price = 0;  // major currency unit
  int64_t quantity = 1;
};

struct ProfileOptions {
  int64_t as_of_ms = 0;  // REQUIRES: > 0; lines after it are ignored
  double half_life_days = 30;
  double view_weight = 1, cart_weight = 3, order_weight = 5;
  int top_affinities = 5;
  int favourites = 5;
  int best_products = 5;
  LtvOptions ltv;
  double next_order_horizon_weeks = 104;
  FitOptions fit;
  // (stage, done, total) for CLI progress; may be empty.
  std::function<void(std::string_view stage, int64_t done, int64_t total)> progress;
};

struct Affinity {
  std::string key;
  double score = 0;  // share of the profile's decayed weight
};

struct ProfileAttributes {
  int64_t profile_id = 0;
  // Orders.
  int64_t order_count = 0;
  int64_t first_order_ms = 0;  // 0 when no order
  int64_t last_order_ms = 0;
  double total_spend = 0;
  double average_order_value = 0;
  int recency_score = 0, frequency_score = 0, monetary_score = 0;  // 1..5; 0 without orders
  // Interests.
  std::vector<Affinity> categories;
  std::vector<Affinity> brands;
  std::string price_tier;
  std::vector<std::string> favourites;
  std::vector<std::string> best_products;
  // Models (NaN / nullopt without orders or when the fit failed).
  double frequency = 0, recency_weeks = 0, age_weeks = 0;  // RFM summary (repeat purchases)
  double p_alive = 0;
  double churn_probability = 0;
  double expected_purchases_52w = 0;
  std::optional<int64_t> expected_next_order_ms;
  double ltv = 0;
  // Spend share per category of ProfilesResult::category_vocabulary (for segmentation).
  std::vector<double> category_spend_shares;
};

struct ProfilesResult {
  std::vector<ProfileAttributes> profiles;  // ascending profile_id
  std::optional<BgNbdParams> bgnbd;
  std::optional<GammaGammaParams> gamma_gamma;
  std::string model_note;  // why a model is missing, empty when both fitted
  // The categories with the most order spend (at most 24), in that order.
  std::vector<std::string> category_vocabulary;
};

StatusOr<ProfilesResult> ComputeProfiles(std::span<const ActivityLine> lines,
                                         const ProfileOptions& options);

// The segmentation inputs (segmentation.h) of the profiles that ordered, and their indices in
// `result.profiles`.
struct SegmentationBase {
  std::vector<CustomerInput> inputs;
  std::vector<size_t> profile_index;
};
SegmentationBase BuildSegmentationBase(const ProfilesResult& result);

}  // namespace vitrine::server::analytics

#endif  // VITRINE_SYNC_SERVER_ANALYTICS_PROFILE_ATTRIBUTES_H_
