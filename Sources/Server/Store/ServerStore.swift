import NightdeskQueue
import NightdeskRedis

/// The queue's Redis as the handlers reach it: a small pool of connections, each lent
/// to one handler at a time on a Dispatch thread (hiredis blocks while Redis answers),
/// so a slow Redis never holds the event loops or Swift's cooperative pool.
final class ServerStore: Sendable {
  let pool: RedisPool
  let keys: QueueKeys
  let retentionSeconds: Int
  let contexts: ModelContexts

  init(url: RedisURL, keys: QueueKeys, retentionSeconds: Int, connections: Int, contexts: ModelContexts) {
    self.contexts = contexts
    pool = RedisPool(url: url, options: RedisConnection.Options(clientName: "nightdesk-serve"),
                     maxConnections: connections)
    self.keys = keys
    self.retentionSeconds = retentionSeconds
  }

  /// Runs `body` with a queue client on a pooled connection.
  func perform<T: Sendable>(_ body: @escaping @Sendable (QueueClient) throws -> T) async throws -> T {
    let keys = self.keys
    let retention = retentionSeconds
    let outcome: Result<T, any Error> = try await pool.withConnection { connection in
      Result { try body(QueueClient(redis: connection, keys: keys, retentionSeconds: retention)) }
    }
    return try outcome.get()
  }
}
