#include "sync_server/recsys/content/fasttext_embedder.h"

#include <fasttext/fasttext.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>

namespace vitrine::recsys {

struct FastTextEmbedder::Impl {
  fasttext::FastText model;
  int dim = 0;
};

namespace {

Status Internal(std::string message) {
  return Status(Status::Kind::kInternal, "content_training_failed", std::move(message));
}

// A temporary file removed when this goes out of scope, whatever happens in between.
class TempFile {
 public:
  TempFile() {
    static std::atomic<uint64_t> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("vitrine-fasttext-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter.fetch_add(1)) + "-" + std::to_string(rd()) + ".txt");
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

FastTextEmbedder::FastTextEmbedder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FastTextEmbedder::~FastTextEmbedder() = default;

StatusOr<std::unique_ptr<FastTextEmbedder>> FastTextEmbedder::Train(
    const std::vector<std::vector<std::string>>& documents, const FastTextOptions& options) {
  if (options.dim <= 0 || options.epoch <= 0 || options.window <= 0 || options.buckets < 0) {
    return Status(Status::Kind::kInvalid, "invalid_options", "fastText options out of range");
  }
  TempFile file;
  size_t words = 0;
  {
    std::ofstream out(file.path());
    if (!out) return Internal("cannot write " + file.path().string());
    for (const auto& doc : documents) {
      if (doc.empty()) continue;
      for (size_t i = 0; i < doc.size(); ++i) {
        // fastText splits on whitespace: a word must not carry any.
        for (char c : doc[i]) out.put(std::isspace(static_cast<unsigned char>(c)) ? '_' : c);
        out.put(i + 1 < doc.size() ? ' ' : '\n');
      }
      words += doc.size();
    }
    if (!out.flush()) return Internal("cannot write " + file.path().string());
  }
  if (words == 0) {
    return Status(Status::Kind::kInvalid, "no_text", "no item has any text to train on");
  }
  fasttext::Args args;
  args.input = file.path().string();
  args.model = fasttext::model_name::sg;
  args.loss = fasttext::loss_name::ns;
  args.dim = options.dim;
  args.epoch = options.epoch;
  args.ws = options.window;
  args.minCount = options.min_count;
  args.minn = options.min_ngram;
  args.maxn = options.min_ngram > 0 ? options.max_ngram : 0;
  args.neg = options.negatives;
  args.lr = options.learning_rate;
  args.bucket = options.min_ngram > 0 ? options.buckets : 0;
  args.thread = std::max(1, options.threads);
  args.seed = static_cast<int>(options.seed & 0x7FFFFFFF);
  args.verbose = 0;
  auto impl = std::make_unique<Impl>();
  impl->dim = options.dim;
  // fastText reports errors by throwing; nothing may escape into the server.
  try {
    impl->model.train(args);
  } catch (const std::exception& e) {
    return Internal(std::string("fastText: ") + e.what());
  }
  return std::unique_ptr<FastTextEmbedder>(new FastTextEmbedder(std::move(impl)));
}

int FastTextEmbedder::dimension() const { return impl_->dim; }

std::vector<float> FastTextEmbedder::EmbedWords(const std::vector<std::string>& words) const {
  const auto dim = static_cast<size_t>(impl_->dim);
  std::vector<float> sum(dim, 0.0f);
  fasttext::Vector v(impl_->dim);
  int count = 0;
  for (const auto& w : words) {
    impl_->model.getWordVector(v, w);
    const float norm = v.norm();
    if (!(norm > 0) || !std::isfinite(norm)) continue;
    for (size_t d = 0; d < dim; ++d) sum[d] += v[static_cast<int64_t>(d)] / norm;
    ++count;
  }
  if (count > 0) {
    for (auto& x : sum) x /= static_cast<float>(count);
  }
  return sum;
}

StatusOr<std::vector<float>> FastTextEmbedder::Embed(std::string_view text) const {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
    size_t end = pos;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    if (end > pos) words.emplace_back(text.substr(pos, end - pos));
    pos = end;
  }
  return EmbedWords(words);
}

}  // namespace vitrine::recsys
