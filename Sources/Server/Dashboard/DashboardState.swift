import NightdeskQueue
import NightdeskSupport

/// What the dashboard shows, read from the queue in one go: recent batches with their
/// counts and tokens, jobs by state, the latest failures with their reasons, and the
/// workers with their models and kernel levels. Tokens per second and ETA are worked
/// out by the page from successive readings.
enum DashboardState {
  static let batchLimit = 30
  static let failureLimit = 20

  /// `desk` nil: every desk (the open, loopback-only server); else that desk's only.
  static func read(_ queue: QueueClient, desk: String?) throws -> JSONValue {
    let stats = try queue.stats(workerTimeoutSeconds: QueueClient.heartbeatLapseSeconds)
    var batches: [JSONValue] = []
    var byState: [JobState: Int] = [:]
    for id in try queue.recentBatches(limit: batchLimit * 4) {
      guard let status = try queue.batchStatus(id), desk == nil || status.desk == desk.map(DeskScope.queueDesk) else {
        continue
      }
      for state in JobState.allCases { byState[state, default: 0] += status.count(state) }
      batches.append(status.json)
      if batches.count >= batchLimit { break }
    }
    var failures: [JSONValue] = []
    for state in [JobState.dead, .failed] {
      for job in try queue.list(state: state, desk: desk.map(DeskScope.queueDesk), limit: failureLimit) where failures.count < failureLimit {
        failures.append(["job": .string(job.id), "batch": .string(job.batch), "desk": .string(job.desk),
                         "state": .string(job.state.rawValue), "error": .string(job.error)])
      }
    }
    var states = JSONObject()
    for state in JobState.allCases { states[state.rawValue] = .int(Int64(byState[state] ?? 0)) }
    return [
      "now_ms": .int(try queue.serverTimeMilliseconds()), "desk": desk.map { .string($0) } ?? .null,
      "queue": stats.json, "jobs_by_state": .object(states), "batches": .array(batches), "failures": .array(failures),
    ]
  }
}
