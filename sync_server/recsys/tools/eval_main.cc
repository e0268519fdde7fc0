// vitrine-recsys-eval: trains each model on the leave-one-out training part of an Amazon S3-Rec
// file and prints HR/NDCG@5/10/20 on the test items (mean ± sd over seeds) next to the published
// numbers. See docs/benchmarks.md for the command that produced the recorded table.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sync_server/recsys/ensemble.h"
#include "sync_server/recsys/evaluation.h"
#include "sync_server/recsys/fbt.h"
#include "sync_server/recsys/item_knn.h"
#include "sync_server/recsys/sequences.h"
#ifdef VITRINE_HAVE_CONTENT
#include "sync_server/recsys/content/content_model.h"
#endif
#ifdef VITRINE_HAVE_TRANSFORMER
#include "sync_server/recsys/transformer/sasrec.h"
#endif

namespace vitrine::recsys {
namespace {

struct Args {
  std::filesystem::path datasets = "../shared/datasets";
  std::string dataset = "beauty";
  std::vector<std::string> models = {"popularity", "item-knn"};
  int seeds = 3;
  int first_seed = 1;  // --first-seed: runs seeds first_seed .. first_seed + seeds - 1
  int threads = 0;
  bool validation = false;
  bool json = false;
  std::map<std::string, double> knn;     // --knn key=value overrides
  std::map<std::string, double> hybrid;  // --hybrid shrinkage=..|content_weight=..
  double sasrec_budget_s = 0;            // --sasrec-budget-s: wall-clock cap of one fit
  double ensemble_weight = 0.5;          // --ensemble-weight: the transformer's share
};

[[noreturn]] void Usage(const char* message) {
  std::fprintf(
      stderr,
      "error: %s\n"
      "usage: vitrine-recsys-eval [--datasets DIR] [--dataset beauty|toys] [--models a,b]\n"
      "         [--seeds N] [--first-seed K] [--threads N] [--validation] [--json] [--knn "
      "key=value]\n"
      "         [--hybrid shrinkage=S|content_weight=W]\n"
      "models: popularity, item-knn, fbt"
#ifdef VITRINE_HAVE_TRANSFORMER
      ", sasrec, ensemble (item-knn + sasrec; --ensemble-weight W, --sasrec-budget-s S)"
#endif
#ifdef VITRINE_HAVE_CONTENT
      ", content, hybrid (item-knn + content)"
#endif
      "\n",
      message);
  std::exit(2);
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + flag).c_str());
      return argv[++i];
    };
    if (flag == "--datasets") {
      a.datasets = value();
    } else if (flag == "--dataset") {
      a.dataset = value();
    } else if (flag == "--models") {
      a.models = SplitCommas(value());
    } else if (flag == "--seeds") {
      a.seeds = std::atoi(value().c_str());
    } else if (flag == "--first-seed") {
      a.first_seed = std::atoi(value().c_str());
    } else if (flag == "--threads") {
      a.threads = std::atoi(value().c_str());
    } else if (flag == "--sasrec-budget-s") {
      a.sasrec_budget_s = std::atof(value().c_str());
    } else if (flag == "--ensemble-weight") {
      a.ensemble_weight = std::atof(value().c_str());
    } else if (flag == "--validation") {
      a.validation = true;
    } else if (flag == "--json") {
      a.json = true;
    } else if (flag == "--knn" || flag == "--hybrid") {
      const std::string kv = value();
      const size_t eq = kv.find('=');
      if (eq == std::string::npos) Usage((flag + " expects key=value").c_str());
      (flag == "--knn" ? a.knn : a.hybrid)[kv.substr(0, eq)] = std::atof(kv.c_str() + eq + 1);
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (a.seeds < 1) Usage("--seeds must be >= 1");
  if (a.first_seed < 1) Usage("--first-seed must be >= 1");
  return a;
}

ItemKnnOptions KnnOptions(const std::map<std::string, double>& overrides) {
  ItemKnnOptions o;
  for (const auto& [k, v] : overrides) {
    if (k == "window")
      o.window = static_cast<int>(v);
    else if (k == "distance_decay")
      o.distance_decay = v;
    else if (k == "forward_weight")
      o.forward_weight = v;
    else if (k == "backward_weight")
      o.backward_weight = v;
    else if (k == "alpha")
      o.alpha = v;
    else if (k == "neighbours")
      o.neighbours = static_cast<int>(v);
    else if (k == "recency_decay")
      o.recency_decay = v;
    else if (k == "history_items")
      o.history_items = static_cast<int>(v);
    else if (k == "popularity_weight")
      o.popularity_weight = v;
    else
      Usage(("unknown --knn key " + k).c_str());
  }
  return o;
}

