import Foundation
import NightdeskSupport

/// A stop asked for by a signal: the scheduler checks it between articles and between
/// passes, and its sleep until the next minute ends at once when a stop comes.
public final class StopRequest: Sendable {
  private let requested = LockedValue(false)
  private let wake = DispatchSemaphore(value: 0)

  public init() {}

  public var isRequested: Bool { requested.current }

  public func request() {
    requested.withLock { $0 = true }
    wake.signal()
  }

  /// Sleeps until `date` or a stop; true when it slept the whole time.
  public func sleep(until date: Date) -> Bool {
    if isRequested { return false }
    _ = wake.wait(timeout: .now() + max(0, date.timeIntervalSinceNow))
    return !isRequested
  }
}
