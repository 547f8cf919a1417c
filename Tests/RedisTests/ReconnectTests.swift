import Foundation
import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Lost connections and reconnection")
struct ReconnectTests {
  @Test func killedServerGivesConnectionErrorThenClientReconnectsAfterRestart() throws {
    let server = try RedisServerProcess(.init(tcp: true))
    for url in [server.url, try #require(server.tcpURL)] {
      let redis = try RedisConnection(url: url, options: .init(
        reconnect: RedisReconnectPolicy(initialDelay: .milliseconds(10), maxDelay: .milliseconds(50), maxAttempts: 3)))
      try redis.command("SET", "before", "1")

      server.kill()
      do {
        try redis.command("GET", "before")
        Issue.record("GET succeeded against a killed server")
      } catch {
        #expect([.connectionLost, .connectionFailed].contains(error.kind), "\(error)")
        #expect(error.command == "GET")
      }
      // Still down: reconnecting fails after the policy's attempts, with a clear error.
      do {
        try redis.ping()
        Issue.record("PING succeeded against a killed server")
      } catch {
        #expect(error.kind == .connectionFailed, "\(error)")
        #expect(error.message.contains("gave up after 3 attempts"))
      }

      try server.restart()
      #expect(try redis.ping() == "PONG")
      #expect(redis.isConnected)
      #expect(redis.reconnectCount == 1)
    }
  }

  /// The server dies while a command is in flight (a BLPOP blocked on it): the
  /// caller gets a connection error at once, not after its 15 s budget.
  @Test func serverKilledDuringACommandGivesConnectionLost() throws {
    let server = try RedisServerProcess()
    let outcome = DispatchSemaphore(value: 0)
    let failure = ErrorBox()
    let url = server.url
    Thread.detachNewThread {
      do {
        let redis = try RedisConnection(url: url)
        _ = try redis.command(RedisCommand("BLPOP", "never", 10), timeout: .seconds(15))
      } catch {
        failure.error = error as? RedisError
      }
      outcome.signal()
    }
    let observer = try RedisConnection(url: server.url)
    // Bounded: if the client thread failed before blocking, fail here instead of hanging.
    let deadline = ContinuousClock.now + .seconds(30)
    while try observer.info("clients")["blocked_clients"] != "1" {
      guard ContinuousClock.now < deadline else {
        Issue.record("the BLPOP never blocked: \(String(describing: failure.error))")
        server.kill()
        return
      }
      usleep(5_000)
    }
    server.kill()
    #expect(outcome.wait(timeout: .now() + .seconds(5)) == .success, "the blocked command did not return")
    #expect(failure.error?.kind == .connectionLost, "\(String(describing: failure.error))")
    #expect(failure.error?.command == "BLPOP")
  }

  @Test func reconnectReappliesTimeoutAuthAndDatabase() throws {
    let server = try RedisServerProcess(.init(requirePassword: "pw"))
    var url = RedisURL.unixSocket(server.socketPath, database: 5)
    url.password = "pw"
    let redis = try RedisConnection(url: url, options: .init(commandTimeout: .milliseconds(300)))
    try redis.command("SET", "in5", "yes")
    try server.restart()  // no persistence: the data is gone, the settings must not be
    #expect(throws: RedisError.self) { try redis.command("SET", "in5", "again") }
    try redis.command("SET", "in5", "again")
    let check = try RedisConnection(url: url)
    #expect(try check.command("GET", "in5").string == "again")
    // The command timeout is back too: a long block times out instead of hanging.
    #expect(throws: RedisError.self) { try redis.command("BLPOP", "empty", 3) }
  }

  @Test func backoffDoublesIsCappedAndJittered() {
    let policy = RedisReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1), maxAttempts: 8, jitter: 0.5)
    #expect(policy.delay(beforeAttempt: 0, randomFraction: 0) == .zero)
    #expect(policy.delay(beforeAttempt: 1, randomFraction: 0) == .milliseconds(100))
    #expect(policy.delay(beforeAttempt: 2, randomFraction: 0) == .milliseconds(200))
    #expect(policy.delay(beforeAttempt: 3, randomFraction: 0) == .milliseconds(400))
    #expect(policy.delay(beforeAttempt: 5, randomFraction: 0) == .seconds(1))
    #expect(policy.delay(beforeAttempt: 60, randomFraction: 0) == .seconds(1))
    #expect(policy.delay(beforeAttempt: 2, randomFraction: 1) == .milliseconds(100))
    #expect(policy.delay(beforeAttempt: 5, randomFraction: 0.5) == .milliseconds(750))
  }
}

/// Hands an error from the test's thread back to the test; the semaphore orders the accesses.
private final class ErrorBox: @unchecked Sendable {
  var error: RedisError?
}
