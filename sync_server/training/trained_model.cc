#include "sync_server/training/trained_model.h"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#ifdef VITRINE_HAVE_TRANSFORMER
#include "sync_server/recsys/transformer/sasrec.h"
#endif

namespace vitrine::training {
namespace {

Status Invalid(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_model_artifact", std::move(message));
}

}  // namespace

StatusOr<std::unique_ptr<TrainedModel>> TrainedModel::Parse(const std::string& bytes) {
  v1::ModelArtifact artifact;
  if (!artifact.ParseFromString(bytes))
    return Invalid("not a model artifact (protobuf parse failed)");
  return FromArtifact(std::move(artifact));
}

StatusOr<std::unique_ptr<TrainedModel>> TrainedModel::FromArtifact(v1::ModelArtifact artifact) {
  if (artifact.format() != 1) {
    return Invalid("unsupported artifact format " + std::to_string(artifact.format()));
  }
  if (artifact.version().empty()) return Invalid("artifact has no version");
  std::unique_ptr<TrainedModel> model(new TrainedModel());
  for (int i = 0; i < artifact.product_ids_size(); ++i) {
    if (!model->index_.emplace(artifact.product_ids(i), i).second) {
      return Invalid("duplicate product id " + artifact.product_ids(i));
    }
  }
  for (int i = 0; i < artifact.neighbours_size(); ++i) {
    model->neighbours_[artifact.neighbours(i).product_id()] = i;
  }
  for (int i = 0; i < artifact.frequently_bought_together_size(); ++i) {
    model->fbt_[artifact.frequently_bought_together(i).product_id()] = i;
  }
  for (int i = 0; i < artifact.category_popular_size(); ++i) {
    model->category_[artifact.category_popular(i).category()] = i;
  }
  for (int i = 0; i < artifact.segment_popular_size(); ++i) {
    model->segment_[artifact.segment_popular(i).segment_id()] = i;
  }
  if (!artifact.sequential_kind().empty()) {
#ifdef VITRINE_HAVE_TRANSFORMER
    if (artifact.sequential_kind() != "sasrec") {
      return Invalid("unknown sequential model kind " + artifact.sequential_kind());
    }
    std::istringstream in(artifact.sequential_model());
    auto loaded = recsys::SasRecModel::Load(in);
    if (!loaded.ok()) return loaded.status();
    model->sequential_ = std::move(*loaded);
#else
    return Invalid("artifact has a " + artifact.sequential_kind() +
                   " model but this build has no libtorch");
#endif
  }
  model->artifact_ = std::move(artifact);
  return model;
}

const vitrine::v1::Neighbours* TrainedModel::NeighboursOf(const std::string& product_id) const {
  auto it = neighbours_.find(product_id);
  return it == neighbours_.end() ? nullptr : &artifact_.neighbours(it->second);
}

const vitrine::v1::Neighbours* TrainedModel::FrequentlyBoughtWith(
    const std::string& product_id) const {
  auto it = fbt_.find(product_id);
  return it == fbt_.end() ? nullptr : &artifact_.frequently_bought_together(it->second);
}

const google::protobuf::RepeatedPtrField<vitrine::v1::ScoredItem>* TrainedModel::CategoryPopular(
    const std::string& category) const {
  auto it = category_.find(category);
  return it == category_.end() ? nullptr : &artifact_.category_popular(it->second).items();
}

const google::protobuf::RepeatedPtrField<vitrine::v1::ScoredItem>* TrainedModel::SegmentPopular(
    const std::string& segment_id) const {
  auto it = segment_.find(segment_id);
  return it == segment_.end() ? nullptr : &artifact_.segment_popular(it->second).items();
}

std::vector<vitrine::v1::ScoredItem> TrainedModel::Personal(const std::vector<std::string>& history,
                                                            const std::vector<std::string>& exclude,
                                                            size_t n) const {
  std::unordered_set<std::string> skip(exclude.begin(), exclude.end());
  std::vector<vitrine::v1::ScoredItem> out;
  if (sequential_) {
    std::vector<recsys::ItemIndex> items;
    for (const auto& id : history) {
      auto it = index_.find(id);
      if (it != index_.end()) items.push_back(it->second);
    }
    if (!items.empty()) {
      std::vector<float> scores(index_.size());
      sequential_->Score(items, scores);
      std::vector<int32_t> order(scores.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
      const size_t want = std::min(order.size(), n + skip.size() + history.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(want),
                        order.end(), [&](int32_t a, int32_t b) {
                          return scores[static_cast<size_t>(a)] != scores[static_cast<size_t>(b)]
                                     ? scores[static_cast<size_t>(a)] >
                                           scores[static_cast<size_t>(b)]
                                     : a < b;
                        });
      std::unordered_set<std::string> seen(history.begin(), history.end());
      for (size_t i = 0; i < want && out.size() < n; ++i) {
        const auto& id = artifact_.product_ids(order[i]);
        if (skip.count(id) || seen.count(id)) continue;
        vitrine::v1::ScoredItem s;
        s.set_product_id(id);
        s.set_score(scores[static_cast<size_t>(order[i])]);
        out.push_back(std::move(s));
      }
      return out;
    }
  }
  // Item-item votes of the newest 20 items, each step back weighing half as much.
  std::unordered_map<std::string, double> votes;
  std::unordered_set<std::string> seen(history.begin(), history.end());
  double weight = 1.0;
  int used = 0;
  for (auto it = history.rbegin(); it != history.rend() && used < 20; ++it, ++used) {
    if (const auto* nb = NeighboursOf(*it)) {
      for (const auto& s : nb->items()) votes[s.product_id()] += weight * s.score();
    }
    weight *= 0.5;
  }
  for (const auto& [id, score] : votes) {
    if (skip.count(id) || seen.count(id)) continue;
    vitrine::v1::ScoredItem s;
    s.set_product_id(id);
    s.set_score(static_cast<float>(score));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.score() != b.score() ? a.score() > b.score() : a.product_id() < b.product_id();
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace vitrine::training
