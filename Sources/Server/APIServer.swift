import Foundation
import Hummingbird
import Logging
import NightdeskModel
import NightdeskQueue
import NightdeskRedis

/// Bounds on what one request may hand the server.
public struct ServerLimits: Sendable {
  /// An uploaded file, kept whole in Redis (OpenAI's own limit is 200 MB).
  public var maxFileBytes: Int

  public init(maxFileBytes: Int = 64 << 20) { self.maxFileBytes = maxFileBytes }
}

/// What `nightdesk serve` runs with.
public struct ServerConfiguration: Sendable {
  public var host: String
  public var port: Int
  public var redis: RedisURL
  public var queue: QueueKeys
  public var access: AccessPolicy
  public var limits: ServerLimits
  public var retentionSeconds: Int
  /// Redis connections handlers share (each request holds one while it reads or writes).
  public var connections: Int
  /// The model batches are checked against when they are created (`serve --model`): a
  /// line too long for its context is refused with its number. Nil: no such check.
  public var model: ServedModel?
  /// Where the access log (one line per request) and the server's own lines go.
  public var logger = Logger(label: "nightdesk.serve")

  public init(host: String, port: Int, redis: RedisURL, queue: QueueKeys, access: AccessPolicy,
              limits: ServerLimits = ServerLimits(), retentionSeconds: Int = QueueClient.defaultRetentionSeconds,
              connections: Int = 8) {
    self.host = host
    self.port = port
    self.redis = redis
    self.queue = queue
    self.access = access
    self.limits = limits
    self.retentionSeconds = retentionSeconds
    self.connections = connections
  }

  /// Without keys, anyone who reaches the port is the default desk: allowed only where
  /// no one but this machine can reach it.
  public func validate() throws {
    if case .openOnLoopback = access, !Self.isLoopback(host) {
      throw APIKeysError(
        "refusing to serve \(host) without API keys: anyone who reaches it could read and run every batch. "
          + "Set \(APIKeys.fileVariable) to a file of `KEY DESK` lines, or serve on 127.0.0.1")
    }
  }

  static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host.hasPrefix("127.")
  }
}

/// `nightdesk serve`: the OpenAI Files and Batch API over the queue in Redis. It keeps
/// no state of its own, so any number of servers and workers share one night.
public enum APIServer {
  public static func router(_ configuration: ServerConfiguration) throws -> Router<BasicRequestContext> {
    let store = ServerStore(url: configuration.redis, keys: configuration.queue,
                            retentionSeconds: configuration.retentionSeconds, connections: configuration.connections,
                            contexts: ModelContexts(fixed: try configuration.model.map { try ContextFit(served: $0, name: $0.package.name) }))
    let router = Router()
    router.add(middleware: AccessLogMiddleware(access: configuration.access, logger: configuration.logger))
    // Next, so the router's own 404s and every handler's errors get OpenAI's shape.
    router.add(middleware: OpenAIErrorMiddleware())
    FileRoutes(store: store, access: configuration.access, limits: configuration.limits).add(to: router)
    BatchRoutes(store: store, access: configuration.access).add(to: router)
    ChatRoutes(store: store, access: configuration.access).add(to: router)
    DashboardRoutes(store: store, access: configuration.access).add(to: router)
    return router
  }

  /// Serves until SIGINT or SIGTERM; `onListening` is told once the port is bound.
  public static func run(_ configuration: ServerConfiguration,
                         onListening: @escaping @Sendable () -> Void = {}) async throws {
    try configuration.validate()
    let app = Application(
      router: try router(configuration),
      configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "nightdesk"),
      onServerRunning: { _ in onListening() },
      logger: configuration.logger)
    try await app.runService()
  }
}
