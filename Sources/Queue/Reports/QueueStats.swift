import NightdeskSupport

/// The whole queue at a glance: `nightdesk queue stats`.
public struct QueueStats: Sendable, Equatable {
  public struct Lane: Sendable, Equatable {
    public var priority: Priority
    /// Waiting, not yet delivered.
    public var queued: Int
    /// Delivered to a worker and not yet acknowledged.
    public var inFlight: Int
  }

  public struct WorkerInfo: Sendable, Equatable {
    public var id: String
    /// Server time in ms of its last heartbeat.
    public var lastHeartbeat: Int64
    public var secondsSinceHeartbeat: Double
    /// What it reported with its heartbeat (host, pid, model, jobs in flight, ...).
    public var details: [String: String]
    public var isAlive: Bool
  }

  public var lanes: [Lane]
  /// Jobs in flight that were pulled ahead by prefix affinity (any priority).
  public var affinityInFlight: Int
  public var delayed: Int
  public var dead: Int
  public var workers: [WorkerInfo]
  /// Jobs by state over the batches Redis holds (`QueueClient.jobCounts`); nil when not read.
  public var jobs: [JobState: Int]?

  /// Nothing waiting, delayed or in flight anywhere.
  public var isIdle: Bool { delayed == 0 && affinityInFlight == 0 && lanes.allSatisfy { $0.queued == 0 && $0.inFlight == 0 } }

  public var json: JSONValue {
    var object = JSONObject()
    var depth = JSONObject()
    var inFlight = JSONObject()
    for lane in lanes {
      depth[lane.priority.rawValue] = .int(Int64(lane.queued))
      inFlight[lane.priority.rawValue] = .int(Int64(lane.inFlight))
    }
    object["queued"] = .object(depth)
    inFlight["affinity"] = .int(Int64(affinityInFlight))
    object["in_flight"] = .object(inFlight)
    object["delayed"] = .int(Int64(delayed))
    object["dead"] = .int(Int64(dead))
    if let jobs {
      var byState = JSONObject()
      for state in JobState.allCases { byState[state.rawValue] = .int(Int64(jobs[state] ?? 0)) }
      object["jobs"] = .object(byState)
    }
    object["workers"] = .array(
      workers.map { worker in
        var entry = JSONObject()
        entry["id"] = .string(worker.id)
        entry["alive"] = .bool(worker.isAlive)
        entry["last_heartbeat_ms"] = .int(worker.lastHeartbeat)
        entry["seconds_since_heartbeat"] = .double(worker.secondsSinceHeartbeat)
        for key in worker.details.keys.sorted() { entry[key] = .string(worker.details[key] ?? "") }
        return .object(entry)
      })
    return .object(object)
  }
}
