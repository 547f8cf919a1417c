import NightdeskRedis
import NightdeskSupport

extension QueueClient {
  /// Longest submission key: room is left for the `#<job>` suffix of each job's key.
  public static let maxSubmissionKeyBytes = JobSpec.maxKeyBytes - 16

  /// Queues `specs` under a submission key, so that submitting the same thing again —
  /// after a crash halfway through, a timeout, a reply lost with the connection — queues
  /// only what is missing, into the same batch, never a second copy of the night's work.
  ///
  /// The key names the batch and a fingerprint of the jobs (deadlines left out, since
  /// `--deadline-in` moves with the clock); each job gets the key `<key>#<position>`
  /// unless it has its own. Submitting different jobs under a used key is refused
  /// (`.conflict`) rather than guessing which copy the desk meant. Keys are remembered
  /// for the retention.
  public func submit(
    _ specs: [JobSpec], toBatch batch: String? = nil, submissionKey key: String
  ) throws(QueueError) -> SubmitReceipt {
    try submit(specs, toBatch: batch, submissionKey: key, automatic: false)
  }

  /// `automatic`: the key was chosen by `submit(_:toBatch:)` for an unkeyed submission.
  func submit(
    _ specs: [JobSpec], toBatch batch: String?, submissionKey key: String, automatic: Bool
  ) throws(QueueError) -> SubmitReceipt {
    try Self.validateSubmissionKey(key)
    if let batch {
      try QueueIDs.validate(batch, what: "batch")
      guard !QueueIDs.isJobID(batch) else { throw QueueError(.invalidArgument, "'\(batch)' is a job id, not a batch id") }
    }
    // Checked before the key is taken: an invalid first try must not use the key up.
    let keyed = Self.keyed(specs, by: key)
    let encoded = try Self.validated(keyed)
    let fingerprint = Self.fingerprint(of: specs)
    let claimed: (batch: String, resumed: Bool)
    do {
      claimed = try claimSubmission(key: key, fingerprint: fingerprint, batch: batch)
    } catch where error.kind == .redis {
      throw QueueError(.redis, "\(error.message); nothing was queued by this run")
    }
    var receipt = try queueJobs(
      keyed, encoded: encoded, inBatch: claimed.batch, resumeWith: SubmissionResume(key: key, automatic: automatic))
    receipt.resumed = claimed.resumed
    return receipt
  }

  /// Records `key` as naming `batch` (a new batch when nil) and `fingerprint`, or finds
  /// the batch it already names. Split out so tests can stop between the two halves of a
  /// submission, where a crash would.
  func claimSubmission(
    key: String, fingerprint: String, batch: String?
  ) throws(QueueError) -> (batch: String, resumed: Bool) {
    var candidate = batch ?? ""
    if candidate.isEmpty {
      var generator = SystemRandomNumberGenerator()
      candidate = QueueIDs.newBatchID(nowMilliseconds: try serverTimeMilliseconds(), using: &generator)
    }
    // One atomic SET NX ... GET: two submitters racing on one key agree on one batch.
    let reply = try command(RedisCommand(
      "SET", keys.submission(key), candidate + " " + fingerprint, "NX", "EX", retentionSeconds, "GET"))
    if reply.isNull { return (candidate, false) }
    let stored = (reply.string ?? "").split(separator: " ").map(String.init)
    guard stored.count == 2 else {
      throw QueueError(.protocolError, "submission key '\(key)' holds '\(reply.summary)', not '<batch> <fingerprint>'")
    }
    guard stored[1] == fingerprint else {
      throw QueueError(.conflict,
        "submission key '\(key)' was used for different jobs (batch \(stored[0])); "
          + "resubmit exactly the same input, or choose another key")
    }
    if let batch, batch != stored[0] {
      throw QueueError(.conflict, "submission key '\(key)' belongs to batch \(stored[0]), not \(batch)")
    }
    return (stored[0], true)
  }

  public static func validateSubmissionKey(_ key: String) throws(QueueError) {
    guard !key.isEmpty, key.utf8.count <= maxSubmissionKeyBytes,
      key.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F })
    else {
      throw QueueError(.invalidArgument,
        "key '\(key.prefix(80))' must be 1...\(maxSubmissionKeyBytes) bytes without spaces or control characters")
    }
  }

  /// Each job keyed by its position under the submission key (its own key wins).
  static func keyed(_ specs: [JobSpec], by key: String) -> [JobSpec] {
    specs.enumerated().map { position, spec in
      var spec = spec
      if spec.idempotencyKey == nil { spec.idempotencyKey = "\(key)#\(position)" }
      return spec
    }
  }

  /// What the jobs ask, without their deadlines: FNV-1a over the encoded specs from two
  /// starting states, 128 bits (a collision could only let a changed file pass as the
  /// same submission; no adversary is in the loop, so no cryptographic hash).
  static func fingerprint(of specs: [JobSpec]) -> String {
    var text = String(specs.count)
    for var spec in specs {
      spec.deadline = nil
      let encoded = JSONWriter.string(spec.json)
      text += "\n" + String(encoded.utf8.count) + ":" + encoded
    }
    return PrefixHash.digest(text) + PrefixHash.digest("submission\n" + text)
  }
}
