// swift-tools-version: 6.1
// The folder layout is the architecture: C libraries are wrapped once each
// (CHiredis, COpenBLAS, CJansson, CZstd; a module depends on one only where it imports it:
// the engine's products are the kernels' own fixed-order GEMM, so none imports OpenBLAS
// today); numeric kernels live in one small C target;
// Model, Tokenizer and Engine never see Redis; Queue and Worker never see a kernel.
// NightdeskRequests is the vocabulary every edge shares (chat messages, sampling
// parameters, the OpenAI request reader), so the queue and the engine speak it
// without knowing each other; Model's ModelPackage/ServedModel is the one front
// door to a model on disk.
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
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
  ],
  targets: [
    // MARK: C libraries from Debian's -dev packages, each wrapped once.
    .systemLibrary(name: "CHiredis", path: "Sources/CHiredis", pkgConfig: "hiredis",
                   providers: [.apt(["libhiredis-dev"])]),
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                   providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CJansson", path: "Sources/CJansson", pkgConfig: "jansson",
                   providers: [.apt(["libjansson-dev"])]),
    .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                   providers: [.apt(["libzstd-dev"])]),

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
    // One request vocabulary for every edge: ChatMessage, SamplingParameters (one set of
    // limits, the OpenAI API's), ChatRequest (the OpenAI request reader), RequestError.
    .target(name: "NightdeskRequests", dependencies: ["NightdeskSupport"], path: "Sources/Requests"),
    .target(name: "NightdeskTokenizer", dependencies: ["NightdeskSupport", "NightdeskRequests"], path: "Sources/Tokenizer",
            swiftSettings: optimisedSwift),
    // The forward pass, and the front door to a model on disk (Bundle/: ModelPackage, ServedModel).
    .target(name: "NightdeskModel",
            dependencies: ["NightdeskKernels", "NightdeskSupport", "NightdeskTokenizer", "NightdeskRequests"],
            path: "Sources/Model", swiftSettings: optimisedSwift),
    // The continuous-batching engine and the one sampler (used by `generate`'s reference path too);
    // schema-constrained requests take their token masks from NightdeskStructured.
    .target(name: "NightdeskEngine",
            dependencies: ["NightdeskModel", "NightdeskTokenizer", "NightdeskRequests", "NightdeskSupport",
                           "NightdeskStructured"],
            path: "Sources/Engine", swiftSettings: optimisedSwift),
    // Schema-constrained decoding: JSON Schema → byte automaton → token masks. Knows
    // tokenizers, not models or the engine; the engine takes it in (a mask per constrained request).
    .target(name: "NightdeskStructured", dependencies: ["NightdeskSupport", "NightdeskTokenizer", "NightdeskRequests"],
            path: "Sources/Structured", swiftSettings: optimisedSwift),
    .target(name: "NightdeskQueue", dependencies: ["NightdeskRedis", "NightdeskRequests", "NightdeskSupport"],
            path: "Sources/Queue"),
    // The worker logs through swift-log and counts through swift-metrics (the API only:
    // the CLI chooses the backends).
    .target(name: "NightdeskWorker",
            dependencies: ["NightdeskQueue", "NightdeskEngine", "NightdeskModel", "NightdeskTokenizer", "NightdeskRequests",
                           "NightdeskStructured", "NightdeskSupport", "NightdeskIngest",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            path: "Sources/Worker"),
    // Logs and metrics out of a process: the log handler (text or JSON lines), and the
    // MetricsServer (Prometheus text on /metrics, /health) that long-running commands start.
    .target(name: "NightdeskObservability",
            dependencies: ["NightdeskSupport",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            path: "Sources/Observability"),
    // The result store that outlives Redis: finished jobs and batch summaries in SQLite
    // (GRDB), written by the worker after each stored result, read by results/status/report
    // when Redis no longer holds a batch. Knows the queue's records, never the engine.
    .target(name: "NightdeskArchive",
            dependencies: ["NightdeskQueue", "NightdeskSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Sources/Archive"),
    // Documents in (PDF through poppler's pdftotext, HTML, Markdown, text, news feeds, social
    // dumps), chunks and canonical prompts out, and the job types of Jobs/types/. Knows
    // tokens (to chunk) but never Redis, the queue or the engine.
    .target(name: "NightdeskIngest",
            dependencies: ["NightdeskSupport", "NightdeskTokenizer", "NightdeskRequests", "CZstd",
                           .product(name: "Yams", package: "Yams")],
            path: "Sources/Ingest", swiftSettings: optimisedSwift),
    // The OpenAI Files and Batch API over HTTP (`nightdesk serve`): files and batches live in
    // the queue's Redis, so any number of servers and workers share one night.
    .target(name: "NightdeskServer",
            dependencies: ["NightdeskQueue", "NightdeskRedis", "NightdeskRequests", "NightdeskSupport", "NightdeskStructured",
                           "NightdeskModel", "NightdeskTokenizer", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            path: "Sources/Server"),
    // `nightdesk schedule`: due entries of Jobs/schedules.yaml, articles seen kept in Redis,
    // each article queued once under a key made from its identity.
    .target(name: "NightdeskSchedule",
            dependencies: ["NightdeskQueue", "NightdeskIngest", "NightdeskRedis", "NightdeskSupport",
                           .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            path: "Sources/Schedule"),
    // The commands, and the CLI's own file formats (Model/PromptLine, Model/BenchWorkload).
    .executableTarget(
      name: "NightdeskCLI",
      dependencies: [
        "NightdeskSupport", "NightdeskRedis", "NightdeskModel", "NightdeskTokenizer", "NightdeskRequests",
        "NightdeskEngine", "NightdeskQueue", "NightdeskWorker", "NightdeskStructured", "NightdeskIngest",
        "NightdeskObservability",
        "NightdeskServer",
        "NightdeskArchive",
        "NightdeskSchedule",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
      ],
      path: "Sources/NightdeskCLI"),

    // MARK: Tests: one target per module. Integration tests start real redis-servers and
    // real `nightdesk` processes and load real model files (no mocks); in a target that has
    // both, they sit in `Integration/`, apart from the unit tests in `Unit/`.
    // TestSupport starts redis-servers, runs the binary, finds fixtures and models, and
    // waits for conditions on a thread of its own (ConditionPoller).
    .target(name: "NightdeskTestSupport", dependencies: ["NightdeskRedis", "NightdeskSupport"],
            path: "Tests/TestSupport"),
    // QueueTestSupport: a queue on a private redis-server (QueueFixture), job and result
    // builders, and echo worker processes; for the queue's and the worker's tests.
    .target(name: "NightdeskQueueTestSupport",
            dependencies: ["NightdeskQueue", "NightdeskRedis", "NightdeskSupport", "NightdeskTestSupport"],
            path: "Tests/QueueTestSupport"),
    .testTarget(name: "SupportTests", dependencies: ["NightdeskSupport", "NightdeskTestSupport"]),
    .testTarget(name: "RedisTests", dependencies: ["NightdeskRedis", "NightdeskTestSupport"]),
    .testTarget(name: "RequestsTests", dependencies: ["NightdeskRequests", "NightdeskSupport"]),
    .testTarget(name: "TokenizerTests",
                dependencies: ["NightdeskTokenizer", "NightdeskModel", "NightdeskRequests", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "KernelTests",
                dependencies: ["NightdeskKernels", "NightdeskModel", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "ModelTests",
                dependencies: ["NightdeskModel", "NightdeskTokenizer", "NightdeskRequests", "NightdeskTestSupport"],
                swiftSettings: optimisedSwift),
    .testTarget(name: "EngineTests",
                dependencies: ["NightdeskEngine", "NightdeskModel", "NightdeskRequests", "NightdeskTestSupport",
                               "NightdeskStructured", "NightdeskIngest", "NightdeskTokenizer", "NightdeskSupport",
                               .product(name: "PropertyBased", package: "swift-property-based")],
                swiftSettings: optimisedSwift),
    .testTarget(name: "IngestTests",
                dependencies: ["NightdeskIngest", "NightdeskTokenizer", "NightdeskModel", "NightdeskSupport",
                               "NightdeskTestSupport",
                               .product(name: "PropertyBased", package: "swift-property-based")]),
    .testTarget(name: "StructuredTests",
                dependencies: ["NightdeskStructured", "NightdeskTokenizer", "NightdeskModel", "NightdeskSupport",
                               "NightdeskRequests", "NightdeskIngest",  // budget tests: requests, shipped job types
                               "NightdeskTestSupport", .product(name: "PropertyBased", package: "swift-property-based")],
                swiftSettings: optimisedSwift),
    // The built binary's contracts, and the CLI's own file formats (@testable).
    .testTarget(name: "CLITests",
                dependencies: ["NightdeskCLI", "NightdeskEngine", "NightdeskModel", "NightdeskRequests", "NightdeskSupport", "NightdeskObservability",
                               "NightdeskTestSupport", "NightdeskRedis", .product(name: "Yams", package: "Yams")]),
    // The queue: submissions, the Lua scripts, reports. One round trip through the output
    // formats has its results made by an in-process echo worker.
    .testTarget(name: "QueueTests",
                dependencies: ["NightdeskQueue", "NightdeskWorker", "NightdeskRequests", "NightdeskRedis", "NightdeskSupport",
                               "NightdeskTestSupport", "NightdeskQueueTestSupport"]),
    // The archive: an expired batch read back byte for byte, one row per job however often
    // it is stored, files that are not archives refused (real redis-server, real binary).
    .testTarget(name: "ArchiveTests",
                dependencies: ["NightdeskArchive", "NightdeskQueue", "NightdeskRedis", "NightdeskSupport",
                               "NightdeskTestSupport", "NightdeskQueueTestSupport",
                               .product(name: "GRDB", package: "GRDB.swift")]),
    // The worker: the claim loop, leases, outages, worker processes killed and paused, the
    // engine behind a worker, one seed giving the same tokens in generate and the worker.
    .testTarget(name: "WorkerTests",
                dependencies: ["NightdeskWorker", "NightdeskQueue", "NightdeskEngine", "NightdeskModel", "NightdeskRequests",
                               "NightdeskIngest", "NightdeskRedis", "NightdeskSupport", "NightdeskTestSupport", "NightdeskQueueTestSupport",
                               "NightdeskStructured", "NightdeskTokenizer", .product(name: "Logging", package: "swift-log")]),
    // `nightdesk serve` through real clients: the `openai` Python package (in a venv kept
    // in the build folder) and curl, against the built binary, real workers and redis-servers.
    .testTarget(name: "ServerTests",
                dependencies: ["NightdeskServer", "NightdeskQueue", "NightdeskModel", "NightdeskSupport", "NightdeskTestSupport",
                               "NightdeskQueueTestSupport"],
                exclude: ["Scripts"]),
  ]
)

// MARK: A build of some test targets alone.
// NIGHTDESK_PACKAGE_TESTS=ModelTests,KernelTests keeps only those test targets and what they
// import, so a step that runs a few suites under another build (Ops/test's address-sanitizer
// step) does not build the server, the archive and their packages a second time.
if let wanted = Context.environment["NIGHTDESK_PACKAGE_TESTS"], !wanted.isEmpty {
  let byName = Dictionary(uniqueKeysWithValues: package.targets.map { ($0.name, $0) })
  var kept = Set<String>()
  var toVisit = wanted.split(separator: ",").map { String($0) }
  while let name = toVisit.popLast() {
    guard let target = byName[name] else { fatalError("NIGHTDESK_PACKAGE_TESTS names '\(name)', which is no target") }
    guard kept.insert(name).inserted else { continue }
    for dependency in target.dependencies {
      switch dependency {
      case .targetItem(let name, _), .byNameItem(let name, _): toVisit.append(name)
      default: break
      }
    }
  }
  package.products = []
  package.targets = package.targets.filter { kept.contains($0.name) }
}
