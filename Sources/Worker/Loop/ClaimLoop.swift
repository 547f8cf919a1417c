import Foundation
import Logging
import NightdeskQueue

/// The worker's loop, and the one owner of its work: it writes finished jobs' outcomes,
/// stops attempts that are no longer the worker's, starts held jobs as capacity frees,
/// claims more, and sleeps until a job finishes or it is time to look again. It owns
/// the claim connection (`queue`), the backlog, the running attempts and their tasks,
/// all keyed by attempt (job and token).
struct ClaimLoop {
  let configuration: WorkerConfiguration
  let executor: any JobExecutor
  let queue: QueueClient
  let keeper: LeaseKeeper
  let inbox: OutcomeInbox
  let status: WorkerStatus
  let stopDeadline: @Sendable () -> ContinuousClock.Instant?
  let logger: Logger
  let metrics: WorkerMetrics
  /// Where streamed jobs' text goes as it is generated.
  let live: LivePublisher
  /// The thread the loop's blocking Redis calls belong on (checked in debug builds).
  let thread: DedicatedThreadExecutor?
  private var backlog = LocalBacklog()
  private var running: [AttemptID: ClaimedJob] = [:]
  private var tasks: [AttemptID: Task<Void, Never>] = [:]
  /// When each running attempt started, for its finish line.
  private var startedAt: [AttemptID: ContinuousClock.Instant] = [:]
  /// The held and running synthesis jobs' reduces (their chunks' answers, read at claim).
  private var reduces: [AttemptID: StagedReduce] = [:]
  private var runningRequests = 0
  /// Outcomes not yet written (Redis was away); their leases are still renewed.
  private var unwritten: [JobOutcome] = []
  private var lastReclaim: ContinuousClock.Instant?
  /// When Redis was last in trouble for this loop (a call failed or had to reconnect, or a
  /// pass took longer than the lease): other workers may have been cut off with it,
  /// holding finished work they could not store yet. Their expired leases are left alone
  /// for one lease after this.
  private var lastRedisTrouble: ContinuousClock.Instant?
  private var lastComplaint: ContinuousClock.Instant?
  private var cancelledAt: ContinuousClock.Instant?
  private var averageRequests = 1.0

  init(configuration: WorkerConfiguration, executor: any JobExecutor, queue: QueueClient, keeper: LeaseKeeper,
       inbox: OutcomeInbox, status: WorkerStatus, stopDeadline: @escaping @Sendable () -> ContinuousClock.Instant?,
       logger: Logger, metrics: WorkerMetrics, live: LivePublisher, thread: DedicatedThreadExecutor? = nil) {
    self.configuration = configuration
    self.executor = executor
    self.queue = queue
    self.keeper = keeper
    self.inbox = inbox
    self.status = status
    self.stopDeadline = stopDeadline
    self.logger = logger
    self.metrics = metrics
    self.live = live
    self.thread = thread
  }

  private var capacity: Int { max(1, executor.capacity) }
  private var warmPrefixes: [String] { configuration.affinity ? status.snapshot.warm.recent : [] }

  mutating func run() async {
    while true {
      assert(thread?.isCurrentThread ?? true, "the claim loop left its thread")
      stopLost(inbox.takeLost())
      unwritten += inbox.take()
      let passStarted = ContinuousClock.now
      let reconnects = queue.redis.reconnectCount
      var redisHealthy = record()
      noteTrouble(healthy: redisHealthy, since: passStarted, reconnects: reconnects)
      var claimedFull = false
      if let deadline = stopDeadline() {
        if !backlog.isEmpty { giveBack(backlog.removeAll()) }
        if running.isEmpty && unwritten.isEmpty { return }
        let now = ContinuousClock.now
        if now >= deadline, cancelledAt == nil {
          logger.warning("grace period over: stopping \(running.count) job(s) and giving them back")
          cancelledAt = now
          for task in tasks.values { task.cancel() }
        }
        // A job that ignores cancellation must not keep the worker forever: its lease
        // goes back and its late result will be fenced.
        if let cancelledAt, now - cancelledAt > .seconds(5) {
          giveBack(Array(running.values))
          return
        }
      } else {
        startHeldJobs()
        // A pass whose outcomes could not be written claims nothing: Redis is away, and
        // more work would only be more to give back.
        if redisHealthy {
          do {
            claimedFull = try claim()
            startHeldJobs()
            if configuration.drain, running.isEmpty, backlog.isEmpty, unwritten.isEmpty, try queueIsEmpty() { return }
          } catch {
            complain("claiming failed, retrying: \(error)")
            redisHealthy = false
          }
        }
      }
      noteTrouble(healthy: redisHealthy, since: passStarted, reconnects: reconnects)
      if claimedFull && redisHealthy { continue }
      await inbox.wait(timeout: redisHealthy ? configuration.pollInterval : .seconds(1))
    }
  }

