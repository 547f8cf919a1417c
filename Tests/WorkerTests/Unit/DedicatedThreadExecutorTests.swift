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

  /// Blocking work that prefers the executor runs there, one piece at a time, however
  /// many pieces there are: none of it takes a thread of the cooperative pool. (Whether
  /// the pool then stays free is not timed here: the parallel test suite keeps it busy.)
  @Test func blockingWorkRunsOnItsThreadOneAtATime() async {
    let executor = DedicatedThreadExecutor(name: "nd-test-blocking")
    let blockers = ProcessInfo.processInfo.activeProcessorCount + 2
    let running = LockedCounter()
    let onItsThread = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<blockers {
        group.addTask(executorPreference: executor) {
          running.enter()
          usleep(20_000)  // blocks the thread, as a hung Redis call would
          running.leave()
          return executor.isCurrentThread
        }
      }
      var all: [Bool] = []
      for await result in group { all.append(result) }
      return all
    }
    executor.shutdown()
    #expect(onItsThread == Array(repeating: true, count: blockers))
    #expect(running.peak == 1)
  }
}

/// How many are inside at once, and the most there ever were.
final class LockedCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var inside = 0
  private var most = 0

  func enter() {
    lock.lock()
    inside += 1
    most = max(most, inside)
    lock.unlock()
  }

  func leave() {
    lock.lock()
    inside -= 1
    lock.unlock()
  }

  var peak: Int {
    lock.lock()
    defer { lock.unlock() }
    return most
  }
}
