import NightdeskSupport

/// What the worker loop publishes for others to read: its summary (the exit report),
/// the prefixes it holds warm and how many jobs run (the heartbeat's details).
final class WorkerStatus: Sendable {
  struct Snapshot: Sendable {
    var summary = WorkerSummary()
    var warm = WarmPrefixes()
    var runningJobs = 0
    var redis = RedisHealth.connecting
  }

  private let state = LockedValue(Snapshot())

  var snapshot: Snapshot { state.current }

  func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}

/// Whether a worker holds its Redis, as its lease keeper last found it (for `/health`).
public enum RedisHealth: Sendable, Equatable {
  case connecting
  /// The last heartbeat was written at this time.
  case reachable(ContinuousClock.Instant)
  /// The last attempt failed with this error (passwords are never part of it).
  case unreachable(String, since: ContinuousClock.Instant)
  case stopped

  /// Nil when healthy; else why not. A heartbeat older than `stale` counts as lost.
  public func problem(stale: Duration, now: ContinuousClock.Instant = .now) -> String? {
    switch self {
    case .connecting: return "connecting to Redis"
    case .reachable(let at): return now - at > stale ? "no Redis round trip for \(now - at)" : nil
    case .unreachable(let error, _): return "Redis unreachable: \(error)"
    case .stopped: return "the worker has stopped"
    }
  }
}
