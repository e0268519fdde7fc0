#include "sync_server/recsys/ensemble.h"

#include <cmath>

namespace vitrine::recsys {

void Standardize(std::span<float> scores) {
  if (scores.empty()) return;
  double sum = 0;
  double sq = 0;
  for (float s : scores) {
    sum += s;
    sq += static_cast<double>(s) * s;
  }
  const double n = static_cast<double>(scores.size());
  const double mean = sum / n;
  const double var = sq / n - mean * mean;
  if (!std::isfinite(var) || var <= 1e-20) {
    for (auto& s : scores) s = 0;
    return;
  }
  const double inv = 1.0 / std::sqrt(var);
  for (auto& s : scores) s = static_cast<float>((s - mean) * inv);
}

EnsembleModel::EnsembleModel(std::vector<Member> members) : members_(std::move(members)) {}

Status EnsembleModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  for (size_t m = 0; m < members_.size(); ++m) {
    TrainOptions sub = options;
    if (options.progress) {
      const double begin = static_cast<double>(m) / static_cast<double>(members_.size());
      const double span = 1.0 / static_cast<double>(members_.size());
      sub.progress = [&options, begin, span](const TrainProgress& p) {
        options.progress(TrainProgress{p.stage, begin + span * p.fraction, p.detail});
      };
    }
    if (Status s = members_[m].model->Fit(train, sub); !s.ok()) return s;
  }
  return Status::Ok();
}

void EnsembleModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  const std::span<const ItemIndex> one[] = {history};
  ScoreBatch(one, out);
}

void EnsembleModel::ScoreBatch(std::span<const std::span<const ItemIndex>> histories,
                               std::span<float> out) const {
  for (auto& s : out) s = 0;
  if (histories.empty()) return;
  const size_t n = out.size() / histories.size();
  std::vector<float> member(out.size());
  for (const auto& m : members_) {
    m.model->ScoreBatch(histories, member);
    for (size_t h = 0; h < histories.size(); ++h) {
      std::span<float> row(member.data() + h * n, n);
      Standardize(row);
      for (size_t i = 0; i < n; ++i) out[h * n + i] += static_cast<float>(m.weight) * row[i];
    }
  }
}

}  // namespace vitrine::recsys
