import NightdeskQueue
import NightdeskRedis
import NightdeskStructured
import NightdeskSupport

/// What `POST /v1/batches` asks for, checked.
struct BatchRequest: Sendable {
  let inputFileID: String
  let endpoint: String
  /// As asked ("24h"), and in seconds.
  let completionWindow: String
  let windowSeconds: Int64
  let metadata: JSONValue

  init(json: JSONValue) throws(APIError) {
    guard let object = json.objectValue else { throw .invalidRequest("the body must be a JSON object") }
    guard let file = object["input_file_id"]?.stringValue, !file.isEmpty else {
      throw .invalidRequest("input_file_id is missing or not a string", param: "input_file_id")
    }
    guard let endpoint = object["endpoint"]?.stringValue else {
      throw .invalidRequest("endpoint is missing (expected \"\(OpenAIBatchInput.endpoint)\")", param: "endpoint")
    }
    guard endpoint == OpenAIBatchInput.endpoint else {
      throw .invalidRequest("endpoint '\(endpoint)' is not supported; only \(OpenAIBatchInput.endpoint) is",
                            param: "endpoint")
    }
    guard let window = object["completion_window"]?.stringValue else {
      throw .invalidRequest("completion_window is missing (e.g. \"24h\")", param: "completion_window")
    }
    guard let seconds = Self.windowSeconds(window) else {
      throw .invalidRequest("completion_window '\(window)' is not a duration such as 24h, 90m or 30s (at most 7d)",
                            param: "completion_window")
    }
    let metadata = object["metadata"] ?? .null
    if let fields = metadata.objectValue {
      guard fields.count <= 16, fields.pairs.allSatisfy({ $0.key.count <= 64 && ($0.value.stringValue?.count ?? 513) <= 512 })
      else {
        throw .invalidRequest("metadata holds at most 16 string values (keys up to 64 characters, values up to 512)",
                              param: "metadata")
      }
    } else if metadata != .null {
      throw .invalidRequest("metadata must be an object of strings", param: "metadata")
    }
    inputFileID = file
    self.endpoint = endpoint
    completionWindow = window
    windowSeconds = seconds
    self.metadata = metadata
  }

  /// "24h" (OpenAI's only window), or any number of s, m, h or d up to seven days: a
  /// short window is how a desk (and a test) sees `expired`.
  static func windowSeconds(_ text: String) -> Int64? {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count > 0 else { return nil }
    let seconds = count * unit
    return seconds <= 7 * 86400 ? seconds : nil
  }
}

/// The Batch API's reads and writes on one Redis connection. A batch's status is
/// derived from its queue batch whenever it is read, by whichever server reads it:
/// servers keep nothing in memory, and the one that first sees every job finished
/// writes the output and error files (under a short lock) for all of them.
struct BatchStore {
  let queue: QueueClient
  let keys: APIRedisKeys
  let files: FileStore

  init(queue: QueueClient) {
    self.queue = queue
    keys = APIRedisKeys(queue: queue.keys)
    files = FileStore(redis: queue.redis, keys: keys, retentionSeconds: queue.retentionSeconds)
  }

  var now: Int64 { get throws { try queue.serverTimeMilliseconds() / 1000 } }

  /// Validates the input file's lines and queues the valid ones; refused lines are the
  /// batch's `errors`, with their line numbers. A file with no valid line fails the batch.
  /// `fits`: the models every line must fit (see `ModelContexts`).
  func create(_ request: BatchRequest, desk: String, fitting fits: [ContextFit]) throws -> BatchRecord {
    guard let input = try files.get(request.inputFileID, desk: desk) else {
      throw APIError.notFound("File", request.inputFileID, param: "input_file_id")
    }
    guard input.purpose == "batch" else {
      throw APIError.invalidRequest("file \(input.id) has purpose '\(input.purpose)'; a batch's input needs 'batch'",
                                    param: "input_file_id")
    }
    let content = try files.content(input.id, desk: desk) ?? []
    let created = try now
    var record = BatchRecord(
      id: "batch_" + String(StoredFile.newID().dropFirst(5)), desk: desk, inputFileID: input.id,
      endpoint: request.endpoint, completionWindow: request.completionWindow, metadata: request.metadata,
      createdAt: created)
    let deadline = created + request.windowSeconds
    let parsed = OpenAIBatchInput.parse(
      content, defaults: DeskScope.jobDefaults(desk: desk, deadline: Double(deadline))
    ) { line in
      try StructuredSchema.check(line)
      if let refusal = fits.lazy.compactMap({ $0.refusal(line) }).first { throw refusal }
    }
    record.errors = parsed.rejected.map {
      ["code": "invalid_request", "message": .string($0.error), "param": nil, "line": .int(Int64($0.line))]
    }
    record.total = parsed.requestCount + parsed.rejected.count
    record.failed = parsed.rejected.count
    if parsed.jobs.isEmpty {
      record.status = .failed
      record.failedAt = created
      if record.errors.isEmpty {
        record.errors = [["code": "empty_file", "message": "the input file holds no requests", "param": nil, "line": nil]]
      }
    } else {
      record.queueBatch = try queue.submit(parsed.jobs).batch
      record.status = .inProgress
      record.inProgressAt = created
      record.expiresAt = deadline
    }
    try save(record, ttl: Int(request.windowSeconds) + queue.retentionSeconds)
    _ = try queue.redis.command("ZADD", keys.batches(desk: desk), created * 1000, record.id)
    return record
  }

