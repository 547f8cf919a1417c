import Dispatch
import Foundation
import NightdeskQueue
import NightdeskRedis
import Testing

/// Two submissions appending to one batch at the same time: job ids are given out inside
/// the submit script, so none collide and every job is queued.
@Suite struct ConcurrentAppendTests {
  @Test func twoSubmittersAppendingToOneBatchQueueEveryJob() throws {
    let fixture = try QueueFixture()
    let first = try fixture.client().submit([chatJob("opening")])
    let receipts = LockedReceipts()
    let errors = LockedReceipts()
    let (url, keys) = (fixture.server.url, fixture.keys)
    DispatchQueue.concurrentPerform(iterations: 2) { submitter in
      do {
        let queue = QueueClient(redis: try RedisConnection(url: url), keys: keys)
        let specs = (0..<300).map { chatJob("submitter \(submitter) question \($0)") }
        receipts.append(try queue.submit(specs, toBatch: first.batch))
      } catch {
        errors.fail("\(error)")
      }
    }
    #expect(errors.failures.isEmpty, "\(errors.failures)")
    let all = receipts.values.flatMap(\.jobs)
    #expect(all.count == 600)
    #expect(all.allSatisfy { $0.status == .new }, "\(all.filter { $0.status != .new }.count) jobs were not queued")
    #expect(Set(all.map(\.id)).count == 600)
    let queue = try fixture.client()
    #expect(try queue.jobIDs(ofBatch: first.batch).count == 601)
    #expect(try queue.batchStatus(first.batch)?.count(.queued) == 601)
  }
}

/// Receipts collected from concurrent submitters.
final class LockedReceipts: @unchecked Sendable {
  private let lock = NSLock()
  private var receipts: [SubmitReceipt] = []
  private var messages: [String] = []

  func append(_ receipt: SubmitReceipt) { lock.withLock { receipts.append(receipt) } }
  func fail(_ message: String) { lock.withLock { messages.append(message) } }
  var values: [SubmitReceipt] { lock.withLock { receipts } }
  var failures: [String] { lock.withLock { messages } }
}
