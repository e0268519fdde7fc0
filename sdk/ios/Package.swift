// swift-tools-version:5.7
// Vitrine for iOS: a Swift API (target Vitrine) over the SDK's C ABI (target CVitrine: vitrine.h
// and its module map, linked against the prebuilt VitrineCore.xcframework that
// scripts/build-xcframework.sh makes from the mobile build in sdk/mobile).
// NOT built or run on the machine this repository is developed on (no Swift, no Xcode): see
// README.md for what is and is not exercised.
import PackageDescription

let package = Package(
  name: "Vitrine",
  platforms: [.iOS(.v13), .macOS(.v11)],
  products: [
    .library(name: "Vitrine", targets: ["Vitrine"])
  ],
  targets: [
    // The static core (SQLite, protobuf-lite, zlib and the SDK) for device and simulator.
    .binaryTarget(name: "VitrineCore", path: "build/VitrineCore.xcframework"),
    // The C ABI header as a Clang module.
    .target(name: "CVitrine", dependencies: ["VitrineCore"], path: "Sources/CVitrine",
            // SQLite is compiled into the core; zlib is the system's (the mobile build links
            // it with VITRINE_MOBILE_ZLIB_DIR empty on Apple platforms).
            linkerSettings: [.linkedLibrary("c++"), .linkedLibrary("z")]),
    .target(name: "Vitrine", dependencies: ["CVitrine"], path: "Sources/Vitrine"),
  ]
)
