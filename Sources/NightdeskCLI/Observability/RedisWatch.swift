import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport
import NightdeskWorker

/// Whether a command that has no lease keeper of its own (the scheduler, the API server)
/// holds its Redis: a thread of its own asks Redis every few seconds on a connection of
/// its own, and publishes the queue's counts (`nightdesk_jobs{state}`, depth by priority)
/// as the worker does. `/health` reads its last answer, so a scrape never waits on Redis.
final class RedisWatch: Sendable {
  private let interval: Duration
  private let state = LockedValue<(problem: String?, stopped: Bool)>(("connecting to Redis", false))
  private let wake = DispatchSemaphore(value: 0)
  private let done = DispatchSemaphore(value: 0)

  /// Starts watching `url`'s queue `keys` on a thread named `name`.
  init(url: RedisURL, keys: QueueKeys, name: String, interval: Duration = .seconds(5)) {
    self.interval = interval
    let thread = Thread { [self] in watch(url: url, keys: keys, name: name) }
    thread.name = name
    thread.start()
  }

  /// Nothing, or why Redis is not held (the error of the last try).
  var problems: [String] { state.current.problem.map { [$0] } ?? [] }

  func stop() {
    state.withLock { $0.stopped = true }
    wake.signal()
    done.wait()
  }

  private func watch(url: RedisURL, keys: QueueKeys, name: String) {
    defer { done.signal() }
    let gauges = QueueGauges()
    var queue: QueueClient?
    while !state.current.stopped {
      do {
        let client = try queue ?? QueueClient(redis: RedisConnection(url: url, options: .init(clientName: name)), keys: keys)
        queue = client
        gauges.publish(try client.stats(), counts: try client.jobCounts())
        state.withLock { $0.problem = nil }
      } catch {
        queue = nil
        state.withLock { $0.problem = "Redis unreachable: \(error)" }
      }
      _ = wake.wait(timeout: .now() + .milliseconds(Int(interval.components.seconds * 1000)))
    }
  }
}