  /// The batch as it stands now (nil when missing or another desk's).
  func get(_ id: String, desk: String) throws -> BatchRecord? {
    guard FileStore.isPlausibleID(id) else { return nil }
    let hash = QueueClient.hash(try queue.redis.command("HGETALL", keys.batch(id)))
    guard let record = BatchRecord(id: id, hash: hash), record.desk == desk else { return nil }
    return try refresh(record)
  }

  /// Cancels the queue batch's unfinished jobs (running generations stop within a
  /// second); the batch is `cancelling` until they have, then `cancelled`.
  func cancel(_ id: String, desk: String) throws -> BatchRecord? {
    guard var record = try get(id, desk: desk) else { return nil }
    switch record.status {
    case .inProgress:
      try cancelJobs(of: record)
      record.status = .cancelling
      record.cancellingAt = try now
      try save(record, ttl: nil)
      return try refresh(record)
    case .cancelling, .cancelled:
      return record
    default:
      throw APIError(status: .conflict, message: "Cannot cancel a batch with status '\(record.status.rawValue)'.",
                     type: "invalid_request_error", param: nil, code: "batch_not_cancellable")
    }
  }

  /// A desk's batches, newest first, from after `after` (a batch id), `limit` of them.
  func list(desk: String, after: String?, limit: Int) throws -> (batches: [BatchRecord], hasMore: Bool) {
    var start = 0
    if let after {
      guard let rank = try queue.redis.command("ZREVRANK", keys.batches(desk: desk), after).int else {
        throw APIError.notFound("Batch", after, param: "after")
      }
      start = Int(rank) + 1
    }
    let ids = (try queue.redis.command("ZREVRANGE", keys.batches(desk: desk), start, start + limit).array ?? [])
      .compactMap(\.string)
    var batches: [BatchRecord] = []
    for id in ids.prefix(limit) {
      if let record = try get(id, desk: desk) { batches.append(record) }
    }
    return (batches, ids.count > limit)
  }

  /// Moves an unfinished batch on: expires it once its window has passed, finalizes it
  /// once its jobs have all finished, and otherwise shows its progress.
  func refresh(_ stored: BatchRecord) throws -> BatchRecord {
    var record = stored
    guard !record.status.isFinal else { return record }
    let time = try now
    let status = try queue.batchStatus(record.queueBatch)
    let done = status?.isDone ?? true
    if !done, record.status == .inProgress, let expiresAt = record.expiresAt, time >= expiresAt {
      try cancelJobs(of: record)
      record.expiring = true
      record.status = .finalizing
      record.finalizingAt = time
      try save(record, ttl: nil)
    }
    guard done else {
      let finished = status?.requestsDone ?? 0
      record.completed = finished
      return record
    }
    return try finalize(record, now: time)
  }

  /// Writes the output and error files, once: the server that takes the lock writes
  /// them; the others show `finalizing` until it has.
  private func finalize(_ stored: BatchRecord, now time: Int64) throws -> BatchRecord {
    var record = stored
    let lock = try queue.redis.command("SET", keys.finalizing(record.id), "1", "NX", "EX", 120)
    guard lock.string == "OK" else {
      record.status = .finalizing
      return record
    }
    let records = try queue.records(try queue.jobIDs(ofBatch: record.queueBatch))
    // Jobs the window left unstarted failed on their deadline: expired, even if no
    // one read the batch between its deadline and its last job's end.
    if let expiresAt = record.expiresAt, time >= expiresAt, record.status == .inProgress,
      records.contains(where: { $0.state == .failed && OpenAIBatchFiles.endedUnanswered($0) })
    {
      record.expiring = true
    }
    let split = OpenAIBatchFiles.split(records, unfinishedCode: record.expiring ? "batch_expired" : nil)
    if record.finalizingAt == nil { record.finalizingAt = time }
    if !split.output.isEmpty {
      record.outputFileID = try files.create(
        content: Array(split.output.utf8), filename: "\(record.id)_output.jsonl", purpose: "batch_output",
        desk: record.desk, now: time
      ).id
    }
    if !split.errors.isEmpty {
      record.errorFileID = try files.create(
        content: Array(split.errors.utf8), filename: "\(record.id)_error.jsonl", purpose: "batch_output",
        desk: record.desk, now: time
      ).id
    }
    record.completed = split.completed
    record.failed = record.errors.count + split.failed
    if record.expiring {
      record.status = .expired
      record.expiredAt = time
    } else if record.status == .cancelling {
      record.status = .cancelled
      record.cancelledAt = time
    } else {
      record.status = .completed
      record.completedAt = time
    }
    try save(record, ttl: queue.retentionSeconds)
    return record
  }

  /// Cancels the queue batch's unfinished jobs; a queue batch already gone (past its
  /// retention) has nothing left to cancel.
  private func cancelJobs(of record: BatchRecord) throws {
    do {
      _ = try queue.cancel(target: record.queueBatch)
    } catch where error.kind == .notFound {
      return
    }
  }

  private func save(_ record: BatchRecord, ttl: Int?) throws {
    var arguments: [any RedisArgumentConvertible] = ["HSET", keys.batch(record.id)]
    for (key, value) in record.hashFields { arguments += [key, value] }
    var commands = [RedisCommand(arguments)]
    if let ttl { commands.append(RedisCommand("EXPIRE", keys.batch(record.id), ttl)) }
    for reply in try queue.redis.pipeline(commands) {
      if let message = reply.errorMessage { throw QueueError(.redis, "saving batch \(record.id): \(message)") }
    }
  }
}
