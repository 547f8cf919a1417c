import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import Testing

/// The queue-wide job counts that every worker's gauges publish are counted once per
/// interval for the whole queue, and read by the others from Redis.
@Suite struct SharedCountsTests {
  @Test func countsAreSharedForTheirAgeThenCountedAgain() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    _ = try queue.submit([chatJob("one"), chatJob("two")])
    #expect(try queue.sharedJobCounts(maxAge: .milliseconds(800))[.queued] == 2)
    let ttl = try #require(Int(try queue.redis.command("PTTL", fixture.keys.counts).string ?? ""))
    #expect(ttl > 0 && ttl <= 800)
    // Another reader within the age gets the stored count, not a new one.
    _ = try queue.submit([chatJob("three")])
    #expect(try fixture.client().sharedJobCounts(maxAge: .milliseconds(800))[.queued] == 2)
    #expect(try queue.jobCounts()[.queued] == 3)
    try await Task.sleep(for: .milliseconds(900))
    #expect(try queue.sharedJobCounts(maxAge: .milliseconds(800))[.queued] == 3)
  }
}
