import NightdeskSupport

/// An OpenAI batch object as kept in Redis (`api:batch:<id>`): what the desk asked for,
/// the queue batch that runs it, its stage timestamps (Unix seconds) and, once
/// finalized, its output and error files and counts.
struct BatchRecord: Sendable, Equatable {
  /// OpenAI's statuses. `validating` lasts only while `POST /v1/batches` reads the file.
  enum Status: String, Sendable {
    case validating, failed, inProgress = "in_progress", finalizing, completed, expired, cancelling, cancelled

    var isFinal: Bool { [.failed, .completed, .expired, .cancelled].contains(self) }
  }

  var id: String
  var desk: String
  /// The queue's batch (empty when validation refused every line).
  var queueBatch: String
  var inputFileID: String
  var endpoint: String
  var completionWindow: String
  var metadata: JSONValue
  /// Lines refused at validation: `{"code", "message", "param", "line"}`.
  var errors: [JSONValue]
  var status: Status
  var createdAt: Int64
  var inProgressAt: Int64?
  var expiresAt: Int64?
  var finalizingAt: Int64?
  var completedAt: Int64?
  var failedAt: Int64?
  var expiredAt: Int64?
  var cancellingAt: Int64?
  var cancelledAt: Int64?
  var outputFileID: String?
  var errorFileID: String?
  /// Requests in the input file (refused lines included).
  var total: Int
  var completed: Int
  var failed: Int
  /// The completion window passed with requests unanswered: the queue batch was
  /// cancelled, and the batch ends `expired` once its jobs have all stopped.
  var expiring = false

  init(id: String, desk: String, inputFileID: String, endpoint: String, completionWindow: String, metadata: JSONValue,
       createdAt: Int64) {
    self.id = id
    self.desk = desk
    queueBatch = ""
    self.inputFileID = inputFileID
    self.endpoint = endpoint
    self.completionWindow = completionWindow
    self.metadata = metadata
    errors = []
    status = .validating
    self.createdAt = createdAt
    total = 0
    completed = 0
    failed = 0
  }

  init?(id: String, hash: [String: String]) {
    guard let desk = hash["desk"], let status = hash["status"].flatMap(Status.init(rawValue:)) else { return nil }
    self.id = id
    self.desk = desk
    queueBatch = hash["queue_batch"] ?? ""
    inputFileID = hash["input_file_id"] ?? ""
    endpoint = hash["endpoint"] ?? ""
    completionWindow = hash["completion_window"] ?? ""
    metadata = hash["metadata"].flatMap { try? JSONParser.parse($0) } ?? .null
    errors = hash["errors"].flatMap { try? JSONParser.parse($0) }?.arrayValue ?? []
    self.status = status
    func time(_ key: String) -> Int64? { hash[key].flatMap { Int64($0) } }
    createdAt = time("created_at") ?? 0
    inProgressAt = time("in_progress_at")
    expiresAt = time("expires_at")
    finalizingAt = time("finalizing_at")
    completedAt = time("completed_at")
    failedAt = time("failed_at")
    expiredAt = time("expired_at")
    cancellingAt = time("cancelling_at")
    cancelledAt = time("cancelled_at")
    outputFileID = hash["output_file_id"]
    errorFileID = hash["error_file_id"]
    total = hash["total"].flatMap { Int($0) } ?? 0
    completed = hash["completed"].flatMap { Int($0) } ?? 0
    failed = hash["failed"].flatMap { Int($0) } ?? 0
    expiring = hash["expiring"] == "1"
  }

  /// Every field, for HSET.
  var hashFields: [(String, String)] {
    var fields: [(String, String)] = [
      ("desk", desk), ("queue_batch", queueBatch), ("input_file_id", inputFileID), ("endpoint", endpoint),
      ("completion_window", completionWindow), ("metadata", JSONWriter.string(metadata)),
      ("errors", JSONWriter.string(.array(errors))), ("status", status.rawValue), ("created_at", String(createdAt)),
      ("total", String(total)), ("completed", String(completed)), ("failed", String(failed)),
      ("expiring", expiring ? "1" : "0"),
    ]
    let times: [(String, Int64?)] = [
      ("in_progress_at", inProgressAt), ("expires_at", expiresAt), ("finalizing_at", finalizingAt),
      ("completed_at", completedAt), ("failed_at", failedAt), ("expired_at", expiredAt),
      ("cancelling_at", cancellingAt), ("cancelled_at", cancelledAt),
    ]
    for (key, value) in times { if let value { fields.append((key, String(value))) } }
    if let outputFileID { fields.append(("output_file_id", outputFileID)) }
    if let errorFileID { fields.append(("error_file_id", errorFileID)) }
    return fields
  }

  /// The batch object of OpenAI's API reference.
  var json: JSONValue {
    func time(_ value: Int64?) -> JSONValue { value.map { .int($0) } ?? .null }
    return [
      "id": .string(id), "object": "batch", "endpoint": .string(endpoint),
      "errors": errors.isEmpty ? .null : ["object": "list", "data": .array(errors)],
      "input_file_id": .string(inputFileID), "completion_window": .string(completionWindow),
      "status": .string(status.rawValue),
      "output_file_id": outputFileID.map { .string($0) } ?? .null,
      "error_file_id": errorFileID.map { .string($0) } ?? .null,
      "created_at": .int(createdAt), "in_progress_at": time(inProgressAt), "expires_at": time(expiresAt),
      "finalizing_at": time(finalizingAt), "completed_at": time(completedAt), "failed_at": time(failedAt),
      "expired_at": time(expiredAt), "cancelling_at": time(cancellingAt), "cancelled_at": time(cancelledAt),
      "request_counts": [
        "total": .int(Int64(total)), "completed": .int(Int64(completed)), "failed": .int(Int64(failed)),
      ],
      "metadata": metadata,
    ]
  }
}
