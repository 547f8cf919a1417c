// swift-tools-version: 6.1
// The folder layout is the architecture: C libraries are wrapped once each
// (CHiredis, COpenBLAS, CJansson; a module depends on one only where it imports it:
// the engine's products are the kernels' own fixed-order GEMM, so none imports OpenBLAS
// today); numeric kernels live in one small C target;
// Model, Tokenizer and Engine never see Redis; Queue and Worker never see a kernel.
import PackageDescription

/// Numeric code is unusable at -Onone (the fixture tests would take hours), so
/// the hot modules are optimised in every configuration, debug test builds included.
let optimisedSwift: [SwiftSetting] = [
  .unsafeFlags(["-O"], .when(configuration: .debug)),
]

let package = Package(
  name: "Nightdesk",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "nightdesk", targets: ["NightdeskCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    // MARK: C libraries from Debian's -dev packages, each wrapped once.
    .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis",
                   providers: [.apt(["libhiredis-dev"])]),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                   providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CJansson", path: "Sources/CJansson", pkgConfig: "jansson",
                   providers: [.apt(["libjansson-dev"])]),

    // MARK: Hot numeric kernels (C with SIMD intrinsics, a scalar reference beside each).
    // Compiled for the architecture's baseline: each kernel level (generic, x86/avx2,
    // x86/avx512) sets its own instruction set with target attributes, and the level runs
    // is chosen at run time from CPUID, so one binary serves every CPU of a fleet. No
    // contraction: a fused multiply-add is written where the fixed orders want one, so
    // every level computes the same bits.
    .target(name: "NightdeskKernels", path: "Sources/Kernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-ffp-contract=off"])]),

    // MARK: Swift modules.
    .target(name: "NightdeskSupport", dependencies: ["CJansson"], path: "Sources/Support"),
    .target(name: "NightdeskRedis", dependencies: ["CHiredis", "NightdeskSupport"], path: "Sources/Redis"),
    .target(name: "NightdeskTokenizer", dependencies: ["NightdeskSupport"], path: "Sources/Tokenizer",
            swiftSettings: optimisedSwift),
    .target(name: "NightdeskModel",
            dependencies: ["NightdeskKernels", "NightdeskSupport", "NightdeskTokenizer"],
            path: "Sources/Model", swiftSettings: optimisedSwift),
    .target(name: "NightdeskEngine",
            dependencies: ["NightdeskModel", "NightdeskTokenizer", "NightdeskSupport"],
            path: "Sources/Engine", swiftSettings: optimisedSwift),
    .target(name: "NightdeskQueue", dependencies: ["NightdeskRedis", "NightdeskSupport"], path: "Sources/Queue"),
    .target(name: "NightdeskWorker",
            dependencies: ["NightdeskQueue", "NightdeskEngine", "NightdeskModel", "NightdeskTokenizer", "NightdeskSupport"],
            path: "Sources/Worker"),
    // Documents in (PDF through poppler's pdftotext, HTML, Markdown, text, news feeds, social
    // dumps), chunks and canonical prompts out, and the job types of Jobs/types/. Knows
    // tokens (to chunk) but never Redis, the queue or the engine.
    .target(name: "NightdeskIngest",
            dependencies: ["NightdeskSupport", "NightdeskTokenizer", .product(name: "Yams", package: "Yams")],
            path: "Sources/Ingest", swiftSettings: optimisedSwift),
    .executableTarget(
      name: "NightdeskCLI",
      dependencies: [
        "NightdeskSupport", "NightdeskRedis", "NightdeskModel", "NightdeskTokenizer",
        "NightdeskEngine", "NightdeskQueue", "NightdeskWorker", "NightdeskIngest",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/NightdeskCLI"),

    // MARK: Tests. TestSupport starts real redis-servers and finds fixtures and models.
    .target(name: "NightdeskTestSupport", dependencies: ["NightdeskRedis", "NightdeskSupport"],
            path: "Tests/TestSupport"),
    .testTarget(name: "SupportTests", dependencies: ["NightdeskSupport", "NightdeskTestSupport"]),
    .testTarget(name: "RedisTests", dependencies: ["NightdeskRedis", "NightdeskTestSupport"]),
    .testTarget(name: "TokenizerTests", dependencies: ["NightdeskTokenizer", "NightdeskModel", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "KernelTests",
                dependencies: ["NightdeskKernels", "NightdeskModel", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "ModelTests",
                dependencies: ["NightdeskModel", "NightdeskTokenizer", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "EngineTests",
                dependencies: ["NightdeskEngine", "NightdeskModel", "NightdeskTestSupport",
                               .product(name: "PropertyBased", package: "swift-property-based")],
                swiftSettings: optimisedSwift),
    .testTarget(name: "IngestTests",
                dependencies: ["NightdeskIngest", "NightdeskTokenizer", "NightdeskModel", "NightdeskSupport",
                               "NightdeskTestSupport",
                               .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(name: "CLITests", dependencies: ["NightdeskTestSupport"]),
    .testTarget(name: "QueueTests",
                dependencies: ["NightdeskQueue", "NightdeskWorker", "NightdeskEngine", "NightdeskRedis", "NightdeskTestSupport"]),
  ]
)
