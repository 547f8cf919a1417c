import Foundation
import NightdeskTestSupport
import Testing

/// `nightdesk watch` running in the background, its output in files the test reads while it runs.
public final class WatchProcess {
  public let process = Process()
  private let folder: URL

  public init(_ fixture: QueueFixture, batch: String, extra: [String]) throws {
    let binary = WorkerProcess.binary
    try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build nightdesk first (swift build --build-tests)")
    folder = try TestPaths.temporaryDirectory("nd-watch")
    for name in ["stdout", "stderr"] { try Data().write(to: folder.appendingPathComponent(name)) }
    process.executableURL = binary
    process.arguments = ["watch", batch, "--redis", "unix://\(fixture.server.socketPath)", "--queue", fixture.keys.namespace] + extra
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: folder.appendingPathComponent("stdout"))
    process.standardError = try FileHandle(forWritingTo: folder.appendingPathComponent("stderr"))
    try process.run()
  }

  public var stdout: String { read("stdout") }
  public var stderr: String { read("stderr") }

  private func read(_ name: String) -> String {
    (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)) ?? ""
  }

  public func stop() {
    if process.isRunning { process.terminate() }
    try? FileManager.default.removeItem(at: folder)
  }
}
