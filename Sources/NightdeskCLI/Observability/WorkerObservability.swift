import Foundation
import Logging
import Metrics
import NightdeskModel
import NightdeskObservability
import NightdeskSupport
import NightdeskWorker

/// What `/health` says of a worker: 200 when it holds its model and its Redis, else 503
/// with the reason (the model is still loading, Redis has not answered for a while, the
/// worker has stopped).
final class WorkerHealth: Sendable {
  /// Redis counts as lost when the lease keeper (which writes every second) has not
  /// completed a round trip for this long.
  static let staleAfter = Duration.seconds(5)

  private let state = LockedValue<(modelReady: Bool, worker: Worker?)>((false, nil))

  func modelReady() { state.withLock { $0.modelReady = true } }

  func attach(_ worker: Worker) { state.withLock { $0.worker = worker } }

  var problems: [String] {
    let (modelReady, worker) = state.current
    guard modelReady else { return ["loading the model"] }
    guard let worker else { return ["starting"] }
    return worker.redisHealth.problem(stale: Self.staleAfter).map { [$0] } ?? []
  }
}

extension MetricsOptions {
  /// Starts the metrics server when a port was given (the flag or the environment) and
  /// logs where it listens; nil when none was.
  func start(health: @escaping @Sendable () -> [String], logger: Logger) async throws -> MetricsServer? {
    try await start(port: try port(ProcessInfo.processInfo.environment), health: health, logger: logger)
  }

  /// Starts the metrics server on `port` (nil: none) and logs where it listens.
  func start(port: Int?, health: @escaping @Sendable () -> [String], logger: Logger) async throws -> MetricsServer? {
    guard let port else { return nil }
    let server = try await MetricsServer.start(host: host, port: port, health: health, logger: logger)
    logger.info("serving /metrics and /health", metadata: ["metrics_host": "\(host)", "metrics_port": "\(server.port)"])
    return server
  }
}

/// The kernel level this process runs, as a gauge with a label (1 for the level in use).
func recordKernelLevel() {
  Gauge(label: "nightdesk_kernel_level", dimensions: [("level", KernelLevel.active.name)]).record(1)
}
