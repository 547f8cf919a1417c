import NightdeskRedis
import NightdeskSupport

/// A job with its spec and, once it succeeded, its result: what `results` formats.
public struct JobRecord: Sendable, Equatable {
  public var id: String
  public var batch: String
  public var state: JobState
  public var error: String
  public var spec: JobSpec?
  public var result: JobResult?

  public init(id: String, batch: String, state: JobState, error: String = "", spec: JobSpec?, result: JobResult?) {
    self.id = id
    self.batch = batch
    self.state = state
    self.error = error
    self.spec = spec
    self.result = result
  }

  /// A record from the bytes a store holds (Redis, or the archive that outlives it): a spec
  /// or result that cannot be read is left out, as `results` always did.
  public init(id: String, batch: String, state: JobState, error: String, specBytes: [UInt8]?, resultBytes: [UInt8]?) {
    self.init(id: id, batch: batch, state: state, error: error,
      spec: specBytes.flatMap { bytes in try? JobSpec(json: try JSONParser.parse(bytes), at: "job \(id)") },
      result: resultBytes.flatMap { bytes in try? JobResult(json: try JSONParser.parse(bytes)) })
  }
}

/// Reads for the status commands. Nothing here changes state.
extension QueueClient {
  /// Reads are pipelined in groups of this many commands.
  static let readChunk = 512

  public func batchStatus(_ batch: String) throws(QueueError) -> BatchStatus? {
    let reply = try command(RedisCommand("HGETALL", keys.batch(batch)))
    return BatchStatus(batch: batch, hash: Self.hash(reply))
  }

  public func jobStatus(_ id: String) throws(QueueError) -> JobStatus? {
    try jobStatuses([id])[0]
  }

  public func jobStatuses(_ ids: [String]) throws(QueueError) -> [JobStatus?] {
    let fields = JobStatus.fields
    return try chunkedPipeline(ids.map { RedisCommand(["HMGET", keys.job($0)] + fields) }).enumerated().map { index, reply in
      JobStatus(id: ids[index], values: (reply.array ?? []).map(\.string))
    }
  }

  /// The batch's job ids in submission order.
  public func jobIDs(ofBatch batch: String) throws(QueueError) -> [String] {
    var ids: [String] = []
    var start = 0
    while true {
      let reply = try command(RedisCommand("LRANGE", keys.batchJobs(batch), start, start + 9_999))
      let page = (reply.array ?? []).compactMap(\.string)
      ids += page
      if page.count < 10_000 { return ids }
      start += 10_000
    }
  }

  /// Batch ids, newest first.
  public func recentBatches(limit: Int) throws(QueueError) -> [String] {
    let reply = try command(RedisCommand("ZREVRANGE", keys.batches, 0, max(0, limit - 1)))
    return (reply.array ?? []).compactMap(\.string)
  }

  /// Jobs of recent batches, newest batch first, filtered by state and desk.
  public func list(state: JobState? = nil, desk: String? = nil, limit: Int = 100) throws(QueueError) -> [JobStatus] {
    var found: [JobStatus] = []
    for batch in try recentBatches(limit: 1000) {
      let statuses = try jobStatuses(try jobIDs(ofBatch: batch)).compactMap { $0 }
      for status in statuses where (state == nil || status.state == state) && (desk == nil || status.desk == desk) {
        found.append(status)
        if found.count >= limit { return found }
      }
    }
    return found
  }

  /// Specs and results of `ids`, in order; unknown ids are left out.
  public func records(_ ids: [String]) throws(QueueError) -> [JobRecord] {
    var commands: [RedisCommand] = []
    for id in ids {
      commands.append(RedisCommand("HMGET", keys.job(id), "batch", "state", "error", "spec"))
      commands.append(RedisCommand("GET", keys.result(id)))
    }
    let replies = try chunkedPipeline(commands)
    var records: [JobRecord] = []
    for (index, id) in ids.enumerated() {
      let values = replies[index * 2].array ?? []
      guard values.count == 4, let state = values[1].string.flatMap(JobState.init(rawValue:)) else { continue }
      records.append(JobRecord(id: id, batch: values[0].string ?? "", state: state, error: values[2].string ?? "",
                               specBytes: values[3].bytes, resultBytes: replies[index * 2 + 1].bytes))
    }
    return records
  }

