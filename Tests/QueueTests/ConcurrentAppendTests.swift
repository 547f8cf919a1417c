import Dispatch
import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRedis
import NightdeskSupport
import Testing

/// Two submissions appending to one batch at the same time: job ids are given out inside
/// the submit script, so none collide and every job is queued.
@Suite struct ConcurrentAppendTests {
  @Test func twoSubmittersAppendingToOneBatchQueueEveryJob() throws {
    let fixture = try QueueFixture()
    let first = try fixture.client().submit([chatJob("opening")])
    let receipts = LockedValue<[SubmitReceipt]>([])
    let errors = LockedValue<[String]>([])
    let (url, keys) = (fixture.server.url, fixture.keys)
    DispatchQueue.concurrentPerform(iterations: 2) { submitter in
      do {
        let queue = QueueClient(redis: try RedisConnection(url: url), keys: keys)
        let specs = (0..<300).map { chatJob("submitter \(submitter) question \($0)") }
        let receipt = try queue.submit(specs, toBatch: first.batch)
        receipts.withLock { $0.append(receipt) }
      } catch {
        errors.withLock { $0.append("\(error)") }
      }
    }
    #expect(errors.current.isEmpty, "\(errors.current)")
    let all = receipts.current.flatMap(\.jobs)
    #expect(all.count == 600)
    #expect(all.allSatisfy { $0.status == .new }, "\(all.filter { $0.status != .new }.count) jobs were not queued")
    #expect(Set(all.map(\.id)).count == 600)
    let queue = try fixture.client()
    #expect(try queue.jobIDs(ofBatch: first.batch).count == 601)
    #expect(try queue.batchStatus(first.batch)?.count(.queued) == 601)
  }
}
