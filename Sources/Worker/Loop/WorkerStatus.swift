import NightdeskSupport

/// What the worker loop publishes for others to read: its summary (the exit report),
/// the prefixes it holds warm and how many jobs run (the heartbeat's details).
final class WorkerStatus: Sendable {
  struct Snapshot: Sendable {
    var summary = WorkerSummary()
    var warm = WarmPrefixes()
    var runningJobs = 0
  }

  private let state = LockedValue(Snapshot())

  var snapshot: Snapshot { state.current }

  func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}
