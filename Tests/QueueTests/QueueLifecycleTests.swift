import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The Lua state machine against a real redis-server: every transition and its counters.
@Suite struct QueueLifecycleTests {
  @Test func submitClaimCompleteKeepsCountersAndOrder() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<5).map { chatJob("Question \($0)?") })
    #expect(receipt.queuedCount == 5)
    #expect(receipt.jobs.map(\.id) == (0..<5).map { "\(receipt.batch).\($0)" })

    let claimed = try queue.claim(worker: "w1", count: 3, leaseMilliseconds: 30_000, reclaim: true)
    #expect(claimed.map(\.lease.job) == Array(receipt.jobs.prefix(3).map(\.id)))
    // Tokens are at least the server clock in µs (never handed out twice, even after a rollback).
    let clockMicroseconds = Int64(Date().timeIntervalSince1970 * 1e6)
    #expect(claimed.allSatisfy { $0.lease.attempt == 1 && abs($0.lease.token - clockMicroseconds) < 60_000_000 })
    var status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.queued) == 2 && status.count(.running) == 3)

    for job in claimed { #expect(try queue.complete(job.lease, result: result(for: job, worker: "w1")) == .stored) }
    // A second write of the same result (a retried write whose reply was lost) is harmless.
    #expect(try queue.complete(claimed[0].lease, result: result(for: claimed[0], worker: "w1")) == .stored)
    status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 3 && status.count(.running) == 0)
    #expect(status.promptTokens == 30 && status.generatedTokens == 9)

    let stats = try queue.stats()
    #expect(stats.lanes.first { $0.priority == .normal }?.queued == 2)
    #expect(stats.lanes.first { $0.priority == .normal }?.inFlight == 0)

    let records = try queue.records(receipt.jobs.map(\.id))
    #expect(records.count == 5)
    #expect(records.prefix(3).allSatisfy { $0.state == .succeeded && $0.result?.requests.first?.text == "answer" })
    // Finished records expire after the retention.
    let ttl = try queue.redis.command("TTL", fixture.keys.result(claimed[0].lease.job)).int ?? -1
    #expect(ttl > 0 && ttl <= Int64(QueueClient.defaultRetentionSeconds))
  }

  @Test func aBatchNeverExpiresWhileAJobIsStillToRun() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client(retentionSeconds: 100)
    let receipt = try queue.submit([chatJob("first"), chatJob("second"), chatJob("third")])
    func ttl(_ key: String) throws -> Int64 { try queue.redis.command("TTL", key).int ?? -3 }
    let claimed = try queue.claim(worker: "w", count: 2, leaseMilliseconds: 30_000, reclaim: false)
    #expect(try queue.complete(claimed[0].lease, result: result(for: claimed[0], worker: "w")) == .stored)
    // One finished, one running, one queued: the finished job's record expires, the batch does not.
    #expect(try ttl(fixture.keys.job(claimed[0].lease.job)) > 0)
    #expect(try ttl(fixture.keys.batch(receipt.batch)) == -1)
    #expect(try ttl(fixture.keys.batchJobs(receipt.batch)) == -1)
    _ = try queue.cancel(target: claimed[1].lease.job)
    #expect(try ttl(fixture.keys.batch(receipt.batch)) == -1, "the third job is still queued")
    let last = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(try queue.complete(last.lease, result: result(for: last, worker: "w")) == .stored)
    for key in [fixture.keys.batch(receipt.batch), fixture.keys.batchJobs(receipt.batch)] {
      let left = try ttl(key)
      #expect(left > 0 && left <= 100, "\(key): the last job finished, so the batch lives for the retention")
    }
  }

  @Test func highPriorityIsClaimedFirst() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    _ = try queue.submit([chatJob("low", priority: .low), chatJob("normal"), chatJob("high", priority: .high)])
    let claimed = try queue.claim(worker: "w", count: 3, leaseMilliseconds: 30_000, reclaim: false)
    #expect(claimed.map(\.spec.priority) == [.high, .normal, .low])
  }

  @Test func idempotencyKeyReturnsTheFirstJob() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let first = try queue.submit([chatJob("q", key: "report-2026-q3")])
    let second = try queue.submit([chatJob("q", key: "report-2026-q3")])
    #expect(second.jobs == [SubmittedJob(id: first.jobs[0].id, status: .duplicate)])
    #expect(try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false).count == 1)
  }

  @Test func expiredLeaseIsReclaimedAndTheOldHolderIsFenced() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("q")])
    let first = try #require(try queue.claim(worker: "slow", count: 1, leaseMilliseconds: 100, reclaim: true).first)
    // Claimed again as soon as the 100 ms lease has run out, however long that takes here.
    let reclaimed = LockedValue<ClaimedJob?>(nil)
    try await ConditionPoller.waitFor("the lease to expire and the job to be reclaimed") {
      let claimed = try queue.claim(worker: "fast", count: 1, leaseMilliseconds: 100, reclaim: true).first
      reclaimed.withLock { $0 = claimed }
      return claimed != nil
    }
    let second = try #require(reclaimed.current)
    #expect(second.lease.job == first.lease.job)
    #expect(second.lease.token > first.lease.token && second.lease.attempt == 2)
    // The paused worker wakes up: its renewal and its late result are refused.
    #expect(try queue.renew(worker: "slow", leases: [(first.lease, nil)]) == ["running"])
    #expect(try queue.complete(first.lease, result: result(for: first, worker: "slow", text: "late")) == .fenced(state: "running"))
    #expect(try queue.complete(second.lease, result: result(for: second, worker: "fast")) == .stored)
    #expect(try queue.complete(first.lease, result: result(for: first, worker: "slow", text: "late")) == .fenced(state: "succeeded"))
    let record = try #require(try queue.records([receipt.jobs[0].id]).first)
    #expect(record.result?.worker == "fast" && record.result?.requests.first?.text == "answer")
    #expect(try #require(try queue.batchStatus(receipt.batch)).count(.succeeded) == 1)
  }

  @Test func renewalKeepsTheLease() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    _ = try queue.submit([chatJob("q")])
    let job = try #require(try queue.claim(worker: "a", count: 1, leaseMilliseconds: 300, reclaim: true).first)
    // Time passes without a clock: the entry and the last renewal are made ten minutes
    // old, as if many leases had gone by.
    func age() throws {
      _ = try queue.redis.command("XCLAIM", fixture.keys.prefix + "q:" + job.lease.lane, QueueKeys.group, "a", 0,
                                  job.lease.entry, "IDLE", 600_000, "JUSTID")
      _ = try queue.redis.command("HSET", fixture.keys.prefix + "job:" + job.lease.job, "renewed",
                                  try queue.serverTimeMilliseconds() - 600_000)
    }
    for _ in 0..<4 {
      try age()
      #expect(try queue.renew(worker: "a", leases: [(job.lease, JobProgress(promptTokens: 5, generatedTokens: 2))]) == [nil])
      #expect(try queue.claim(worker: "b", count: 1, leaseMilliseconds: 300, reclaim: true).isEmpty)
    }
    #expect(try queue.batchStatus(job.lease.batch)?.generatedTokens == 2)
    // Without the renewal, the same age loses the lease.
    try age()
    #expect(try queue.claim(worker: "b", count: 1, leaseMilliseconds: 300, reclaim: true).map(\.lease.job) == [job.lease.job])
  }

  @Test func failuresBackOffThenDeadLetter() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("q", maxAttempts: 2)])
    let first = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    let failedAt = ContinuousClock.now
    #expect(try queue.finish(first.lease, failure: "engine blew up", disposition: .retry(backoffMilliseconds: 2000)) == .delayed)
    #expect(try queue.batchStatus(receipt.batch)?.count(.delayed) == 1)
    // Not due yet (checked only while the backoff has surely not run out).
    let early = try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false)
    if ContinuousClock.now - failedAt < .milliseconds(1500) { #expect(early.isEmpty) }
    // Due once the backoff has passed, however long that takes here.
    let retried = LockedValue<ClaimedJob?>(early.first)
    try await ConditionPoller.waitFor("the retry to come due") {
      if retried.current == nil {
        let claimed = try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first
        retried.withLock { $0 = claimed }
      }
      return retried.current != nil
    }
    #expect(ContinuousClock.now - failedAt >= .milliseconds(1900), "the backoff was waited out")
    let second = try #require(retried.current)
    #expect(second.lease.attempt == 2)
    #expect(try queue.finish(second.lease, failure: "engine blew up again", disposition: .retry(backoffMilliseconds: 10)) == .dead)
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.dead) == 1 && status.count(.delayed) == 0 && status.count(.running) == 0)
    let dead = try queue.redis.command("XRANGE", fixture.keys.dead, "-", "+").array ?? []
    #expect(dead.count == 1)
    #expect(try queue.stats().dead == 1)
    #expect(try queue.jobStatus(second.lease.job)?.error == "engine blew up again")

    // retry puts it back with fresh attempts.
    #expect(try queue.retry(target: receipt.batch).map(\.previous) == ["dead"])
    let third = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(third.lease.attempt == 1 && third.lease.token > second.lease.token)
  }

  @Test func permanentFailureFailsAtOnce() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("q")])
    let job = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(try queue.finish(job.lease, failure: "prompt longer than the context", disposition: .permanent) == .failed)
    #expect(try queue.batchStatus(receipt.batch)?.count(.failed) == 1)
  }

  @Test func cancelQueuedAndRunningJobs() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("a"), chatJob("b"), chatJob("c")])
    let running = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    let previous = try queue.cancel(target: receipt.batch)
    #expect(previous.map(\.previous) == ["running", "queued", "queued"])
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.cancelled) == 3 && status.isDone)
    // The worker learns at its next renewal, and cannot store a result.
    #expect(try queue.renew(worker: "w", leases: [(running.lease, nil)]) == ["cancelled"])
    #expect(try queue.complete(running.lease, result: result(for: running, worker: "w")) == .fenced(state: "cancelled"))
    #expect(try queue.claim(worker: "w", count: 5, leaseMilliseconds: 30_000, reclaim: true).isEmpty)
    #expect(try queue.stats().lanes.allSatisfy { $0.queued == 0 && $0.inFlight == 0 })
  }

  @Test func releaseGivesJobsBack() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("a")])
    let job = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(try queue.release([job.lease]) == 1)
    #expect(try queue.batchStatus(receipt.batch)?.count(.queued) == 1)
    let again = try #require(try queue.claim(worker: "v", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(again.lease.attempt == 1 && again.lease.token > job.lease.token)
  }

  @Test func deadlinePassedFailsWithoutRunning() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    var spec = chatJob("a")
    spec.deadline = Date().timeIntervalSince1970 - 10
    let receipt = try queue.submit([spec])
    #expect(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).isEmpty)
    #expect(try queue.jobStatus(receipt.jobs[0].id)?.state == .failed)
    // A retry asks for it to run: the passed deadline goes, so it does not fail again at once.
    #expect(try queue.retry(target: receipt.jobs[0].id).map(\.previous) == ["failed"])
    let claimed = try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false)
    #expect(claimed.map(\.lease.job) == [receipt.jobs[0].id])
  }

  @Test func refusesAnEvictingRedis() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    try queue.checkEvictionPolicy()
    _ = try queue.redis.command("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    #expect(throws: QueueError.self) { try queue.checkEvictionPolicy() }
  }
}
