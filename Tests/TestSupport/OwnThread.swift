import Foundation

/// Runs long synchronous work (a model's forward passes) on a thread of its own and awaits
/// it: run inline, it would hold one of the few cooperative threads (two on CI) for
/// minutes, and the suites running beside it, whose workers and timers need those
/// threads, would stall.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread {
      do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
    }
    thread.stackSize = 8 << 20
    thread.start()
  }
}
