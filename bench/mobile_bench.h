// Mobile figures (issue 7): the size an app ships and the cost of a capture call through JNI.
//  - mobile_so_bytes_x86_64 / mobile_so_bytes_arm64: libvitrine_jni.so of the mobile build
//    (sdk/mobile: core + C ABI + JNI layer + SQLite + protobuf-lite + zlib deflate; no HTTP
//    client), stripped, as built by scripts/mobile-arm64-test.sh (build/mobile-arm64) and
//    scripts/mobile-tsan-test.sh's x86_64 deps / `cmake -S sdk/mobile -B build/mobile-x86_64`.
//    Read from <source>/build/mobile-<arch>/libvitrine_jni.stripped.so; absent -> NaN.
//  - jni_track_ns_p50 (and _p99): dev.vitrine.JniTrackBench (tests/android) on the desktop JVM:
//    Vitrine.productViewed, each call timed on its own, over the mobile x86_64 build's
//    libvitrine_jni.so when present (what an app ships), else over this build's.
//
// Thread safety: runs on the caller's thread; spawns `java` for the JNI figure.
#ifndef VITRINE_BENCH_MOBILE_BENCH_H_
#define VITRINE_BENCH_MOBILE_BENCH_H_

#include <string>

struct MobileBenchResult {
  double so_bytes_x86_64;  // NaN when that build is absent (the reason goes to stderr)
  double so_bytes_arm64;
  double jni_track_ns_p50;
  double jni_track_ns_p99;
};

// `build_dir`: this build's root (sdk/android/ holds its vitrine.jar and libvitrine_jni.so);
// `source_dir`: the repository (holds build/mobile-<arch>).
MobileBenchResult RunMobileBench(const std::string& build_dir, const std::string& source_dir,
                                 bool quick);

#endif  // VITRINE_BENCH_MOBILE_BENCH_H_
