// fastText skipgram word vectors trained on the catalog's own text (titles and attribute tokens),
// so words that describe the same kind of product end up close even in a shop's private jargon.
// An item's vector is the mean of its words' L2-normalised vectors (fastText's unsupervised
// sentence vector); unseen words still get a vector from their character n-grams.
//
// Thread safety: Train is a factory; the returned embedder is immutable and Embed is const and
// safe from several threads. fastText itself is an implementation detail of the .cc file.
#ifndef VITRINE_SYNC_SERVER_RECSYS_CONTENT_FASTTEXT_EMBEDDER_H_
#define VITRINE_SYNC_SERVER_RECSYS_CONTENT_FASTTEXT_EMBEDDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sync_server/recsys/content/text_embedder.h"

namespace vitrine::recsys {

struct FastTextOptions {
  int dim = 64;
  int epoch = 15;
  int window = 5;
  int min_count = 1;  // catalogs are small: a word in one title still describes that item
  int min_ngram = 3;  // character n-grams for unseen words; 0 turns them off
  int max_ngram = 5;
  int negatives = 5;
  double learning_rate = 0.05;
  int buckets = 200'000;  // n-gram hash buckets (memory: buckets x dim floats)
  // 1 keeps training reproducible for a seed; more threads train faster but Hogwild updates
  // make the vectors differ run to run.
  int threads = 1;
  uint64_t seed = 1;
};

class FastTextEmbedder : public TextEmbedder {
 public:
  ~FastTextEmbedder() override;

  // Trains on `documents` (one per item, words as in ContentTokens). Fails with kInvalid when the
  // documents hold no words, kInternal when fastText or the temporary file fails.
  static StatusOr<std::unique_ptr<FastTextEmbedder>> Train(
      const std::vector<std::vector<std::string>>& documents, const FastTextOptions& options);

  int dimension() const override;
  StatusOr<std::vector<float>> Embed(std::string_view text) const override;
  // The same for words already split.
  std::vector<float> EmbedWords(const std::vector<std::string>& words) const;

 private:
  struct Impl;
  explicit FastTextEmbedder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_CONTENT_FASTTEXT_EMBEDDER_H_