  /// Redis was in trouble until now if a call of this pass failed, had to reconnect (the
  /// outage may have ended only inside it, after retries), or the pass took a lease.
  private mutating func noteTrouble(healthy: Bool, since passStarted: ContinuousClock.Instant, reconnects: Int) {
    if !healthy || queue.redis.reconnectCount != reconnects || ContinuousClock.now - passStarted > configuration.lease {
      lastRedisTrouble = .now
    }
  }

  // MARK: - Claiming and starting

  /// Claims what free capacity and the prefetch allow; true if it got all it asked for.
  private mutating func claim() throws(QueueError) -> Bool {
    let freeRequests = max(0, capacity - runningRequests)
    let want = min(256, Int((Double(freeRequests) / max(1, averageRequests)).rounded(.up)) + configuration.prefetch - backlog.count)
    guard want > 0 else { return false }
    let now = ContinuousClock.now
    // After an outage, the workers cut off with this one come back at about the same
    // time, each with results finished in the dark: their leases expired, but their
    // holders store them at their first pass. Reclaiming those jobs at once would run
    // them a second time (the late result fenced, the work wasted), so expired leases
    // wait one lease past this worker's last trouble with Redis.
    let settled = lastRedisTrouble.map { now - $0 >= configuration.lease } ?? true
    let reclaim = settled && (lastReclaim.map { now - $0 >= min(configuration.lease / 2, .seconds(1)) } ?? true)
    if reclaim { lastReclaim = now }
    let claimed = try queue.claim(
      worker: configuration.workerID, count: want, leaseMilliseconds: configuration.leaseMilliseconds, reclaim: reclaim,
      preferring: warmPrefixes)
    for job in claimed {
      logger.debug("claimed", metadata: Self.about(job.lease).merging(["reclaimed": "\(job.reclaimed)"]) { $1 })
      if job.reclaimed { metrics.reclaims.increment() }
    }
    let prepared = try prepareSyntheses(claimed)
    for job in prepared {
      supersede(attemptsOf: job.lease.job)
      keeper.hold(job.lease)
      averageRequests = averageRequests * 0.9 + Double(job.spec.requests.count) * 0.1
    }
    backlog.add(prepared)
    status.update { $0.summary.claimed += claimed.count }
    return claimed.count == want
  }

  /// Synthesis jobs get their request from their group's chunk results (`SynthesisRequest`),
  /// and their reduce is kept for their run; one whose request cannot be built fails for
  /// good with the reason.
  private mutating func prepareSyntheses(_ claimed: [ClaimedJob]) throws(QueueError) -> [ClaimedJob] {
    var prepared: [ClaimedJob] = []
    // Kept only once every job is prepared: a claim that fails halfway holds nothing.
    var found: [AttemptID: StagedReduce] = [:]
    for job in claimed {
      guard job.spec.kind == .synthesis else {
        prepared.append(job)
        continue
      }
      do {
        let reduce = try SynthesisRequest.prepare(job, queue: queue, typesFolder: configuration.jobTypesFolder)
        found[job.attemptID] = reduce
        prepared.append(reduce.job)
      } catch let error as QueueError {
        throw error
      } catch {
        let result = try queue.finish(job.lease, failure: "building the synthesis request: \(error)", disposition: .permanent)
        logger.error("job finished", metadata: Self.about(job.lease).merging(
          ["state": "\(result.logName)", "error": "building the synthesis request: \(error)"]) { $1 })
        status.update { $0.summary.failed += 1 }
      }
    }
    reduces.merge(found) { $1 }
    return prepared
  }

