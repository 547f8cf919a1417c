import Foundation

/// Runs blocking work (synchronous Redis calls, a model load, a long numeric check) on a
/// thread of its own and awaits its end, so it never holds one of the few threads of
/// Swift's cooperative pool, which streams tokens and serves HTTP.
public func onOwnThread<Value: Sendable>(
  _ name: String = "nightdesk-work", stackSize: Int = 8 << 20, _ work: @escaping @Sendable () throws -> Value
) async throws -> Value {
  try await withCheckedThrowingContinuation { continuation in
    let thread = Thread { continuation.resume(with: Result { try work() }) }
    thread.name = name
    thread.stackSize = stackSize
    thread.start()
  }
}

/// A named thread that runs a loop of blocking calls until the loop returns (a lease
/// keeper, a publisher, a watch). `join()` awaits the end without holding a thread of the
/// cooperative pool while it waits.
public final class DedicatedThread: Sendable {
  private let exited = DispatchSemaphore(value: 0)

  private init() {}

  /// Starts `body` on a new thread named `name`.
  public static func start(name: String, _ body: @escaping @Sendable () -> Void) -> DedicatedThread {
    let handle = DedicatedThread()
    let thread = Thread { [handle] in
      defer { handle.exited.signal() }
      body()
    }
    thread.name = name
    thread.start()
    return handle
  }

  /// Returns once the loop has returned.
  public func join() async {
    let exited = self.exited
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
      DispatchQueue.global().async {
        exited.wait()
        exited.signal()  // a second join returns too
        continuation.resume()
      }
    }
  }

  /// Blocks the calling thread until the loop has returned (for synchronous callers).
  public func joinBlocking() {
    exited.wait()
    exited.signal()
  }
}
