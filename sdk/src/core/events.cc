#include "vitrine/events.h"

#include "vitrine/v1/vocabulary.h"

namespace vitrine {

const std::vector<std::string_view>& EventVocabulary() { return v1::EventTypes(); }
bool IsKnownEventType(std::string_view type) { return v1::IsKnownEventType(type); }
bool IsServerSideEventType(std::string_view type) { return v1::IsServerSideEventType(type); }

}  // namespace vitrine
