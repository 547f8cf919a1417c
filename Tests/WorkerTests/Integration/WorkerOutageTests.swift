import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskTestSupport
import NightdeskWorker
import Testing

/// After an outage every worker cut off from Redis comes back at about the same time, each
/// with jobs it finished in the dark and could not store: their leases expired meanwhile.
/// A worker back from an outage leaves others' expired leases alone for one lease, so their
/// holders store what they finished instead of another worker running it a second time.
@Suite struct WorkerOutageTests {
  @Test func aWorkerBackFromAnOutageLeavesOthersExpiredLeasesToThemForALease() async throws {
    // AOF with every write synced: the restart below loses nothing.
    let fixture = try QueueFixture(appendOnly: true, extraConfig: ["appendfsync always"])
    let queue = try fixture.client()
    let finishedInTheDark = try queue.submit([chatJob("finished while Redis was away")])
    // Worker "a" (this test) holds the job under a 1 s lease, renewing it until the outage.
    let held = try #require(try queue.claim(worker: "a", count: 1, leaseMilliseconds: 1000, reclaim: false).first)
    #expect(held.lease.job == finishedInTheDark.jobs[0].id)

    var configuration = WorkerConfiguration(
      redisURL: fixture.server.url, keys: fixture.keys, workerID: "b", lease: .seconds(8),
      renewInterval: .milliseconds(200), progressInterval: .milliseconds(200), pollInterval: .milliseconds(20),
      drain: false, grace: .seconds(5))
    configuration.prefetch = 0
    let worker = Worker(configuration: configuration, executor: EchoExecutor(capacity: 1, delay: .milliseconds(10)))
    let run = Task { try await worker.run() }
    defer { worker.requestStop() }

    // Worker "b" is up and claiming; then Redis goes away (killed at once, on the polling
    // thread, while "a"'s lease is fresh) for longer than b's lease.
    let warmUp = try queue.submit([chatJob("warm-up")])
    try await ConditionPoller.waitFor("b to finish a job") {
      _ = try queue.renew(worker: "a", leases: [(held.lease, nil)])
      return try queue.jobStatus(warmUp.jobs[0].id)?.state == .succeeded
    } then: {
      _ = try queue.renew(worker: "a", leases: [(held.lease, nil)])
      fixture.server.kill()
    }
    try await Task.sleep(for: .seconds(9))
    try fixture.server.restart()

    // Back: b claims new work at once, and for the first lease after its last failed call
    // leaves a's expired lease alone. a stores what it finished; b never runs it.
    let queueAgain = try fixture.client()
    let redis = try RedisConnection(url: fixture.server.url)
    let fresh = try queueAgain.submit([chatJob("submitted after the outage")])
    var stored: FinishOutcome?
    var tokenAfterTheWindow: Int64?
    try await ConditionPoller.waitFor("b to claim the new job") {
      try queueAgain.jobStatus(fresh.jobs[0].id)?.state != .queued
    } then: {
      // b's reclaims run every second; this outlasts two of them and stays inside b's lease
      // (8 s: room for this poll to notice the claim late on a loaded machine).
      Thread.sleep(forTimeInterval: 2)
      let token = try redis.command("HGET", fixture.keys.prefix + "job:" + held.lease.job, "token").string
      tokenAfterTheWindow = token.flatMap { Int64($0) }
      stored = try queueAgain.complete(held.lease, result: result(for: held, worker: "a"))
    }
    #expect(tokenAfterTheWindow == held.lease.token, "b reclaimed a's job within a lease of coming back")
    #expect(stored == .stored, "a's result, finished before b came back, was refused: \(String(describing: stored))")
    worker.requestStop()
    let summary = try await run.value
    #expect(summary.fenced == 0 && summary.claimed == 2, "\(summary)")
    #expect(try queueAgain.jobStatus(held.lease.job)?.state == .succeeded)
  }
}