  /// A new claim of a job this worker already holds (it reclaimed its own expired entry,
  /// or the job was cancelled and retried while held) makes the older attempt stale: its
  /// result would be fenced. A held one is dropped; a running one is stopped, and stays
  /// counted against capacity until its task ends.
  private mutating func supersede(attemptsOf job: String) {
    let stale = backlog.attempts(of: job) + running.keys.filter { $0.job == job }
    guard !stale.isEmpty else { return }
    logger.info("claimed again: stopping its older attempt", metadata: ["job": "\(job)"])
    stopLost(stale)
  }

  /// Stops attempts that are no longer this worker's: held ones leave the backlog at
  /// once, running ones are cancelled (their `.stopped` outcome then frees them).
  private mutating func stopLost(_ attempts: [AttemptID]) {
    for attempt in attempts {
      keeper.drop(attempt)
      if backlog.remove(attempt) != nil {
        reduces[attempt] = nil
        status.update { $0.summary.stopped += 1 }
      } else {
        tasks[attempt]?.cancel()
      }
    }
    for attempt in attempts where running[attempt] != nil {
      logger.info("stopping: cancelled, or lease taken over", metadata: Self.about(running[attempt]!.lease))
    }
  }

  private mutating func startHeldJobs() {
    while !backlog.isEmpty, runningRequests < capacity, let job = backlog.next(warm: warmPrefixes) {
      running[job.attemptID] = job
      startedAt[job.attemptID] = .now
      runningRequests += job.spec.requests.count
      let count = running.count
      status.update { state in
        state.warm.touch(job.prefixHash)
        state.runningJobs = count
      }
      tasks[job.attemptID] = launch(job)
    }
  }

  /// Runs `job` in its own task; its outcome goes to the inbox.
  private func launch(_ job: ClaimedJob) -> Task<Void, Never> {
    let (executor, inbox, keeper) = (self.executor, self.inbox, self.keeper)
    let live = job.spec.stream ? self.live : nil
    let reduce = reduces[job.attemptID]
    return Task {
      let startedAt = Date().timeIntervalSince1970
      defer { live?.end(job.lease) }
      do {
        let progress = { @Sendable (progress: JobProgress) in keeper.report(job.attemptID, progress) }
        let results: [RequestResult]
        if let reduce {
          results = try await reduce.run(on: executor, progress: progress)
        } else {
          results = try await executor.execute(
            job, progress: progress, text: live.map { live in { @Sendable text in live.append(job.lease, text) } })
        }
        if Task.isCancelled {
          inbox.post(.stopped(job))
        } else {
          inbox.post(.succeeded(job, results, startedAt: startedAt, finishedAt: Date().timeIntervalSince1970))
        }
      } catch let failure as ExecutionFailure {
        inbox.post(Task.isCancelled ? .stopped(job) : .failed(job, failure))
      } catch {
        inbox.post(Task.isCancelled || error is CancellationError ? .stopped(job) : .failed(job, ExecutionFailure("\(error)")))
      }
    }
  }

  private func queueIsEmpty() throws(QueueError) -> Bool {
    try queue.stats().isIdle
  }

  // MARK: - Writing outcomes

  /// Writes the outcomes in `unwritten`; false if Redis failed (they stay for the next pass).
  private mutating func record() -> Bool {
    guard !unwritten.isEmpty else { return true }
    let written = unwritten.compactMap { outcome -> String? in
      if case .stopped = outcome { return nil } else { return outcome.job.lease.job }
    }
    var successes: [(Lease, JobResult)] = []
    var rest: [JobOutcome] = []
    for outcome in unwritten {
      if case .succeeded(let job, let results, let startedAt, let finishedAt) = outcome {
        successes.append((job.lease, JobResult(
          job: job.lease.job, batch: job.lease.batch, attempt: job.lease.attempt, worker: configuration.workerID,
          executor: executor.identity, startedAt: startedAt, finishedAt: finishedAt, requests: results)))
      } else {
        rest.append(outcome)
      }
    }
    do {
      let stored = try queue.completeAll(successes)
      for ((lease, result), outcome) in zip(successes, stored) {
        status.update { state in
          if outcome == .stored { state.summary.succeeded += 1 } else { state.summary.fenced += 1 }
        }
        logFinish(lease, state: outcome.logName, tokens: result)
        done(lease.attemptID)
      }
      successes = []
      while let outcome = rest.first {
        try write(outcome)
        done(outcome.job.attemptID)
        rest.removeFirst()
      }
      unwritten = []
      archive(written)
      return true
    } catch {
      unwritten = successes.compactMap { lease, _ in unwritten.first { $0.job.lease == lease } } + rest
      complain("storing results failed, retrying: \(error)")
      return false
    }
  }