// Published full-ranking HR@10 / NDCG@10 on these exact files (../shared/datasets/README.md).
struct Published {
  const char* model;
  double beauty_hr10, beauty_ndcg10, toys_hr10, toys_ndcg10;
};
constexpr Published kPublished[] = {
    {"Pop (S3-Rec repo)", .0152, .0068, .0113, .0061},
    {"SASRec, original loss (S3-Rec repo)", .0605, .0318, .0675, .0374},
    {"S3-Rec", .0647, .0327, .0700, .0376},
    {"ICLRec", .0744, .0403, .0834, .0480},
    {"SASRec + sampled softmax (eSASRec README)", .0921, .0531, .0970, .0580},
    {"eSASRec", .0928, .0523, .0939, .0538},
};

// Titles (Beauty only) and attribute ids of the dataset's items, for the text models.
ItemText LoadItemText(const Args& args, int32_t item_count) {
  ItemText text;
  const auto dir = args.datasets / "amazon";
  const bool beauty = args.dataset == "beauty";
  if (beauty) {
    if (auto st = LoadS3RecTitles(dir / "beauty_s3rec_id_asin_title.tsv", item_count, &text);
        !st.ok()) {
      std::fprintf(stderr, "titles: %s\n", st.ToString().c_str());
    }
  }
  const auto attrs =
      dir / (beauty ? "Beauty_item2attributes.json" : "Toys_and_Games_item2attributes.json");
  if (auto st = LoadS3RecAttributes(attrs, item_count, &text); !st.ok()) {
    std::fprintf(stderr, "attributes: %s\n", st.ToString().c_str());
  }
  return text;
}

std::unique_ptr<SequenceModel> MakeModel(const std::string& name, const Args& args,
                                         const ItemText& text) {
  if (name == "popularity") return std::make_unique<PopularityModel>();
  if (name == "item-knn") return std::make_unique<ItemKnnModel>(KnnOptions(args.knn));
  // Complements only (the complement rule drops near-duplicates and same-subcategory items), so
  // it is not built to win next-item ranking; it is listed to show what it costs there.
  if (name == "fbt") return std::make_unique<FbtModel>(DeriveCatalogFeatures(text));
#ifdef VITRINE_HAVE_CONTENT
  if (name == "content") return std::make_unique<ContentModel>(text);
  if (name == "hybrid") {
    HybridOptions options;
    for (const auto& [k, v] : args.hybrid) {
      if (k == "shrinkage") {
        options.shrinkage = v;
      } else if (k == "content_weight") {
        options.content_weight = v;
      } else {
        Usage(("unknown --hybrid key " + k).c_str());
      }
    }
    return std::make_unique<HybridModel>(std::make_unique<ItemKnnModel>(KnnOptions(args.knn)),
                                         std::make_unique<ContentModel>(text), options);
  }
#endif
#ifdef VITRINE_HAVE_TRANSFORMER
  if (name == "sasrec" || name == "ensemble") {
    SasRecOptions options;
    options.time_budget_s = args.sasrec_budget_s;
    if (name == "sasrec") return std::make_unique<SasRecModel>(options);
    // item-knn + transformer, standardised and blended.
    std::vector<EnsembleModel::Member> members;
    members.push_back({std::make_unique<ItemKnnModel>(KnnOptions(args.knn)), 1.0});
    members.push_back({std::make_unique<SasRecModel>(options), args.ensemble_weight});
    return std::make_unique<EnsembleModel>(std::move(members));
  }
#endif
  return nullptr;
}

