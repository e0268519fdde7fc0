#include "bench/mobile_bench.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

double FileBytes(const fs::path& path, const char* how_to_build) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) {
    std::fprintf(stderr, "mobile: no %s (%s)\n", path.c_str(), how_to_build);
    return std::nan("");
  }
  return static_cast<double>(size);
}

// The number after `"key":` in the one-line JSON `json`; NaN when absent.
double Number(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return std::nan("");
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

std::string Stdout(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) {
    std::fprintf(stderr, "mobile: `%s` failed\n", command.c_str());
    return "";
  }
  return out;
}

}  // namespace

MobileBenchResult RunMobileBench(const std::string& build_dir, const std::string& source_dir,
                                 bool quick) {
  MobileBenchResult r{std::nan(""), std::nan(""), std::nan(""), std::nan("")};
  const fs::path mobile = fs::path(source_dir) / "build";
  r.so_bytes_x86_64 =
      FileBytes(mobile / "mobile-x86_64/libvitrine_jni.stripped.so",
                "cmake -S sdk/mobile -B build/mobile-x86_64 $(scripts/mobile-deps.sh x86_64 | "
                "tail -1) && cmake --build build/mobile-x86_64");
  r.so_bytes_arm64 =
      FileBytes(mobile / "mobile-arm64/libvitrine_jni.stripped.so", "scripts/mobile-arm64-test.sh");

  // The JNI figure over the library an app ships (the mobile x86_64 build, MinSizeRel) when it
  // is there with its jars; otherwise over this build's desktop libvitrine_jni.so.
  fs::path lib_dir = mobile / "mobile-x86_64";
  fs::path jars = lib_dir / "tests";
  if (!fs::exists(jars / "vitrine-tests.jar") || !fs::exists(lib_dir / "libvitrine_jni.so")) {
    lib_dir = jars = fs::path(build_dir) / "sdk/android";
  }
  if (!fs::exists(jars / "vitrine-tests.jar") || !fs::exists(lib_dir / "libvitrine_jni.so") ||
      Stdout("command -v java").empty()) {
    std::fprintf(stderr,
                 "mobile: jni_track skipped, no java or no libvitrine_jni.so + vitrine-tests.jar "
                 "(build vitrine_jni vitrine_java_tests)\n");
    return r;
  }
  std::fprintf(stderr, "mobile: jni_track over %s/libvitrine_jni.so\n", lib_dir.c_str());
  const fs::path tmp =
      fs::temp_directory_path() / ("vitrine-jni-bench-" + std::to_string(getpid()));
  const std::string json =
      Stdout("java -Djava.library.path=" + lib_dir.string() + " -cp " +
             (jars / "vitrine.jar").string() + ":" + (jars / "vitrine-tests.jar").string() +
             " dev.vitrine.JniTrackBench " + tmp.string() + (quick ? " 50000" : " 300000"));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  r.jni_track_ns_p50 = Number(json, "jni_track_ns_p50");
  r.jni_track_ns_p99 = Number(json, "jni_track_ns_p99");
  return r;
}
