import Foundation
import Logging
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport

/// Renews the worker's leases, writes job progress (at most once per
/// `progressInterval` per job) and the heartbeat, on a thread of its own with its
/// own Redis connection: a long engine step or a busy cooperative pool cannot
/// starve it, so a healthy worker never loses a lease to a slow step.
///
/// When a renewal finds an attempt is no longer this worker's (cancelled, or taken over
/// after a stall), it calls `onLost` so the worker stops it at once. Leases are held
/// per attempt (job and token): two attempts of one job never share an entry.
final class LeaseKeeper: Sendable {
  private struct Held {
    var lease: Lease
    var progress: JobProgress?
    var written: JobProgress?
    var lastWrite: ContinuousClock.Instant?
  }

  private struct Control {
    var stopped = false
  }

  private let configuration: WorkerConfiguration
  private let held = LockedValue<[AttemptID: Held]>([:])
  private let control = LockedValue(Control())
  private let condition = NSCondition()
  private let onLost: @Sendable ([AttemptID]) -> Void
  private let details: @Sendable () -> (info: [String: String], prefixes: [String])
  private let status: WorkerStatus
  private let notifier: BatchCompletionNotifier
  private let logger: Logger
  private let thread = LockedValue<DedicatedThread?>(nil)

  init(
    configuration: WorkerConfiguration, onLost: @escaping @Sendable ([AttemptID]) -> Void,
    details: @escaping @Sendable () -> (info: [String: String], prefixes: [String]),
    status: WorkerStatus, notifier: BatchCompletionNotifier, logger: Logger
  ) {
    self.notifier = notifier
    self.configuration = configuration
    self.onLost = onLost
    self.details = details
    self.status = status
    self.logger = logger
  }

  func start() {
    let started = DedicatedThread.start(name: "nightdesk-leases") { [self] in run() }
    thread.withLock { $0 = started }
  }

  /// Stops renewing (the worker has finished or given back every job) and waits for
  /// the thread. The thread may be inside a Redis call (up to its timeouts when Redis
  /// is away), so the caller's task suspends instead of holding one of the few
  /// cooperative threads.
  func stop() async {
    signalStop()
    await thread.current?.join()
  }

  private func signalStop() {
    control.withLock { $0.stopped = true }
    condition.lock()
    condition.broadcast()
    condition.unlock()
  }

  func hold(_ lease: Lease) { held.withLock { $0[lease.attemptID] = Held(lease: lease) } }

  func drop(_ attempt: AttemptID) { _ = held.withLock { $0.removeValue(forKey: attempt) } }

  func report(_ attempt: AttemptID, _ progress: JobProgress) {
    held.withLock { table in
      if table[attempt] != nil { table[attempt]?.progress = progress }
    }
  }

  private var isStopped: Bool { control.withLock { $0.stopped } }

  private func run() {
    var queue: QueueClient?
    var lastError: ContinuousClock.Instant?
    var lastTidy: ContinuousClock.Instant?
    var lastCounts: ContinuousClock.Instant?
    let gauges = QueueGauges()
    while true {
      condition.lock()
      if !isStopped { _ = condition.wait(until: Date().addingTimeInterval(seconds(configuration.renewInterval))) }
      condition.unlock()
      if isStopped {
        // The last jobs' finish may have ended a batch: its notice goes out before the worker does.
        if let final = queue ?? (try? connect()) { try? notifier.poll(final) }
        return
      }
      do {
        if queue == nil { queue = try connect() }
        guard let queue else { continue }
        try renew(queue)
        let (info, prefixes) = details()
        let ttl = max(3, Int(seconds(configuration.renewInterval) * 5) + 1)
        try queue.heartbeat(worker: configuration.workerID, details: info, heldPrefixes: prefixes, ttlSeconds: ttl)
        status.update { $0.redis = .reachable(.now) }
        try notifier.poll(queue)
        // Now and then, forget what dead workers and expired batches left behind.
        if lastTidy.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
          lastTidy = ContinuousClock.now
          _ = try? queue.tidy()
        }
        if let interval = configuration.queueMetricsInterval, lastCounts.map({ ContinuousClock.now - $0 >= interval }) ?? true {
          lastCounts = ContinuousClock.now
          gauges.publish(try queue.stats(), counts: try queue.sharedJobCounts(maxAge: interval))
        }
      } catch {
        // Redis away (restarting, network): keep trying every interval; say so now and then.
        let now = ContinuousClock.now
        status.update { state in
          if case .unreachable(_, let since) = state.redis {
            state.redis = .unreachable("\(error)", since: since)
          } else {
            state.redis = .unreachable("\(error)", since: now)
          }
        }
        if lastError.map({ now - $0 > .seconds(10) }) ?? true {
          logger.warning("lease renewal failed, retrying", metadata: ["error": "\(error)"])
          lastError = now
        }
      }
    }
  }

  private func connect() throws(RedisError) -> QueueClient {
    let redis = try RedisConnection(
      url: configuration.redisURL, options: .init(clientName: "nightdesk-leases-\(configuration.workerID)"))
    return QueueClient(redis: redis, keys: configuration.keys, retentionSeconds: configuration.retentionSeconds)
  }

  private func renew(_ queue: QueueClient) throws(QueueError) {
    let now = ContinuousClock.now
    let snapshot = held.withLock { table in
      table.values.map { entry -> (Lease, JobProgress?) in
        guard let progress = entry.progress, progress != entry.written,
          entry.lastWrite.map({ now - $0 >= configuration.progressInterval }) ?? true
        else { return (entry.lease, nil) }
        return (entry.lease, progress)
      }
    }
    guard !snapshot.isEmpty else { return }
    let states = try queue.renew(worker: configuration.workerID, leases: snapshot)
    var lost: [AttemptID] = []
    held.withLock { table in
      for ((lease, progress), state) in zip(snapshot, states) {
        let id = lease.attemptID
        guard table[id]?.lease == lease else { continue }
        if state != nil {
          table[id] = nil
          lost.append(id)
        } else if let progress {
          table[id]?.written = progress
          table[id]?.lastWrite = now
        }
      }
    }
    if !lost.isEmpty { onLost(lost) }
  }
}

func seconds(_ duration: Duration) -> Double {
  let (whole, attoseconds) = duration.components
  return Double(whole) + Double(attoseconds) / 1e18
}
