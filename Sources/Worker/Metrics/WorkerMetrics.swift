import Metrics
import NightdeskQueue

/// What a worker counts, through swift-metrics (whichever backend the process chose;
/// none by default, when every call is a no-op). Names follow Prometheus's rules, since
/// that is the backend `worker --metrics-port` serves.
final class WorkerMetrics: Sendable {
  /// Jobs this worker took over from a worker whose lease expired.
  let reclaims = Counter(label: "nightdesk_reclaims_total")
  /// Failed attempts this worker scheduled to run again.
  let retries = Counter(label: "nightdesk_retries_total")
  /// Jobs this worker dead-lettered (their last attempt failed).
  let deadLetters = Counter(label: "nightdesk_dead_letters_total")
}

/// The queue as a whole, read from Redis now and then (the lease keeper's thread, every
/// `WorkerConfiguration.queueMetricsInterval`): jobs by state, depth by priority, the
/// dead-letter stream's length. Every worker (and a scheduler with --metrics-port)
/// publishes the same numbers; a dashboard takes the max over them.
public struct QueueGauges {
  private let jobs = Dictionary(uniqueKeysWithValues: JobState.allCases.map {
    ($0, Gauge(label: "nightdesk_jobs", dimensions: [("state", $0.rawValue)]))
  })
  private let depth = Dictionary(uniqueKeysWithValues: Priority.allCases.map {
    ($0, Gauge(label: "nightdesk_queue_depth", dimensions: [("priority", $0.rawValue)]))
  })
  private let inFlight = Gauge(label: "nightdesk_jobs_in_flight")
  private let delayed = Gauge(label: "nightdesk_jobs_delayed")
  private let deadLetters = Gauge(label: "nightdesk_dead_letter_stream_length")

  public init() {}

  public func publish(_ stats: QueueStats, counts: [JobState: Int]) {
    for (state, gauge) in jobs { gauge.record(counts[state] ?? 0) }
    for lane in stats.lanes { depth[lane.priority]?.record(lane.queued) }
    inFlight.record(stats.lanes.reduce(stats.affinityInFlight) { $0 + $1.inFlight })
    delayed.record(stats.delayed)
    deadLetters.record(stats.dead)
  }
}
