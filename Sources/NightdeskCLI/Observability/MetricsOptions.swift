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
    metricsHost ?? ProcessInfo.processInfo.environment[Self.hostVariable].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
  }

  func validate() throws {
    _ = try port(ProcessInfo.processInfo.environment)
  }

  /// The port to serve on, or nil for none: the flag, else the environment.
  func port(_ environment: [String: String]) throws -> Int? {
    if let metricsPort {
      guard (0...65535).contains(metricsPort) else { throw ValidationError("--metrics-port \(metricsPort) is not in 0...65535") }
      return metricsPort
    }
    guard let text = environment[Self.portVariable], !text.isEmpty else { return nil }
    guard let value = Int(text), (0...65535).contains(value) else {
      throw ValidationError("\(Self.portVariable)='\(text)' is not a port in 0...65535")
    }
    return value
  }
}
