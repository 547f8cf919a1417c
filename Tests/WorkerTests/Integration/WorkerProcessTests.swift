import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import NightdeskWorker
import Testing

/// Real `nightdesk worker` processes (the built binary, echo executor) killed and
/// paused under a real redis-server; and a redis-server restarted under workers.
@Suite struct WorkerProcessTests {
  @Test func aKilledWorkersJobsAreFinishedByAnotherExactlyOnce() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: WorkerProcess.binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<40).map { chatJob("q\($0)") })
    // The kill happens on the polling thread the moment a claim is seen: on a busy
    // cooperative pool the test itself may resume long after, when an echo delay of
    // seconds would have let the doomed worker finish everything.
    let (doomed, _) = try WorkerProcess.start(fixture, id: "doomed", echoDelay: 600, lease: 1.5, drain: false)
    let doomedPID = doomed.processIdentifier
    try await ConditionPoller.waitFor("the first worker to claim") {
      try queue.batchStatus(receipt.batch)?.count(.running) ?? 0 > 0
    } then: {
      kill(doomedPID, SIGKILL)
    }
    try await WorkerProcess.waitForExit(doomed)
    let held = try queue.batchStatus(receipt.batch)?.count(.running) ?? 0
    #expect(held > 0)

    let (survivor, output) = try WorkerProcess.start(fixture, id: "survivor", echoDelay: 0, lease: 1.5, drain: true)
    try await WorkerProcess.waitForExit(survivor)
    #expect(survivor.terminationStatus == 0)
    let summary = try JSONParser.parse(output.fileHandleForReading.readDataToEndOfFile().map { $0 })
    #expect(summary["succeeded"]?.intValue == 40)
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 40 && status.isDone)
    let records = try queue.records(receipt.jobs.map(\.id))
    #expect(records.allSatisfy { $0.result?.worker == "survivor" })
    #expect(records.filter { $0.result?.attempt == 2 }.count == held, "the killed worker's jobs were reclaimed")
    let events = try WorkerProcess.successEvents(queue)
    #expect(events.count == 40 && events.values.allSatisfy { $0 == 1 })
  }

  @Test func aPausedWorkersLateResultsAreFenced() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: WorkerProcess.binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<6).map { chatJob("q\($0)") })
    // Its jobs must all still be running when it is paused: a long echo delay gives the
    // test seconds, not a fraction of one, to see that on a loaded machine.
    let (paused, pausedOutput) = try WorkerProcess.start(fixture, id: "paused", echoDelay: 5.0, lease: 1.0, drain: true)
    let pausedPID = paused.processIdentifier
    try await ConditionPoller.waitFor("the first worker to run all jobs") {
      try queue.batchStatus(receipt.batch)?.count(.running) ?? 0 == 6
    } then: {
      kill(pausedPID, SIGSTOP)
    }
    let worker = Worker(
      configuration: WorkerConfiguration(redisURL: fixture.server.url, keys: fixture.keys, workerID: "live",
                                         lease: .seconds(1), renewInterval: .milliseconds(200), pollInterval: .milliseconds(20),
                                         drain: true),
      executor: EchoExecutor())
    let summary = try await worker.run()
    #expect(summary.succeeded == 6)
    // The paused worker wakes with its echo delays long over: its writes must all be refused.
    kill(paused.processIdentifier, SIGCONT)
    try await WorkerProcess.waitForExit(paused)
    let late = try JSONParser.parse(pausedOutput.fileHandleForReading.readDataToEndOfFile().map { $0 })
    #expect(late["succeeded"]?.intValue == 0)
    #expect((late["fenced"]?.intValue ?? 0) + (late["stopped"]?.intValue ?? 0) == 6, "\(JSONWriter.string(late))")
    let records = try queue.records(receipt.jobs.map(\.id))
    #expect(records.allSatisfy { $0.result?.worker == "live" })
    #expect(try WorkerProcess.successEvents(queue).values.allSatisfy { $0 == 1 })
  }

  @Test func sigtermStopsClaimingAndGivesUnfinishedJobsBackAfterTheGrace() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: WorkerProcess.binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<5).map { chatJob("q\($0)") })
    let (worker, output) = try WorkerProcess.start(fixture, id: "w", echoDelay: 600, lease: 30, drain: false,
                                                extra: ["--grace", "0.5", "--max-sequences", "2", "--prefetch", "1"])
    let workerPID = worker.processIdentifier
    let signalled = LockedValue(ContinuousClock.now)
    try await ConditionPoller.waitFor("the worker to claim") {
      try queue.batchStatus(receipt.batch)?.count(.running) ?? 0 == 3
    } then: {
      signalled.withLock { $0 = .now }
      kill(workerPID, SIGTERM)
    }
    let exited = try await WorkerProcess.waitForExit(worker)
    // Well before the 600 s echo delay: the grace (0.5 s) ended it, however loaded the machine.
    #expect(exited - signalled.current < .seconds(60))
    #expect(worker.terminationStatus == 0)
    let summary = try JSONParser.parse(output.fileHandleForReading.readDataToEndOfFile().map { $0 })
    #expect(summary["released"]?.intValue == 3 && summary["succeeded"]?.intValue == 0)
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.queued) == 5 && status.count(.running) == 0)
    #expect(try queue.stats().isIdle == false && (try queue.stats().workers.isEmpty))
  }

  @Test func redisRestartedMidRunLosesNoJob() async throws {
    let fixture = try QueueFixture(appendOnly: true, extraConfig: ["appendfsync always"])
    let queue = try fixture.client()
    let receipt = try queue.submit((0..<150).map { chatJob("q\($0)") })
    let workers = (0..<3).map { index in
      Worker(
        configuration: WorkerConfiguration(redisURL: fixture.server.url, keys: fixture.keys, workerID: "w\(index)",
                                           lease: .seconds(2), renewInterval: .milliseconds(200),
                                           pollInterval: .milliseconds(20), drain: true),
        executor: EchoExecutor(capacity: 4, delay: .milliseconds(20)))
    }
    let run = Task {
      try await withThrowingTaskGroup(of: WorkerSummary.self) { group in
        for worker in workers { group.addTask { try await worker.run() } }
        return try await group.reduce(into: [WorkerSummary]()) { $0.append($1) }
      }
    }
    try await ConditionPoller.waitFor("some progress") { try queue.batchStatus(receipt.batch)?.count(.succeeded) ?? 0 >= 20 }
    try fixture.server.restart()
    let summaries = try await run.value
    let after = try fixture.client()
    let status = try #require(try after.batchStatus(receipt.batch))
    #expect(status.count(.succeeded) == 150 && status.isDone, "\(status)")
    #expect(try after.records(receipt.jobs.map(\.id)).allSatisfy { $0.state == .succeeded && $0.result != nil })
    #expect(summaries.reduce(0) { $0 + $1.succeeded } >= 150)
  }
}
