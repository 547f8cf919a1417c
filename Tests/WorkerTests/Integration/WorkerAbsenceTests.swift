import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// A batch nobody runs: the registry's newest heartbeat, and `nightdesk watch` saying
/// so (once), keeping watching until a worker comes, or giving up with
/// `--fail-without-worker`. Real redis-server, real binary.
@Suite struct WorkerAbsenceTests {
  @Test func newestHeartbeatAgeFollowsTheRegistry() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    #expect(try queue.newestHeartbeatAge() == nil, "no worker registered yet")

    // Bounds from the test's own clock around the calls, not an assumed latency.
    var before = ContinuousClock.now
    try queue.heartbeat(worker: "live", details: [:], heldPrefixes: [], ttlSeconds: 6)
    var age = try #require(try queue.newestHeartbeatAge())
    #expect(age >= 0 && age <= Self.seconds(ContinuousClock.now - before) + 0.05)

    // A worker that died 42 s ago stays registered with its last beat; the newest beat counts.
    let now = try queue.serverTimeMilliseconds()
    _ = try queue.redis.command("ZADD", queue.keys.workers, now - 42_000, "dead")
    age = try #require(try queue.newestHeartbeatAge())
    #expect(age < 42)

    before = ContinuousClock.now
    try queue.unregister(worker: "live")
    age = try #require(try queue.newestHeartbeatAge())
    #expect(age >= 42 && age <= 42 + Self.seconds(ContinuousClock.now - before) + 0.05)
  }

  /// No worker at all: watch says so on stderr (once), keeps watching, says when a
  /// worker comes, and returns 0 when that worker finishes the batch.
  @Test func watchSaysNoWorkerIsLiveAndKeepsWatchingUntilOneComes() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("one"), chatJob("two")])
    let watch = try WatchProcess(fixture, batch: receipt.batch, extra: ["--interval", "0.2"])
    defer { watch.stop() }

    try await ConditionPoller.waitFor("watch to report the missing worker") { watch.stderr.contains("no live worker") }
    #expect(watch.stderr.contains(
      "watch: no live worker: 2 jobs of batch \(receipt.batch) are waiting and no worker has registered on queue 't'"),
      "\(watch.stderr)")
    #expect(watch.process.isRunning, "watch must keep watching: a worker may come")

    let (worker, _) = try WorkerProcess.start(fixture, id: "late", echoDelay: 0, lease: 30, drain: true)
    defer { if worker.isRunning { worker.terminate() } }
    try await WorkerProcess.waitForExit(worker)
    try await WorkerProcess.waitForExit(watch.process)
    #expect(watch.process.terminationStatus == 0, "\(watch.stderr)")
    #expect(watch.stdout.split(separator: "\n").last?.contains("2/2 finished") == true, "\(watch.stdout)")
    // Once per change, however many redraws: one report of the absence.
    #expect(watch.stderr.components(separatedBy: "no live worker").count == 2, "\(watch.stderr)")
  }

  /// A worker that died (registered, silent for 42 s) and `--fail-without-worker 2`:
  /// watch exits 1 naming the silence, but not before a worker's beat could have lapsed.
  @Test func failWithoutWorkerExitsWithAnErrorAfterTheSilence() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("one")])
    _ = try queue.redis.command("ZADD", queue.keys.workers, try queue.serverTimeMilliseconds() - 42_000, "gone")

    let started = ContinuousClock.now
    let watch = try WatchProcess(fixture, batch: receipt.batch, extra: ["--fail-without-worker", "2"])
    defer { watch.stop() }
    let exited = try await WorkerProcess.waitForExit(watch.process)
    #expect(watch.process.terminationStatus == 1, "\(watch.stderr)")
    #expect(exited - started >= .seconds(QueueClient.heartbeatLapseSeconds), "gave up before a heartbeat could lapse")
    // The age: 42 s and what passed since, so only its start is fixed.
    #expect(watch.stderr.contains("watch: no live worker: 1 job of batch \(receipt.batch) is waiting and no worker has been seen for "),
            "\(watch.stderr)")
    #expect(watch.stderr.contains("Error: no live worker for"), "\(watch.stderr)")
    #expect(watch.stderr.contains("(--fail-without-worker 2s)"), "\(watch.stderr)")
  }

  /// A live worker busy with a long job keeps beating: no report, no failure, even
  /// with --fail-without-worker shorter than the job.
  @Test func aBusyLiveWorkerIsNotReportedMissing() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("slow")])
    let (worker, _) = try WorkerProcess.start(fixture, id: "busy", echoDelay: 8, lease: 30, drain: true)
    defer { if worker.isRunning { worker.terminate() } }
    try await ConditionPoller.waitFor("the worker to register") { try queue.newestHeartbeatAge() != nil }

    let watch = try WatchProcess(fixture, batch: receipt.batch, extra: ["--interval", "0.2", "--fail-without-worker", "2"])
    defer { watch.stop() }
    try await WorkerProcess.waitForExit(watch.process)
    #expect(watch.process.terminationStatus == 0, "\(watch.stderr)")
    #expect(!watch.stderr.contains("no live worker"), "\(watch.stderr)")
    try await WorkerProcess.waitForExit(worker)
    #expect(worker.terminationStatus == 0)
  }

  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}
