import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport

/// What a worker did, for its exit report and the tests.
public struct WorkerSummary: Sendable, Equatable {
  public var claimed = 0
  public var succeeded = 0
  /// Attempts that failed and were scheduled again, dead-lettered, or failed for good.
  public var retried = 0
  public var dead = 0
  public var failed = 0
  /// Results refused because the lease had moved on (cancelled or taken over).
  public var fenced = 0
  /// Jobs given back to the queue when stopping.
  public var released = 0
  /// Jobs stopped because they were cancelled or their lease was lost.
  public var stopped = 0
}

/// Claims jobs from the queue as the executor's capacity frees up, runs them,
/// stores each result once, retries failures with backoff, and stops gracefully.
///
/// The claim loop runs in `run()`'s task with its own Redis connection; leases,
/// progress and the heartbeat are kept by a `LeaseKeeper` thread; each job runs in
/// its own task and reports to an `OutcomeInbox`, which wakes the loop.
public final class Worker: Sendable {
  public let configuration: WorkerConfiguration
  private let executor: any JobExecutor
  private let inbox = OutcomeInbox()
  private let stopState = LockedValue<ContinuousClock.Instant?>(nil)
  private let tasks = LockedValue<[String: Task<Void, Never>]>([:])
  private let shared = LockedValue<SharedState>(SharedState())
  private let log: @Sendable (String) -> Void

  /// What the lease keeper publishes with the heartbeat.
  private struct SharedState {
    var warm = WarmPrefixes()
    var runningJobs = 0
    var summary = WorkerSummary()
  }

  public init(configuration: WorkerConfiguration, executor: any JobExecutor, log: @escaping @Sendable (String) -> Void = { _ in }) {
    self.configuration = configuration
    self.executor = executor
    self.log = log
  }

  /// Stop claiming; in-flight jobs get the grace period, then go back to the queue.
  /// A second request cuts the grace short.
  public func requestStop() {
    let now = ContinuousClock.now
    stopState.withLock { deadline in
      deadline = deadline == nil ? now + configuration.grace : now
    }
    inbox.wake()
  }

  public var summary: WorkerSummary { shared.withLock { $0.summary } }

  /// Runs until stopped (or, with `drain`, until the queue is empty and nothing is
  /// in flight). Throws only for a Redis that is unsafe or unreachable at start.
  public func run() async throws -> WorkerSummary {
    // Every Redis call of the worker's loop blocks (hiredis): they get a thread of their
    // own, off the cooperative pool, which carries the jobs' tasks.
    let claimThread = DedicatedThreadExecutor(name: "nd-claims")
    defer { claimThread.shutdown() }
    return try await withTaskExecutorPreference(claimThread) { try await run(on: claimThread) }
  }

  private func run(on claimThread: DedicatedThreadExecutor) async throws -> WorkerSummary {
    let redis: RedisConnection
    do {
      redis = try RedisConnection(url: configuration.redisURL, options: .init(clientName: "nightdesk-\(configuration.workerID)"))
    } catch {
      throw QueueError(error)
    }
    let queue = QueueClient(redis: redis, keys: configuration.keys, retentionSeconds: configuration.retentionSeconds)
    try queue.checkEvictionPolicy()
    let keeper = LeaseKeeper(
      configuration: configuration,
      onLost: { [tasks, log] jobs in
        let lost = tasks.withLock { table in jobs.compactMap { table[$0] } }
        if !lost.isEmpty { log("stopping \(jobs.count) job(s): cancelled, or lease taken over") }
        for task in lost { task.cancel() }
      },
      details: { [shared, executor, configuration] in
        shared.withLock { state in
          (["pid": String(getpid()), "model": executor.identity.model, "capacity": String(executor.capacity),
            "running": String(state.runningJobs), "queue": configuration.keys.namespace],
           state.warm.recent)
        }
      },
      log: log)
    keeper.start()
    // Nothing below throws, so the keeper is always stopped (a `defer` cannot await).
    var loop = ClaimLoop(worker: self, queue: queue, keeper: keeper, thread: claimThread)
    await loop.run()
    await keeper.stop()
    try? queue.unregister(worker: configuration.workerID)
    return summary
  }

  // MARK: - Used by ClaimLoop

  var stopDeadline: ContinuousClock.Instant? { stopState.current }
  var jobExecutor: any JobExecutor { executor }
  var outcomes: OutcomeInbox { inbox }
  func say(_ message: String) { log(message) }

  func update(_ body: (inout WorkerSummary) -> Void) { shared.withLock { body(&$0.summary) } }

  func started(_ job: ClaimedJob, running: Int) {
    shared.withLock { state in
      state.warm.touch(job.prefixHash)
      state.runningJobs = running
    }
  }

  func setRunning(_ running: Int) { shared.withLock { $0.runningJobs = running } }

  var warmPrefixes: [String] { shared.withLock { $0.warm.recent } }

  /// Starts `job` in its own task; its outcome goes to the inbox.
  func launch(_ job: ClaimedJob, keeper: LeaseKeeper) {
    let executor = self.executor
    let inbox = self.inbox
    let task = Task {
      let startedAt = Date().timeIntervalSince1970
      do {
        let results = try await executor.execute(job) { progress in keeper.report(job.lease.job, progress) }
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
    tasks.withLock { $0[job.lease.job] = task }
  }

  func forget(_ job: String) { _ = tasks.withLock { $0.removeValue(forKey: job) } }

  func cancelAll() {
    for task in tasks.withLock({ Array($0.values) }) { task.cancel() }
  }
}
