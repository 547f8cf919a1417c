import Foundation
import Logging
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport

/// Publishes streamed jobs' text to Redis as it is generated (`QueueClient.publishLive`),
/// on a thread and connection of its own, opened at the first streamed job: jobs hand it
/// text per token without waiting, and it writes what gathered every `interval` (one
/// pipelined round trip for all jobs), so Redis sees a few writes a second, not one per
/// token. Best effort: a write that fails is dropped (the stored result stays the truth,
/// and `serve` sends what its reader missed from it).
final class LivePublisher: Sendable {
  private struct Pending {
    var deltas: [(job: String, delta: LiveDelta)] = []
    var stopped = false
  }

  static let interval: Duration = .milliseconds(50)

  private let configuration: WorkerConfiguration
  private let model: String
  private let logger: Logger
  private let pending = LockedValue(Pending())
  private let condition = NSCondition()
  private let thread = LockedValue<DedicatedThread?>(nil)

  init(configuration: WorkerConfiguration, model: String, logger: Logger) {
    self.configuration = configuration
    self.model = model
    self.logger = logger
  }

  /// New text of `lease`'s attempt; joins the attempt's previous unsent text.
  func append(_ lease: Lease, _ text: String) { add(lease, text: text, end: false) }

  /// The attempt stopped generating (whatever its outcome).
  func end(_ lease: Lease) { add(lease, text: "", end: true) }

  private func add(_ lease: Lease, text: String, end: Bool) {
    startOnce()
    pending.withLock { state in
      if let last = state.deltas.indices.last(where: { state.deltas[$0].job == lease.job }),
        state.deltas[last].delta.token == lease.token, !state.deltas[last].delta.isEnd
      {
        state.deltas[last].delta.text += text
        state.deltas[last].delta.isEnd = end
      } else {
        state.deltas.append((lease.job, LiveDelta(attempt: lease.attempt, token: lease.token, model: model,
                                                  text: text, isEnd: end)))
      }
    }
    wake()
  }

  private func wake() {
    condition.lock()
    condition.signal()
    condition.unlock()
  }

  /// Writes what is left and ends the thread (if it ever started).
  func stop() async {
    guard let thread = thread.current else { return }
    pending.withLock { $0.stopped = true }
    wake()
    await thread.join()
  }

  private func startOnce() {
    thread.withLock { thread in
      guard thread == nil else { return }
      thread = DedicatedThread.start(name: "nightdesk-live") { [self] in run() }
    }
  }

  private func run() {
    var queue: QueueClient?
    var lastComplaint: ContinuousClock.Instant?
    while true {
      condition.lock()
      while pending.withLock({ $0.deltas.isEmpty && !$0.stopped }) { condition.wait() }
      condition.unlock()
      // Let a step's worth of tokens gather: one write per interval, not per token.
      Thread.sleep(forTimeInterval: seconds(Self.interval))
      let (deltas, stopped) = pending.withLock { state in
        defer { state.deltas = [] }
        return (state.deltas, state.stopped)
      }
      do {
        if queue == nil {
          let redis = try RedisConnection(
            url: configuration.redisURL, options: .init(clientName: "nightdesk-live-\(configuration.workerID)"))
          queue = QueueClient(redis: redis, keys: configuration.keys, retentionSeconds: configuration.retentionSeconds)
        }
        try queue?.publishLive(deltas)
      } catch {
        let now = ContinuousClock.now
        if lastComplaint.map({ now - $0 > .seconds(10) }) ?? true {
          logger.warning("publishing streamed text failed; readers get the stored answer", metadata: ["error": "\(error)"])
          lastComplaint = now
        }
      }
      if stopped { return }
    }
  }
}
