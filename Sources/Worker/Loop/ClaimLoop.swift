import Foundation
import NightdeskQueue

/// The worker's loop: write finished jobs' outcomes, start held jobs as capacity
/// frees, claim more, and sleep until a job finishes or it is time to look again.
/// It owns the claim connection (`queue`); nothing else touches it.
struct ClaimLoop {
  let worker: Worker
  let queue: QueueClient
  let keeper: LeaseKeeper
  /// The thread the loop's blocking Redis calls belong on (checked in debug builds).
  let thread: DedicatedThreadExecutor?
  private var backlog = LocalBacklog()
  private var running: [String: ClaimedJob] = [:]
  private var runningRequests = 0
  /// Outcomes not yet written (Redis was away); their leases are still renewed.
  private var unwritten: [JobOutcome] = []
  private var lastReclaim: ContinuousClock.Instant?
  private var lastComplaint: ContinuousClock.Instant?
  private var cancelledAt: ContinuousClock.Instant?
  private var averageRequests = 1.0

  init(worker: Worker, queue: QueueClient, keeper: LeaseKeeper, thread: DedicatedThreadExecutor? = nil) {
    self.worker = worker
    self.queue = queue
    self.keeper = keeper
    self.thread = thread
  }

  private var configuration: WorkerConfiguration { worker.configuration }
  private var capacity: Int { max(1, worker.jobExecutor.capacity) }

  mutating func run() async {
    while true {
      assert(thread?.isCurrentThread ?? true, "the claim loop left its thread")
      unwritten += worker.outcomes.take()
      var redisHealthy = record()
      var claimedFull = false
      if let deadline = worker.stopDeadline {
        if !backlog.isEmpty { giveBack(backlog.removeAll()) }
        if running.isEmpty && unwritten.isEmpty { return }
        let now = ContinuousClock.now
        if now >= deadline, cancelledAt == nil {
          worker.say("grace period over: stopping \(running.count) job(s) and giving them back")
          cancelledAt = now
          worker.cancelAll()
        }
        // A job that ignores cancellation must not keep the worker forever: its lease
        // goes back and its late result will be fenced.
        if let cancelledAt, now - cancelledAt > .seconds(5) {
          giveBack(Array(running.values))
          return
        }
      } else {
        startHeldJobs()
        do {
          claimedFull = try claim()
          startHeldJobs()
          if configuration.drain, running.isEmpty, backlog.isEmpty, unwritten.isEmpty, try queueIsEmpty() { return }
        } catch {
          complain("claiming failed, retrying: \(error)")
          redisHealthy = false
        }
      }
      if claimedFull && redisHealthy { continue }
      await worker.outcomes.wait(timeout: redisHealthy ? configuration.pollInterval : .seconds(1))
    }
  }

  // MARK: - Claiming and starting

  /// Claims what free capacity and the prefetch allow; true if it got all it asked for.
  private mutating func claim() throws(QueueError) -> Bool {
    let freeRequests = max(0, capacity - runningRequests)
    let want = min(256, Int((Double(freeRequests) / max(1, averageRequests)).rounded(.up)) + configuration.prefetch - backlog.count)
    guard want > 0 else { return false }
    let now = ContinuousClock.now
    let reclaim = lastReclaim.map { now - $0 >= min(configuration.lease / 2, .seconds(1)) } ?? true
    if reclaim { lastReclaim = now }
    let claimed = try queue.claim(
      worker: configuration.workerID, count: want, leaseMilliseconds: configuration.leaseMilliseconds, reclaim: reclaim,
      preferring: configuration.affinity ? worker.warmPrefixes : [])
    for job in claimed {
      keeper.hold(job.lease)
      averageRequests = averageRequests * 0.9 + Double(job.spec.requests.count) * 0.1
    }
    backlog.add(claimed)
    worker.update { $0.claimed += claimed.count }
    return claimed.count == want
  }