  /// Copies jobs whose outcome is stored to the archive (`worker --archive`). A failed copy
  /// is the archive's to try again; the jobs are stored in Redis, so the work goes on.
  private mutating func archive(_ jobs: [String]) {
    guard let archive = configuration.archive, !jobs.isEmpty else { return }
    do { try archive.archive(jobs: jobs, from: queue) } catch { complain("archiving \(jobs.count) job(s) failed, will retry: \(error)") }
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
      logFinish(job.lease, state: result.logName, error: failure.message)
      switch result {
      case .delayed: metrics.retries.increment()
      case .dead: metrics.deadLetters.increment()
      default: break
      }
      status.update { state in
        switch result {
        case .delayed: state.summary.retried += 1
        case .dead: state.summary.dead += 1
        case .failed: state.summary.failed += 1
        case .fenced: state.summary.fenced += 1
        case .stored: break
        }
      }
    case .stopped(let job):
      // Cancelled or taken over: the release is refused (token moved on). Stopping: it goes back.
      let released = try queue.release([job.lease])
      status.update { state in
        if released > 0 { state.summary.released += 1 } else { state.summary.stopped += 1 }
      }
    }
  }

  /// The one line per finished attempt: its state (`succeeded`, `delayed` for a retry to
  /// come, `dead`, `failed`, `fenced`), tokens, seconds and prefix tokens reused (and a
  /// synthesis's reduce stages, when it took more than one).
  private func logFinish(_ lease: Lease, state: String, tokens result: JobResult? = nil, error: String? = nil) {
    var metadata = Self.about(lease)
    metadata["state"] = "\(state)"
    if let started = startedAt[lease.attemptID] { metadata["seconds"] = .stringConvertible(seconds(ContinuousClock.now - started)) }
    if let result {
      metadata["prompt_tokens"] = .stringConvertible(result.promptTokens)
      metadata["generated_tokens"] = .stringConvertible(result.generatedTokens)
      metadata["reused_tokens"] = .stringConvertible(result.requests.reduce(0) { $0 + $1.reusedTokens })
      if let stages = result.requests.first?.reduce?.count, stages > 1 { metadata["reduce_stages"] = .stringConvertible(stages) }
    }
    if let error { metadata["error"] = "\(error)" }
    if error == nil { logger.info("job finished", metadata: metadata) } else { logger.warning("job finished", metadata: metadata) }
  }

  /// The metadata that ties a line to its job.
  static func about(_ lease: Lease) -> Logger.Metadata {
    ["job": "\(lease.job)", "batch": "\(lease.batch)", "attempt": .stringConvertible(lease.attempt)]
  }

  /// The attempt's outcome is written (or it went back): forget it, and only it.
  private mutating func done(_ attempt: AttemptID) {
    keeper.drop(attempt)
    tasks[attempt] = nil
    startedAt[attempt] = nil
    reduces[attempt] = nil
    if let finished = running.removeValue(forKey: attempt) { runningRequests -= finished.spec.requests.count }
    let count = running.count
    status.update { $0.runningJobs = count }
  }

  private mutating func giveBack(_ jobs: [ClaimedJob]) {
    guard !jobs.isEmpty else { return }
    do {
      let released = try queue.release(jobs.map(\.lease))
      status.update { $0.summary.released += released }
    } catch {
      complain("giving \(jobs.count) job(s) back failed; their leases will expire and another worker will take them: \(error)")
    }
    for job in jobs { done(job.attemptID) }
  }

  private mutating func complain(_ message: String) {
    let now = ContinuousClock.now
    if lastComplaint.map({ now - $0 > .seconds(10) }) ?? true {
      logger.warning("\(message)")
      lastComplaint = now
    }
  }
}

extension FinishOutcome {
  /// The state a finish line names: the job's new state, or `fenced` (the result was
  /// refused: the lease had moved on).
  var logName: String {
    switch self {
    case .stored: return "succeeded"
    case .delayed: return "delayed"
    case .dead: return "dead"
    case .failed: return "failed"
    case .fenced: return "fenced"
    }
  }
}
