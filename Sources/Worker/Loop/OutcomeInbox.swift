import NightdeskQueue
import NightdeskSupport

/// How a job's run ended, as its task reports it to the worker loop.
enum JobOutcome: Sendable {
  case succeeded(ClaimedJob, [RequestResult], startedAt: Double, finishedAt: Double)
  case failed(ClaimedJob, ExecutionFailure)
  /// Cancelled: the job was cancelled, its lease lost, or the worker is stopping.
  case stopped(ClaimedJob)

  var job: ClaimedJob {
    switch self {
    case .succeeded(let job, _, _, _), .failed(let job, _), .stopped(let job): return job
    }
  }
}

/// Where job tasks drop their outcomes, the lease keeper the attempts it lost, and the
/// worker loop waits for them: the loop sleeps until something arrives, `wake()` is
/// called, or its timeout passes.
final class OutcomeInbox: Sendable {
  private struct State {
    var items: [JobOutcome] = []
    var lost: [AttemptID] = []
    var woken = false
    var waiter: CheckedContinuation<Void, Never>?
  }

  private let state = LockedValue(State())

  func post(_ outcome: JobOutcome) { deliver { $0.items.append(outcome) } }

  /// Attempts that are no longer this worker's (cancelled, or taken over after a stall).
  func postLost(_ attempts: [AttemptID]) { deliver { $0.lost += attempts } }

  func takeLost() -> [AttemptID] {
    state.withLock { state in
      defer { state.lost = [] }
      return state.lost
    }
  }

  func wake() { deliver { $0.woken = true } }

  /// Changes the state and resumes the waiting loop, if any.
  private func deliver(_ change: (inout State) -> Void) {
    let waiter = state.withLock { state in
      change(&state)
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume()
  }

  func take() -> [JobOutcome] {
    state.withLock { state in
      defer { state.items = [] }
      return state.items
    }
  }

  /// Returns when there is something to take, after `wake()`, or after `timeout`.
  func wait(timeout: Duration) async {
    let timer = Task { [weak self] in
      try? await Task.sleep(for: timeout)
      self?.wake()
    }
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      let ready = state.withLock { state in
        if !state.items.isEmpty || !state.lost.isEmpty || state.woken {
          state.woken = false
          return true
        }
        state.waiter = continuation
        return false
      }
      if ready { continuation.resume() }
    }
    timer.cancel()
    state.withLock { $0.woken = false }
  }
}
