import Foundation
import NightdeskRequests
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import Testing

/// Prefix affinity in the claim script: a worker holding a prefix pulls that
/// prefix's queued jobs ahead of the queue's order, never above a higher priority,
/// and such jobs keep every guarantee (lease, renewal, reclaim, fencing, release).
@Suite struct AffinityTests {
  func job(_ document: String, _ question: String, priority: Priority = .normal) -> JobSpec {
    JobSpec(requests: [ChatRequest(messages: [.system(document), .user(question)], sampling: .greedy)], priority: priority)
  }

  @Test func aWarmPrefixIsClaimedAheadOfTheQueue() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let specs = [job("doc B", "b1"), job("doc A", "a1"), job("doc B", "b2"), job("doc A", "a2")]
    let receipt = try queue.submit(specs)
    let a = specs[1].prefixHash
    let warm = try queue.claim(worker: "holder", count: 2, leaseMilliseconds: 30_000, reclaim: false, preferring: [a])
    #expect(warm.map(\.lease.job) == [receipt.jobs[1].id, receipt.jobs[3].id])
    #expect(warm.allSatisfy { $0.lease.lane == "affinity" && $0.lease.priority == .normal })
    #expect(try queue.stats().affinityInFlight == 2)
    let rest = try queue.claim(worker: "other", count: 5, leaseMilliseconds: 30_000, reclaim: false, preferring: [a])
    #expect(rest.map(\.lease.job) == [receipt.jobs[0].id, receipt.jobs[2].id])

    // Affinity-lane leases renew, complete once, and give back like any other.
    #expect(try queue.renew(worker: "holder", leases: warm.map { ($0.lease, nil) }) == [nil, nil])
    #expect(try queue.complete(warm[0].lease, result: result(for: warm[0], worker: "holder")) == .stored)
    #expect(try queue.release([warm[1].lease]) == 1)
    let again = try queue.claim(worker: "other", count: 1, leaseMilliseconds: 30_000, reclaim: false)
    #expect(again.map(\.lease.job) == [receipt.jobs[3].id] && again[0].lease.lane == "normal")
    #expect(try queue.stats().affinityInFlight == 0)
  }

  @Test func affinityNeverOvertakesAHigherPriority() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let specs = [job("doc A", "a1", priority: .low), job("doc B", "b1", priority: .high)]
    let receipt = try queue.submit(specs)
    let first = try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false, preferring: [specs[0].prefixHash])
    #expect(first.map(\.lease.job) == [receipt.jobs[1].id])
  }

  @Test func anAffinityClaimIsReclaimedAfterItsLeaseAndFenced() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let spec = job("doc A", "a1")
    _ = try queue.submit([spec])
    let stalled = try #require(try queue.claim(worker: "stalled", count: 1, leaseMilliseconds: 100, reclaim: false,
                                               preferring: [spec.prefixHash]).first)
    #expect(stalled.lease.lane == "affinity")
    Thread.sleep(forTimeInterval: 0.25)
    let taken = try #require(try queue.claim(worker: "live", count: 1, leaseMilliseconds: 100, reclaim: true).first)
    #expect(taken.lease.job == stalled.lease.job && taken.lease.token > stalled.lease.token)
    #expect(try queue.complete(stalled.lease, result: result(for: stalled, worker: "stalled")) == .fenced(state: "running"))
    #expect(try queue.complete(taken.lease, result: result(for: taken, worker: "live")) == .stored)
  }
}
