import NightdeskRedis
import NightdeskSupport

/// The worker's side of the queue: claim, renew, finish, give back.
extension QueueClient {
  /// Claims up to `count` jobs for `worker`: due retries are moved back first, then
  /// (with `reclaim`) jobs whose lease has been idle for `leaseMilliseconds`, then
  /// new jobs, high priority before normal before low. A job whose stored spec
  /// cannot be read fails at once and is not returned.
  public func claim(
    worker: String, count: Int, leaseMilliseconds: Int, reclaim: Bool, preferring warmPrefixes: [String] = []
  ) throws(QueueError) -> [ClaimedJob] {
    guard count > 0 else { return [] }
    let warm = Array(warmPrefixes.filter { !$0.isEmpty }.prefix(16))
    let reply = try run(QueueScripts.claim, [worker, count, leaseMilliseconds, reclaim ? "1" : "0", warm.count] + warm)
    let items = try reply.scriptArray("claim")
    var jobs: [ClaimedJob] = []
    var index = 0
    while index + 8 < items.count {
      defer { index += 9 }
      guard let id = items[index].string, let lane = items[index + 1].string,
        let entry = items[index + 2].string, let token = items[index + 3].int, let attempt = items[index + 4].int,
        let batch = items[index + 5].string
      else { throw QueueError(.protocolError, "the claim script answered a malformed job: \(reply.summary)") }
      let specBytes = items[index + 6].bytes ?? []
      do {
        let spec = try JobSpec(json: try JSONParser.parse(specBytes), at: "job \(id)")
        let lease = Lease(job: id, batch: batch, priority: spec.priority, lane: lane, entry: entry, token: token,
                          attempt: Int(attempt))
        jobs.append(ClaimedJob(lease: lease, spec: spec, prefixHash: items[index + 7].string ?? "",
                               reclaimed: items[index + 8].int == 1))
      } catch {
        let lease = Lease(job: id, batch: batch, priority: .normal, lane: lane, entry: entry, token: token, attempt: Int(attempt))
        _ = try finish(lease, failure: "the stored job cannot be read: \(error)", disposition: .permanent)
      }
    }
    return jobs
  }

  private func renewalArguments(worker: String, leases: [(Lease, JobProgress?)]) -> [any RedisArgumentConvertible] {
    var arguments: [any RedisArgumentConvertible] = [worker, leases.count]
    for (lease, progress) in leases {
      arguments += [lease.job, lease.token, lease.lane, lease.entry]
      if let progress {
        arguments += [progress.promptTokens, progress.generatedTokens, progress.requestsDone]
      } else {
        arguments += ["", "", ""]
      }
    }
    return arguments
  }

  /// Per lease: nil if still held, else the job's state (`cancelled`, `running` under
  /// another token, `missing`, ...), meaning the worker must stop it.
  static func renewalResults(_ reply: RedisReply, count: Int) throws(QueueError) -> [String?] {
    let items = try reply.scriptArray("renew")
    guard items.count == count else {
      throw QueueError(.protocolError, "the renew script answered \(items.count) results for \(count) leases")
    }
    return items.map { $0.int == 1 ? nil : ($0.string ?? "unknown") }
  }

  /// Renews `leases` (resets their idle time, the lease) and writes the progress
  /// given with them; see `renewalResults` for the answer.
  public func renew(worker: String, leases: [(Lease, JobProgress?)]) throws(QueueError) -> [String?] {
    guard !leases.isEmpty else { return [] }
    let reply = try run(QueueScripts.renew, renewalArguments(worker: worker, leases: leases))
    return try Self.renewalResults(reply, count: leases.count)
  }

  /// Stores `result` for `lease` (once; refused if the lease was taken over).
  public func complete(_ lease: Lease, result: JobResult) throws(QueueError) -> FinishOutcome {
    try completeAll([(lease, result)])[0]
  }

  /// Stores several results in one round trip.
  public func completeAll(_ items: [(Lease, JobResult)]) throws(QueueError) -> [FinishOutcome] {
    guard !items.isEmpty else { return [] }
    let calls: [(RedisScript, [any RedisArgumentConvertible])] = items.map { lease, result in
      (QueueScripts.complete, [lease.job, lease.token, JSONWriter.string(result.json), result.promptTokens,
                               result.generatedTokens, result.requests.count])
    }
    return try runAll(calls).map { reply throws(QueueError) in try Self.outcome(reply, script: "complete") }
  }

  /// Ends a failed attempt: retry later, dead-letter, or fail for good.
  public func finish(_ lease: Lease, failure message: String, disposition: FailureDisposition) throws(QueueError)
    -> FinishOutcome
  {
    let (mode, delay): (String, Int)
    switch disposition {
    case .retry(let backoff): (mode, delay) = ("retry", max(0, backoff))
    case .permanent: (mode, delay) = ("fail", 0)
    }
    let bounded = String(message.prefix(4000))
    return try Self.outcome(run(QueueScripts.fail, [lease.job, lease.token, bounded, mode, delay]), script: "fail")
  }

  /// Gives running jobs back to their queue (a stopping worker); returns how many were still held.
  @discardableResult
  public func release(_ leases: [Lease]) throws(QueueError) -> Int {
    guard !leases.isEmpty else { return 0 }
    var arguments: [any RedisArgumentConvertible] = [leases.count]
    for lease in leases { arguments += [lease.job, lease.token] }
    return try run(QueueScripts.release, arguments).scriptArray("release").filter { $0.int == 1 }.count
  }

  static func outcome(_ reply: RedisReply, script: String) throws(QueueError) -> FinishOutcome {
    let text = reply.string ?? ""
    switch text {
    case "ok", "duplicate": return .stored
    case "delayed": return .delayed
    case "dead": return .dead
    case "failed": return .failed
    default:
      if text.hasPrefix("fenced:") { return .fenced(state: String(text.dropFirst(7))) }
      throw QueueError(.protocolError, "the \(script) script answered \(reply.summary)")
    }
  }
}
