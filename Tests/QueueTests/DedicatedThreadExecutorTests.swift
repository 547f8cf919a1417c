import Foundation
@testable import NightdeskWorker
import Testing

/// The claim loop's executor: blocking work that prefers it stays on its one thread and
/// leaves Swift's cooperative pool free.
@Suite struct DedicatedThreadExecutorTests {
  /// A nonisolated async function, as `ClaimLoop.run` is: it runs on the preferred executor.
  static func onItsThread(_ executor: DedicatedThreadExecutor) async -> [Bool] {
    var seen = [executor.isCurrentThread]
    await Task.yield()
    try? await Task.sleep(for: .milliseconds(10))
    seen.append(executor.isCurrentThread)
    return seen
  }

  @Test func tasksThatPreferItRunOnItsThreadAcrossSuspensions() async {
    let executor = DedicatedThreadExecutor(name: "nd-test-thread")
    let seen = await withTaskExecutorPreference(executor) { await Self.onItsThread(executor) }
    let elsewhere = await Self.onItsThread(executor)
    executor.shutdown()
    #expect(seen == [true, true])
    #expect(elsewhere == [false, false])
  }

  /// More blocking tasks than the pool has threads, all on the dedicated thread: a task on
  /// the cooperative pool still runs at once. Were they on the pool, it would wait for one
  /// of them (`blockSeconds`) first.
  @Test func blockingWorkOnItDoesNotHoldTheCooperativePool() async {
    let executor = DedicatedThreadExecutor(name: "nd-test-blocking")
    let blockers = ProcessInfo.processInfo.activeProcessorCount + 1
    let blockSeconds = 0.5
    let start = ContinuousClock.now
    let firstBlockerDone = LockedTime()
    let poolTaskRan = LockedTime()
    await withTaskGroup(of: Void.self) { group in
      for _ in 0..<blockers {
        group.addTask(executorPreference: executor) {
          #expect(executor.isCurrentThread)
          usleep(useconds_t(blockSeconds * 1_000_000))  // blocks the thread, as a hung Redis call would
          firstBlockerDone.setIfUnset(.now)
        }
      }
      // Give the blockers time to be enqueued before the pool task is.
      try? await Task.sleep(for: .milliseconds(50))
      group.addTask { poolTaskRan.setIfUnset(.now) }
    }
    executor.shutdown()
    let ran = poolTaskRan.value
    let blocked = firstBlockerDone.value
    #expect(ran != nil && blocked != nil)
    if let ran, let blocked {
      #expect(ran < blocked, "the pool task waited for blocking work: ran \(ran - start), first blocker done \(blocked - start)")
    }
  }
}

/// The first instant something happened, set from any thread.
final class LockedTime: @unchecked Sendable {
  private let lock = NSLock()
  private var instant: ContinuousClock.Instant?

  func setIfUnset(_ now: ContinuousClock.Instant) {
    lock.lock()
    if instant == nil { instant = now }
    lock.unlock()
  }

  var value: ContinuousClock.Instant? {
    lock.lock()
    defer { lock.unlock() }
    return instant
  }
}
