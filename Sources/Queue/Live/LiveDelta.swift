import NightdeskRedis

/// A piece of a streamed job's answer, as its worker published it to `live:<job>`
/// while generating (a Redis stream, capped and short-lived: the stored result stays
/// the truth). Each entry names its attempt and fencing token, so a reader following
/// the job never mixes the text of an attempt that lost its lease with the next one's.
public struct LiveDelta: Sendable, Equatable {
  /// The stream entry id: entries after it are newer.
  public var id: String
  public var attempt: Int
  public var token: Int64
  /// The model that is answering (its file), for the chunks' `model`.
  public var model: String
  /// New text, never half a UTF-8 character (it comes from the engine's streaming decoder).
  public var text: String
  /// The attempt stopped generating (finished, failed or was stopped): its result, if
  /// any, is about to be stored.
  public var isEnd: Bool

  public init(id: String = "", attempt: Int, token: Int64, model: String, text: String, isEnd: Bool = false) {
    self.id = id
    self.attempt = attempt
    self.token = token
    self.model = model
    self.text = text
    self.isEnd = isEnd
  }
}

/// Publishing and following streamed jobs' text.
extension QueueClient {
  /// Entries kept per job (approximately): far more than a reader falls behind by, since
  /// writers batch about 50 ms of text per entry.
  public static let liveMaxEntries = 4096
  /// A live stream outlives its last write by this long, then Redis forgets it.
  public static let liveTTLSeconds = 300

  /// Appends `deltas` (any jobs) in one round trip; each job's stream is capped and its
  /// TTL renewed.
  public func publishLive(_ deltas: [(job: String, delta: LiveDelta)]) throws(QueueError) {
    var commands: [RedisCommand] = []
    for (job, delta) in deltas {
      var arguments: [any RedisArgumentConvertible] = [
        "XADD", keys.live(job), "MAXLEN", "~", Self.liveMaxEntries, "*",
        "attempt", delta.attempt, "token", delta.token, "model", delta.model, "text", delta.text,
      ]
      if delta.isEnd { arguments += ["end", "1"] }
      commands.append(RedisCommand(arguments))
      commands.append(RedisCommand("EXPIRE", keys.live(job), Self.liveTTLSeconds))
    }
    guard !commands.isEmpty else { return }
    let replies = try pipeline(commands)
    if let failure = replies.lazy.compactMap(\.errorMessage).first {
      throw QueueError(.protocolError, "publishing streamed text failed: \(failure)")
    }
  }

  /// The job's entries after `cursor` ("0-0": from the start), waiting up to `timeout`
  /// for the first (nil: not at all). Blocks the calling thread while it waits.
  public func liveDeltas(of job: String, after cursor: String, timeout: Duration?) throws(QueueError) -> [LiveDelta] {
    var arguments: [any RedisArgumentConvertible] = ["XREAD", "COUNT", 512]
    var budget: Duration?
    if let timeout {
      let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
      arguments += ["BLOCK", milliseconds]
      budget = timeout + .seconds(5)
    }
    arguments += ["STREAMS", keys.live(job), cursor]
    let reply: RedisReply
    do { reply = try redis.command(RedisCommand(arguments), timeout: budget) } catch { throw QueueError(error) }
    guard !reply.isNull else { return [] }
    // [[stream, [[id, [field, value, ...]], ...]]]
    guard let entries = reply.array?.first?.array?.last?.array else {
      throw QueueError(.protocolError, "XREAD answered \(reply.summary)")
    }
    return entries.compactMap { entry in
      guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
      let values = Self.hash(parts[1])
      guard let attempt = values["attempt"].flatMap({ Int($0) }), let token = values["token"].flatMap({ Int64($0) }) else {
        return nil
      }
      return LiveDelta(id: id, attempt: attempt, token: token, model: values["model"] ?? "", text: values["text"] ?? "",
                       isEnd: values["end"] == "1")
    }
  }
}