int Main(int argc, char** argv) {
  const Args args = Parse(argc, argv);
  const std::string file = args.dataset == "beauty" ? "Beauty.txt"
                           : args.dataset == "toys" ? "Toys_and_Games.txt"
                                                    : "";
  if (file.empty()) Usage("--dataset must be beauty or toys");
  const auto path = args.datasets / "amazon" / file;
  auto all = LoadS3RecSequences(path);
  if (!all.ok()) {
    std::fprintf(stderr, "error: %s\n", all.status().ToString().c_str());
    return 1;
  }
  const LeaveOneOut split = SplitLeaveOneOut(*all);
  const ItemText text = LoadItemText(args, all->item_count);
  std::fprintf(stderr, "%s: %zu shoppers, %d items, %zu interactions, %zu evaluated\n",
               path.string().c_str(), all->sequences.size(), all->item_count,
               all->interaction_count(), split.evaluated.size());

  struct Row {
    std::string model;
    MetricsSummary summary;
    double train_s = 0;
  };
  std::vector<Row> rows;
  for (const auto& name : args.models) {
    std::vector<RankingMetrics> runs;
    double train_s = 0;
    // One seed per process (--seeds 1 --first-seed K) lets the seeds of a slow model run side by
    // side on a many-core machine; the mean over those runs is the same as one process's.
    for (int seed = args.first_seed; seed < args.first_seed + args.seeds; ++seed) {
      auto model = MakeModel(name, args, text);
      if (!model) Usage(("unknown model " + name).c_str());
      TrainOptions train_options;
      train_options.seed = static_cast<uint64_t>(seed);
      train_options.threads = args.threads;
      train_options.progress = [&](const TrainProgress& p) {
        if (!p.detail.empty())
          std::fprintf(stderr, "  [%s seed %d] %s\n", name.c_str(), seed, p.detail.c_str());
      };
      const auto t0 = std::chrono::steady_clock::now();
      const SequenceSet fit_set =
          FitSet(split, args.validation ? FitFor::kValidation : FitFor::kTest);
      if (auto st = model->Fit(fit_set, train_options); !st.ok()) {
        std::fprintf(stderr, "error: %s: %s\n", name.c_str(), st.ToString().c_str());
        return 1;
      }
      train_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      EvalOptions eval;
      eval.seed = static_cast<uint64_t>(seed);
      eval.threads = args.threads;
      eval.target = args.validation ? EvalTarget::kValidation : EvalTarget::kTest;
      runs.push_back(EvaluateRanking(*model, split, eval));
      std::fprintf(stderr, "  %s seed %d: NDCG@10 %.4f HR@10 %.4f\n", name.c_str(), seed,
                   runs.back().ndcg[1], runs.back().hr[1]);
    }
    rows.push_back({name, Summarize(runs), train_s / args.seeds});
  }

  const bool beauty = args.dataset == "beauty";
  if (args.json) {
    std::printf("{\"dataset\":\"%s\",\"target\":\"%s\",\"seeds\":%d,\"first_seed\":%d,\"models\":[",
                args.dataset.c_str(), args.validation ? "validation" : "test", args.seeds,
                args.first_seed);
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto& m = rows[r].summary.mean;
      std::printf(
          "%s{\"model\":\"%s\",\"train_s\":%.2f,\"hr5\":%.5f,\"hr10\":%.5f,\"hr20\":%.5f,"
          "\"ndcg5\":%.5f,\"ndcg10\":%.5f,\"ndcg20\":%.5f,\"ndcg10_sd\":%.5f}",
          r ? "," : "", rows[r].model.c_str(), rows[r].train_s, m.hr[0], m.hr[1], m.hr[2],
          m.ndcg[0], m.ndcg[1], m.ndcg[2], rows[r].summary.stddev.ndcg[1]);
    }
    std::printf("]}\n");
    return 0;
  }
  std::printf("%s, %s items, full ranking, mean of %d seed(s)\n", file.c_str(),
              args.validation ? "validation" : "test", args.seeds);
  std::printf("| model | HR@5 | HR@10 | HR@20 | NDCG@5 | NDCG@10 | NDCG@20 | train s |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const auto& row : rows) {
    const auto& m = row.summary.mean;
    std::printf("| %s | %.4f | %.4f | %.4f | %.4f | %.4f ± %.4f | %.4f | %.1f |\n",
                row.model.c_str(), m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1],
                row.summary.stddev.ndcg[1], m.ndcg[2], row.train_s);
  }
  for (const auto& p : kPublished) {
    std::printf("| published: %s | | %.4f | | | %.4f | | |\n", p.model,
                beauty ? p.beauty_hr10 : p.toys_hr10, beauty ? p.beauty_ndcg10 : p.toys_ndcg10);
  }
  return 0;
}

}  // namespace
}  // namespace vitrine::recsys

int main(int argc, char** argv) { return vitrine::recsys::Main(argc, argv); }
