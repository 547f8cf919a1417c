import Foundation
import NightdeskQueue
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport

/// Real `nightdesk worker --echo` processes on a `QueueFixture`'s redis-server, for the
/// worker's process tests and for queue tests that need jobs run (events, `watch`).
public enum WorkerProcess {
  /// The `nightdesk` binary `swift build --build-tests` put beside the test bundle.
  public static var binary: URL { NightdeskBinary.url }

  /// Starts `nightdesk worker --echo` on the fixture's queue; its standard output (the
  /// `--json` summary) goes to the pipe returned.
  public static func start(
    _ fixture: QueueFixture, id: String, echoDelay: Double, lease: Double, drain: Bool, extra: [String] = []
  ) throws -> (Process, Pipe) {
    let output = Pipe()
    let process = try launch(
      fixture,
      ["--echo", "--echo-delay", String(echoDelay), "--lease", String(lease), "--worker-id", id, "--backoff", "0.05", "--json"]
        + (drain ? ["--drain"] : []) + extra,
      output: output)
    return (process, output)
  }

  /// Starts `nightdesk worker ARGUMENTS` on the fixture's queue (a model worker:
  /// `["--model", path]`); standard output and error go where given, else nowhere.
  public static func launch(
    _ fixture: QueueFixture, _ arguments: [String], output: Any = FileHandle.nullDevice, errors: Any = FileHandle.nullDevice
  ) throws -> Process {
    let process = Process()
    process.executableURL = binary
    process.arguments = ["worker", "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace] + arguments
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    return process
  }

  /// One `succeeded` event per job: the result was stored exactly once.
  public static func successEvents(_ queue: QueueClient) throws -> [String: Int] {
    let events = try queue.redis.command("XRANGE", queue.keys.events, "-", "+").array ?? []
    var counts: [String: Int] = [:]
    for event in events {
      let fields = (event.array?.last?.array ?? []).compactMap(\.string)
      var pairs: [String: String] = [:]
      for index in stride(from: 0, to: fields.count - 1, by: 2) { pairs[fields[index]] = fields[index + 1] }
      if pairs["event"] == "succeeded", let job = pairs["job"] { counts[job, default: 0] += 1 }
    }
    return counts
  }

  /// `Process.waitUntilExit` without blocking a cooperative thread. Returns when the
  /// exit was seen, on the polling thread: the test may resume much later on a busy pool.
  /// The exit is read from the kernel (`/proc`: gone, or a zombie not yet reaped), not
  /// only from `isRunning`, which Foundation updates from a dispatch source that a loaded
  /// machine can hold back for tens of seconds after the child has exited.
  @discardableResult
  public static func waitForExit(_ process: Process) async throws -> ContinuousClock.Instant {
    let seen = LockedValue(ContinuousClock.now)
    let pid = process.processIdentifier
    try await ConditionPoller.waitFor("worker \(pid) to exit") { !process.isRunning || hasExited(pid) } then: {
      seen.withLock { $0 = .now }
    }
    // The status is Foundation's to read: wait until it has reaped the child too.
    if process.isRunning {
      try await ConditionPoller.waitFor("worker \(pid) to be reaped") { !process.isRunning }
    }
    return seen.current
  }

  /// True when the process has ended: its /proc entry is gone or in state Z (zombie).
  static func hasExited(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    // "pid (comm) S ...": the state follows the last ')', since comm may hold spaces or parentheses.
    guard let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(after: close)...].trimmingPrefixSpaces.first == "Z"
  }
}

extension Substring {
  fileprivate var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
