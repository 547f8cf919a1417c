import NightdeskRedis

extension QueueClient {
  /// The chunk jobs of a document's map-reduce group, in chunk order (empty once the
  /// group has expired).
  public func chunkJobIDs(ofGroup group: String) throws(QueueError) -> [String] {
    let reply = try command(RedisCommand("LRANGE", keys.groupJobs(group), 0, -1))
    return (reply.array ?? []).compactMap(\.string)
  }
}
