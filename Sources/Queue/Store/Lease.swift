/// A worker's hold on one job: the stream entry it was delivered as, and the
/// fencing token of this claim. Every write for the job names the token; once
/// another claim (a reclaim after the lease expired) or a cancel moves the token
/// on, the old holder's writes are refused.
public struct Lease: Sendable, Hashable {
  public var job: String
  public var batch: String
  public var priority: Priority
  /// The stream the entry is in: the priority's, or `affinity`.
  public var lane: String
  public var entry: String
  public var token: Int64
  /// 1 for the first claim, counting reclaims and retries.
  public var attempt: Int

  public init(job: String, batch: String, priority: Priority, lane: String? = nil, entry: String, token: Int64, attempt: Int) {
    self.job = job
    self.batch = batch
    self.priority = priority
    self.lane = lane ?? priority.rawValue
    self.entry = entry
    self.token = token
    self.attempt = attempt
  }
}

/// A job a worker now holds.
public struct ClaimedJob: Sendable, Equatable {
  public var lease: Lease
  public var spec: JobSpec
  public var prefixHash: String
  /// Taken over from a worker whose lease expired (it died or stalled).
  public var reclaimed: Bool

  public init(lease: Lease, spec: JobSpec, prefixHash: String, reclaimed: Bool = false) {
    self.lease = lease
    self.spec = spec
    self.prefixHash = prefixHash
    self.reclaimed = reclaimed
  }
}

/// Where a job's running attempt stands, as written to Redis at most once a second.
public struct JobProgress: Sendable, Equatable {
  public var promptTokens: Int
  public var generatedTokens: Int
  public var requestsDone: Int

  public init(promptTokens: Int = 0, generatedTokens: Int = 0, requestsDone: Int = 0) {
    self.promptTokens = promptTokens
    self.generatedTokens = generatedTokens
    self.requestsDone = requestsDone
  }
}

/// What a failed attempt should lead to.
public enum FailureDisposition: Sendable, Equatable {
  /// Try again after `backoffMilliseconds` if attempts remain, else dead-letter.
  case retry(backoffMilliseconds: Int)
  /// The job cannot succeed (invalid request): fail it now.
  case permanent
}

/// What the queue did with a worker's final write.
public enum FinishOutcome: Sendable, Equatable {
  case stored
  case delayed
  case dead
  case failed
  /// The lease was no longer this worker's (reclaimed or cancelled): nothing was written.
  case fenced(state: String)
}
