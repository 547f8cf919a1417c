import ArgumentParser
import Foundation

/// `--metrics-port N` and `--metrics-host`: serve `/metrics` (Prometheus text) and
/// `/health` (see `MetricsServer`), for the worker and any other long-running command.
struct MetricsOptions: ParsableArguments {
  static let portVariable = "NIGHTDESK_METRICS_PORT"
  static let hostVariable = "NIGHTDESK_METRICS_HOST"

  @Option(help: ArgumentHelp(
    "Serve Prometheus metrics on /metrics and the health check on /health at this port (0: any free port, logged).",
    discussion: "Default: $NIGHTDESK_METRICS_PORT, else no metrics server.", valueName: "port"))
  var metricsPort: Int?

  @Option(help: ArgumentHelp("The address the metrics server listens on (default: $NIGHTDESK_METRICS_HOST, else 0.0.0.0).",
                             valueName: "address"))
  var metricsHost: String?

  /// `--metrics-host`, else the environment, else every interface.
  var host: String {
    FlagOrEnvironment.text(metricsHost, Self.hostVariable) ?? "0.0.0.0"
  }

  func validate() throws {
    _ = try port(ProcessInfo.processInfo.environment)
  }

  /// The port to serve on, or nil for none: the flag, else the environment.
  func port(_ environment: [String: String]) throws -> Int? {
    if let metricsPort, !(0...65535).contains(metricsPort) {
      throw ValidationError("--metrics-port \(metricsPort) is not in 0...65535")
    }
    return try FlagOrEnvironment.value(metricsPort, Self.portVariable, in: environment, expected: "a port in 0...65535") {
      Int($0).flatMap { (0...65535).contains($0) ? $0 : nil }
    }
  }
}
