// Where content vectors come from: a pluggable text embedder. The shipped implementation trains
// fastText word vectors on the shop's own catalog (fasttext_embedder.h); a shop with an
// OpenAI-compatible embeddings endpoint can plug an implementation that calls it (the network
// code belongs to the server, not here).
//
// Contract: Embed returns a vector of exactly dimension() finite floats, or an error Status (the
// caller then treats the item as having no text). An all-zero vector means "nothing known".
// Implementations must be safe to call from several threads at once after construction.
#ifndef VITRINE_SYNC_SERVER_RECSYS_CONTENT_TEXT_EMBEDDER_H_
#define VITRINE_SYNC_SERVER_RECSYS_CONTENT_TEXT_EMBEDDER_H_

#include <string_view>
#include <vector>

#include "sync_server/recsys/sequences.h"

namespace vitrine::recsys {

class TextEmbedder {
 public:
  virtual ~TextEmbedder() = default;
  virtual int dimension() const = 0;
  // `text` is an item's description as words separated by spaces (ContentTokens joined by ' ').
  virtual StatusOr<std::vector<float>> Embed(std::string_view text) const = 0;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_CONTENT_TEXT_EMBEDDER_H_
