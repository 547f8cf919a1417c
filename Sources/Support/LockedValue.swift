import Foundation

/// A value guarded by a lock, for state shared across threads where an actor is
/// the wrong tool (the engine's step thread must not hop executors). The closure
/// form makes it impossible to forget the unlock.
public final class LockedValue<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Value

  public init(_ value: Value) { self.value = value }

  public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }

  public var current: Value { withLock { $0 } }
}
