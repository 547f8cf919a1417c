import Foundation
import NightdeskQueue

/// Human-readable lines for the status commands.
enum BatchText {
  static func line(_ batch: BatchStatus) -> String {
    let states = JobState.allCases.compactMap { state -> String? in
      batch.count(state) > 0 ? "\(batch.count(state)) \(state.rawValue)" : nil
    }
    return "\(batch.batch)  \(batch.finished)/\(batch.total) finished  [\(states.joined(separator: ", "))]  "
      + "prompt \(batch.promptTokens) tok, generated \(batch.generatedTokens) tok" + (batch.isDone ? "  done" : "")
  }

  /// `[########------] 12/40 jobs  310 tok/s  ETA 2m10s`
  static func bar(_ batch: BatchStatus, tokensPerSecond: Double, eta: Double?, width: Int = 30) -> String {
    let fraction = batch.total > 0 ? Double(batch.finished) / Double(batch.total) : 0
    let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
    var text = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
    text += "\(batch.finished)/\(batch.total) jobs (\(batch.requestsDone)/\(batch.requests) requests)  \(batch.count(.running)) running  "
    text += String(format: "%.0f tok/s", tokensPerSecond)
    if let eta { text += "  ETA " + duration(eta) }
    let trouble = batch.count(.failed) + batch.count(.dead)
    if trouble > 0 { text += "  \(trouble) failed" }
    return text
  }

  static func duration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    if total >= 3600 { return "\(total / 3600)h\(total % 3600 / 60)m" }
    if total >= 60 { return "\(total / 60)m\(total % 60)s" }
    return "\(total)s"
  }
}

enum JobText {
  static func line(_ job: JobStatus) -> String {
    "\(job.id)  \(job.state.rawValue)  desk \(job.desk)  \(job.priority)  attempts \(job.attempts)/\(job.maxAttempts)"
      + (job.error.isEmpty ? "" : "  error: \(job.error.prefix(120))")
  }

  static func render(_ job: JobStatus) -> String {
    var lines = [line(job)]
    lines.append("  requests \(job.progress.requestsDone)/\(job.requests) done, prompt \(job.progress.promptTokens) tok, "
                 + "generated \(job.progress.generatedTokens) tok" + (job.worker.isEmpty ? "" : ", worker \(job.worker)"))
    return lines.joined(separator: "\n")
  }
}

enum QueueStatsText {
  static func render(_ stats: QueueStats) -> String {
    var lines: [String] = []
    if let jobs = stats.jobs {
      lines.append("jobs: " + JobState.allCases.map { "\(jobs[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", "))
    }
    for lane in stats.lanes { lines.append("\(lane.priority.rawValue):\t\(lane.queued) queued, \(lane.inFlight) in flight") }
    lines.append("delayed retries: \(stats.delayed), dead letters: \(stats.dead)")
    let alive = stats.workers.filter(\.isAlive)
    lines.append("workers alive: \(alive.count)")
    for worker in stats.workers {
      lines.append(String(format: "  %@  %@  last heartbeat %.1fs ago  running %@", worker.id,
                          worker.isAlive ? "alive" : "silent", worker.secondsSinceHeartbeat,
                          worker.details["running"] ?? "?"))
    }
    return lines.joined(separator: "\n")
  }
}
