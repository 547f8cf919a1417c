import NightdeskSupport

/// A batch's aggregate progress, from its counters hash.
public struct BatchStatus: Sendable, Equatable {
  public var batch: String
  public var desk: String
  /// Server time in ms.
  public var created: Int64
  public var total: Int
  public var counts: [JobState: Int]
  public var requests: Int
  public var requestsDone: Int
  /// Prompt tokens and generated tokens so far: finished jobs plus the running attempts' progress.
  public var promptTokens: Int
  public var generatedTokens: Int

  public func count(_ state: JobState) -> Int { counts[state] ?? 0 }

  public var finished: Int { JobState.allCases.filter(\.isFinished).reduce(0) { $0 + count($1) } }
  public var isDone: Bool { total > 0 && finished >= total }

  /// From the batch's counters hash as Redis holds it (or as the archive kept it); nil if it is not one.
  public init?(batch: String, hash: [String: String]) {
    guard let total = hash["total"].flatMap(Int.init) else { return nil }
    self.batch = batch
    desk = hash["desk"] ?? ""
    created = hash["created"].flatMap { Int64($0) } ?? 0
    self.total = total
    var counts: [JobState: Int] = [:]
    for state in JobState.allCases { counts[state] = hash[state.rawValue].flatMap(Int.init) ?? 0 }
    self.counts = counts
    requests = hash["requests"].flatMap(Int.init) ?? 0
    requestsDone = hash["requests_done"].flatMap(Int.init) ?? 0
    promptTokens = hash["prompt_tokens"].flatMap(Int.init) ?? 0
    generatedTokens = hash["generated_tokens"].flatMap(Int.init) ?? 0
  }

  public var json: JSONValue {
    var object = JSONObject()
    object["batch"] = .string(batch)
    object["desk"] = .string(desk)
    object["created_ms"] = .int(created)
    object["total"] = .int(Int64(total))
    // `held` (synthesis jobs waiting for their chunks) only when there are any: batches
    // without job types keep the fields they always had.
    for state in JobState.allCases where state != .held || count(state) > 0 {
      object[state.rawValue] = .int(Int64(count(state)))
    }
    object["requests"] = .int(Int64(requests))
    object["requests_done"] = .int(Int64(requestsDone))
    object["prompt_tokens"] = .int(Int64(promptTokens))
    object["generated_tokens"] = .int(Int64(generatedTokens))
    object["done"] = .bool(isDone)
    return .object(object)
  }
}

/// One job's record (without its spec unless asked for).
public struct JobStatus: Sendable, Equatable {
  public var id: String
  public var batch: String
  public var desk: String
  public var priority: String
  public var state: JobState
  public var attempts: Int
  public var maxAttempts: Int
  public var token: Int64
  public var worker: String
  public var error: String
  public var requests: Int
  public var progress: JobProgress
  public var created: Int64
  public var started: Int64?
  public var finished: Int64?
  public var prefixHash: String

  public static let fields = [
    "batch", "desk", "priority", "state", "attempts", "max_attempts", "token", "worker", "error", "requests",
    "p_prompt", "p_generated", "p_done", "created", "started", "finished", "prefix",
  ]

  /// From the job hash's `fields`, in their order (as Redis answers HMGET, or as the archive kept them).
  public init?(id: String, values: [String?]) {
    guard values.count == Self.fields.count, let stateText = values[3], let state = JobState(rawValue: stateText) else {
      return nil
    }
    func int(_ i: Int) -> Int { values[i].flatMap { Int($0) } ?? 0 }
    func int64(_ i: Int) -> Int64? { values[i].flatMap { Int64($0) } }
    self.id = id
    batch = values[0] ?? ""
    desk = values[1] ?? ""
    priority = values[2] ?? ""
    self.state = state
    attempts = int(4)
    maxAttempts = int(5)
    token = int64(6) ?? 0
    worker = values[7] ?? ""
    error = values[8] ?? ""
    requests = int(9)
    progress = JobProgress(promptTokens: int(10), generatedTokens: int(11), requestsDone: int(12))
    created = int64(13) ?? 0
    started = int64(14)
    finished = int64(15)
    prefixHash = values[16] ?? ""
  }

  public var json: JSONValue {
    var object = JSONObject()
    object["job"] = .string(id)
    object["batch"] = .string(batch)
    object["desk"] = .string(desk)
    object["priority"] = .string(priority)
    object["state"] = .string(state.rawValue)
    object["attempts"] = .int(Int64(attempts))
    object["max_attempts"] = .int(Int64(maxAttempts))
    object["worker"] = .string(worker)
    object["error"] = error.isEmpty ? .null : .string(error)
    object["requests"] = .int(Int64(requests))
    object["requests_done"] = .int(Int64(progress.requestsDone))
    object["prompt_tokens"] = .int(Int64(progress.promptTokens))
    object["generated_tokens"] = .int(Int64(progress.generatedTokens))
    object["created_ms"] = .int(created)
    object["started_ms"] = started.map { .int($0) } ?? .null
    object["finished_ms"] = finished.map { .int($0) } ?? .null
    object["prefix"] = .string(prefixHash)
    return .object(object)
  }
}
