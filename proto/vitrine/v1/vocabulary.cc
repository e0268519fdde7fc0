#include "vitrine/v1/vocabulary.h"

#include <algorithm>

namespace vitrine::v1 {

const std::vector<std::string_view>& EventTypes() {
  static const std::vector<std::string_view> kTypes = {
      "page_viewed",
      "product_list_viewed",
      "product_clicked",
      "product_viewed",
      "search_submitted",
      "product_added_to_wishlist",
      "product_removed_from_wishlist",
      "product_added_to_cart",
      "product_removed_from_cart",
      "cart_viewed",
      "checkout_started",
      "checkout_step_completed",
      "order_completed",
      "order_refunded",
      "order_cancelled",
      "promotion_viewed",
      "promotion_clicked",
      "user_signed_in",
      "user_signed_out",
      "account_created",
      "identify",
      "consent_updated",
      "recommendation_viewed",
      "recommendation_clicked",
      "in_app_message_viewed",
      "in_app_message_clicked",
      "in_app_message_dismissed",
      "email_opened",
      "email_clicked",
      "deletion_requested",
  };
  return kTypes;
}

bool IsKnownEventType(std::string_view type) {
  const auto& types = EventTypes();
  return std::find(types.begin(), types.end(), type) != types.end();
}

bool IsServerSideEventType(std::string_view type) {
  return type == "email_opened" || type == "email_clicked";
}

}  // namespace vitrine::v1
