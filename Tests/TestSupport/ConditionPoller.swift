import Foundation

/// Waits for a condition the test cannot be told about (a worker process claiming,
/// a job making progress) by polling it on a thread of its own, every 20 ms, while
/// the test's task is suspended.
///
/// Why a thread: the tests run on Swift's cooperative pool, two threads on a 2-core
/// machine, which other suites keep busy with model computations for seconds at a
/// time. A sleep loop on the pool would block one of those threads (starving the
/// worker under test); an async sleep loop would itself be starved and miss a state
/// that lasts only a few seconds. `then` runs on the polling thread the moment the
/// condition holds, for an action that must not wait for the pool (pausing a
/// process before its jobs finish).
///
/// The timeouts are generous on purpose: they only turn a real hang into a failure,
/// and in-process workers share the pool with those busy suites, so on a loaded
/// machine their progress can stall for tens of seconds without anything being wrong.
public enum ConditionPoller {
  /// The condition did not hold within the timeout.
  public struct TimedOut: Error, CustomStringConvertible {
    public var description: String
  }

  public static func waitFor(
    _ what: String, timeout: Duration = .seconds(120), _ condition: @escaping () throws -> Bool,
    then action: @escaping () throws -> Void = {}
  ) async throws {
    let poll = Poll(condition: condition, action: action)
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      Thread.detachNewThread {
        continuation.resume(with: Result { try poll.run(what, timeout: timeout) })
      }
    }
  }

  /// `@unchecked Sendable`: the closures run only on the polling thread, while the
  /// test that made them is suspended waiting for it, so their captures are never
  /// used from two threads at once; the continuation orders the hand-back.
  private final class Poll: @unchecked Sendable {
    let condition: () throws -> Bool
    let action: () throws -> Void

    init(condition: @escaping () throws -> Bool, action: @escaping () throws -> Void) {
      self.condition = condition
      self.action = action
    }

    func run(_ what: String, timeout: Duration) throws {
      let deadline = ContinuousClock.now + timeout
      while try !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(description: "timed out waiting for \(what)") }
        Thread.sleep(forTimeInterval: 0.02)
      }
      try action()
    }
  }
}
