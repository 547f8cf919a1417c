import Foundation
import NightdeskSupport
import NightdeskTestSupport

/// `nightdesk schedule` running as a daemon, its stderr in a file the test reads while it runs.
final class ScheduleDaemon {
  let process = Process()
  let exited = LockedValue(false)
  let logFile: URL

  init(_ arguments: [String]) throws {
    logFile = try TestPaths.temporaryDirectory("schedule-daemon").appendingPathComponent("stderr")
    try Data().write(to: logFile)
    process.executableURL = NightdeskBinary.url
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: logFile)
    process.terminationHandler = { [exited] _ in exited.withLock { $0 = true } }
    try process.run()
  }

  var stderr: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

  func stop() {
    if process.isRunning { process.terminate() }
  }
}
