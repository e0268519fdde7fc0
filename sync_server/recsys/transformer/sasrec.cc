#include "sync_server/recsys/transformer/sasrec.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sync_server/recsys/evaluation.h"

namespace vitrine::recsys {

static_assert(std::endian::native == std::endian::little,
              "the artifact format stores raw little-endian floats");

namespace {

Status Invalid(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_options", std::move(message));
}

Status BadArtifact(std::string message) {
  return Status(Status::Kind::kInvalid, "invalid_model_artifact", std::move(message));
}

Status CheckArchitecture(const SasRecOptions& o) {
  if (o.max_len < 1 || o.max_len > 4096) return Invalid("max_len must be in 1..4096");
  if (o.dim < 1 || o.dim > 4096) return Invalid("dim must be in 1..4096");
  if (o.blocks < 0 || o.blocks > 64) return Invalid("blocks must be in 0..64");
  if (o.heads < 1 || o.dim % o.heads != 0) return Invalid("heads must divide dim");
  return Status::Ok();
}

// Fowler-Noll-Vo 1a, 64 bit: enough to tell a damaged artifact from a good one.
uint64_t Fnv1a(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

// The parameters, as plain tensors so that scoring is a pure function of them (no module state,
// nothing mutated by a const Score) and saving is a flat list.
struct SasRecModel::Net {
  struct Block {
    torch::Tensor ln1_w, ln1_b;  // before attention (queries only, as in SASRec)
    torch::Tensor wq, bq, wk, bk, wv, bv, wo, bo;
    torch::Tensor ln2_w, ln2_b;  // before the feed-forward
    torch::Tensor w1, b1, w2, b2;
  };
  int64_t items = 0;  // row `items` of item_emb is the padding id
  int64_t max_len = 0;
  int64_t dim = 0;
  int64_t heads = 1;
  torch::Tensor item_emb;  // [items + 1, dim]
  torch::Tensor pos_emb;   // [max_len, dim]
  std::vector<Block> blocks;
  torch::Tensor ln_w, ln_b;  // final

  // Every parameter in a fixed order (the artifact's order).
  std::vector<torch::Tensor*> Parameters() {
    std::vector<torch::Tensor*> p = {&item_emb, &pos_emb};
    for (auto& b : blocks) {
      for (auto* t : {&b.ln1_w, &b.ln1_b, &b.wq, &b.bq, &b.wk, &b.bk, &b.wv, &b.bv, &b.wo, &b.bo,
                      &b.ln2_w, &b.ln2_b, &b.w1, &b.b1, &b.w2, &b.b2}) {
        p.push_back(t);
      }
    }
    p.push_back(&ln_w);
    p.push_back(&ln_b);
    return p;
  }

  // Shapes implied by the architecture, in Parameters() order.
  static std::vector<std::vector<int64_t>> Shapes(int64_t items, int64_t max_len, int64_t dim,
                                                  int64_t n_blocks) {
    std::vector<std::vector<int64_t>> s = {{items + 1, dim}, {max_len, dim}};
    for (int64_t i = 0; i < n_blocks; ++i) {
      for (int k = 0; k < 2; ++k) s.push_back({dim});  // ln1
      for (int k = 0; k < 4; ++k) {                    // q, k, v, o
        s.push_back({dim, dim});
        s.push_back({dim});
      }
      for (int k = 0; k < 2; ++k) s.push_back({dim});  // ln2
      for (int k = 0; k < 2; ++k) {                    // feed-forward
        s.push_back({dim, dim});
        s.push_back({dim});
      }
    }
    s.push_back({dim});
    s.push_back({dim});
    return s;
  }

  static std::unique_ptr<Net> Create(int64_t items, const SasRecOptions& o, at::Generator& gen) {
    auto net = std::make_unique<Net>();
    net->items = items;
    net->max_len = o.max_len;
    net->dim = o.dim;
    net->heads = o.heads;
    net->blocks.resize(static_cast<size_t>(o.blocks));
    const auto shapes = Shapes(items, o.max_len, o.dim, o.blocks);
    auto params = net->Parameters();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      const auto& shape = shapes[i];
      if (shape.size() == 2) {
        // Xavier normal, as the reference implementation initialises every matrix.
        double std_dev = std::sqrt(2.0 / static_cast<double>(shape[0] + shape[1]));
        if (i == 0 && o.item_init_std > 0) std_dev = o.item_init_std;
        *params[i] = torch::empty(shape).normal_(0.0, std_dev, gen);
      } else {
        *params[i] = torch::zeros(shape);
      }
    }
    for (auto& b : net->blocks) {
      b.ln1_w.fill_(1.0);
      b.ln2_w.fill_(1.0);
    }
    net->ln_w.fill_(1.0);
    return net;
  }

  static torch::Tensor Dropout(const torch::Tensor& x, double p, at::Generator* gen) {
    if (gen == nullptr || p <= 0) return x;
    auto keep = torch::empty_like(x).bernoulli_(1.0 - p, *gen);
    return x * keep * (1.0 / (1.0 - p));
  }

  // ids: [B, L] int64, left-padded with `items`; every row's real items end at column L-1.
  // Returns the final hidden states [B, L, dim]. `gen` non-null means training (dropout on).
  torch::Tensor Forward(const torch::Tensor& ids, double dropout, at::Generator* gen) const {
    const int64_t batch = ids.size(0);
    const int64_t len = ids.size(1);
    const int64_t head_dim = dim / heads;
    const auto real = ids.ne(items);                         // [B, L]
    const auto keep = real.unsqueeze(-1).to(torch::kFloat);  // [B, L, 1]
    // Positions as if left-padded to max_len: the last item always sits at max_len - 1.
    const auto positions = torch::arange(max_len - len, max_len, torch::kLong);
    auto x = item_emb.index_select(0, ids.reshape({-1})).reshape({batch, len, dim}) *
                 std::sqrt(static_cast<double>(dim)) +
             pos_emb.index_select(0, positions).unsqueeze(0);
    x = Dropout(x, dropout, gen) * keep;

    // Causal, padding keys hidden; the diagonal stays open so that padding rows (whose output is
    // never used) do not softmax over nothing.
    const auto causal = torch::ones({len, len}, torch::kBool).tril();
    const auto diagonal = torch::eye(len, torch::kBool);
    const auto allowed = (causal.unsqueeze(0) & real.unsqueeze(1)) | diagonal.unsqueeze(0);
    const auto blocked = allowed.logical_not().unsqueeze(1);  // [B, 1, L, L]
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

    for (const auto& b : blocks) {
      const auto q_in = torch::layer_norm(x, {dim}, b.ln1_w, b.ln1_b, 1e-8);
      auto split = [&](const torch::Tensor& t) {
        return t.reshape({batch, len, heads, head_dim}).transpose(1, 2);  // [B, H, L, Dh]
      };
      const auto q = split(torch::linear(q_in, b.wq, b.bq));
      const auto k = split(torch::linear(x, b.wk, b.bk));
      const auto v = split(torch::linear(x, b.wv, b.bv));
      auto attn = torch::matmul(q, k.transpose(-2, -1)).mul_(scale);
      attn = torch::softmax(attn.masked_fill(blocked, -std::numeric_limits<float>::infinity()), -1);
      attn = Dropout(attn, dropout, gen);
      auto ctx = torch::matmul(attn, v).transpose(1, 2).reshape({batch, len, dim});
      x = q_in + torch::linear(ctx, b.wo, b.bo);
      x = torch::layer_norm(x, {dim}, b.ln2_w, b.ln2_b, 1e-8);
      auto ff = torch::relu(Dropout(torch::linear(x, b.w1, b.b1), dropout, gen));
      ff = Dropout(torch::linear(ff, b.w2, b.b2), dropout, gen);
      x = (x + ff) * keep;
    }
    return torch::layer_norm(x, {dim}, ln_w, ln_b, 1e-8);
  }

  // The output embeddings of real items (no padding row).
  torch::Tensor ItemMatrix() const { return item_emb.narrow(0, 0, items); }
};

SasRecModel::SasRecModel(SasRecOptions options) : options_(std::move(options)) {}
SasRecModel::~SasRecModel() = default;

namespace {

// Left-pads the last `max_len` valid items of each history into a [B, L] id tensor.
torch::Tensor PackHistories(std::span<const std::span<const ItemIndex>> histories, int64_t items,
                            int64_t max_len) {
  std::vector<std::vector<int64_t>> rows(histories.size());
  int64_t len = 1;
  for (size_t r = 0; r < histories.size(); ++r) {
    for (ItemIndex item : histories[r]) {
      if (item >= 0 && item < items) rows[r].push_back(item);
    }
    if (static_cast<int64_t>(rows[r].size()) > max_len) {
      rows[r].erase(rows[r].begin(), rows[r].end() - max_len);
    }
    len = std::max<int64_t>(len, static_cast<int64_t>(rows[r].size()));
  }
  auto ids = torch::full({static_cast<int64_t>(histories.size()), len}, items, torch::kLong);
  auto* data = ids.data_ptr<int64_t>();
  for (size_t r = 0; r < rows.size(); ++r) {
    const int64_t offset =
        static_cast<int64_t>(r) * len + len - static_cast<int64_t>(rows[r].size());
    std::copy(rows[r].begin(), rows[r].end(), data + offset);
  }
  return ids;
}

// A training example: up to max_len inputs and the next item after each.
struct Example {
  std::vector<int64_t> inputs;
  std::vector<int64_t> targets;
};

}  // namespace

void SasRecModel::Score(std::span<const ItemIndex> history, std::span<float> out) const {
  const std::span<const ItemIndex> one[] = {history};
  ScoreBatch(one, out);
}

void SasRecModel::ScoreBatch(std::span<const std::span<const ItemIndex>> histories,
                             std::span<float> out) const {
  if (histories.empty()) return;
  const int64_t n = item_count_;
  if (net_ == nullptr || out.size() != histories.size() * static_cast<size_t>(n)) {
    std::fill(out.begin(), out.end(), 0.0f);  // contract violation: defined, useless scores
    return;
  }
  c10::InferenceMode guard;
  const auto ids = PackHistories(histories, net_->items, net_->max_len);
  const auto hidden = net_->Forward(ids, 0, nullptr);
  const auto last = hidden.select(1, ids.size(1) - 1);  // [B, dim]
  auto scores =
      torch::from_blob(out.data(), {static_cast<int64_t>(histories.size()), n}, torch::kFloat);
  torch::matmul_out(scores, last, net_->ItemMatrix().t());
}

Status SasRecModel::Fit(const SequenceSet& train, const TrainOptions& train_options) {
  const auto start = std::chrono::steady_clock::now();
  const SasRecOptions& o = options_;
  if (Status s = CheckArchitecture(o); !s.ok()) return s;
  if (o.batch_size < 1 || o.max_epochs < 1 || o.lr <= 0 || o.dropout < 0 || o.dropout >= 1 ||
      o.weight_decay < 0 || o.patience < 0 || o.validation_shoppers < 0 ||
      (o.loss == SasRecOptions::Loss::kSampledSoftmax && o.negatives < 1)) {
    return Invalid("batch_size, max_epochs, lr, negatives must be positive; dropout in [0, 1)");
  }
  if (train.item_count < 1) return Invalid("the training set has no items");

  try {
    const int threads = train_options.threads > 0
                            ? train_options.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(train_options.seed);
    std::mt19937_64 rng(train_options.seed);

    const int64_t items = train.item_count;
    const auto max_len = static_cast<size_t>(o.max_len);

    // Internal hold-out: the last item of a random subset of sequences.
    const bool validating = o.patience > 0;
    const bool internal_validation = validating && !o.validate && o.validation_shoppers > 0;
    std::vector<size_t> held_out;  // sequence indices
    if (internal_validation) {
      for (size_t i = 0; i < train.sequences.size(); ++i) {
        if (train.sequences[i].size() >= 3) held_out.push_back(i);
      }
      std::shuffle(held_out.begin(), held_out.end(), rng);
      held_out.resize(std::min(held_out.size(), static_cast<size_t>(o.validation_shoppers)));
      std::sort(held_out.begin(), held_out.end());
    }

    std::vector<Example> examples;
    std::vector<int64_t> counts(static_cast<size_t>(items), 0);
    size_t next_held_out = 0;
    for (size_t i = 0; i < train.sequences.size(); ++i) {
      std::span<const ItemIndex> seq = train.sequences[i];
      if (next_held_out < held_out.size() && held_out[next_held_out] == i) {
        seq = seq.first(seq.size() - 1);
        ++next_held_out;
      }
      std::vector<int64_t> valid;
      for (ItemIndex item : seq) {
        if (item < 0 || item >= items) {
          return Invalid("item " + std::to_string(item) + " outside 0.." +
                         std::to_string(items - 1));
        }
        valid.push_back(item);
        ++counts[static_cast<size_t>(item)];
      }
      if (valid.size() < 2) continue;
      if (valid.size() > max_len + 1) valid.erase(valid.begin(), valid.end() - (max_len + 1));
      Example e;
      e.inputs.assign(valid.begin(), valid.end() - 1);
      e.targets.assign(valid.begin() + 1, valid.end());
      examples.push_back(std::move(e));
    }
    if (examples.empty()) return Invalid("no training sequence has two items");

    item_count_ = train.item_count;
    net_ = Net::Create(items, o, gen);
    std::vector<torch::Tensor> params;
    for (auto* p : net_->Parameters()) {
      p->set_requires_grad(true);
      params.push_back(*p);
    }
    torch::optim::AdamW optimizer(
        params, torch::optim::AdamWOptions(o.lr).betas({0.9, 0.98}).weight_decay(o.weight_decay));

    // Sampled softmax: the proposal distribution and its log, for the logQ correction.
    torch::Tensor proposal;
    torch::Tensor log_q;
    const bool sampled = o.loss == SasRecOptions::Loss::kSampledSoftmax;
    if (sampled) {
      if (o.popularity_negatives) {
        proposal = torch::from_blob(counts.data(), {items}, torch::kLong)
                       .to(torch::kDouble)
                       .add(1.0)
                       .pow(0.75);
      } else {
        proposal = torch::ones({items}, torch::kDouble);
      }
      proposal = proposal / proposal.sum();
      log_q = proposal.log().to(torch::kFloat);
      proposal = proposal.to(torch::kFloat);
    }

    // Validation: the held-out histories and targets, scored like the evaluation harness does.
    std::vector<std::span<const ItemIndex>> val_histories;
    std::vector<ItemIndex> val_targets;
    for (size_t i : held_out) {
      const auto& seq = train.sequences[i];
      val_histories.emplace_back(seq.data(), seq.size() - 1);
      val_targets.push_back(seq.back());
    }
    auto validate = [&]() -> double {
      if (o.validate) return o.validate(*this);
      double ndcg = 0;
      std::vector<float> scores;
      constexpr size_t kBatch = 256;
      for (size_t begin = 0; begin < val_histories.size(); begin += kBatch) {
        const size_t end = std::min(val_histories.size(), begin + kBatch);
        scores.assign((end - begin) * static_cast<size_t>(items), 0.0f);
        ScoreBatch(std::span(val_histories).subspan(begin, end - begin), scores);
        for (size_t r = begin; r < end; ++r) {
          const int64_t rank = RankOfTarget(
              std::span<const float>(scores).subspan((r - begin) * static_cast<size_t>(items),
                                                     static_cast<size_t>(items)),
              val_histories[r], val_targets[r], 0.5);
          if (rank >= 0 && rank < 10) ndcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
        }
      }
      return val_histories.empty() ? 0.0 : ndcg / static_cast<double>(val_histories.size());
    };

    // Batches of equal-length sequences, so padding costs almost nothing.
    std::vector<size_t> order(examples.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::vector<std::vector<size_t>> batches;

    std::vector<torch::Tensor> best;
    best_validation_ = -1;
    epochs_trained_ = 0;
    int since_best = 0;
    bool out_of_time = false;
    const auto batch_size = static_cast<size_t>(o.batch_size);
    for (int epoch = 1; epoch <= o.max_epochs && !out_of_time; ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return examples[a].inputs.size() < examples[b].inputs.size();
      });
      batches.clear();
      for (size_t begin = 0; begin < order.size(); begin += batch_size) {
        batches.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(begin),
                             order.begin() + static_cast<std::ptrdiff_t>(
                                                 std::min(order.size(), begin + batch_size)));
      }
      std::shuffle(batches.begin(), batches.end(), rng);

      double loss_sum = 0;
      int64_t loss_steps = 0;
      for (const auto& batch : batches) {
        if (train_options.cancel != nullptr && train_options.cancel->load()) {
          return Status(Status::Kind::kUnavailable, "cancelled", "training was cancelled");
        }
        // The budget ends training between steps, but never before one whole epoch.
        if (o.time_budget_s > 0 && epoch > 1 && Seconds(start) > o.time_budget_s) {
          out_of_time = true;
          break;
        }
        size_t len = 0;
        for (size_t e : batch) len = std::max(len, examples[e].inputs.size());
        const auto rows = static_cast<int64_t>(batch.size());
        auto ids = torch::full({rows, static_cast<int64_t>(len)}, items, torch::kLong);
        auto targets = torch::full({rows, static_cast<int64_t>(len)}, int64_t{-1}, torch::kLong);
        auto* id_data = ids.data_ptr<int64_t>();
        auto* target_data = targets.data_ptr<int64_t>();
        for (size_t r = 0; r < batch.size(); ++r) {
          const auto& e = examples[batch[r]];
          const size_t offset = r * len + len - e.inputs.size();
          std::copy(e.inputs.begin(), e.inputs.end(), id_data + offset);
          std::copy(e.targets.begin(), e.targets.end(), target_data + offset);
        }
        const auto hidden = net_->Forward(ids, o.dropout, &gen).reshape({-1, o.dim});
        const auto flat_targets = targets.reshape({-1});
        const auto positions = flat_targets.ge(0).nonzero().squeeze(1);
        const auto h = hidden.index_select(0, positions);
        const auto y = flat_targets.index_select(0, positions);
        const auto item_matrix = net_->ItemMatrix();
        torch::Tensor loss;
        if (!sampled) {
          loss = torch::cross_entropy_loss(torch::matmul(h, item_matrix.t()), y);
        } else {
          const auto negatives = torch::multinomial(proposal, o.negatives, true, gen);
          const auto pos_logit =
              (h * item_matrix.index_select(0, y)).sum(-1) - log_q.index_select(0, y);
          auto neg_logits = torch::matmul(h, item_matrix.index_select(0, negatives).t()) -
                            log_q.index_select(0, negatives).unsqueeze(0);
          // A sampled "negative" that is the target itself is no negative.
          neg_logits = neg_logits.masked_fill(y.unsqueeze(1).eq(negatives.unsqueeze(0)),
                                              -std::numeric_limits<float>::infinity());
          const auto logits = torch::cat({pos_logit.unsqueeze(1), neg_logits}, 1);
          loss = torch::cross_entropy_loss(logits, torch::zeros({logits.size(0)}, torch::kLong));
        }
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        loss_sum += loss.item<double>();
        ++loss_steps;
      }
      if (loss_steps == 0) break;
      epochs_trained_ = epoch;

      double score = -1;
      if (validating) {
        score = validate();
        if (score > best_validation_) {
          best_validation_ = score;
          since_best = 0;
          torch::NoGradGuard no_grad;
          best.clear();
          for (auto* p : net_->Parameters()) best.push_back(p->detach().clone());
        } else {
          ++since_best;
        }
      }
      if (train_options.progress) {
        TrainProgress progress;
        progress.stage = "epoch";
        progress.fraction = static_cast<double>(epoch) / o.max_epochs;
        if (o.time_budget_s > 0) {
          progress.fraction = std::max(progress.fraction, Seconds(start) / o.time_budget_s);
        }
        progress.fraction = std::min(1.0, progress.fraction);
        char detail[160];
        std::snprintf(detail, sizeof(detail), "epoch %d/%d loss %.4f val_ndcg10 %.4f %.1fs", epoch,
                      o.max_epochs, loss_sum / static_cast<double>(loss_steps), score,
                      Seconds(start));
        progress.detail = detail;
        train_options.progress(progress);
      }
      if (validating && since_best >= o.patience) break;
    }

