// Replays a fuzz target's saved corpus (every file in the folder given as argv[1], if it exists)
// and then 20,000 deterministic mutations of those inputs, so decoders are exercised in every
// test run even without libFuzzer. A crash or sanitizer report fails the test.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  if (argc > 1 && std::filesystem::is_directory(argv[1])) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
      std::ifstream in(entry.path(), std::ios::binary);
      seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  std::mt19937_64 rng(12345);
  constexpr int kMutations = 20000;
  for (int i = 0; i < kMutations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const uint64_t kind = rng() % 4;
      if (kind == 0 || input.empty()) {
        input.insert(
            input.begin() + static_cast<std::ptrdiff_t>(input.empty() ? 0 : rng() % input.size()),
            static_cast<char>(rng()));
      } else if (kind == 1) {
        input[rng() % input.size()] = static_cast<char>(rng());
      } else if (kind == 2) {
        input.erase(rng() % input.size(), 1 + rng() % 4);
      } else {
        input.resize(rng() % (input.size() + 1));
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("replayed %zu seeds and %d mutations\n", seeds.size(), kMutations);
  return 0;
}
