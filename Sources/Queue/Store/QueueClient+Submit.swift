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
  ///
  /// Up to `submitChunk` jobs are one script call, written whole or not at all (Redis
  /// refuses a script for memory only before its first write). More take several calls,
  /// and Redis can refuse one halfway (at `maxmemory`, or the connection drops): such a
  /// submission takes a submission key of its own, the new batch's id (`<batch>+<tag>`
  /// when appending), so that the same submit run again with `--idempotency-key` and that
  /// key queues only what is missing. The refusal names the batch, what was queued and
  /// the key (`partialRefusal`).
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
    guard specs.count > Self.submitChunk else {
      return try queueJobs(specs, encoded: try Self.validated(specs), inBatch: batchID, resumeWith: nil)
    }
    let key = batch.map { "\($0)+\(String(UInt32.random(in: 0..<UInt32.max), radix: 36))" } ?? batchID
    return try submit(specs, toBatch: batchID, submissionKey: key, automatic: true)
  }

  /// Writes the validated jobs into `batchID`, `submitChunk` per script call and
  /// `submitCallsPerPipeline` calls per round trip. When Redis refuses a call, what the
  /// calls before it queued stays queued and the error says so (`partialRefusal`).
  func queueJobs(
    _ specs: [JobSpec], encoded: [String], inBatch batchID: String, resumeWith key: SubmissionResume?
  ) throws(QueueError) -> SubmitReceipt {
    var calls: [(RedisScript, [any RedisArgumentConvertible])] = []
    var start = 0
    while start < specs.count {
      let end = min(start + Self.submitChunk, specs.count)
      var arguments: [any RedisArgumentConvertible] = [batchID, specs[start].desk, end - start]
      arguments.reserveCapacity(3 + (end - start) * 10)
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
        arguments.append(spec.group?.id ?? "")
        arguments.append(spec.group?.role.rawValue ?? "")
      }
      calls.append((QueueScripts.submit, arguments))
      start = end
    }
    var jobs: [SubmittedJob] = []
    jobs.reserveCapacity(specs.count)
    var next = 0
    while next < calls.count {
      let group = Array(calls[next..<min(next + Self.submitCallsPerPipeline, calls.count)])
      let replies: [RedisReply]
      do {
        replies = try runAllReplies(group)
      } catch {
        // The connection broke: the calls of this round trip may or may not have run.
        throw Self.partialRefusal(error, queued: jobs, uncertain: true, of: specs.count, batch: batchID, resume: key)
      }
      var refusal: QueueError?
      for reply in replies {
        if let message = reply.errorMessage {
          refusal = refusal ?? QueueError(.redis, "a queue script failed: \(message)")
          continue
        }
        let items = try reply.scriptArray("submit")
        var index = 0
        while index + 1 < items.count {
          let id = items[index].string ?? ""
          let status = SubmittedJob.Status(rawValue: items[index + 1].string ?? "") ?? .exists
          jobs.append(SubmittedJob(id: id, status: status))
          index += 2
        }
      }
      if let refusal {
        throw Self.partialRefusal(refusal, queued: jobs, uncertain: false, of: specs.count, batch: batchID, resume: key)
      }
      next += group.count
    }
    return SubmitReceipt(batch: batchID, jobs: jobs)
  }

  /// How a refused submission can be finished: the key it was made under, and whether
  /// the key was chosen for it (an unkeyed submission of several script calls).
  struct SubmissionResume {
    var key: String
    var automatic: Bool
  }

  /// `error`, saying what the refused submission left behind and how to finish it.
  static func partialRefusal(
    _ error: QueueError, queued: [SubmittedJob], uncertain: Bool, of total: Int, batch: String,
    resume: SubmissionResume?
  ) -> QueueError {
    let new = queued.filter { $0.status == .new }.count
    let there = queued.filter { $0.status == .new || $0.status == .duplicate }.count
    if there == 0 && !uncertain {
      return QueueError(error.kind, "\(error.message); nothing of this submission was queued (batch \(batch))")
    }
    var text = "\(error.message); \(uncertain ? "at least " : "")\(there) of \(total) job(s) are queued in batch \(batch)"
    if new != there { text += " (\(there - new) of them by an earlier run under this key)" }
    switch resume {
    case .some(let resume) where resume.automatic:
      text += "; to queue only the rest, into \(batch), run the same submit again with --idempotency-key \(resume.key)"
    case .some(let resume):
      text += "; to queue only the rest, run the same submit again with --idempotency-key \(resume.key)"
    case .none:
      text += "; `nightdesk cancel \(batch)` drops them"
    }
    return QueueError(error.kind, text)
  }
}
