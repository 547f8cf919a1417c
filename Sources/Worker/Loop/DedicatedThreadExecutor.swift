import Foundation

/// A task executor with a thread of its own, for async code that has to make blocking
/// calls: the claim loop's Redis commands are synchronous (hiredis), and a slow or
/// unreachable Redis must not hold a thread of Swift's cooperative pool, which has one
/// thread per core and also carries the jobs' tasks that stream the engine's tokens.
/// Tasks that prefer this executor (`withTaskExecutorPreference`) run here.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
  // `@unchecked`: `jobs`, `stopped` and `thread` are only touched under `condition`.
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []
  private var stopped = false
  private var thread: pthread_t?

  init(name: String) {
    let thread = Thread { [self] in drain() }
    thread.name = name
    thread.start()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    if stopped {
      condition.unlock()
      // A straggler (a continuation resumed after the loop ended) still runs, elsewhere.
      globalConcurrentExecutor.enqueue(job)
      return
    }
    jobs.append(job)
    condition.signal()
    condition.unlock()
  }

  /// Lets the thread end once it has run what it holds; later jobs go to the global pool.
  func shutdown() {
    condition.lock()
    stopped = true
    condition.signal()
    condition.unlock()
  }

  /// True on the executor's own thread (for assertions and tests).
  var isCurrentThread: Bool {
    condition.lock()
    defer { condition.unlock() }
    return thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
  }

  private func drain() {
    condition.lock()
    thread = pthread_self()
    condition.unlock()
    while true {
      condition.lock()
      while jobs.isEmpty && !stopped { condition.wait() }
      let batch = jobs
      jobs = []
      let finished = stopped && batch.isEmpty
      condition.unlock()
      if finished { return }
      for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
  }
}
