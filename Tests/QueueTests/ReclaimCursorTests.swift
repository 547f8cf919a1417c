import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import Testing

/// XAUTOCLAIM looks at no more than 10 × COUNT pending entries per call. A dead worker's
/// expired entry behind many live ones must still be reclaimed within a few claims: the
/// scan goes on from where the last one stopped instead of from the start every time.
@Suite struct ReclaimCursorTests {
  @Test func anExpiredLeaseBehindManyLiveOnesIsReclaimedWithinAFewClaims() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<60).map { chatJob("q\($0)") })
    // A live worker holds the first 59 and renews them; a dead one took the last and stopped.
    let live = try queue.claim(worker: "live", count: 59, leaseMilliseconds: 60_000, reclaim: false)
    let dead = try queue.claim(worker: "dead", count: 1, leaseMilliseconds: 200, reclaim: false)
    #expect(live.count == 59 && dead.count == 1 && dead[0].lease.job == receipt.jobs[59].id)
    try await Task.sleep(for: .milliseconds(400))
    var reclaimed: [ClaimedJob] = []
    for _ in 0..<4 where reclaimed.isEmpty {
      _ = try queue.renew(worker: "live", leases: live.map { ($0.lease, nil) })
      reclaimed = try queue.claim(worker: "rescuer", count: 1, leaseMilliseconds: 300, reclaim: true)
    }
    #expect(reclaimed.map(\.lease.job) == [receipt.jobs[59].id], "the dead worker's job, not a live one")
    #expect(reclaimed.first?.lease.attempt == 2)
  }
}

/// A lease is the holder's: a worker started with a shorter `--lease` does not take jobs
/// from a healthy worker whose own, longer lease has not run out.
extension ReclaimCursorTests {
  @Test func aShortLeasedReclaimerLeavesALongLeasedHoldersJobAlone() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    _ = try queue.submit([chatJob("slow")])
    // The holder's lease is an hour, so a test delayed by a busy machine still finds it running.
    let held = try #require(try queue.claim(worker: "holder", count: 1, leaseMilliseconds: 3_600_000, reclaim: false).first)
    try await Task.sleep(for: .milliseconds(1300))  // idle past the eager worker's 1 s lease, within the holder's
    #expect(try queue.claim(worker: "eager", count: 1, leaseMilliseconds: 1000, reclaim: true).isEmpty)
    #expect(try queue.complete(held.lease, result: result(for: held, worker: "holder")) == .stored)
  }
}
