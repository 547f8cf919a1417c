import Foundation
import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Connection pool")
struct RedisPoolTests {
  /// Many tasks share two connections; every increment lands exactly once.
  @Test func concurrentBorrowersShareAFewConnections() async throws {
    let server = try RedisServerProcess()
    let pool = RedisPool(url: server.url, maxConnections: 2)
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<16 {
        group.addTask {
          for _ in 0..<25 {
            _ = try await pool.withConnection { connection throws(RedisError) in try connection.command("INCR", "counter") }
          }
        }
      }
      try await group.waitForAll()
    }
    let total = try await pool.withConnection { connection throws(RedisError) in try connection.command("GET", "counter").int }
    #expect(total == 400)
    #expect(pool.idleCount <= 2)
    let clients = try await pool.withConnection { connection throws(RedisError) in try connection.command("CLIENT", "LIST").string ?? "" }
    #expect(clients.split(separator: "\n").count <= 2)
  }

  /// A borrower waiting for a connection that never comes back gets `.poolExhausted`
  /// (the synchronous API, from threads the test owns).
  @Test func exhaustedPoolThrowsAfterTheCheckoutTimeout() throws {
    let server = try RedisServerProcess()
    let pool = RedisPool(url: server.url, maxConnections: 1, checkoutTimeout: .milliseconds(200))
    let holding = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    // The holder keeps the pool's only connection until the test lets it go (a push to
    // `release` from a connection of its own), not for a time the test hopes is enough.
    Thread.detachNewThread {
      _ = try? pool.withConnection { connection throws(RedisError) in
        holding.signal()
        return try connection.command(RedisCommand("BLPOP", "release", 60), timeout: .seconds(70))
      }
      finished.signal()
    }
    // Bounded waits: if the holder failed to borrow, fail instead of hanging the run.
    try #require(holding.wait(timeout: .now() + .seconds(30)) == .success, "the first borrower never got its connection")
    do {
      _ = try pool.withConnection { connection throws(RedisError) in try connection.ping() }
      Issue.record("borrowed a second connection from a pool of one")
    } catch {
      #expect(error.kind == .poolExhausted)
    }
    _ = try RedisConnection(url: server.url).command("RPUSH", "release", "now")
    try #require(finished.wait(timeout: .now() + .seconds(30)) == .success, "the first borrower never returned")
    // Returned to the pool, the connection is lent again.
    #expect(try pool.withConnection { connection throws(RedisError) in try connection.ping() } == "PONG")
  }
}
