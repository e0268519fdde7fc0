// vitrine-sasrec-experiment: trains the SASRec model on an S3-Rec sequence file with the
// leave-one-out protocol and prints validation and test HR/NDCG@5/10/20 and the training time.
//
//   vitrine-sasrec-experiment --data Beauty.txt [--seed 1] [--threads 2] [--loss full|sampled]
//       [--negatives N] [--popularity-negatives] [--dim 64] [--blocks 2] [--heads 1]
//       [--max-len 50] [--dropout D] [--lr LR] [--weight-decay WD] [--batch B] [--epochs E]
//       [--patience P] [--val-shoppers N] [--internal-validation] [--budget SECONDS]
//       [--save MODEL_FILE]
//
// Model selection uses the split's validation targets (a subsample of --val-shoppers shoppers,
// 0 = all) unless --internal-validation asks the model to hold out items itself. The test target
// is evaluated once, on every shopper.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <string_view>

#include "sync_server/recsys/evaluation.h"
#include "sync_server/recsys/sequences.h"
#include "sync_server/recsys/transformer/sasrec.h"

namespace {

using vitrine::recsys::EvalOptions;
using vitrine::recsys::EvalTarget;
using vitrine::recsys::RankingMetrics;
using vitrine::recsys::SasRecModel;
using vitrine::recsys::SasRecOptions;

void PrintMetrics(const char* label, const RankingMetrics& m) {
  std::printf(
      "%-10s HR@5 %.4f HR@10 %.4f HR@20 %.4f  NDCG@5 %.4f NDCG@10 %.4f NDCG@20 %.4f  (%zu)\n",
      label, m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2], m.shoppers);
}

int Usage() {
  std::fprintf(stderr, "usage: vitrine-sasrec-experiment --data FILE [options] (see the source)\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data;
  std::string save;
  uint64_t seed = 1;
  int threads = 2;
  bool internal_validation = false;
  bool trace_test = false;
  size_t val_shoppers = 10000;
  SasRecOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data") {
      data = next();
    } else if (arg == "--save") {
      save = next();
    } else if (arg == "--seed") {
      seed = std::strtoull(next(), nullptr, 10);
    } else if (arg == "--threads") {
      threads = std::atoi(next());
    } else if (arg == "--loss") {
      const std::string_view v = next();
      if (v == "full") {
        options.loss = SasRecOptions::Loss::kFullSoftmax;
      } else if (v == "sampled") {
        options.loss = SasRecOptions::Loss::kSampledSoftmax;
      } else {
        return Usage();
      }
    } else if (arg == "--negatives") {
      options.negatives = std::atoi(next());
    } else if (arg == "--popularity-negatives") {
      options.popularity_negatives = true;
    } else if (arg == "--dim") {
      options.dim = std::atoi(next());
    } else if (arg == "--blocks") {
      options.blocks = std::atoi(next());
    } else if (arg == "--heads") {
      options.heads = std::atoi(next());
    } else if (arg == "--max-len") {
      options.max_len = std::atoi(next());
    } else if (arg == "--init-std") {
      options.item_init_std = std::atof(next());
    } else if (arg == "--dropout") {
      options.dropout = std::atof(next());
    } else if (arg == "--lr") {
      options.lr = std::atof(next());
    } else if (arg == "--weight-decay") {
      options.weight_decay = std::atof(next());
    } else if (arg == "--batch") {
      options.batch_size = std::atoi(next());
    } else if (arg == "--epochs") {
      options.max_epochs = std::atoi(next());
    } else if (arg == "--patience") {
      options.patience = std::atoi(next());
    } else if (arg == "--val-shoppers") {
      val_shoppers = static_cast<size_t>(std::atol(next()));
    } else if (arg == "--trace-test") {
      trace_test = true;  // diagnostics only: selection never looks at the test targets
    } else if (arg == "--internal-validation") {
      internal_validation = true;
    } else if (arg == "--budget") {
      options.time_budget_s = std::atof(next());
    } else {
      return Usage();
    }
  }
  if (data.empty()) return Usage();

  auto all = vitrine::recsys::LoadS3RecSequences(data);
  if (!all.ok()) {
    std::fprintf(stderr, "%s\n", all.status().ToString().c_str());
    return 1;
  }
  const auto split = vitrine::recsys::SplitLeaveOneOut(*all);
  std::printf("%s: %zu shoppers, %d items, %zu training interactions, %zu evaluated\n",
              data.c_str(), all->sequences.size(), all->item_count, split.train.interaction_count(),
              split.evaluated.size());

  EvalOptions eval;
  eval.seed = seed;
  eval.threads = threads;
  // Model selection on a random subsample of the validation targets (the file's order is not
  // random: its first shoppers score far below the rest).
  vitrine::recsys::LeaveOneOut val_split;
  val_split.train = split.train;
  {
    std::vector<size_t> pick(split.evaluated.size());
    std::iota(pick.begin(), pick.end(), size_t{0});
    std::mt19937_64 rng(seed);
    std::shuffle(pick.begin(), pick.end(), rng);
    if (val_shoppers > 0 && val_shoppers < pick.size()) pick.resize(val_shoppers);
    for (size_t i : pick) {
      val_split.evaluated.push_back(split.evaluated[i]);
      val_split.validation.push_back(split.validation[i]);
      val_split.test.push_back(split.test[i]);
    }
  }
  if (!internal_validation) {
    options.validate = [&](const vitrine::recsys::SequenceModel& model) {
      EvalOptions v = eval;
      v.target = EvalTarget::kValidation;
      const double score = vitrine::recsys::EvaluateRanking(model, val_split, v).ndcg10();
      if (trace_test) {
        v.target = EvalTarget::kTest;
        std::printf("  (test NDCG@10 %.4f)\n",
                    vitrine::recsys::EvaluateRanking(model, split, v).ndcg10());
      }
      return score;
    };
  }
  SasRecModel model(options);
  vitrine::recsys::TrainOptions train;
  train.seed = seed;
  train.threads = threads;
  train.progress = [](const vitrine::recsys::TrainProgress& p) {
    std::printf("  %s\n", p.detail.c_str());
    std::fflush(stdout);
  };
  const auto start = std::chrono::steady_clock::now();
  if (auto s = model.Fit(split.train, train); !s.ok()) {
    std::fprintf(stderr, "fit failed: %s\n", s.ToString().c_str());
    return 1;
  }
  const double train_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("trained %d epochs in %.1f s (best validation NDCG@10 %.4f)\n",
              model.epochs_trained(), train_s, model.best_validation());

  const auto eval_start = std::chrono::steady_clock::now();
  eval.target = EvalTarget::kValidation;
  PrintMetrics("validation", vitrine::recsys::EvaluateRanking(model, split, eval));
  eval.target = EvalTarget::kTest;
  const auto test = vitrine::recsys::EvaluateRanking(model, split, eval);
  PrintMetrics("test", test);
  std::printf("evaluation %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - eval_start).count());
  std::printf("RESULT seed %llu train_s %.1f test_ndcg10 %.4f test_hr10 %.4f\n",
              static_cast<unsigned long long>(seed), train_s, test.ndcg10(), test.hr[1]);

  if (!save.empty()) {
    std::ofstream out(save, std::ios::binary);
    if (auto s = model.Save(out); !s.ok()) {
      std::fprintf(stderr, "save failed: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
