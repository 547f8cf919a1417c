import Foundation
import NightdeskQueue
import NightdeskRedis

/// How a worker runs. Defaults suit production; tests shorten the times.
public struct WorkerConfiguration: Sendable {
  public var redisURL: RedisURL
  public var keys: QueueKeys
  public var workerID: String
  /// A claimed job whose lease is not renewed for this long is taken over by another worker.
  public var lease: Duration
  /// How often leases are renewed (and the heartbeat written); well below `lease`.
  public var renewInterval: Duration
  /// Progress of one job is written at most this often.
  public var progressInterval: Duration
  /// How long an idle worker waits before looking for work again.
  public var pollInterval: Duration
  /// Jobs claimed ahead of free capacity, so the executor never waits for a round
  /// trip and same-prefix jobs can be ordered back to back.
  public var prefetch: Int
  /// Exit once the queue is empty and nothing is in flight.
  public var drain: Bool
  /// After a stop request, in-flight jobs get this long to finish; the rest go back.
  public var grace: Duration
  public var backoff: Backoff
  public var retentionSeconds: Int
  /// Prefer jobs whose prefix this worker holds warm (claiming them ahead of the
  /// queue's order) and run held jobs sharing a prefix back to back. Off: plain FIFO
  /// (for comparisons).
  public var affinity = true
  /// Where a synthesis job's job type is looked up by name when the file recorded at
  /// submit is not on this machine.
  public var jobTypesFolder = "Jobs/types"
  /// How often the worker reads the whole queue's counts (jobs by state, depth by
  /// priority) for its metrics; nil (the default) never: only a worker that serves
  /// metrics pays for the reads.
  public var queueMetricsInterval: Duration?
  /// Run `--on-complete` commands of finished batches (URLs are always sent): only
  /// where the operator trusts every producer of the queue.
  public var allowCompletionCommands = false
  /// Shown beside the worker's heartbeat (`queue stats`, the dashboard), e.g. its kernel level.
  public var advertised: [String: String] = [:]
  /// Where finished jobs are copied after their outcome is stored (`worker --archive`), so
  /// they outlive Redis's retention.
  public var archive: (any JobArchive)?

  public init(
    redisURL: RedisURL, keys: QueueKeys, workerID: String = WorkerConfiguration.defaultWorkerID(),
    lease: Duration = .seconds(30), renewInterval: Duration = .seconds(1), progressInterval: Duration = .seconds(1),
    pollInterval: Duration = .milliseconds(200), prefetch: Int = 4, drain: Bool = false, grace: Duration = .seconds(30),
    backoff: Backoff = Backoff(), retentionSeconds: Int = QueueClient.defaultRetentionSeconds
  ) {
    self.redisURL = redisURL
    self.keys = keys
    self.workerID = workerID
    self.lease = lease
    self.renewInterval = renewInterval
    self.progressInterval = progressInterval
    self.pollInterval = pollInterval
    self.prefetch = prefetch
    self.drain = drain
    self.grace = grace
    self.backoff = backoff
    self.retentionSeconds = retentionSeconds
  }

  /// `host-pid-xxxx`: readable in `queue stats`, unique across restarts.
  public static func defaultWorkerID() -> String {
    let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
    let tag = String(UInt32.random(in: 0..<UInt32.max), radix: 36)
    return "\(host)-\(getpid())-\(tag)"
  }

  var leaseMilliseconds: Int {
    let (seconds, attoseconds) = lease.components
    return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
  }
}
