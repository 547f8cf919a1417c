import NightdeskRedis

/// What one desk may put in its queue, kept in Redis beside the queue (`nd:{NAME}:limits`,
/// a hash) and enforced at submit. A desk is a queue: its jobs, results and limits live
/// under its own key prefix, which its ACL users are confined to (`DeskUsers`).
public struct DeskLimits: Sendable, Equatable {
  /// Bytes of text a document may have: a job's longest prompt, or for a `--type` document
  /// its chunks' prompts added up (overlaps included).
  public var maxDocumentBytes: Int?
  /// Tokens a job may ask to generate: its requests' `max_tokens` added up.
  public var maxJobTokens: Int?
  /// Jobs one submission may queue into a batch.
  public var maxBatchJobs: Int?
  /// Batches with unfinished jobs the desk may have at once; a new batch beyond it is refused.
  public var maxBatchesInFlight: Int?

  public init(maxDocumentBytes: Int? = nil, maxJobTokens: Int? = nil, maxBatchJobs: Int? = nil, maxBatchesInFlight: Int? = nil) {
    self.maxDocumentBytes = maxDocumentBytes
    self.maxJobTokens = maxJobTokens
    self.maxBatchJobs = maxBatchJobs
    self.maxBatchesInFlight = maxBatchesInFlight
  }

  /// The hash fields, in the order `desk limits` shows them.
  public static let fields = ["max_document_bytes", "max_job_tokens", "max_batch_jobs", "max_batches_in_flight"]

  var values: [Int?] { [maxDocumentBytes, maxJobTokens, maxBatchJobs, maxBatchesInFlight] }

  public var isEmpty: Bool { values.allSatisfy { $0 == nil } }

  init(hash: [String: String]) {
    let value = { (field: String) in hash[field].flatMap { Int($0) } }
    self.init(maxDocumentBytes: value("max_document_bytes"), maxJobTokens: value("max_job_tokens"),
              maxBatchJobs: value("max_batch_jobs"), maxBatchesInFlight: value("max_batches_in_flight"))
  }

  /// The set limits as field and value.
  public var pairs: [(field: String, value: Int)] {
    zip(Self.fields, values).compactMap { field, value in value.map { (field, $0) } }
  }

  /// Refuses `specs` (one submission) over a limit, naming the desk, the limit, its value
  /// and what the submission asked for. `inFlight` is the desk's unfinished batches when a
  /// new batch would be made, else nil.
  public func check(_ specs: [JobSpec], desk: String, inFlight: Int?) throws(QueueError) {
    func refuse(_ limit: String, _ value: Int, _ what: String) -> QueueError {
      QueueError(.limitExceeded, "desk '\(desk)' refused the submission: \(limit) is \(value), \(what)")
    }
    if let maxBatchJobs, specs.count > maxBatchJobs {
      throw refuse("max_batch_jobs", maxBatchJobs, "and it has \(specs.count) jobs")
    }
    if let maxBatchesInFlight, let inFlight, inFlight >= maxBatchesInFlight {
      throw refuse("max_batches_in_flight", maxBatchesInFlight,
        "and \(inFlight) batch(es) are unfinished; wait for one to finish, or add to one with --batch")
    }
    if let maxJobTokens {
      for (index, spec) in specs.enumerated() {
        let tokens = spec.requests.reduce(0) { $0 + $1.sampling.maxTokens }
        if tokens > maxJobTokens {
          throw refuse("max_job_tokens", maxJobTokens, "and job \(index + 1) asks for \(tokens) tokens (its requests' max_tokens added up)")
        }
      }
    }
    if let maxDocumentBytes {
      var groups: [String: Int] = [:]
      for (index, spec) in specs.enumerated() {
        let bytes = spec.requests.map { $0.messages.reduce(0) { $0 + $1.content.utf8.count } }.max() ?? 0
        if let group = spec.group, group.role == .chunk {
          groups[group.id, default: 0] += bytes
          if groups[group.id]! > maxDocumentBytes {
            throw refuse("max_document_bytes", maxDocumentBytes,
              "and the document \(Self.source(spec)) has at least \(groups[group.id]!) bytes")
          }
        } else if bytes > maxDocumentBytes {
          throw refuse("max_document_bytes", maxDocumentBytes, "and job \(index + 1)'s prompt has \(bytes) bytes")
        }
      }
    }
  }

  private static func source(_ spec: JobSpec) -> String {
    spec.document?["source"]?.stringValue.map { "'\($0)'" } ?? "of group \(spec.group?.id ?? "")"
  }
}

extension QueueKeys {
  /// The desk's limits (`DeskLimits`), a hash.
  public var limits: String { prefix + "limits" }
}

extension QueueClient {
  public func deskLimits() throws(QueueError) -> DeskLimits {
    DeskLimits(hash: Self.hash(try command(RedisCommand("HGETALL", keys.limits))))
  }

  /// Sets the given limits (nil leaves one as it is); `clear` removes every limit first.
  public func setDeskLimits(_ limits: DeskLimits, clear: Bool = false) throws(QueueError) {
    var commands: [RedisCommand] = []
    if clear { commands.append(RedisCommand("DEL", keys.limits)) }
    let pairs = limits.pairs
    if !pairs.isEmpty { commands.append(RedisCommand(["HSET", keys.limits] + pairs.flatMap { [$0.field, String($0.value)] })) }
    for reply in try pipeline(commands) {
      if let message = reply.errorMessage { throw QueueError(.redis, "setting the limits of desk '\(keys.namespace)' failed: \(message)") }
    }
  }

  /// Refuses a submission over the desk's limits (none set: nothing to check). `newBatch`:
  /// the submission makes a batch (not `--batch`, not a keyed submission made before).
  public func checkDeskLimits(_ specs: [JobSpec], newBatch: Bool, submissionKey: String? = nil) throws(QueueError) {
    let limits = try deskLimits()
    guard !limits.isEmpty else { return }
    var inFlight: Int?
    if newBatch, limits.maxBatchesInFlight != nil {
      let resumed = try submissionKey.map { key throws(QueueError) in
        try command(RedisCommand("EXISTS", keys.submission(key))).int == 1
      } ?? false
      if !resumed { inFlight = try unfinishedBatches() }
    }
    try limits.check(specs, desk: keys.namespace, inFlight: inFlight)
  }

  /// Batches of the queue with jobs still to run, among its newest 10,000.
  func unfinishedBatches() throws(QueueError) -> Int {
    let batches = try recentBatches(limit: 10_000)
    let replies = try chunkedPipeline(batches.map { RedisCommand("HMGET", keys.batch($0), "queued", "delayed", "running", "held") })
    return replies.filter { reply in (reply.array ?? []).contains { ($0.int ?? 0) > 0 } }.count
  }
}
