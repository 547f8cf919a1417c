import Dispatch
import NightdeskQueue
import NightdeskRedis

/// Follows one streamed job's `live:<job>` entries for one HTTP request, on a Redis
/// connection of its own: `XREAD BLOCK` holds its connection while it waits, so it must
/// not take one of the pool's, which every other handler shares. The connection is
/// used on the reader's serial Dispatch queue only (hiredis blocks its thread, and a
/// context is not thread-safe), and closed with the reader.
final class LiveReader: @unchecked Sendable {
  private let job: String
  private let url: RedisURL
  private let keys: QueueKeys
  /// Confines `connection`: every use runs on it, one at a time.
  private let queue = DispatchQueue(label: "nightdesk-live-reader")
  private var connection: RedisConnection?
  /// Entries after this one are still to be read.
  private var cursor = "0-0"

  init(job: String, url: RedisURL, keys: QueueKeys) {
    self.job = job
    self.url = url
    self.keys = keys
  }

  /// The entries after the last ones read, waiting up to `timeout` for the first (nil:
  /// not at all); none when nothing came.
  func next(timeout: Duration?) async throws -> [LiveDelta] {
    try await withCheckedThrowingContinuation { continuation in
      queue.async { [self] in continuation.resume(with: Result { try read(timeout: timeout) }) }
    }
  }

  /// On `queue` only.
  private func read(timeout: Duration?) throws -> [LiveDelta] {
    let redis = try connection ?? RedisConnection(url: url, options: .init(clientName: "nightdesk-serve-live"))
    connection = redis
    let deltas = try QueueClient(redis: redis, keys: keys).liveDeltas(of: job, after: cursor, timeout: timeout)
    if let last = deltas.last { cursor = last.id }
    return deltas
  }

  /// Closes the connection once any read under way has returned.
  func close() {
    queue.async { [self] in connection = nil }
  }
}
