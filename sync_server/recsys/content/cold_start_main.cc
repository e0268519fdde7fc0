// vitrine-cold-start: the cold-start table on an S3-Rec Amazon file.
//   vitrine-cold-start <sequences.txt> [--titles F.tsv] [--attributes F.json] [--seeds 3]
//                      [--keep-cold-history]
// Prints HR/NDCG@5/10/20 of the content model, the oracle popularity and random, mean of seeds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sync_server/recsys/content/cold_start.h"
#include "sync_server/recsys/content/content_model.h"

using namespace vitrine::recsys;  // NOLINT: a small tool

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s <sequences.txt> [--titles F] [--attributes F] [--seeds N] "
                 "[--keep-cold-history]\n",
                 argv[0]);
    return 2;
  }
  std::string titles;
  std::string attributes;
  int seeds = 3;
  ColdStartOptions cs;
  for (int a = 2; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--titles" && a + 1 < argc)
      titles = argv[++a];
    else if (arg == "--attributes" && a + 1 < argc)
      attributes = argv[++a];
    else if (arg == "--seeds" && a + 1 < argc)
      seeds = std::atoi(argv[++a]);
    else if (arg == "--keep-cold-history")
      cs.keep_cold_history = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  auto all = LoadS3RecSequences(argv[1]);
  if (!all.ok()) {
    std::fprintf(stderr, "%s\n", all.status().ToString().c_str());
    return 1;
  }
  ItemText text;
  if (!titles.empty()) {
    if (auto s = LoadS3RecTitles(titles, all->item_count, &text); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (!attributes.empty()) {
    if (auto s = LoadS3RecAttributes(attributes, all->item_count, &text); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
  }
  std::vector<RankingMetrics> content, popularity, random;
  double fit_seconds = 0;
  size_t shoppers = 0;
  size_t cold = 0;
  for (int seed = 1; seed <= seeds; ++seed) {
    cs.seed = static_cast<uint64_t>(seed);
    const ColdStartSplit split = MakeColdStartSplit(*all, cs);
    ContentModel model(text);
    TrainOptions t;
    t.seed = static_cast<uint64_t>(seed);
    const auto start = std::chrono::steady_clock::now();
    if (auto s = model.Fit(split.train, t); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    fit_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    content.push_back(EvaluateColdStart(model, split, cs.seed));
    popularity.push_back(EvaluateColdStart(CountModel(split.full_counts), split, cs.seed));
    random.push_back(EvaluateColdStart(RandomModel(), split, cs.seed));
    shoppers = split.targets.size();
    cold = split.cold_items.size();
  }
  std::printf("cold items %zu, evaluated shoppers %zu (last seed), seeds %d, fit %.1f s/seed\n",
              cold, shoppers, seeds, fit_seconds / seeds);
  std::printf("| model | HR@5 | HR@10 | HR@20 | NDCG@5 | NDCG@10 | NDCG@20 |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  auto row = [](const char* name, const std::vector<RankingMetrics>& runs) {
    const MetricsSummary s = Summarize(runs);
    std::printf("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", name, s.mean.hr[0],
                s.mean.hr[1], s.mean.hr[2], s.mean.ndcg[0], s.mean.ndcg[1], s.mean.ndcg[2]);
    std::printf("|   ± sd | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f |\n", s.stddev.hr[0],
                s.stddev.hr[1], s.stddev.hr[2], s.stddev.ndcg[0], s.stddev.ndcg[1],
                s.stddev.ndcg[2]);
  };
  row("content (fastText)", content);
  row("popularity (oracle, full-data counts)", popularity);
  row("random", random);
  return 0;
}
