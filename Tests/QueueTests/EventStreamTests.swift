import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// The queue's event stream, followed the way `watch` follows it, against a real redis-server.
@Suite struct EventStreamTests {
  @Test func stateChangesArriveAfterTheCursorAndNothingElse() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    _ = try queue.submit([chatJob("before the cursor")])
    let start = try queue.eventCursor()
    let receipt = try queue.submit([chatJob("one"), chatJob("two")])

    let first = try queue.events(after: start, timeout: .seconds(2))
    #expect(first.events.map(\.kind) == ["submitted"])
    #expect(first.events.first?.batch == receipt.batch)
    #expect(first.cursor == first.events.last?.id)

    // Nothing new: the wait ends empty-handed at its timeout, the cursor unchanged.
    let quiet = try queue.events(after: first.cursor, timeout: .milliseconds(200))
    #expect(quiet.events.isEmpty && quiet.cursor == first.cursor)

    let claimed = try queue.claim(worker: "w", count: 3, leaseMilliseconds: 30_000, reclaim: false)
      .filter { $0.lease.batch == receipt.batch }
    try #require(claimed.count == 2)
    #expect(try queue.complete(claimed[0].lease, result: result(for: claimed[0], worker: "w")) == .stored)
    _ = try queue.cancel(target: claimed[1].lease.job)
    let later = try queue.events(after: first.cursor, timeout: .seconds(2))
    #expect(later.events.map(\.kind) == ["succeeded", "cancelled"])
    #expect(later.events.map(\.job) == [claimed[0].lease.job, claimed[1].lease.job])
    #expect(later.events.allSatisfy { $0.batch == receipt.batch })
  }

  /// `nightdesk watch` with a 60 s interval still returns as soon as a worker finishes the
  /// batch: the last job's change of state wakes it, not its next poll.
  @Test func watchReturnsWhenTheBatchFinishesNotAtItsNextPoll() async throws {
    let binary = WorkerProcess.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build nightdesk first (swift build --build-tests)")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("one"), chatJob("two")])

    let watch = Process()
    watch.executableURL = binary
    watch.arguments = [
      "watch", receipt.batch, "--interval", "60", "--redis", "unix://\(fixture.server.socketPath)",
      "--queue", fixture.keys.namespace,
    ]
    let folder = try TestPaths.temporaryDirectory("watch")
    defer { try? FileManager.default.removeItem(at: folder) }
    let output = folder.appendingPathComponent("stdout")
    try Data().write(to: output)
    watch.standardOutput = try FileHandle(forWritingTo: output)
    watch.standardError = FileHandle.nullDevice
    try watch.run()
    defer { if watch.isRunning { watch.terminate() } }
    // It draws its first line (nothing finished) before any worker starts, so the finish
    // has to wake it.
    try await ConditionPoller.waitFor("watch to draw its first line") {
      (try? String(contentsOf: output, encoding: .utf8))?.contains("finished") == true
    }

    let (worker, _) = try WorkerProcess.start(fixture, id: "w", echoDelay: 0.05, lease: 30, drain: true)
    defer { if worker.isRunning { worker.terminate() } }
    let started = ContinuousClock.now
    try await WorkerProcess.waitForExit(worker)
    let exited = try await WorkerProcess.waitForExit(watch)
    #expect(exited - started < .seconds(45), "watch noticed the end only at its next poll")
    #expect(watch.terminationStatus == 0)
    let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
    #expect(lines.first?.contains("0/2 finished") == true, "\(lines)")
    #expect(lines.last?.contains("2/2 finished") == true, "\(lines)")
  }
}
