import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport
import NightdeskWorker

/// Whether a command that has no lease keeper of its own (the scheduler, the API server)
/// holds its Redis: a thread of its own asks Redis every few seconds on a connection of
/// its own, and publishes the queue's counts (`nightdesk_jobs{state}`, depth by priority)
/// as the worker does. `/health` reads its last answer, so a scrape never waits on Redis.
///
/// `start()` it once the metrics server runs: its gauges are made when it starts, and a
/// gauge made before swift-metrics has its Prometheus backend records nothing.
final class RedisWatch: Sendable {
  private let url: RedisURL
  private let keys: QueueKeys
  private let name: String
  private let interval: Duration
  private let state = LockedValue<(problem: String?, started: Bool, stopped: Bool)>(("connecting to Redis", false, false))
  private let wake = DispatchSemaphore(value: 0)
  private let thread = LockedValue<DedicatedThread?>(nil)

  /// Watches `url`'s queue `keys` once started, on a thread named `name`.
  init(url: RedisURL, keys: QueueKeys, name: String, interval: Duration = .seconds(5)) {
    self.url = url
    self.keys = keys
    self.name = name
    self.interval = interval
  }

  func start() {
    state.withLock { $0.started = true }
    let started = DedicatedThread.start(name: name) { [self] in watch() }
    thread.withLock { $0 = started }
  }

  /// Nothing, or why Redis is not held (the error of the last try).
  var problems: [String] { state.current.problem.map { [$0] } ?? [] }

  func stop() {
    let started = state.withLock { state in
      state.stopped = true
      return state.started
    }
    wake.signal()
    if started { thread.current?.joinBlocking() }
  }

  private func watch() {
    let gauges = QueueGauges()
    var queue: QueueClient?
    while !state.current.stopped {
      do {
        let client = try queue ?? QueueClient(redis: RedisConnection(url: url, options: .init(clientName: name)), keys: keys)
        queue = client
        gauges.publish(try client.stats(), counts: try client.sharedJobCounts(maxAge: interval))
        state.withLock { $0.problem = nil }
      } catch {
        queue = nil
        state.withLock { $0.problem = "Redis unreachable: \(error)" }
      }
      _ = wake.wait(timeout: .now() + .milliseconds(Int(interval.components.seconds * 1000)))
    }
  }
}
