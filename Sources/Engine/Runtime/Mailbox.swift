import Foundation

/// How callers reach the step thread: submissions, cancellations and the stop
/// signal wait here under one lock, and the thread sleeps on its condition when
/// it has nothing to do.
final class Mailbox: @unchecked Sendable {
  // @unchecked: every stored property below is read and written only while
  // `condition` is locked.
  enum Stop: Int, Comparable, Sendable {
    case none, graceful, immediate
    static func < (lhs: Stop, rhs: Stop) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  struct Submission: Sendable {
    var id: RequestID
    var request: GenerationRequest
    var continuation: RequestOutput.Continuation
  }

  struct Delivery: Sendable {
    var submissions: [Submission]
    var cancellations: [RequestID]
    var stop: Stop
    /// Seconds the caller slept waiting for this delivery.
    var waited: Double
  }

  private let condition = NSCondition()
  private var submissions: [Submission] = []
  private var cancellations: [RequestID] = []
  private var stop = Stop.none
  private var exited = false
  private var exitWaiters: [CheckedContinuation<Void, Never>] = []

  /// False once a stop was asked for: the submission is refused.
  func post(_ submission: Submission) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    guard stop == .none else { return false }
    submissions.append(submission)
    condition.signal()
    return true
  }

  func cancel(_ id: RequestID) {
    condition.lock()
    cancellations.append(id)
    condition.signal()
    condition.unlock()
  }

  func requestStop(_ mode: Stop) {
    condition.lock()
    stop = max(stop, mode)
    condition.signal()
    condition.unlock()
  }

  /// Everything posted so far. With `wait`, sleeps until something arrives.
  func collect(wait: Bool) -> Delivery {
    condition.lock()
    defer { condition.unlock() }
    var waited = 0.0
    if wait {
      let started = EngineCore.now()
      while submissions.isEmpty && cancellations.isEmpty && stop == .none { condition.wait() }
      waited = EngineCore.now() - started
    }
    let delivery = Delivery(submissions: submissions, cancellations: cancellations, stop: stop, waited: waited)
    submissions.removeAll()
    cancellations.removeAll()
    return delivery
  }

  /// The step thread has ended: wake everyone waiting in `waitForExit`.
  func markExited() {
    condition.lock()
    exited = true
    let waiters = exitWaiters
    exitWaiters.removeAll()
    condition.unlock()
    for waiter in waiters { waiter.resume() }
  }

  func waitForExit() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      condition.lock()
      if exited {
        condition.unlock()
        continuation.resume()
      } else {
        exitWaiters.append(continuation)
        condition.unlock()
      }
    }
  }
}
