/// How a broken connection is reopened: exponential backoff, capped, with jitter so
/// that many workers losing the same server do not reconnect in lock step.
///
/// A pure value: `delay(beforeAttempt:randomFraction:)` is the whole policy, so it
/// can be tested without sleeping.
public struct RedisReconnectPolicy: Sendable, Equatable {
  /// The wait before the second attempt (the first is immediate).
  public var initialDelay: Duration
  /// No wait is longer than this, jitter included.
  public var maxDelay: Duration
  /// Attempts per use of a broken connection before the use fails with the last error.
  /// The next use starts a fresh series, so a caller looping on errors still backs off.
  public var maxAttempts: Int
  /// Each delay is scaled by a random factor in `1 - jitter ... 1`.
  public var jitter: Double

  /// Defaults: 50 ms doubling to at most 2 s, 6 attempts (about 1.5 s of waiting in
  /// all), up to half of each wait removed at random.
  public init(initialDelay: Duration = .milliseconds(50), maxDelay: Duration = .seconds(2),
              maxAttempts: Int = 6, jitter: Double = 0.5) {
    self.initialDelay = initialDelay
    self.maxDelay = maxDelay
    self.maxAttempts = max(1, maxAttempts)
    self.jitter = min(max(jitter, 0), 1)
  }

  /// The wait before attempt `attempt` (0-based; attempt 0 waits nothing).
  /// `randomFraction` in 0...1 picks the point in the jitter range.
  public func delay(beforeAttempt attempt: Int, randomFraction: Double) -> Duration {
    guard attempt > 0 else { return .zero }
    let doublings = min(attempt - 1, 30)
    let exponential = initialDelay * (1 << doublings)
    let capped = min(exponential, maxDelay)
    let scale = 1 - jitter * min(max(randomFraction, 0), 1)
    return capped * scale
  }
}
