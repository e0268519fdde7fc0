#include "sync_server/recsys/content/content_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "sync_server/recsys/text_features.h"

namespace vitrine::recsys {
namespace {

constexpr char kMagic[4] = {'V', 'T', 'C', 'V'};  // Vitrine text content vectors
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxItems = 50'000'000;
constexpr uint32_t kMaxDim = 4096;

Status Invalid(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_content_model", std::move(message));
}

uint64_t Fnv1a(const void* data, size_t size, uint64_t h = 1469598103934665603ull) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

void Normalize(std::span<float> v) {
  double norm = 0;
  for (float x : v) norm += static_cast<double>(x) * x;
  norm = std::sqrt(norm);
  if (!(norm > 0) || !std::isfinite(norm)) {
    std::fill(v.begin(), v.end(), 0.0f);
    return;
  }
  for (auto& x : v) x = static_cast<float>(x / norm);
}

void Standardize(std::span<float> v) {
  if (v.empty()) return;
  double mean = 0;
  for (float x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double var = 0;
  for (float x : v) var += (x - mean) * (x - mean);
  const double sd = std::sqrt(var / static_cast<double>(v.size()));
  for (auto& x : v) x = sd > 0 ? static_cast<float>((x - mean) / sd) : 0.0f;
}

template <typename T>
void Put(std::ostream& out, T value) {
  out.write(reinterpret_cast<const char*>(&value), sizeof(value));
}
template <typename T>
bool Get(std::istream& in, T& value) {
  return static_cast<bool>(in.read(reinterpret_cast<char*>(&value), sizeof(value)));
}

}  // namespace

ContentModel::ContentModel(ItemText text, ContentOptions options)
    : text_(std::move(text)), options_(options) {}

ContentModel::ContentModel(ItemText text, std::shared_ptr<const TextEmbedder> embedder,
                           ContentOptions options)
    : text_(std::move(text)), embedder_(std::move(embedder)), options_(options) {}

Status ContentModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  if (train.item_count < 0) return Invalid("negative item_count");
  const auto n = static_cast<size_t>(train.item_count);
  std::vector<std::vector<std::string>> docs(n);
  for (size_t i = 0; i < n; ++i) docs[i] = ContentTokens(text_, static_cast<ItemIndex>(i));
  if (options.progress) options.progress({"content", 0.0, "training word vectors"});
  std::shared_ptr<const TextEmbedder> embedder = embedder_;
  std::shared_ptr<const FastTextEmbedder> fasttext;
  if (!embedder) {
    FastTextOptions ft = options_.fasttext;
    ft.seed = options.seed;
    auto trained = FastTextEmbedder::Train(docs, ft);
    if (!trained.ok()) return trained.status();
    fasttext = std::move(trained).value();
    embedder = fasttext;
  }
  if (options.cancel != nullptr && options.cancel->load()) {
    return Status(Status::Kind::kUnavailable, "cancelled", "cancelled");
  }
  const int dim = embedder->dimension();
  if (dim <= 0 || static_cast<uint32_t>(dim) > kMaxDim) return Invalid("embedder dimension");
  const auto d = static_cast<size_t>(dim);
  std::vector<float> vectors(n * d, 0.0f);
  std::string joined;
  for (size_t i = 0; i < n; ++i) {
    if (docs[i].empty()) continue;
    std::span<float> row(vectors.data() + i * d, d);
    if (fasttext) {
      const auto v = fasttext->EmbedWords(docs[i]);
      std::copy(v.begin(), v.end(), row.begin());
    } else {
      joined.clear();
      for (const auto& w : docs[i]) (joined += w) += ' ';
      auto v = embedder->Embed(joined);
      // A failed or malformed embedding leaves the item without text, as documented.
      if (!v.ok() || v->size() != d) continue;
      std::copy(v->begin(), v->end(), row.begin());
    }
    Normalize(row);
  }
  item_count_ = train.item_count;
  dim_ = dim;
  vectors_ = std::move(vectors);
  if (options.progress) options.progress({"content", 1.0, "item vectors ready"});
  return Status::Ok();
}

std::span<const float> ContentModel::ItemVector(ItemIndex item) const {
  const auto d = static_cast<size_t>(dim_);
  return std::span<const float>(vectors_).subspan(static_cast<size_t>(item) * d, d);
}

float ContentModel::Similarity(ItemIndex a, ItemIndex b) const {
  if (a < 0 || b < 0 || a >= item_count_ || b >= item_count_) return 0;
  const auto va = ItemVector(a);
  const auto vb = ItemVector(b);
  float dot = 0;
  for (size_t k = 0; k < va.size(); ++k) dot += va[k] * vb[k];
  return dot;
}

void ContentModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  std::fill(out.begin(), out.end(), 0.0f);
  const auto d = static_cast<size_t>(dim_);
  if (d == 0) return;
  std::vector<float> query(d, 0.0f);
  const size_t keep = static_cast<size_t>(std::max(1, options_.max_history));
  const size_t first = history.size() > keep ? history.size() - keep : 0;
  float weight = 1;
  for (size_t h = history.size(); h-- > first;) {
    const ItemIndex item = history[h];
    if (item >= 0 && item < item_count_) {
      const auto v = ItemVector(item);
      for (size_t k = 0; k < d; ++k) query[k] += weight * v[k];
    }
    weight *= static_cast<float>(options_.recency_decay);
  }
  Normalize(query);
  const size_t n = std::min(out.size(), static_cast<size_t>(item_count_));
  for (size_t i = 0; i < n; ++i) {
    const float* row = vectors_.data() + i * d;
    float dot = 0;
    for (size_t k = 0; k < d; ++k) dot += row[k] * query[k];
    out[i] = dot;
  }
}