    // Keep the best epoch; the parameters no longer need gradients.
    auto final_params = net_->Parameters();
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < final_params.size(); ++i) {
      *final_params[i] = best.empty() ? final_params[i]->detach().clone() : best[i];
    }
    return Status::Ok();
  } catch (const std::exception& e) {
    net_.reset();
    return Status(Status::Kind::kInternal, "training_failed", e.what());
  }
}

namespace {

constexpr char kMagic[8] = {'V', 'T', 'S', 'A', 'S', 'R', 'E', 'C'};
constexpr uint32_t kFormatVersion = 1;
// An artifact larger than this is damage, not a model (12M items x 64 floats is ~3 GiB).
constexpr uint64_t kMaxPayload = uint64_t{8} << 30;

template <typename T>
void Append(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Bounds-checked reader over the payload.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  template <typename T>
  bool Read(T* value) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool ReadBytes(void* dst, size_t n) {
    if (data_.size() - pos_ < n) return false;
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

Status SasRecModel::Save(std::ostream& out) const {
  if (net_ == nullptr) {
    return Status(Status::Kind::kInvalid, "model_not_trained", "nothing to save before Fit");
  }
  std::string payload;
  for (int32_t v : {item_count_, options_.max_len, options_.dim, options_.blocks, options_.heads}) {
    Append(payload, v);
  }
  auto params = net_->Parameters();
  Append(payload, static_cast<uint32_t>(params.size()));
  for (auto* p : params) {
    const auto t = p->detach().to(torch::kFloat).contiguous();
    Append(payload, static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) Append(payload, d);
    payload.append(reinterpret_cast<const char*>(t.data_ptr<float>()),
                   static_cast<size_t>(t.numel()) * sizeof(float));
  }
  out.write(kMagic, sizeof(kMagic));
  std::string header;
  Append(header, kFormatVersion);
  Append(header, static_cast<uint64_t>(payload.size()));
  Append(header, Fnv1a(payload));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(payload.data(), static_cast<std::streamsize>(payload.size()));
  if (!out) return Status(Status::Kind::kUnavailable, "write_failed", "could not write the model");
  return Status::Ok();
}

StatusOr<std::unique_ptr<SasRecModel>> SasRecModel::Load(std::istream& in) {
  char magic[sizeof(kMagic)];
  if (!in.read(magic, sizeof(magic)) || std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) {
    return BadArtifact("not a SASRec model artifact (bad magic)");
  }
  char header[sizeof(uint32_t) + 2 * sizeof(uint64_t)];
  if (!in.read(header, sizeof(header))) return BadArtifact("truncated header");
  Reader header_reader(std::string_view(header, sizeof(header)));
  uint32_t version = 0;
  uint64_t size = 0;
  uint64_t checksum = 0;
  (void)header_reader.Read(&version);
  (void)header_reader.Read(&size);
  (void)header_reader.Read(&checksum);
  if (version != kFormatVersion) {
    return BadArtifact("unsupported format version " + std::to_string(version) + " (expected " +
                       std::to_string(kFormatVersion) + ")");
  }
  if (size > kMaxPayload) return BadArtifact("implausible payload size");
  // Read in chunks so that a damaged size field cannot make us allocate it all up front.
  std::string payload;
  constexpr size_t kChunk = size_t{1} << 20;
  while (payload.size() < size) {
    const size_t want = std::min<size_t>(kChunk, static_cast<size_t>(size) - payload.size());
    const size_t have = payload.size();
    payload.resize(have + want);
    in.read(payload.data() + have, static_cast<std::streamsize>(want));
    if (static_cast<size_t>(in.gcount()) != want) {
      return BadArtifact("truncated: expected " + std::to_string(size) + " payload bytes");
    }
  }
  if (Fnv1a(payload) != checksum) return BadArtifact("checksum mismatch (corrupt artifact)");

  Reader reader(payload);
  int32_t items = 0;
  SasRecOptions options;
  for (int32_t* v : {&items, &options.max_len, &options.dim, &options.blocks, &options.heads}) {
    if (!reader.Read(v)) return BadArtifact("truncated architecture");
  }
  if (items < 1) return BadArtifact("item count must be positive");
  if (Status s = CheckArchitecture(options); !s.ok()) return BadArtifact(s.message());
  const auto shapes = Net::Shapes(items, options.max_len, options.dim, options.blocks);
  uint32_t count = 0;
  if (!reader.Read(&count) || count != shapes.size()) {
    return BadArtifact("parameter count does not match the architecture");
  }
  auto model = std::make_unique<SasRecModel>(options);
  model->item_count_ = items;
  model->net_ = std::make_unique<Net>();
  Net& net = *model->net_;
  net.items = items;
  net.max_len = options.max_len;
  net.dim = options.dim;
  net.heads = options.heads;
  net.blocks.resize(static_cast<size_t>(options.blocks));
  auto params = net.Parameters();
  for (size_t i = 0; i < params.size(); ++i) {
    uint32_t ndim = 0;
    if (!reader.Read(&ndim) || ndim != shapes[i].size()) {
      return BadArtifact("parameter " + std::to_string(i) + " has the wrong rank");
    }
    std::vector<int64_t> dims(ndim);
    for (auto& d : dims) {
      if (!reader.Read(&d)) return BadArtifact("truncated parameter shape");
    }
    if (dims != shapes[i])
      return BadArtifact("parameter " + std::to_string(i) + " has the wrong shape");
    auto t = torch::empty(dims, torch::kFloat);
    if (!reader.ReadBytes(t.data_ptr<float>(), static_cast<size_t>(t.numel()) * sizeof(float))) {
      return BadArtifact("truncated parameter data");
    }
    if (!torch::isfinite(t).all().item<bool>()) {
      return BadArtifact("parameter " + std::to_string(i) + " is not finite");
    }
    *params[i] = std::move(t);
  }
  if (!reader.AtEnd()) return BadArtifact("trailing bytes after the parameters");
  return model;
}

}  // namespace vitrine::recsys
