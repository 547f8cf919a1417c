import NightdeskRedis
import NightdeskSupport

extension QueueClient {
  /// Jobs by state over every batch Redis still holds: the sum of the batches' own
  /// per-state counters (kept by the scripts at every change), read in pipelined chunks.
  /// Finished jobs leave the count when their batch expires (the retention).
  public func jobCounts() throws(QueueError) -> [JobState: Int] {
    let states = JobState.allCases
    var counts = Dictionary(uniqueKeysWithValues: states.map { ($0, 0) })
    var start = 0
    while true {
      let page = (try command(RedisCommand("ZRANGE", keys.batches, start, start + 9_999)).array ?? []).compactMap(\.string)
      let replies = try chunkedPipeline(page.map { RedisCommand(["HMGET", keys.batch($0)] + states.map(\.rawValue)) })
      for reply in replies {
        for (state, value) in zip(states, reply.array ?? []) {
          counts[state, default: 0] += Int(value.string ?? "") ?? 0
        }
      }
      if page.count < 10_000 { return counts }
      start += 10_000
    }
  }

  /// `jobCounts`, counted at most once per `maxAge` for the whole queue: the first reader
  /// after the stored count lapses counts and stores it (`counts`, with that TTL), the
  /// others read it. Every worker with a metrics port publishes the queue-wide gauges, so
  /// N of them cost one count per interval instead of N. A user who may not write (a
  /// desk's viewer) counts for itself.
  public func sharedJobCounts(maxAge: Duration) throws(QueueError) -> [JobState: Int] {
    if let text = try command(RedisCommand("GET", keys.counts)).string,
      let stored = try? JSONParser.parse(text).objectValue
    {
      var counts: [JobState: Int] = [:]
      for state in JobState.allCases { counts[state] = stored[state.rawValue]?.intValue ?? 0 }
      return counts
    }
    let counts = try jobCounts()
    let milliseconds = max(1, Int(maxAge.components.seconds * 1000 + maxAge.components.attoseconds / 1_000_000_000_000_000))
    var object = JSONObject()
    for state in JobState.allCases { object[state.rawValue] = .int(Int64(counts[state] ?? 0)) }
    let text = JSONWriter.string(.object(object))
    _ = try? command(RedisCommand("SET", keys.counts, text, "PX", milliseconds))
    return counts
  }
}
