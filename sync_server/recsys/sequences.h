// Interaction sequences over a dense item space: the common input of every recommendation model,
// of the offline evaluation harness and of the training pipeline.
//
// Items are dense indices 0..item_count-1 (the training pipeline maps product ids onto them; the
// S3-Rec files use ids from 1, mapped to id-1). A sequence is one shopper's interactions, oldest
// first. Plain values; no I/O except the loaders.
#ifndef VITRINE_SYNC_SERVER_RECSYS_SEQUENCES_H_
#define VITRINE_SYNC_SERVER_RECSYS_SEQUENCES_H_

#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

#include "sync_server/common/status.h"

namespace vitrine::recsys {

using server::Status;
using server::StatusOr;

using ItemIndex = int32_t;

struct SequenceSet {
  int32_t item_count = 0;
  std::vector<std::vector<ItemIndex>> sequences;  // one per shopper, oldest first

  size_t interaction_count() const;
};

// What the catalog says about each item, indexed like the sequences. Any field may be empty.
struct ItemText {
  std::vector<std::string> titles;
  std::vector<std::vector<int32_t>> attributes;  // anonymised category/brand ids (S3-Rec files)
};

// "user item item ..." per line, ids from 1 (the S3-Rec preprocessing of the Amazon 5-core data).
// Fails with a line number on a malformed line; item_count is the largest id seen.
StatusOr<SequenceSet> ParseS3RecSequences(std::istream& in);
StatusOr<SequenceSet> LoadS3RecSequences(const std::filesystem::path& path);

// `s3rec_item_id<TAB>asin<TAB>title` with a header line. Titles land at index id-1; items absent
// from the file keep an empty title.
Status LoadS3RecTitles(const std::filesystem::path& path, int32_t item_count, ItemText* text);
// `{"<id>": [attr, ...], ...}` as in `*_item2attributes.json`.
Status LoadS3RecAttributes(const std::filesystem::path& path, int32_t item_count, ItemText* text);

// Leave-one-out split: the last item of each sequence is the test target, the one before it the
// validation target, the rest is training. Shoppers with fewer than 3 interactions keep all of
// them in training and are not evaluated.
struct LeaveOneOut {
  SequenceSet train;                  // every shopper's sequence minus its last two items
  std::vector<int32_t> evaluated;     // indices of shoppers with a validation and a test target
  std::vector<ItemIndex> validation;  // parallel to `evaluated`
  std::vector<ItemIndex> test;        // parallel to `evaluated`
};
LeaveOneOut SplitLeaveOneOut(const SequenceSet& all);

// What a model is fitted on before it is scored on the validation targets (the training part) or
// on the test targets (the training part plus each validation item: model selection is done, so
// the validation interactions become training data, the standard refit; the test item is never
// seen).
enum class FitFor { kValidation, kTest };
SequenceSet FitSet(const LeaveOneOut& split, FitFor purpose);

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_SEQUENCES_H_
