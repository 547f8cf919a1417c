import NightdeskRedis
import NightdeskSupport

/// `--on-complete`: stored with a batch; the finish script that ends the batch queues
/// its id in `completions:<kind>` once, and one worker takes it from there.
extension QueueClient {
  /// Records where `batch`'s completion goes. Called after its jobs are queued: a batch
  /// that has already finished by then has its notice queued here, and the finish
  /// script and this call agree through `notified` that only one of them queues it.
  public func setCompletionTarget(_ target: BatchCompletionTarget, batch: String) throws(QueueError) {
    try QueueIDs.validate(batch, what: "batch")
    _ = try run(QueueScripts.setCompletion, [batch, target.text, target.kind.rawValue])
  }

  /// Takes one finished batch whose notice of `kind` is due (LPOP: exactly one taker),
  /// with its target and status; nil when none is waiting.
  public func takeCompletion(_ kind: BatchCompletionTarget.Kind) throws(QueueError)
    -> (target: BatchCompletionTarget, status: BatchStatus)?
  {
    while let batch = try command(RedisCommand("LPOP", keys.completions(kind))).string {
      let hash = Self.hash(try command(RedisCommand("HGETALL", keys.batch(batch))))
      // A batch expired before anyone took its notice has nothing left to say.
      guard let status = BatchStatus(batch: batch, hash: hash), let text = hash["on_complete"] else { continue }
      return (kind == .url ? .url(text) : .command(text), status)
    }
    return nil
  }
}

extension BatchStatus {
  /// The event an `--on-complete` target receives: `{"event": "batch.completed",
  /// "batch", "desk", "total", "counts": {STATE: N}, "requests", "prompt_tokens",
  /// "generated_tokens", "created_ms"}`.
  public var completionEvent: JSONValue {
    var counts = JSONObject()
    for state in JobState.allCases { counts[state.rawValue] = .int(Int64(count(state))) }
    var object = JSONObject()
    object["event"] = "batch.completed"
    object["batch"] = .string(batch)
    object["desk"] = .string(desk)
    object["total"] = .int(Int64(total))
    object["counts"] = .object(counts)
    object["requests"] = .int(Int64(requests))
    object["prompt_tokens"] = .int(Int64(promptTokens))
    object["generated_tokens"] = .int(Int64(generatedTokens))
    object["created_ms"] = .int(created)
    return .object(object)
  }
}
