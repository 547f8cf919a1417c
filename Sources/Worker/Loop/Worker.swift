import Foundation
import Logging
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
  /// Attempts stopped because they were cancelled, their lease was lost, or the worker
  /// claimed the job again (a newer attempt replaces them).
  public var stopped = 0
}

/// Claims jobs from the queue as the executor's capacity frees up, runs them,
/// stores each result once, retries failures with backoff, and stops gracefully.
///
/// A thin shell: the `ClaimLoop` owns the work (backlog, running attempts, their tasks),
/// a `LeaseKeeper` thread renews leases and writes progress and the heartbeat, and
/// job tasks report to an `OutcomeInbox`, which wakes the loop.
public final class Worker: Sendable {
  public let configuration: WorkerConfiguration
  private let executor: any JobExecutor
  private let inbox = OutcomeInbox()
  private let stopState = LockedValue<ContinuousClock.Instant?>(nil)
  private let status = WorkerStatus()
  private let logger: Logger
  private let metrics: WorkerMetrics

  /// Every line `logger` writes carries the worker's id (metadata `worker`); lines about
  /// one job carry `job` and `batch` too. Silent unless given a logger.
  public init(configuration: WorkerConfiguration, executor: any JobExecutor,
              logger: Logger = Logger(label: "nightdesk.worker") { _ in SwiftLogNoOpLogHandler() }) {
    self.configuration = configuration
    self.executor = executor
    var logger = logger
    logger[metadataKey: "worker"] = "\(configuration.workerID)"
    self.logger = logger
    metrics = WorkerMetrics()
  }

  /// Whether the worker holds its Redis: the lease keeper's last round trip succeeded
  /// recently. Nil before the worker has reached Redis (or after it stopped).
  public var redisHealth: RedisHealth { status.snapshot.redis }

  /// Stop claiming; in-flight jobs get the grace period, then go back to the queue.
  /// A second request cuts the grace short.
  public func requestStop() {
    let now = ContinuousClock.now
    stopState.withLock { deadline in
      deadline = deadline == nil ? now + configuration.grace : now
    }
    inbox.wake()
  }

  public var summary: WorkerSummary { status.snapshot.summary }

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
    let notifier = BatchCompletionNotifier(allowCommands: configuration.allowCompletionCommands, logger: logger)
    let keeper = LeaseKeeper(
      configuration: configuration,
      onLost: { [inbox] attempts in inbox.postLost(attempts) },
      details: { [status, executor, configuration] in
        let snapshot = status.snapshot
        let own = ["pid": String(getpid()), "model": executor.identity.model, "capacity": String(executor.capacity),
                   "running": String(snapshot.runningJobs), "queue": configuration.keys.namespace]
        return (configuration.advertised.merging(own) { _, mine in mine }, snapshot.warm.recent)
      },
      status: status, notifier: notifier, logger: logger)
    keeper.start()
    let live = LivePublisher(configuration: configuration, model: executor.identity.model, logger: logger)
    // Nothing below throws, so the keeper is always stopped (a `defer` cannot await).
    var loop = ClaimLoop(
      configuration: configuration, executor: executor, queue: queue, keeper: keeper, inbox: inbox, status: status,
      stopDeadline: { [stopState] in stopState.current }, logger: logger, metrics: metrics, live: live,
      thread: claimThread)
    await loop.run()
    await live.stop()
    await keeper.stop()
    await notifier.finishDeliveries(timeout: .seconds(70))
    try? queue.unregister(worker: configuration.workerID)
    status.update { $0.redis = .stopped }
    return summary
  }
}
