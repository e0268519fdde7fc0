// A weighted blend of several SequenceModels: each model's scores are standardised per shopper
// (mean 0, standard deviation 1 across items, since their scales are unrelated) and summed with
// the given weights. Used to combine item-item co-occurrence with the sequential transformer.
//
// Thread safety: as SequenceModel (Fit fits every member in turn; Score is const).
#ifndef VITRINE_SYNC_SERVER_RECSYS_ENSEMBLE_H_
#define VITRINE_SYNC_SERVER_RECSYS_ENSEMBLE_H_

#include <memory>
#include <string>
#include <vector>

#include "sync_server/recsys/model.h"

namespace vitrine::recsys {

class EnsembleModel : public SequenceModel {
 public:
  struct Member {
    std::unique_ptr<SequenceModel> model;
    double weight = 1.0;
  };
  explicit EnsembleModel(std::vector<Member> members);

  std::string_view name() const override { return "ensemble"; }
  Status Fit(const SequenceSet& train, const TrainOptions& options) override;
  void Score(std::span<const ItemIndex> history, std::span<float> out) const override;
  void ScoreBatch(std::span<const std::span<const ItemIndex>> histories,
                  std::span<float> out) const override;

 private:
  std::vector<Member> members_;
};

// Standardises `scores` in place (all zeros when they are constant or not finite).
void Standardize(std::span<float> scores);

}  // namespace vitrine::recsys

#endif  // VITRINE_SYNC_SERVER_RECSYS_ENSEMBLE_H_