Status ContentModel::Save(std::ostream& out) const {
  out.write(kMagic, sizeof(kMagic));
  Put(out, kVersion);
  Put(out, static_cast<uint32_t>(item_count_));
  Put(out, static_cast<uint32_t>(dim_));
  out.write(reinterpret_cast<const char*>(vectors_.data()),
            static_cast<std::streamsize>(vectors_.size() * sizeof(float)));
  Put(out, Fnv1a(vectors_.data(), vectors_.size() * sizeof(float)));
  if (!out) return Status(Status::Kind::kUnavailable, "write_failed", "cannot write vectors");
  return Status::Ok();
}

Status ContentModel::Save(const std::filesystem::path& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return Status(Status::Kind::kUnavailable, "write_failed", "cannot open " + path.string());
  return Save(out);
}

Status ContentModel::Load(std::istream& in) {
  char magic[4] = {};
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    return Invalid("not a content vector file");
  }
  uint32_t version = 0;
  uint32_t items = 0;
  uint32_t dim = 0;
  if (!Get(in, version) || !Get(in, items) || !Get(in, dim)) return Invalid("truncated header");
  if (version != kVersion) return Invalid("unsupported version " + std::to_string(version));
  if (items > kMaxItems || dim == 0 || dim > kMaxDim) return Invalid("implausible shape");
  // Read in chunks so a lying header cannot make us allocate before the data proves it exists.
  const size_t total = static_cast<size_t>(items) * dim;
  std::vector<float> vectors;
  constexpr size_t kChunk = 1 << 20;
  while (vectors.size() < total) {
    const size_t take = std::min(kChunk, total - vectors.size());
    const size_t at = vectors.size();
    vectors.resize(at + take);
    if (!in.read(reinterpret_cast<char*>(vectors.data() + at),
                 static_cast<std::streamsize>(take * sizeof(float)))) {
      return Invalid("truncated vectors");
    }
  }
  uint64_t checksum = 0;
  if (!Get(in, checksum)) return Invalid("truncated checksum");
  if (checksum != Fnv1a(vectors.data(), vectors.size() * sizeof(float))) {
    return Invalid("checksum mismatch");
  }
  for (float x : vectors) {
    if (!std::isfinite(x)) return Invalid("non-finite value");
  }
  item_count_ = static_cast<int32_t>(items);
  dim_ = static_cast<int>(dim);
  vectors_ = std::move(vectors);
  return Status::Ok();
}

Status ContentModel::Load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Status::Kind::kNotFound, "not_found", "cannot open " + path.string());
  return Load(in);
}

HybridModel::HybridModel(std::unique_ptr<SequenceModel> collaborative,
                         std::unique_ptr<ContentModel> content, HybridOptions options)
    : collaborative_(std::move(collaborative)), content_(std::move(content)), options_(options) {}

Status HybridModel::Fit(const SequenceSet& train, const TrainOptions& options) {
  if (!collaborative_ || !content_) return Invalid("hybrid needs both models");
  if (Status s = collaborative_->Fit(train, options); !s.ok()) return s;
  if (Status s = content_->Fit(train, options); !s.ok()) return s;
  std::vector<double> counts(static_cast<size_t>(std::max(0, train.item_count)), 0.0);
  for (const auto& seq : train.sequences) {
    for (ItemIndex i : seq) {
      if (i >= 0 && i < train.item_count) counts[static_cast<size_t>(i)] += 1;
    }
  }
  const double k = std::max(0.0, options_.shrinkage);
  alpha_.resize(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    alpha_[i] = k + counts[i] > 0 ? static_cast<float>(k / (k + counts[i])) : 0.0f;
  }
  return Status::Ok();
}

float HybridModel::ContentShare(ItemIndex item) const {
  if (item < 0 || static_cast<size_t>(item) >= alpha_.size()) return 0;
  return alpha_[static_cast<size_t>(item)];
}

void HybridModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  std::vector<float> content(out.size(), 0.0f);
  collaborative_->Score(history, out);
  content_->Score(history, content);
  Standardize(out);
  Standardize(content);
  const auto w = static_cast<float>(options_.content_weight);
  for (size_t i = 0; i < out.size(); ++i) {
    const float a = i < alpha_.size() ? alpha_[i] : 1.0f;
    out[i] = (1 - a) * out[i] + a * w * content[i];
  }
}

}  // namespace vitrine::recsys
