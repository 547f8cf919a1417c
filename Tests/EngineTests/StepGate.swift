import Foundation

/// Holds `ToyModel`'s forward pass once it has run `openSteps` steps, until the test
/// calls `open()`. A test can then act (cancel, drop a reader) while a request is
/// certainly still running, with no assumption about how fast the machine is: the
/// step thread cannot finish the request behind the test's back.
///
/// Always `open()` the gate before a graceful `Engine.shutdown()` (which waits for
/// running requests), and in a `defer`, so a failed expectation never leaves the
/// step thread parked.
final class StepGate: @unchecked Sendable {
  // @unchecked: `opened` and `holding` are read and written only with `condition` locked.
  private let condition = NSCondition()
  private let openSteps: Int
  private var opened = false
  private var holding = false

  init(openSteps: Int) {
    self.openSteps = openSteps
  }

  /// Called by the model on the step thread before step number `step` (1-based).
  func pass(step: Int) {
    guard step > openSteps else { return }
    condition.lock()
    defer { condition.unlock() }
    while !opened {
      holding = true
      condition.wait()
    }
    holding = false
  }

  func open() {
    condition.lock()
    opened = true
    condition.broadcast()
    condition.unlock()
  }

  var isHolding: Bool {
    condition.lock()
    defer { condition.unlock() }
    return holding
  }

  struct NeverReached: Error, CustomStringConvertible {
    var description: String
  }

  /// Suspends (without blocking a cooperative thread) until the step thread waits at
  /// the gate; throws if that does not happen within `timeout`.
  func waitUntilHolding(timeout: Duration = .seconds(60)) async throws {
    let deadline = ContinuousClock.now + timeout
    while !isHolding {
      guard ContinuousClock.now < deadline else {
        throw NeverReached(description: "the step thread did not reach the gate after \(openSteps) steps within \(timeout)")
      }
      try await Task.sleep(for: .milliseconds(1))
    }
  }
}
