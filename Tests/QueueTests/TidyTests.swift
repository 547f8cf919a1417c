import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import Testing

/// The queue's bookkeeping stays bounded: workers killed without unregistering, stream
/// consumers of workers long gone and batches whose records expired are removed.
@Suite struct TidyTests {
  @Test func deadWorkersIdleConsumersAndExpiredBatchesAreForgotten() async throws {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let kept = try queue.submit([chatJob("a")])
    let expired = try queue.submit([chatJob("b")])
    for job in try queue.claim(worker: "gone", count: 2, leaseMilliseconds: 30_000, reclaim: false) {
      #expect(try queue.complete(job.lease, result: result(for: job, worker: "gone")) == .stored)
    }
    try queue.heartbeat(worker: "killed", details: [:], heldPrefixes: [], ttlSeconds: 5)
    // The expired batch's records are gone (as after the retention); its index entry is not.
    _ = try queue.redis.command("DEL", fixture.keys.prefix + "batch:" + expired.batch,
                                fixture.keys.prefix + "batch:" + expired.batch + ":jobs")
    try await Task.sleep(for: .milliseconds(50))
    #expect(try queue.tidy(silentWorker: 3600, idleConsumer: 3600, expiredBatch: 3600) == QueueClient.Tidied())
    let tidied = try queue.tidy(silentWorker: 0.01, idleConsumer: 0.01, expiredBatch: 0.01)
    #expect(tidied == QueueClient.Tidied(workers: 1, consumers: 1, batches: 1))
    #expect(try queue.redis.command("ZCARD", fixture.keys.workers).int == 0)
    let consumers = try queue.redis.command("XINFO", "CONSUMERS", fixture.keys.prefix + "q:normal", QueueKeys.group)
    #expect(consumers.array?.isEmpty == true)
    #expect(try queue.batchStatus(kept.batch) != nil, "a batch whose records live stays")
    #expect(try queue.redis.command("ZSCORE", fixture.keys.prefix + "batches", expired.batch).isNull)
  }
}
