import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskWorker
import Testing

/// Workers against a real redis-server. The executor here is the trivial echo
/// executor: these tests are about the queue and the worker loop, not the engine.
@Suite struct WorkerTests {
  func configuration(_ fixture: QueueFixture, id: String, drain: Bool = true, lease: Duration = .seconds(30))
    -> WorkerConfiguration
  {
    WorkerConfiguration(
      redisURL: fixture.server.url, keys: fixture.keys, workerID: id, lease: lease, renewInterval: .milliseconds(200),
      progressInterval: .milliseconds(200), pollInterval: .milliseconds(20), drain: drain, grace: .seconds(5),
      backoff: Backoff(base: .milliseconds(50), maximum: .milliseconds(200)))
  }

  @Test func fiveHundredJobsThroughThreeWorkersEachSucceedOnce() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<500).map { chatJob("Question \($0)?", document: "Document \($0 % 7)", customID: "c\($0)") })
    let workers = (0..<3).map {
      Worker(configuration: configuration(fixture, id: "w\($0)"), executor: EchoExecutor(capacity: 8, delay: .milliseconds(2)))
    }
    let summaries = try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
      for worker in workers { group.addTask { try await worker.run() } }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(summaries.reduce(0) { $0 + $1.succeeded } == 500)
    #expect(summaries.allSatisfy { $0.succeeded > 0 }, "every worker took a share: \(summaries.map(\.succeeded))")
    #expect(summaries.allSatisfy { $0.fenced == 0 && $0.retried == 0 })
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 500 && status.isDone)
    let records = try queue.records(try queue.jobIDs(ofBatch: receipt.batch))
    #expect(records.map(\.id) == receipt.jobs.map(\.id))
    #expect(records.allSatisfy { $0.state == .succeeded && $0.result?.requests.count == 1 })
    #expect(records.map { $0.result?.requests.first?.customID } == (0..<500).map { "c\($0)" })
    let stats = try queue.stats()
    #expect(stats.lanes.allSatisfy { $0.queued == 0 && $0.inFlight == 0 })
  }

  @Test func failuresAreRetriedWithBackoffThenDeadLettered() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("flaky", maxAttempts: 3), chatJob("doomed", maxAttempts: 2)])
    // Every attempt up to the 2nd fails: the first job succeeds on its 3rd, the second dies after 2.
    let worker = Worker(configuration: configuration(fixture, id: "w"), executor: EchoExecutor(failingAttempts: 2))
    let started = ContinuousClock.now
    let summary = try await worker.run()
    #expect(ContinuousClock.now - started >= .milliseconds(25 * 2), "the backoff was waited out")
    #expect(summary.succeeded == 1 && summary.dead == 1 && summary.retried == 3)
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 1 && status.count(.dead) == 1)
    #expect(try queue.jobStatus(receipt.jobs[1].id)?.error.contains("fails on purpose") == true)
    #expect(try queue.stats().dead == 1)
  }

  @Test func cancellingARunningJobStopsItsExecution() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("slow")])
    let worker = Worker(configuration: configuration(fixture, id: "w", drain: true),
                        executor: EchoExecutor(capacity: 1, delay: .seconds(40)))
    let run = Task { try await worker.run() }
    // Wait until it runs, with some progress written.
    let deadline = ContinuousClock.now + .seconds(60)
    while try queue.jobStatus(receipt.jobs[0].id)?.progress.generatedTokens ?? 0 == 0, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(50))
    }
    #expect(try queue.jobStatus(receipt.jobs[0].id)?.state == .running)
    let cancelledAt = ContinuousClock.now
    #expect(try queue.cancel(target: receipt.jobs[0].id).map(\.previous) == ["running"])
    let summary = try await run.value
    // The next renewal (every 200 ms) stops it; the bound is loose because under the parallel
    // suite this test's task may wait seconds for a cooperative thread. Uncancelled, it would run 36 s more.
    #expect(ContinuousClock.now - cancelledAt < .seconds(25), "the generation stopped at the next renewal")
    #expect(summary.stopped == 1 && summary.succeeded == 0)
    #expect(try queue.batchStatus(receipt.batch)?.count(.cancelled) == 1)
  }

  @Test func stopGivesUnfinishedJobsBackAfterTheGrace() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<4).map { chatJob("slow \($0)") })
    var config = configuration(fixture, id: "w", drain: false)
    config.grace = .milliseconds(300)
    config.prefetch = 1
    let worker = Worker(configuration: config, executor: EchoExecutor(capacity: 2, delay: .seconds(30)))
    let run = Task { try await worker.run() }
    // Generous: under the parallel suite the worker's task may wait for a cooperative thread.
    let deadline = ContinuousClock.now + .seconds(60)
    while try queue.batchStatus(receipt.batch)?.count(.running) ?? 0 < 3, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(20))
    }
    #expect(try queue.batchStatus(receipt.batch)?.count(.running) == 3, "the worker claimed two to run and one to hold")
    worker.requestStop()
    let summary = try await run.value
    #expect(summary.released == 3, "two running and one held job went back: \(summary)")
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.queued) == 4 && status.count(.running) == 0)
    #expect(try queue.stats().workers.isEmpty, "the worker left the registry")
  }

  @Test func aStalledWorkersJobsAreReclaimedAndItsLateResultIsFenced() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<3).map { chatJob("q\($0)") })
    // A worker that claimed and then stalled (a paused process): it never renews.
    let stalled = try queue.claim(worker: "paused", count: 3, leaseMilliseconds: 500, reclaim: false)
    #expect(stalled.count == 3)
    let worker = Worker(configuration: configuration(fixture, id: "live", lease: .milliseconds(500)), executor: EchoExecutor())
    let summary = try await worker.run()
    #expect(summary.succeeded == 3)
    for job in stalled {
      #expect(try queue.complete(job.lease, result: result(for: job, worker: "paused")) == .fenced(state: "succeeded"))
    }
    let records = try queue.records(receipt.jobs.map(\.id))
    #expect(records.allSatisfy { $0.result?.worker == "live" && $0.result?.attempt == 2 })
  }
}
