import Dispatch
import NightdeskSupport

/// A small pool of `RedisConnection`s to one server, for callers that need more
/// than one command in flight (a worker's heartbeat beside its result writer, a
/// status command fanning out reads).
///
/// ## Concurrency model
/// The pool is `Sendable` and may be shared freely. A connection is lent to exactly
/// one borrower at a time, for the duration of one `withConnection` body, and must
/// not escape it. At most `maxConnections` are open; a borrower that finds them all
/// lent waits up to `checkoutTimeout`, then gets `.poolExhausted`. Connections are
/// opened lazily and kept for reuse; a connection broken during a body repairs itself
/// on its next use (see `RedisConnection`), so it goes back into the pool as is.
///
/// Commands block a thread while they wait for Redis. The synchronous
/// `withConnection` blocks the caller's thread, so use it from threads you own. The
/// `async` variant runs the body on a Dispatch worker thread and suspends the caller,
/// so a long `BLPOP` never ties up Swift's cooperative thread pool.
public final class RedisPool: Sendable {
  public let url: RedisURL
  public let options: RedisConnection.Options
  public let maxConnections: Int
  public let checkoutTimeout: Duration

  /// Free slots: one permit per connection that may still be lent.
  private let permits: DispatchSemaphore
  private let idle = LockedValue<[Lent]>([])

  /// Wraps a connection while it sits in the pool. `@unchecked Sendable` is safe
  /// because the connection is reached only by the one borrower holding a permit:
  /// it moves into `idle` (under the lock) when returned and out of it when lent,
  /// so two threads never touch it at once.
  private final class Lent: @unchecked Sendable {
    let connection: RedisConnection
    init(_ connection: RedisConnection) { self.connection = connection }
  }

  public init(url: RedisURL, options: RedisConnection.Options = RedisConnection.Options(),
              maxConnections: Int = 4, checkoutTimeout: Duration = .seconds(30)) {
    self.url = url
    self.options = options
    self.maxConnections = max(1, maxConnections)
    self.checkoutTimeout = checkoutTimeout
    self.permits = DispatchSemaphore(value: self.maxConnections)
  }

  /// Lends a connection to `body` on the calling thread (which blocks while Redis
  /// answers, and while waiting for a free connection).
  public func withConnection<Result>(_ body: (RedisConnection) throws(RedisError) -> Result) throws(RedisError) -> Result {
    let lent = try checkOut()
    defer { checkIn(lent) }
    return try body(lent.connection)
  }

  /// Lends a connection to `body` on a Dispatch worker thread; the calling task
  /// suspends instead of blocking its thread.
  public func withConnection<Result: Sendable>(
    _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> Result
  ) async throws(RedisError) -> Result {
    let outcome: Swift.Result<Result, RedisError> = await withCheckedContinuation { continuation in
      DispatchQueue.global().async {
        continuation.resume(returning: Swift.Result { () throws(RedisError) -> Result in
          try self.withConnection(body)
        })
      }
    }
    return try outcome.get()
  }

  /// Open connections waiting in the pool (not lent right now), for health output and tests.
  public var idleCount: Int { idle.withLock { $0.count } }

  private func checkOut() throws(RedisError) -> Lent {
    let micros = checkoutTimeout.components.seconds * 1_000_000 + checkoutTimeout.components.attoseconds / 1_000_000_000_000
    guard permits.wait(timeout: .now() + .microseconds(Int(micros))) == .success else {
      throw RedisError(.poolExhausted, message: "all \(maxConnections) Redis connections stayed busy for \(checkoutTimeout)",
                       endpoint: url.description)
    }
    if let reused = idle.withLock({ $0.popLast() }) { return reused }
    do {
      return Lent(try RedisConnection(url: url, options: options))
    } catch {
      permits.signal()
      throw error
    }
  }

  private func checkIn(_ lent: Lent) {
    idle.withLock { $0.append(lent) }
    permits.signal()
  }
}
