import NightdeskRedis

/// `cancel`, `retry` and the worker registry.
extension QueueClient {
  /// Cancels the jobs `target` names (a job or a batch); returns each job's previous state.
  public func cancel(target: String) throws(QueueError) -> [(job: String, previous: String)] {
    try apply(QueueScripts.cancel, to: try jobIDs(target: target))
  }

  /// Re-queues the failed, dead and cancelled jobs `target` names; returns each job's previous state.
  public func retry(target: String) throws(QueueError) -> [(job: String, previous: String)] {
    try apply(QueueScripts.retry, to: try jobIDs(target: target))
  }

  private func apply(_ script: RedisScript, to ids: [String]) throws(QueueError) -> [(job: String, previous: String)] {
    var results: [(job: String, previous: String)] = []
    var start = 0
    while start < ids.count {
      let chunk = Array(ids[start..<min(start + 256, ids.count)])
      let reply = try run(script, chunk)
      for (id, state) in zip(chunk, try reply.scriptArray("control")) { results.append((id, state.string ?? "missing")) }
      start += chunk.count
    }
    return results
  }

  /// Records that `worker` is alive, what it runs, and the prefixes it holds (for
  /// affinity); everything it writes here expires after `ttlSeconds` unless renewed.
  public func heartbeat(worker: String, details: [String: String], heldPrefixes: [String], ttlSeconds: Int) throws(QueueError) {
    var commands = [RedisCommand("ZADD", keys.workers, try serverTimeMilliseconds(), worker)]
    var fields: [any RedisArgumentConvertible] = ["HSET", keys.worker(worker)]
    for (key, value) in details.sorted(by: { $0.key < $1.key }) { fields += [key, value] }
    if details.isEmpty { fields += ["id", worker] }
    commands.append(RedisCommand(fields))
    commands.append(RedisCommand("EXPIRE", keys.worker(worker), ttlSeconds))
    commands.append(RedisCommand("DEL", keys.affinity(worker)))
    if !heldPrefixes.isEmpty {
      commands.append(RedisCommand(["SADD", keys.affinity(worker)] + heldPrefixes))
      commands.append(RedisCommand("EXPIRE", keys.affinity(worker), ttlSeconds))
    }
    _ = try pipeline(commands)
  }

  /// Removes a stopping worker from the registry.
  public func unregister(worker: String) throws(QueueError) {
    _ = try pipeline([
      RedisCommand("ZREM", keys.workers, worker), RedisCommand("DEL", keys.worker(worker)),
      RedisCommand("DEL", keys.affinity(worker)),
    ])
  }

  /// A worker beats at least once a second (`LeaseKeeper`, every min(1 s, lease / 4)) and
  /// its `worker:<id>` hash expires 6 s after a beat at most; after that much silence it is
  /// taken for gone (killed, crashed or cut off from Redis), as `watch` reports.
  public static let heartbeatLapseSeconds = 6.0

  /// Seconds since the newest heartbeat of any worker of this queue, by the server's
  /// clock; nil when no worker is registered. A worker that stops cleanly unregisters;
  /// one that dies stays registered with its last beat, so the age keeps growing.
  public func newestHeartbeatAge() throws(QueueError) -> Double? {
    let replies = try pipeline([
      RedisCommand("ZREVRANGE", keys.workers, 0, 0, "WITHSCORES"), RedisCommand("TIME"),
    ])
    guard let newest = replies[0].array, newest.count == 2 else { return nil }
    guard let beat = newest[1].string.flatMap(Double.init), let time = replies[1].array, time.count == 2,
      let seconds = time[0].int, let micros = time[1].int
    else {
      throw QueueError(.protocolError, "reading the newest heartbeat: ZREVRANGE answered \(replies[0].summary), "
        + "TIME answered \(replies[1].summary)")
    }
    let now = Double(seconds * 1000 + micros / 1000)
    return max(0, now - beat) / 1000
  }

  /// Prefix hashes held by other live workers, for affinity: a worker leaves those
  /// jobs for their holders when it has other work.
  public func prefixesHeldElsewhere(than worker: String, aliveWithinSeconds: Double) throws(QueueError) -> Set<String> {
    let now = try serverTimeMilliseconds()
    let reply = try command(RedisCommand("ZRANGEBYSCORE", keys.workers, now - Int64(aliveWithinSeconds * 1000), "+inf"))
    let others = (reply.array ?? []).compactMap(\.string).filter { $0 != worker }
    guard !others.isEmpty else { return [] }
    let sets = try pipeline(others.map { RedisCommand("SMEMBERS", keys.affinity($0)) })
    return Set(sets.flatMap { ($0.array ?? []).compactMap(\.string) })
  }
}
