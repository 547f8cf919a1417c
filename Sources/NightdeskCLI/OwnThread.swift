import Foundation

/// Runs blocking work (synchronous Redis calls, sleeps until the next minute) on a thread
/// of its own and awaits its end, so it never holds one of the few threads async code
/// (the metrics server, signal handling) runs on.
func onOwnThread<Value: Sendable>(_ name: String, _ work: @escaping @Sendable () throws -> Value) async throws -> Value {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread { continuation.resume(with: Result { try work() }) }
    thread.name = name
    thread.start()
  }
}
