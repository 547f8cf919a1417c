import NightdeskRedis
import NightdeskRequests
import NightdeskSupport

/// What became of one submitted job.
public struct SubmittedJob: Sendable, Equatable {
  public enum Status: String, Sendable {
    /// Queued now.
    case new
    /// Its idempotency key was used before: `id` is the earlier job, nothing new was queued.
    case duplicate
    /// Its idempotency key names an earlier job with different content (or another
    /// desk's): not queued, and `id` is that job.
    case conflict
    /// The id is taken; not queued.
    case exists
  }

  public var id: String
  public var status: Status

  public init(id: String, status: Status) {
    self.id = id
    self.status = status
  }
}

public struct SubmitReceipt: Sendable, Equatable {
  public var batch: String
  /// One per submitted spec, in order.
  public var jobs: [SubmittedJob]
  /// A keyed submission that was made before (perhaps in part): `batch` is its batch.
  public var resumed = false

  public var queuedCount: Int { jobs.filter { $0.status == .new }.count }
}

extension QueueClient {
  /// Jobs per script call: large enough to amortise the round trip, small enough to
  /// keep each script short (Redis runs nothing else while a script runs).
  static let submitChunk = 128
  /// Script calls per round trip.
  static let submitCallsPerPipeline = 8

  /// What an idempotency key promises about its job: the spec (desk included) without its
  /// deadline, which moves with the clock between reruns.
  static func contentFingerprint(_ spec: JobSpec) -> String {
    var spec = spec
    spec.deadline = nil
    return PrefixHash.digest(JSONWriter.string(spec.json))
  }

  /// Every spec checked (`JobSpec.validate`, the size limit) and encoded, before anything
  /// is written: one bad entry refuses the submission, naming it, and leaves Redis untouched.
  static func validated(_ specs: [JobSpec]) throws(QueueError) -> [String] {
    var encoded: [String] = []
    encoded.reserveCapacity(specs.count)
    for (index, spec) in specs.enumerated() {
      do throws(RequestError) {
        try spec.validate(at: "job \(index + 1)")
      } catch {
        throw QueueError(.invalidArgument, error.description)
      }
      let text = JSONWriter.string(spec.json)
      guard text.utf8.count <= JobSpec.maxEncodedBytes else {
        throw QueueError(.invalidArgument,
          "job \(index + 1) is \(text.utf8.count) bytes as JSON; at most \(JobSpec.maxEncodedBytes) are allowed")
      }
      encoded.append(text)
    }
    return encoded
  }

  /// Queues `specs` as one batch (new, or appended to `batch`), in order; refuses them
  /// all when one is invalid (`validated`).
  public func submit(_ specs: [JobSpec], toBatch batch: String? = nil) throws(QueueError) -> SubmitReceipt {
    let batchID: String
    if let batch {
      try QueueIDs.validate(batch, what: "batch")
      guard !QueueIDs.isJobID(batch) else { throw QueueError(.invalidArgument, "'\(batch)' is a job id, not a batch id") }
      batchID = batch
    } else {
      var generator = SystemRandomNumberGenerator()
      batchID = QueueIDs.newBatchID(nowMilliseconds: try serverTimeMilliseconds(), using: &generator)
    }
    let encoded = try Self.validated(specs)
    var calls: [(RedisScript, [any RedisArgumentConvertible])] = []
    var start = 0
    while start < specs.count {
      let end = min(start + Self.submitChunk, specs.count)
      var arguments: [any RedisArgumentConvertible] = [batchID, specs[start].desk, end - start]
      arguments.reserveCapacity(3 + (end - start) * 8)
      for index in start..<end {
        let spec = specs[index]
        arguments.append(spec.priority.rawValue)
        arguments.append(encoded[index])
        arguments.append(spec.prefixHash)
        arguments.append(spec.requests.count)
        arguments.append(spec.maxAttempts)
        arguments.append(spec.deadline.map { String(Int64(($0 * 1000).rounded())) } ?? "")
        arguments.append(spec.idempotencyKey ?? "")
        arguments.append(spec.idempotencyKey == nil ? "" : Self.contentFingerprint(spec))
      }
      calls.append((QueueScripts.submit, arguments))
      start = end
    }
    var jobs: [SubmittedJob] = []
    jobs.reserveCapacity(specs.count)
    var next = 0
    while next < calls.count {
      let group = Array(calls[next..<min(next + Self.submitCallsPerPipeline, calls.count)])
      for reply in try runAll(group) {
        let items = try reply.scriptArray("submit")
        var index = 0
        while index + 1 < items.count {
          let id = items[index].string ?? ""
          let status = SubmittedJob.Status(rawValue: items[index + 1].string ?? "") ?? .exists
          jobs.append(SubmittedJob(id: id, status: status))
          index += 2
        }
      }
      next += group.count
    }
    return SubmitReceipt(batch: batchID, jobs: jobs)
  }
}

