import NightdeskRedis

/// A job exactly as Redis holds it: its status fields, and its spec and result in the
/// stored bytes, so an archived copy renders byte for byte what `results` renders today.
public struct JobSnapshot: Sendable, Equatable {
  public var id: String
  public var batch: String
  public var state: JobState
  /// The fencing token of the job's last claim: a newer copy never yields to an older one.
  public var token: Int64
  /// The job hash's `JobStatus.fields`, in their order.
  public var fields: [String?]
  public var spec: [UInt8]?
  public var result: [UInt8]?

  public init(id: String, batch: String, state: JobState, token: Int64, fields: [String?], spec: [UInt8]?,
              result: [UInt8]?) {
    self.id = id
    self.batch = batch
    self.state = state
    self.token = token
    self.fields = fields
    self.spec = spec
    self.result = result
  }

  public var status: JobStatus? { JobStatus(id: id, values: fields) }

  public var record: JobRecord {
    JobRecord(id: id, batch: batch, state: state, error: status?.error ?? "", specBytes: spec, resultBytes: result)
  }
}

extension QueueClient {
  /// Snapshots of `ids`, in order; unknown ids are left out.
  public func snapshots(_ ids: [String]) throws(QueueError) -> [JobSnapshot] {
    var commands: [RedisCommand] = []
    for id in ids {
      commands.append(RedisCommand(["HMGET", keys.job(id)] + JobStatus.fields + ["spec"]))
      commands.append(RedisCommand("GET", keys.result(id)))
    }
    let replies = try chunkedPipeline(commands)
    var snapshots: [JobSnapshot] = []
    for (index, id) in ids.enumerated() {
      let values = replies[index * 2].array ?? []
      guard values.count == JobStatus.fields.count + 1, let status = JobStatus(id: id, values: values.dropLast().map(\.string))
      else { continue }
      snapshots.append(JobSnapshot(
        id: id, batch: status.batch, state: status.state, token: status.token, fields: values.dropLast().map(\.string),
        spec: values.last?.bytes, result: replies[index * 2 + 1].bytes))
    }
    return snapshots
  }

  /// The batch's counters hash as stored (empty when Redis no longer holds the batch).
  public func batchHash(_ batch: String) throws(QueueError) -> [String: String] {
    Self.hash(try command(RedisCommand("HGETALL", keys.batch(batch))))
  }
}
