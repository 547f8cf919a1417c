import NightdeskRedis
import NightdeskTestSupport
import Testing

@Suite("Timeouts for blocking commands")
struct TimeoutTests {
  /// BLPOP blocks 5 s on an empty list, the command timeout is 300 ms: the call must
  /// come back with a timeout error well before the block ends, not hang.
  @Test func blockingCommandOutlivingTheCommandTimeoutThrowsTimeout() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url, options: .init(commandTimeout: .milliseconds(300)))
    let clock = ContinuousClock()
    let start = clock.now
    do {
      let reply = try redis.command("BLPOP", "empty", 5)
      Issue.record("BLPOP returned \(reply.summary) instead of timing out")
    } catch {
      #expect(error.kind == .timeout)
      #expect(error.command == "BLPOP")
    }
    #expect(clock.now - start < .seconds(4))
    // The dead context is replaced on next use.
    #expect(try redis.ping() == "PONG")
    #expect(redis.reconnectCount == 1)
  }

  /// With its own budget, a blocking command longer than the command timeout works,
  /// and the short command timeout is back in force afterwards.
  @Test func perCallTimeoutGivesBlockingCommandsTheirBudget() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url, options: .init(commandTimeout: .milliseconds(300)))
    #expect(try redis.command(RedisCommand("BLPOP", "empty", 1), timeout: .seconds(3)) == .null)
    #expect(redis.reconnectCount == 0)
    try redis.command("RPUSH", "full", "job")
    let popped = try redis.command(RedisCommand("BLPOP", "full", 1), timeout: .seconds(3))
    #expect(popped == .array([.bulk(Array("full".utf8)), .bulk(Array("job".utf8))]))
    do {
      try redis.command("BLPOP", "empty", 2)
      Issue.record("the widened timeout leaked into later commands")
    } catch {
      #expect(error.kind == .timeout)
    }
  }

  @Test func perCallTimeoutShorterThanTheBlockThrowsTimeout() throws {
    let server = try RedisServerProcess()
    let redis = try RedisConnection(url: server.url)
    #expect(throws: RedisError(.timeout, command: "BLPOP",
                               message: "no reply within the socket timeout; the connection is dropped and reopened on next use",
                               endpoint: server.url.description)) {
      try redis.command(RedisCommand("BLPOP", "empty", 5), timeout: .milliseconds(200))
    }
  }
}