  private mutating func startHeldJobs() {
    while !backlog.isEmpty, runningRequests < capacity,
      let job = backlog.next(warm: configuration.affinity ? worker.warmPrefixes : [])
    {
      running[job.lease.job] = job
      runningRequests += job.spec.requests.count
      worker.started(job, running: running.count)
      worker.launch(job, keeper: keeper)
    }
  }

  private func queueIsEmpty() throws(QueueError) -> Bool {
    try queue.stats().isIdle
  }

  // MARK: - Writing outcomes

  /// Writes the outcomes in `unwritten`; false if Redis failed (they stay for the next pass).
  private mutating func record() -> Bool {
    guard !unwritten.isEmpty else { return true }
    var successes: [(Lease, JobResult)] = []
    var rest: [JobOutcome] = []
    for outcome in unwritten {
      if case .succeeded(let job, let results, let startedAt, let finishedAt) = outcome {
        successes.append((job.lease, JobResult(
          job: job.lease.job, batch: job.lease.batch, attempt: job.lease.attempt, worker: configuration.workerID,
          executor: worker.jobExecutor.identity, startedAt: startedAt, finishedAt: finishedAt, requests: results)))
      } else {
        rest.append(outcome)
      }
    }
    do {
      let stored = try queue.completeAll(successes)
      for ((lease, _), outcome) in zip(successes, stored) {
        worker.update { summary in
          if outcome == .stored { summary.succeeded += 1 } else { summary.fenced += 1 }
        }
        done(lease.job)
      }
      successes = []
      while let outcome = rest.first {
        try write(outcome)
        done(outcome.job.lease.job)
        rest.removeFirst()
      }
      unwritten = []
      return true
    } catch {
      unwritten = successes.compactMap { lease, _ in unwritten.first { $0.job.lease == lease } } + rest
      complain("storing results failed, retrying: \(error)")
      return false
    }
  }

  private func write(_ outcome: JobOutcome) throws(QueueError) {
    switch outcome {
    case .succeeded: preconditionFailure("successes are written together")
    case .failed(let job, let failure):
      let disposition: FailureDisposition =
        failure.permanent
        ? .permanent
        : .retry(backoffMilliseconds: configuration.backoff.milliseconds(
          afterAttempt: job.lease.attempt, randomFraction: Double.random(in: 0...1)))
      let result = try queue.finish(job.lease, failure: failure.message, disposition: disposition)
      worker.say("job \(job.lease.job) attempt \(job.lease.attempt) failed (\(result)): \(failure.message)")
      worker.update { summary in
        switch result {
        case .delayed: summary.retried += 1
        case .dead: summary.dead += 1
        case .failed: summary.failed += 1
        case .fenced: summary.fenced += 1
        case .stored: break
        }
      }
    case .stopped(let job):
      // Cancelled or taken over: the release is refused (token moved on). Stopping: it goes back.
      let released = try queue.release([job.lease])
      worker.update { summary in
        if released > 0 { summary.released += 1 } else { summary.stopped += 1 }
      }
    }
  }

  private mutating func done(_ job: String) {
    keeper.drop(job)
    worker.forget(job)
    if let finished = running.removeValue(forKey: job) { runningRequests -= finished.spec.requests.count }
    worker.setRunning(running.count)
  }

  private mutating func giveBack(_ jobs: [ClaimedJob]) {
    guard !jobs.isEmpty else { return }
    do {
      let released = try queue.release(jobs.map(\.lease))
      worker.update { $0.released += released }
    } catch {
      complain("giving \(jobs.count) job(s) back failed; their leases will expire and another worker will take them: \(error)")
    }
    for job in jobs { done(job.lease.job) }
  }

  private mutating func complain(_ message: String) {
    let now = ContinuousClock.now
    if lastComplaint.map({ now - $0 > .seconds(10) }) ?? true {
      worker.say(message)
      lastComplaint = now
    }
  }
}
