import Hummingbird
import Logging
import Metrics
import NIOCore
import Prometheus

/// A process's metrics and health over HTTP, in one call:
///
///     let server = try await MetricsServer.start(port: 9464, health: { worker.problems }, logger: logger)
///     ...
///     await server.stop()
///
/// `GET /metrics` answers the Prometheus text of everything recorded through
/// swift-metrics in this process (the first `start` bootstraps swift-metrics with a
/// Prometheus registry; a process serves one registry). `GET /health` answers 200 `ok`
/// when `health` returns no problem, else 503 with the problems, one per line. Served by
/// Hummingbird on its own event loops, so a busy engine or a blocked Redis call never
/// holds an answer back.
public final class MetricsServer: Sendable {
  /// The port it listens on (the one the system chose when asked for port 0).
  public let port: Int
  private let task: Task<Void, any Error>

  /// The registry every metric of the process goes to, bootstrapped on first use.
  public static let registry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    // Engine steps take from about a millisecond (a decode step of a small model) to
    // seconds (a long prefill chunk of a large one).
    factory.defaultDurationHistogramBuckets = [
      .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    MetricsSystem.bootstrap(factory)
    return registry
  }()

  private init(port: Int, task: Task<Void, any Error>) {
    self.port = port
    self.task = task
  }

  /// Starts serving on `host:port` (port 0: any free port, see `port`) and returns once
  /// it listens. Throws if the address cannot be bound.
  public static func start(
    host: String = "0.0.0.0", port: Int, health: @escaping @Sendable () -> [String], logger: Logger
  ) async throws -> MetricsServer {
    let registry = Self.registry
    let router = Router()
    router.get("/metrics") { _, _ -> Response in
      var headers = HTTPFields()
      headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
      return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
    router.get("/health") { _, _ -> Response in
      let problems = health()
      var headers = HTTPFields()
      headers[.contentType] = "text/plain; charset=utf-8"
      let text = problems.isEmpty ? "ok\n" : problems.joined(separator: "\n") + "\n"
      return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: headers,
                      body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    let (bound, boundContinuation) = AsyncStream.makeStream(of: Int?.self)
    var quiet = logger
    quiet.logLevel = max(logger.logLevel, .warning)
    let application = Application(
      router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
      onServerRunning: { channel in
        boundContinuation.yield(channel.localAddress?.port)
        boundContinuation.finish()
      },
      logger: quiet)
    let task = Task {
      defer { boundContinuation.finish() }
      try await application.run()
    }
    var iterator = bound.makeAsyncIterator()
    guard let first = await iterator.next(), let actual = first else {
      // The server ended before it listened: its error says why (an address in use).
      try await task.value
      throw MetricsServerError(message: "the metrics server on \(host):\(port) stopped before it listened")
    }
    return MetricsServer(port: actual, task: task)
  }

  /// Stops serving and waits until the port is closed.
  public func stop() async {
    task.cancel()
    _ = try? await task.value
  }
}

/// The metrics server could not listen.
public struct MetricsServerError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}
