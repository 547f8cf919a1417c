import Foundation
import NightdeskArchive
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// Two real worker processes sharing one archive file: one paused while it runs every job,
/// the other reclaims and stores them; the paused one wakes and its late work is fenced or
/// stopped. The archive holds each job and result once, the live worker's, the same as
/// Redis. (A late result handed over again is `ArchiveOnceTests`' case.)
@Suite struct ArchiveWorkerProcessTests {
  @Test func jobsReclaimedFromAPausedWorkerAreArchivedOnceAsTheLiveWorkerStoredThem() async throws {
    try #require(FileManager.default.isExecutableFile(atPath: WorkerProcess.binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let path = try TestPaths.temporaryDirectory("archive").appendingPathComponent("shared.sqlite").path
    let receipt = try queue.submit((0..<6).map { chatJob("q\($0)") })
    // A long echo delay: its jobs are all still running when it is paused, on a loaded machine too.
    let (paused, pausedOutput) = try WorkerProcess.start(
      fixture, id: "paused", echoDelay: 5.0, lease: 1.0, drain: true, extra: ["--archive", path])
    let pausedPID = paused.processIdentifier
    try await ConditionPoller.waitFor("the first worker to run all jobs") {
      try queue.batchStatus(receipt.batch)?.count(.running) ?? 0 == 6
    } then: {
      kill(pausedPID, SIGSTOP)
    }
    let (live, liveOutput) = try WorkerProcess.start(fixture, id: "live", echoDelay: 0, lease: 1.0, drain: true,
                                                     extra: ["--archive", path])
    try await WorkerProcess.waitForExit(live)
    #expect(try JSONParser.parse(liveOutput.fileHandleForReading.readDataToEndOfFile().map { $0 })["succeeded"]?.intValue == 6)
    kill(pausedPID, SIGCONT)
    try await WorkerProcess.waitForExit(paused)
    let late = try JSONParser.parse(pausedOutput.fileHandleForReading.readDataToEndOfFile().map { $0 })
    #expect(late["succeeded"]?.intValue == 0, "\(JSONWriter.string(late))")

    let archive = try ResultArchive(path: path, create: false)
    let counts = try archive.counts(queue: fixture.keys.namespace)
    #expect(counts.jobs == 6 && counts.results == 6 && counts.batches == 1, "\(counts)")
    let archived = try archive.records(queue: fixture.keys.namespace, target: receipt.batch)
    #expect(archived.allSatisfy { $0.result?.worker == "live" })
    #expect(archived == (try queue.records(receipt.jobs.map(\.id))))
    #expect(try archive.batchStatus(queue: fixture.keys.namespace, batch: receipt.batch) == (try queue.batchStatus(receipt.batch)))
  }
}
