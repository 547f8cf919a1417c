import NightdeskRedis

extension QueueClient {
  /// What `tidy` removed.
  public struct Tidied: Sendable, Equatable {
    public var workers = 0
    public var consumers = 0
    public var batches = 0

    public init(workers: Int = 0, consumers: Int = 0, batches: Int = 0) {
      self.workers = workers
      self.consumers = consumers
      self.batches = batches
    }
  }

  /// Forgets workers silent for `silentWorker` seconds, deletes stream consumers with
  /// nothing pending idle for `idleConsumer`, and drops expired batches older than
  /// `expiredBatch` from the batch index. Workers call it now and then; it is cheap.
  public func tidy(silentWorker: Double = 600, idleConsumer: Double = 3600, expiredBatch: Double = 3600)
    throws(QueueError) -> Tidied
  {
    let reply = try run(QueueScripts.tidy, [Int(silentWorker * 1000), Int(idleConsumer * 1000), Int(expiredBatch * 1000)])
    let counts = try reply.scriptArray("tidy").map { Int($0.int ?? 0) }
    guard counts.count == 3 else { throw QueueError(.protocolError, "the tidy script answered \(reply.summary)") }
    return Tidied(workers: counts[0], consumers: counts[1], batches: counts[2])
  }
}
