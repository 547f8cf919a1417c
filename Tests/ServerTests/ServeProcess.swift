import Foundation
import NightdeskQueueTestSupport
import NightdeskTestSupport

/// A real `nightdesk serve` on a free port of 127.0.0.1, on a `QueueFixture`'s
/// redis-server; its standard error goes to a log file the test can show. Ended by
/// `stop()` (also on deinit).
final class ServeProcess {
  let process = Process()
  /// Kept for as long as the server: its redis-server stops when it is released.
  let fixture: QueueFixture
  let port: Int
  let folder: URL
  var baseURL: String { "http://127.0.0.1:\(port)" }
  var log: String { (try? String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "" }

  /// `keys` are written to a file named by NIGHTDESK_API_KEYS_FILE (`KEY DESK` lines).
  init(_ fixture: QueueFixture, keys: [String: String]? = nil, extra: [String] = []) throws {
    self.fixture = fixture
    port = try RedisServerProcess.freePort()
    folder = try TestPaths.temporaryDirectory("nightdesk-serve")
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "NIGHTDESK_API_KEYS_FILE")
    if let keys {
      let file = folder.appendingPathComponent("api-keys")
      try Data(keys.map { "\($0.key) \($0.value)\n" }.joined().utf8).write(to: file)
      environment["NIGHTDESK_API_KEYS_FILE"] = file.path
    }
    let logFile = folder.appendingPathComponent("serve.log")
    try Data().write(to: logFile)
    process.executableURL = NightdeskBinary.url
    process.arguments = ["serve", "--port", String(port), "--redis", "unix://\(fixture.server.socketPath)",
                         "--queue", fixture.keys.namespace] + extra
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: logFile)
    try process.run()
  }

  func waitUntilListening() async throws {
    let process = self.process
    try await ConditionPoller.waitFor("nightdesk serve to listen", timeout: .seconds(60)) { [self] in
      if !process.isRunning { throw Exited(log: log) }
      return log.contains("listening on")
    }
  }

  func stop() {
    if process.isRunning {
      process.terminate()
      process.waitUntilExit()
    }
    try? FileManager.default.removeItem(at: folder)
  }

  deinit { stop() }

  struct Exited: Error, CustomStringConvertible {
    var log: String
    var description: String { "nightdesk serve exited: \(log)" }
  }

  /// `serve` on the fixture's queue with a model worker beside it, listening.
  static func withModelWorker(_ fixture: QueueFixture, model: URL) async throws -> (server: ServeProcess, worker: Process) {
    let server = try ServeProcess(fixture)
    let worker = try WorkerProcess.launch(fixture, ["--model", model.path, "--threads", "2"])
    do {
      try await server.waitUntilListening()
    } catch {
      worker.terminate()
      server.stop()
      throw error
    }
    return (server, worker)
  }
}
