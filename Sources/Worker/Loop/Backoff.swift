/// Exponential backoff with jitter for failed attempts: base · 2^(attempt−1),
/// capped, then scaled by a random factor in [1/2, 1] so jobs that failed
/// together (a crashed dependency) do not all come back at the same instant.
public struct Backoff: Sendable, Equatable {
  public var base: Duration
  public var maximum: Duration

  public init(base: Duration = .seconds(2), maximum: Duration = .seconds(300)) {
    self.base = base
    self.maximum = maximum
  }

  /// The wait after failed attempt `attempt` (1-based); `randomFraction` in 0...1.
  public func delay(afterAttempt attempt: Int, randomFraction: Double) -> Duration {
    let doublings = min(max(attempt - 1, 0), 30)
    let exponential = base * (1 << doublings)
    let capped = min(exponential, maximum)
    return capped * (0.5 + 0.5 * min(max(randomFraction, 0), 1))
  }

  public func milliseconds(afterAttempt attempt: Int, randomFraction: Double) -> Int {
    let (seconds, attoseconds) = delay(afterAttempt: attempt, randomFraction: randomFraction).components
    return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
  }
}
