import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// `nightdesk watch`'s exit status tells a script how the batch ended: 0 when every job
/// succeeded (or was cancelled), 3 when jobs failed or died. Real redis-server, real
/// binary; the jobs are claimed and ended by the test through the queue client, so each
/// one ends exactly as chosen.
@Suite struct WatchExitStatusTests {
  /// watch follows a batch while one job succeeds, one fails for good and one dies
  /// (its only attempt failed): it exits 3 once the last ends, counting them on stderr.
  @Test func aBatchWithFailedAndDeadJobsExitsThree() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([chatJob("good"), chatJob("bad"), chatJob("doomed", maxAttempts: 1)])
    let watch = try WatchProcess(fixture, batch: receipt.batch, extra: ["--interval", "0.2"])
    defer { watch.stop() }

    let claimed = try queue.claim(worker: "w", count: 3, leaseMilliseconds: 30_000, reclaim: false)
    let byQuestion = Dictionary(uniqueKeysWithValues: claimed.map { job in
      (job.spec.requests[0].messages.last?.content.components(separatedBy: "\n").last ?? "", job)
    })
    let good = try #require(byQuestion["good"])
    let bad = try #require(byQuestion["bad"])
    let doomed = try #require(byQuestion["doomed"])
    #expect(try queue.complete(good.lease, result: result(for: good, worker: "w")) == .stored)
    // watch must still be watching: two jobs are running.
    try await Task.sleep(for: .milliseconds(300))
    #expect(watch.process.isRunning, "watch returned before the batch was done: \(watch.stderr)")
    #expect(try queue.finish(bad.lease, failure: "invalid request", disposition: .permanent) == .failed)
    #expect(try queue.finish(doomed.lease, failure: "engine crashed", disposition: .retry(backoffMilliseconds: 0)) == .dead)

    try await WorkerProcess.waitForExit(watch.process)
    #expect(watch.process.terminationStatus == 3, "\(watch.stderr)")
    #expect(watch.stdout.split(separator: "\n").last?.contains("3/3 finished") == true, "\(watch.stdout)")
    #expect(watch.stderr.contains("watch: batch \(receipt.batch) finished with 1 failed and 1 dead of 3 jobs"),
            "\(watch.stderr)")
  }

  /// Succeeded and cancelled jobs end a batch well: exit 0, nothing on stderr. And a
  /// batch whose only trouble is a failed job exits 3 even when watch starts after the end.
  @Test func succeededAndCancelledExitZeroAFinishedFailureExitsThree() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let fine = try queue.submit([chatJob("done"), chatJob("dropped")])
    let claimed = try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false)
    let first = try #require(claimed.first)
    #expect(try queue.complete(first.lease, result: result(for: first, worker: "w")) == .stored)
    #expect(try queue.cancel(target: fine.batch).map(\.previous).sorted() == ["queued", "succeeded"])

    let url = "unix://\(fixture.server.socketPath)"
    let ok = try await NightdeskBinary.run(["watch", fine.batch, "--redis", url, "--queue", fixture.keys.namespace])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stderr.isEmpty, "\(ok.stderr)")
    #expect(ok.stdout.contains("1 succeeded") && ok.stdout.contains("1 cancelled"), "\(ok.stdout)")

    let failing = try queue.submit([chatJob("invalid")])
    let job = try #require(try queue.claim(worker: "w", count: 1, leaseMilliseconds: 30_000, reclaim: false).first)
    #expect(try queue.finish(job.lease, failure: "invalid request", disposition: .permanent) == .failed)
    let failed = try await NightdeskBinary.run(["watch", failing.batch, "--redis", url, "--queue", fixture.keys.namespace])
    #expect(failed.status == 3, "\(failed.stderr)")
    #expect(failed.stderr == "watch: batch \(failing.batch) finished with 1 failed of 1 jobs "
            + "(nightdesk list --state failed, --state dead; nightdesk retry \(failing.batch))\n")
  }

  @Test func helpNamesTheExitStatus() async throws {
    let help = try await NightdeskBinary.run(["watch", "--help"], environment: ["COLUMNS": "200"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("3 when the batch finished with failed or dead jobs"), "\(help.stdout)")
  }
}
