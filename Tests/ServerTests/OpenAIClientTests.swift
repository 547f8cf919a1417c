import Foundation
import NightdeskQueueTestSupport
import NightdeskTestSupport
import Testing

/// A desk's own script, written for OpenAI's Batch API with the real `openai` Python
/// client, against `nightdesk serve` and real workers on a real redis-server. One at a
/// time: they share the virtual environment that the first one makes.
@Suite(.serialized)
struct OpenAIClientTests {
  /// Four requests answered, one line refused at validation (line 3), no error file;
  /// the output names the model that answered ("echo"), not the one asked for.
  @Test func batchRunsThroughTheEchoWorker() async throws {
    let (server, worker) = try await Self.startWithEchoWorker(echoDelay: 0.3)
    defer { server.stop(); worker.terminate() }
    let lines = [
      request("r1", system: "Report A", question: "What was revenue?"),
      request("r2", system: "Report A", question: "Name the risks."),
      #"{"custom_id": "r3", "method": "POST", "url": "/v1/embeddings", "body": {}}"#,
      request("r4", system: "Report B", question: "Who audits?"),
      request("r5", system: "Report B", question: "What was the dividend?"),
    ]
    let summary = try await PythonClient.runBatch(
      server: server, lines: lines, window: "24h",
      expect: ["status": "completed", "completed": 4, "failed": 1, "error_lines": [3], "model": "echo", "error_code": nil])
    #expect(summary["custom_ids"] as? [String] == ["r1", "r2", "r4", "r5"])
  }

  /// A completion window that passes while the jobs still run: they are cancelled, the
  /// batch ends `expired`, and every request is in the error file as `batch_expired`.
  @Test func batchExpiresWhenItsWindowPasses() async throws {
    let (server, worker) = try await Self.startWithEchoWorker(echoDelay: 20)
    defer { server.stop(); worker.terminate() }
    let summary = try await PythonClient.runBatch(
      server: server, lines: [request("s1", system: "Doc", question: "Q1?"), request("s2", system: "Doc", question: "Q2?")],
      window: "2s",
      expect: ["status": "expired", "completed": 0, "failed": 2, "error_lines": [Int](), "model": "echo",
               "error_code": "batch_expired"])
    #expect(summary["custom_ids"] as? [String] == ["s1", "s2"])
  }

  /// One chat completion at a time through the queue, plain and streamed (server-sent
  /// events), and a bad request refused with OpenAI's 400.
  @Test func chatCompletionsPlainAndStreamed() async throws {
    let (server, worker) = try await Self.startWithEchoWorker(echoDelay: 0)
    defer { server.stop(); worker.terminate() }
    let python = try await PythonClient.python()
    let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/ServerTests/Scripts/openai_chat_client.py")
    let run = try await NightdeskBinary.runProgram(python, [script.path, server.baseURL + "/v1", "unused", "echo"])
    #expect(run.status == 0, "the openai chat script failed: \(run.stderr)\nserver log:\n\(server.log)")
    #expect(run.stdout.contains("echo: What is the capital of France?"))
  }

  /// The real model answers; the output names its file, never the requested model.
  @Test func batchRunsThroughSmolLM2() async throws {
    let model = try TestPaths.requireSmolLM2()
    let fixture = try QueueFixture()
    let (server, worker) = try await ServeProcess.withModelWorker(fixture, model: model)
    defer {
      worker.terminate()
      server.stop()
    }
    let lines = ["What is 2+2?", "Name a colour."].enumerated().map { index, question in
      #"{"custom_id": "m\#(index + 1)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "\#(question)"}], "max_tokens": 8, "temperature": 0}}"#
    }
    let summary = try await PythonClient.runBatch(
      server: server, lines: lines, window: "24h",
      expect: ["status": "completed", "completed": 2, "failed": 0, "error_lines": [Int](), "model": model.lastPathComponent,
               "error_code": nil, "timeout": 600])
    #expect(summary["models"] as? [String] == [model.lastPathComponent])
  }

  /// A server and an echo worker (each job taking `echoDelay` seconds) on a new redis-server.
  static func startWithEchoWorker(echoDelay: Double) async throws -> (ServeProcess, Process) {
    let fixture = try QueueFixture()
    let server = try ServeProcess(fixture)
    let (worker, _) = try WorkerProcess.start(fixture, id: "echo", echoDelay: echoDelay, lease: 30, drain: false)
    try await server.waitUntilListening()
    return (server, worker)
  }

  func request(_ id: String, system: String, question: String) -> String {
    #"{"custom_id": "\#(id)", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "\#(system)"}, {"role": "user", "content": "\#(question)"}], "max_tokens": 16}}"#
  }
}

/// The `openai` package from PyPI in a virtual environment kept in the build folder
/// (made once; later runs reuse it), and the script that plays the desk.
enum PythonClient {
  static var venv: URL {
    NightdeskBinary.url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("openai-venv")
  }

  /// The venv's python; tests running side by side share one making of it (two at once
  /// would each see the other's half-made venv).
  static func python() async throws -> URL {
    try await VenvGate.shared.python(make: makeVenv)
  }

  @Sendable private static func makeVenv() async throws -> URL {
    let python = venv.appendingPathComponent("bin/python")
    if FileManager.default.isExecutableFile(atPath: python.path) {
      let check = try await NightdeskBinary.runProgram(python, ["-c", "import openai"])
      if check.status == 0 { return python }
    }
    let made = try await NightdeskBinary.runProgram(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "venv", venv.path])
    try #require(made.status == 0, "python3 -m venv failed: \(made.stderr)")
    let pip = try await NightdeskBinary.runProgram(
      venv.appendingPathComponent("bin/pip"), ["install", "--quiet", "--disable-pip-version-check", "openai"])
    try #require(pip.status == 0, "pip install openai failed: \(pip.stderr)")
    return python
  }

  /// Runs the script on `lines` (a JSONL input file) and returns its summary.
  static func runBatch(server: ServeProcess, lines: [String], window: String, apiKey: String = "unused",
                       expect: [String: Any?]) async throws -> [String: Any] {
    let python = try await python()
    let folder = try TestPaths.temporaryDirectory("nightdesk-openai")
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("input.jsonl")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
    let expectFile = folder.appendingPathComponent("expect.json")
    try JSONSerialization.data(withJSONObject: expect.mapValues { $0 ?? NSNull() }).write(to: expectFile)
    let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/ServerTests/Scripts/openai_batch_client.py")
    let run = try await NightdeskBinary.runProgram(
      python, [script.path, server.baseURL + "/v1", apiKey, input.path, window, expectFile.path])
    try #require(run.status == 0, "the openai client script failed: \(run.stderr)\nserver log:\n\(server.log)")
    let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
    return try #require(summary)
  }
}

/// Makes the venv once per test process: the first caller starts it, the others await it.
private actor VenvGate {
  static let shared = VenvGate()
  private var making: Task<URL, any Error>?

  func python(make: @escaping @Sendable () async throws -> URL) async throws -> URL {
    if let making { return try await making.value }
    let task = Task { try await make() }
    making = task
    return try await task.value
  }
}
