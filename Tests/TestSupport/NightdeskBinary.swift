import Foundation

/// The built `nightdesk` executable (`swift build --build-tests` puts it beside the
/// test bundle), run to completion with files for its standard streams.
public enum NightdeskBinary {
  public static var url: URL {
    URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("nightdesk")
  }

  public struct Outcome: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  struct Missing: Error, CustomStringConvertible {
    var description: String
  }

  /// Runs `nightdesk arguments` with `stdin` as its input and `environment` added to ours.
  /// Awaits the exit without holding a thread: a blocking wait would take one of the few
  /// cooperative threads (two on CI) for the child's whole life, and two such tests at
  /// once stall every other suite (their workers, leases and timers) for as long.
  public static func run(
    _ arguments: [String], stdin: String = "", environment: [String: String] = [:]
  ) async throws -> Outcome {
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
      throw Missing(description: "\(url.path) is missing: build with `swift build --build-tests`")
    }
    return try await runProgram(url, arguments, stdin: stdin, environment: environment)
  }

  /// Runs any program (curl, a venv's python) the same way.
  public static func runProgram(
    _ executable: URL, _ arguments: [String], stdin: String = "", environment: [String: String] = [:]
  ) async throws -> Outcome {
    // Files rather than pipes: a pipe fills up and blocks the child while we are still writing its input.
    let folder = try TestPaths.temporaryDirectory("nightdesk-cli")
    defer { try? FileManager.default.removeItem(at: folder) }
    let paths = ["stdin", "stdout", "stderr"].map { folder.appendingPathComponent($0) }
    try Data(stdin.utf8).write(to: paths[0])
    for path in paths.dropFirst() { try Data().write(to: path) }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = try FileHandle(forReadingFrom: paths[0])
    process.standardOutput = try FileHandle(forWritingTo: paths[1])
    process.standardError = try FileHandle(forWritingTo: paths[2])
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
      process.terminationHandler = { _ in continuation.resume() }
      do { try process.run() } catch {
        process.terminationHandler = nil
        continuation.resume(throwing: error)
      }
    }
    return Outcome(
      status: process.terminationStatus, stdout: try String(contentsOf: paths[1], encoding: .utf8),
      stderr: try String(contentsOf: paths[2], encoding: .utf8))
  }
}