  /// Jobs named by `target`: the job itself, or every job of the batch.
  public func jobIDs(target: String) throws(QueueError) -> [String] {
    try QueueIDs.validate(target, what: "job or batch")
    if QueueIDs.isJobID(target) {
      guard try command(RedisCommand("EXISTS", keys.job(target))).int == 1 else {
        throw QueueError(.notFound, "no job '\(target)' in queue '\(keys.namespace)' (finished jobs are kept for the retention only)")
      }
      return [target]
    }
    let ids = try jobIDs(ofBatch: target)
    guard !ids.isEmpty else {
      throw QueueError(.notFound, "no batch '\(target)' in queue '\(keys.namespace)'")
    }
    return ids
  }

  /// Depth and in-flight count per priority, retries waiting, dead letters, workers.
  public func stats(workerTimeoutSeconds: Double = 30) throws(QueueError) -> QueueStats {
    var commands: [RedisCommand] = []
    for priority in Priority.allCases {
      commands.append(RedisCommand("XLEN", keys.stream(priority)))
      commands.append(RedisCommand("XPENDING", keys.stream(priority), QueueKeys.group))
    }
    commands.append(RedisCommand("XPENDING", keys.prefix + "q:affinity", QueueKeys.group))
    commands += [
      RedisCommand("ZCARD", keys.delayed), RedisCommand("XLEN", keys.dead),
      RedisCommand("ZRANGE", keys.workers, 0, -1, "WITHSCORES"), RedisCommand("TIME"),
    ]
    let replies = try pipeline(commands)
    var lanes: [QueueStats.Lane] = []
    for (index, priority) in Priority.allCases.enumerated() {
      let length = Int(replies[index * 2].int ?? 0)
      // NOGROUP (no stream yet) comes back as an error reply: nothing in flight.
      let pending = Int(replies[index * 2 + 1].array?.first?.int ?? 0)
      lanes.append(QueueStats.Lane(priority: priority, queued: max(0, length - pending), inFlight: pending))
    }
    let affinity = Int(replies[Priority.allCases.count * 2].array?.first?.int ?? 0)
    let base = Priority.allCases.count * 2 + 1
    let time = replies[base + 3].array ?? []
    let now = (time.first?.int ?? 0) * 1000 + (time.count > 1 ? (time[1].int ?? 0) / 1000 : 0)
    let pairs = replies[base + 2].array ?? []
    var ids: [(String, Int64)] = []
    var index = 0
    while index + 1 < pairs.count {
      ids.append((pairs[index].string ?? "", Int64(Double(pairs[index + 1].string ?? "0") ?? 0)))
      index += 2
    }
    let details = try pipeline(ids.map { RedisCommand("HGETALL", keys.worker($0.0)) })
    let workers = zip(ids, details).map { pair, reply in
      let age = Double(now - pair.1) / 1000
      return QueueStats.WorkerInfo(id: pair.0, lastHeartbeat: pair.1, secondsSinceHeartbeat: age,
                                   details: Self.hash(reply), isAlive: age <= workerTimeoutSeconds)
    }
    return QueueStats(lanes: lanes, affinityInFlight: affinity, delayed: Int(replies[base].int ?? 0), dead: Int(replies[base + 1].int ?? 0),
                      workers: workers)
  }

  func chunkedPipeline(_ commands: [RedisCommand]) throws(QueueError) -> [RedisReply] {
    var replies: [RedisReply] = []
    replies.reserveCapacity(commands.count)
    var start = 0
    while start < commands.count {
      replies += try pipeline(Array(commands[start..<min(start + Self.readChunk, commands.count)]))
      start += Self.readChunk
    }
    return replies
  }

  /// A HGETALL reply as a dictionary.
  public static func hash(_ reply: RedisReply) -> [String: String] {
    let items = reply.array ?? []
    var hash: [String: String] = [:]
    var index = 0
    while index + 1 < items.count {
      if let key = items[index].string { hash[key] = items[index + 1].string ?? "" }
      index += 2
    }
    return hash
  }
}
