/// Which stream a job waits in. Workers read `high` before `normal` before `low`,
/// so a desk's urgent request overtakes the overnight bulk without reordering it.
public enum Priority: String, Sendable, CaseIterable, Comparable {
  case high, normal, low

  /// Claim order: lower ranks are read first.
  public var rank: Int {
    switch self {
    case .high: return 0
    case .normal: return 1
    case .low: return 2
    }
  }

  public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// Where a job stands. Every transition happens inside one Lua script, so the job
/// hash and its batch's counters never disagree.
public enum JobState: String, Sendable, CaseIterable {
  /// In its priority stream, not yet delivered to a worker.
  case queued
  /// Failed an attempt; waits in the delayed set until its backoff has passed.
  case delayed
  /// Claimed by a worker, which holds the lease (the stream's pending list).
  case running
  case succeeded
  /// Failed for good without exhausting its attempts (e.g. an invalid request, a passed deadline).
  case failed
  case cancelled
  /// Exhausted its attempts; its last error is in the dead-letter stream.
  case dead
  /// A document's synthesis job waiting for its group's chunk jobs to finish: stored,
  /// in no stream yet (the last chunk job's finish queues it).
  case held

  public var isFinished: Bool {
    switch self {
    case .succeeded, .failed, .cancelled, .dead: return true
    case .queued, .delayed, .running, .held: return false
    }
  }

  /// States `nightdesk retry` puts back in the queue.
  public var isRetryable: Bool {
    self == .failed || self == .dead || self == .cancelled
  }
}
