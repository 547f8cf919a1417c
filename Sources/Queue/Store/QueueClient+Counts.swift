import NightdeskRedis

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
}
