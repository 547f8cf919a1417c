import NightdeskRedis

/// One entry of the queue's event stream: a state change (`submitted`, `claimed`,
/// `succeeded`, `failed`, `retrying`, `dead`, `cancelled`, ...) of a job or a batch.
public struct QueueEvent: Sendable, Equatable {
  /// The stream entry id: events after it are newer.
  public var id: String
  public var kind: String
  public var job: String?
  public var batch: String?
}

/// Following the event stream, as `watch` does: wait for the next state change
/// instead of polling.
extension QueueClient {
  /// Where the stream ends now: events after this cursor are the ones still to come.
  public func eventCursor() throws(QueueError) -> String {
    let reply = try command(RedisCommand("XREVRANGE", keys.events, "+", "-", "COUNT", 1))
    return reply.array?.first?.array?.first?.string ?? "0-0"
  }

  /// Events after `cursor`, at most `limit`, waiting up to `timeout` for the first one
  /// (returns none when nothing happened). Blocks the calling thread while it waits.
  public func events(
    after cursor: String, timeout: Duration, limit: Int = 1000
  ) throws(QueueError) -> (cursor: String, events: [QueueEvent]) {
    let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
    let reply: RedisReply
    do {
      reply = try redis.command(
        RedisCommand("XREAD", "COUNT", max(1, limit), "BLOCK", milliseconds, "STREAMS", keys.events, cursor),
        timeout: timeout + .seconds(5))
    } catch {
      throw QueueError(error)
    }
    guard !reply.isNull else { return (cursor, []) }
    // [[stream, [[id, [field, value, ...]], ...]]]
    guard let entries = reply.array?.first?.array?.last?.array else {
      throw QueueError(.protocolError, "XREAD answered \(reply.summary)")
    }
    var events: [QueueEvent] = []
    var last = cursor
    for entry in entries {
      guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
      let values = Self.hash(parts[1])
      events.append(QueueEvent(id: id, kind: values["event"] ?? "", job: values["job"], batch: values["batch"]))
      last = id
    }
    return (last, events)
  }
}
