// In-app message triggering (internal). Evaluates the snapshot's message definitions against
// captured events, including absence triggers ("added to cart, no checkout within 30 min"),
// applies delay, audience, priority, start/expiry and frequency caps (per message and global),
// and persists cap counters and armed triggers so they hold across restarts.
//
// Thread safety: all methods are safe from any thread (one internal mutex).
#ifndef VITRINE_SDK_CORE_MESSAGE_ENGINE_H_
#define VITRINE_SDK_CORE_MESSAGE_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "vitrine/platform.h"
#include "vitrine/status.h"
#include "vitrine/v1/event.pb.h"
#include "vitrine/v1/snapshot.pb.h"

namespace vitrine::internal {

class MessageEngine {
 public:
  explicit MessageEngine(const Clock& clock);
  ~MessageEngine();

  // Replaces definitions, the user's segment ids (audience) and the global cap. Armed triggers
  // of messages that no longer exist are dropped.
  void SetSnapshot(const v1::Snapshot& snapshot);
  // Arms triggers and satisfies absence conditions (capture path; cheap).
  void OnEvent(const v1::Event& event);
  // Messages due at or before now, highest priority first, caps enforced. Each returned message
  // counts as one impression against its caps (delivery = impression).
  std::vector<v1::InAppMessage> TakeDue();
  // When TakeDue should next be called (epoch ms), or -1 when nothing is armed.
  int64_t NextDueMs() const;
  void Clear();

  // Cap counters and armed triggers (stored by the Client under one key; restored on Open).
  std::string SerializeState() const;
  Status RestoreState(std::string_view blob);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::internal

#endif  // VITRINE_SDK_CORE_MESSAGE_ENGINE_H_
