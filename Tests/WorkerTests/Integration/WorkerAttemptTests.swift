import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskWorker
import Testing

/// A worker can claim a job it already holds: XAUTOCLAIM hands a worker its own expired
/// entries (after a Redis outage or a stall longer than the lease), and a job cancelled in
/// its backlog can be retried and claimed again. Its bookkeeping is keyed by (job, token),
/// so the old attempt's end never drops the new attempt's lease or capacity.
@Suite struct WorkerAttemptTests {
  func configuration(_ fixture: QueueFixture, lease: Duration, prefetch: Int = 0) -> WorkerConfiguration {
    var configuration = WorkerConfiguration(
      redisURL: fixture.server.url, keys: fixture.keys, workerID: "w", lease: lease, renewInterval: .milliseconds(200),
      progressInterval: .milliseconds(200), pollInterval: .milliseconds(20), drain: true, grace: .seconds(5),
      backoff: Backoff(base: .milliseconds(50), maximum: .milliseconds(200)))
    configuration.prefetch = prefetch
    return configuration
  }

  func field(_ redis: RedisConnection, _ fixture: QueueFixture, job: String, _ name: String) throws -> String? {
    try redis.command("HGET", fixture.keys.prefix + "job:" + job, name).string
  }

  /// Waits (polling Redis, up to 60 s: the parallel suite may hold the worker's task) until `condition` holds.
  func waitFor(_ what: String, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    while try !condition() {
      guard ContinuousClock.now < deadline else { Issue.record("timed out waiting for \(what)"); return }
      try await Task.sleep(for: .milliseconds(20))
    }
  }

  @Test func aWorkerThatReclaimsItsOwnRunningJobFinishesItOnce() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let redis = try RedisConnection(url: fixture.server.url)
    let receipt = try queue.submit([chatJob("slow")])
    let job = receipt.jobs[0].id
    let worker = Worker(configuration: configuration(fixture, lease: .seconds(2), prefetch: 1),
                        executor: EchoExecutor(capacity: 1, delay: .seconds(4)))
    let run = Task { try await worker.run() }
    try await waitFor("the job to run") { try queue.jobStatus(job)?.progress.generatedTokens ?? 0 > 0 }
    // Make the entry look idle for ten minutes, as after an outage: the worker's next
    // reclaim takes its own job again, with a new token.
    let lane = try #require(try field(redis, fixture, job: job, "lane"))
    try await waitFor("the worker to reclaim its own job") {
      if let entry = try field(redis, fixture, job: job, "entry") {
        _ = try redis.command("XCLAIM", fixture.keys.prefix + "q:" + lane, QueueKeys.group, "w", 0, entry,
                              "IDLE", 600_000, "JUSTID")
      }
      return try field(redis, fixture, job: job, "token").flatMap(Int.init) ?? 0 >= 2
    }
    #expect(try field(redis, fixture, job: job, "worker") == "w")
    let summary = try await run.value
    #expect(summary.succeeded == 1 && summary.dead == 0, "\(summary)")
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 1 && status.count(.dead) == 0)
  }

  @Test func aJobCancelledAndRetriedWhileHeldRunsOnceAndFreesNothingTwice() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("first"), chatJob("second")])
    let (first, second) = (receipt.jobs[0].id, receipt.jobs[1].id)
    let worker = Worker(configuration: configuration(fixture, lease: .seconds(30), prefetch: 1),
                        executor: EchoExecutor(capacity: 1, delay: .seconds(3)))
    let run = Task { try await worker.run() }
    // The first runs; the second is claimed and held in the worker's backlog.
    try await waitFor("one job running and one held") {
      try queue.jobStatus(first)?.progress.generatedTokens ?? 0 > 0 && queue.jobStatus(second)?.state == .running
    }
    #expect(try queue.cancel(target: second).map(\.previous) == ["running"])
    #expect(try queue.retry(target: second).count == 1)
    let summary = try await run.value
    #expect(summary.succeeded == 2 && summary.dead == 0 && summary.fenced == 0, "\(summary)")
    let records = try queue.records([first, second])
    #expect(records.allSatisfy { $0.state == .succeeded })
  }
}
