import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import Testing

/// Fencing must hold when Redis loses acknowledged writes (AOF everysec on a host crash,
/// failover to a lagging replica): a claim rolled back must not hand its token out again.
@Suite struct FencingTokenTests {
  @Test func aTokenLostWithARolledBackWriteIsNotHandedOutAgain() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let redis = try RedisConnection(url: fixture.server.url)
    let receipt = try queue.submit([chatJob("q")])
    let job = fixture.keys.prefix + "job:" + receipt.jobs[0].id
    let first = try #require(try queue.claim(worker: "a", count: 1, leaseMilliseconds: 200, reclaim: false).first)
    // The claim's write to the token is lost, as if Redis came back from an older state.
    _ = try redis.command("HSET", job, "token", 0, "attempts", 0)
    try await Task.sleep(for: .milliseconds(300))
    let second = try #require(try queue.claim(worker: "b", count: 1, leaseMilliseconds: 200, reclaim: true).first)
    #expect(second.lease.token != first.lease.token, "both workers hold token \(first.lease.token)")
    #expect(try queue.complete(first.lease, result: result(for: first, worker: "a")) == .fenced(state: "running"))
    #expect(try queue.complete(second.lease, result: result(for: second, worker: "b")) == .stored)
  }
}
