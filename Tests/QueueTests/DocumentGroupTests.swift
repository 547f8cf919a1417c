import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// Map-reduce groups in the Lua scripts: a document's synthesis job is held until its
/// chunk jobs have all finished, then queued exactly once, whatever happens to them.
@Suite struct DocumentGroupTests {
  @Test func theSynthesisIsQueuedOnceWhenTheLastChunkFinishesEvenIfOneFailed() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("g1", chunks: 3))
    let synthesis = receipt.jobs[3].id
    var status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.total == 4 && status.count(.queued) == 3 && status.count(.held) == 1)

    let chunks = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    #expect(chunks.map(\.lease.job) == receipt.jobs.prefix(3).map(\.id))
    #expect(try queue.complete(chunks[0].lease, result: result(for: chunks[0], worker: "w")) == .stored)
    #expect(try queue.complete(chunks[1].lease, result: result(for: chunks[1], worker: "w")) == .stored)
    #expect(try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false).isEmpty)
    #expect(try queue.jobStatus(synthesis)?.state == .held)
    // A duplicate write of a finished chunk's result changes nothing.
    #expect(try queue.complete(chunks[0].lease, result: result(for: chunks[0], worker: "w")) == .stored)
    #expect(try queue.jobStatus(synthesis)?.state == .held)

    // The last chunk fails for good: the group is finished, the synthesis goes in.
    _ = try queue.finish(chunks[2].lease, failure: "bad request", disposition: .permanent)
    #expect(try queue.jobStatus(synthesis)?.state == .queued)
    status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.held) == 0 && status.count(.queued) == 1 && !status.isDone)

    let claimed = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    #expect(claimed.map(\.lease.job) == [synthesis])
    #expect(claimed.first?.spec.kind == .synthesis)
    // Retrying the failed chunk and finishing it again does not queue the synthesis again.
    _ = try queue.retry(target: chunks[2].lease.job)
    let again = try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false)
    #expect(again.map(\.lease.job) == [chunks[2].lease.job])
    #expect(try queue.complete(again[0].lease, result: result(for: again[0], worker: "w")) == .stored)
    #expect(try queue.jobStatus(synthesis)?.state == .running)
    #expect(try groupQueuedEvents(queue, job: synthesis) == 1)

    #expect(try queue.complete(claimed[0].lease, result: result(for: claimed[0], worker: "w")) == .stored)
    status = try #require(try queue.batchStatus(receipt.batch))
    // The retried chunk succeeded too.
    #expect(status.isDone && status.count(.succeeded) == 4 && status.count(.failed) == 0)
  }

  @Test func aReclaimedChunkQueuesTheSynthesisOnceAndADeadOneToo() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("g2", chunks: 2, maxAttempts: 2))
    let synthesis = receipt.jobs[2].id
    let first = try queue.claim(worker: "a", count: 2, leaseMilliseconds: 50, reclaim: false)
    #expect(first.count == 2)
    try await Task.sleep(for: .milliseconds(150))
    // Worker a stalled: b takes both over (second attempt); a's late result is fenced.
    let second = try queue.claim(worker: "b", count: 2, leaseMilliseconds: 50, reclaim: true)
    #expect(second.map(\.lease.attempt) == [2, 2])
    #expect(try queue.complete(first[0].lease, result: result(for: first[0], worker: "a")) != .stored)
    #expect(try queue.jobStatus(synthesis)?.state == .held)
    #expect(try queue.complete(second[0].lease, result: result(for: second[0], worker: "b")) == .stored)
    #expect(try queue.jobStatus(synthesis)?.state == .held)
    // b stalls too on the other chunk's last attempt: the reclaim dead-letters it, which finishes the group.
    try await Task.sleep(for: .milliseconds(150))
    let third = try queue.claim(worker: "c", count: 5, leaseMilliseconds: 50, reclaim: true)
    #expect(try queue.jobStatus(second[1].lease.job)?.state == .dead)
    #expect(third.map(\.lease.job) == [synthesis])
    #expect(try groupQueuedEvents(queue, job: synthesis) == 1)
  }

  @Test func cancellingTheBatchCancelsTheHeldSynthesis() throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit(documentGroup("g3", chunks: 2))
    _ = try queue.cancel(target: receipt.batch)
    let status = try #require(try queue.batchStatus(receipt.batch))
    #expect(status.count(.cancelled) == 3 && status.isDone)
    #expect(try queue.claim(worker: "w", count: 10, leaseMilliseconds: 30_000, reclaim: false).isEmpty)
  }
}
