import Foundation
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// `stream: true` streams for real: the text arrives in several chunks while the worker
/// generates it, before the job's result is stored, and the chunks add up to the stored
/// answer; read with the `openai` client's streaming API and with `curl -N`. Serialized:
/// the Python tests share one virtual environment.
@Suite(.serialized)
struct StreamingTests {
  /// The echo worker streams its answer in ten pieces over two seconds.
  @Test func echoAnswerArrivesInPiecesBeforeTheJobEnds() async throws {
    let (server, worker) = try await OpenAIClientTests.startWithEchoWorker(echoDelay: 2)
    defer { server.stop(); worker.terminate() }
    let run = try await Self.stream(server, question: "What is the capital of France and why is it Paris?", maxTokens: 16)
    try Self.expectStreamed(run, server: server, minimumChunks: 3, minimumSpread: 0.5)
    #expect(run.usage?["completion_tokens"] == 1)

    // The same through curl -N: role first, content in pieces, the finish reason, [DONE].
    let curl = try await NightdeskBinary.runProgram(URL(fileURLWithPath: "/usr/bin/curl"), [
      "-sS", "-N", "-X", "POST", server.baseURL + "/v1/chat/completions", "-H", "Content-Type: application/json",
      "-d", #"{"model": "m", "stream": true, "messages": [{"role": "user", "content": "one two three four five six"}]}"#,
    ])
    #expect(curl.status == 0, "\(curl.stderr)")
    let events = curl.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }
    #expect(events.last == "[DONE]")
    let chunks = try events.dropLast().map { try JSONParser.parse(Array($0.utf8)) }
    #expect(chunks.first?["choices"]?.arrayValue?.first?["delta"]?["role"] == "assistant")
    let pieces = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.filter { !$0.isEmpty }
    #expect(pieces.count > 1, "\(curl.stdout)")
    #expect(pieces.joined() == "echo: one two three four five six")
    #expect(chunks.last?["choices"]?.arrayValue?.first?["finish_reason"] == "stop")
  }

  /// A client that goes away cancels its job: the worker stops generating for no one.
  @Test func aClientThatLeavesCancelsItsJob() async throws {
    let (server, worker) = try await OpenAIClientTests.startWithEchoWorker(echoDelay: 30)
    defer { server.stop(); worker.terminate() }
    let curl = try await NightdeskBinary.runProgram(URL(fileURLWithPath: "/usr/bin/curl"), [
      "-sS", "-N", "--max-time", "4", "-X", "POST", server.baseURL + "/v1/chat/completions",
      "-H", "Content-Type: application/json",
      "-d", #"{"model": "m", "stream": true, "messages": [{"role": "user", "content": "a long answer"}]}"#,
    ])
    #expect(curl.status == 28, "curl should have timed out: \(curl.stderr)")
    let queue = try server.fixture.client()
    try await ConditionPoller.waitFor("the job to be cancelled", timeout: .seconds(20)) {
      try queue.list(limit: 10).first?.state == .cancelled
    }
  }

  /// The stream follows the job's latest attempt: text of an older attempt that comes late
  /// is ignored, and a newer attempt that starts after text was sent ends the stream with
  /// an error event, never the text twice. (The entries are written here as two workers'
  /// attempts would write them; no worker runs.)
  @Test func aNewAttemptAfterTextWasSentEndsTheStreamWithAnError() async throws {
    let fixture = try QueueFixture()
    let server = try ServeProcess(fixture)
    defer { server.stop() }
    try await server.waitUntilListening()
    let endpoint = server.baseURL + "/v1/chat/completions"
    async let curl = NightdeskBinary.runProgram(URL(fileURLWithPath: "/usr/bin/curl"), [
      "-sS", "-N", "--max-time", "60", "-X", "POST", endpoint,
      "-H", "Content-Type: application/json",
      "-d", #"{"model": "m", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}"#,
    ])
    let queue = try fixture.client()
    var job = ""
    try await ConditionPoller.waitFor("the streamed job to be queued", timeout: .seconds(30)) {
      job = try queue.list(limit: 10).first?.id ?? ""
      return !job.isEmpty
    }
    try queue.publishLive([(job, LiveDelta(attempt: 2, token: 7, model: "m", text: "Hello"))])
    try queue.publishLive([(job, LiveDelta(attempt: 1, token: 5, model: "m", text: " stale"))])
    try queue.publishLive([(job, LiveDelta(attempt: 3, token: 9, model: "m", text: "Again"))])
    let reply = try await curl
    #expect(reply.status == 0, "\(reply.stderr)")
    let events = reply.stdout.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { $0.dropFirst(6) }
    let chunks = try events.filter { $0 != "[DONE]" }.map { try JSONParser.parse(Array($0.utf8)) }
    let text = chunks.compactMap { $0["choices"]?.arrayValue?.first?["delta"]?["content"]?.stringValue }.joined()
    #expect(text == "Hello", "\(reply.stdout)")
    #expect(chunks.last?["error"]?["message"]?.stringValue?.contains("attempt 3 started again") == true, "\(reply.stdout)")
  }

  /// SmolLM2 on a real worker: its tokens arrive as they are generated.
  @Test func smolLM2AnswerStreamsTokenByToken() async throws {
    let model = try TestPaths.requireSmolLM2()
    let fixture = try QueueFixture()
    let (server, worker) = try await ServeProcess.withModelWorker(fixture, model: model)
    defer {
      worker.terminate()
      server.stop()
    }
    let run = try await Self.stream(server, question: "Write three sentences about the sea.", maxTokens: 48)
    try Self.expectStreamed(run, server: server, minimumChunks: 3, minimumSpread: 0.2)
    #expect(run.chunks.allSatisfy { $0.model == model.lastPathComponent })
    let stored = try #require(try fixture.client().records([run.job]).first?.result)
    #expect(run.usage?["completion_tokens"] == stored.requests.first?.generatedTokens)
  }

  struct Run {
    var job: String
    var chunks: [(at: Double, content: String, model: String)]
    var finish: String?
    var usage: [String: Int]?
  }

  static func stream(_ server: ServeProcess, question: String, maxTokens: Int) async throws -> Run {
    let python = try await PythonClient.python()
    let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/ServerTests/Scripts/openai_stream_client.py")
    let run = try await NightdeskBinary.runProgram(python, [script.path, server.baseURL + "/v1", question, String(maxTokens)])
    try #require(run.status == 0, "the openai streaming script failed: \(run.stderr)\nserver log:\n\(server.log)")
    let summary = try JSONParser.parse(Array(run.stdout.utf8))
    let id = try #require(summary["id"]?.stringValue)
    // chatcmpl-<job>-0
    let job = String(id.dropFirst("chatcmpl-".count).dropLast(2))
    let chunks = (summary["chunks"]?.arrayValue ?? []).map {
      (at: $0["at"]?.doubleValue ?? 0, content: $0["content"]?.stringValue ?? "", model: $0["model"]?.stringValue ?? "")
    }
    var usage: [String: Int]?
    if let object = summary["usage"]?.objectValue {
      usage = Dictionary(uniqueKeysWithValues: object.pairs.compactMap { key, value in value.intValue.map { (key, $0) } })
    }
    return Run(job: job, chunks: chunks, finish: summary["finish"]?.stringValue, usage: usage)
  }

  /// Several content chunks, spread in time, the first before the worker finished the
  /// job, adding up to the stored answer.
  static func expectStreamed(_ run: Run, server: ServeProcess, minimumChunks: Int, minimumSpread: Double,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
    let record = try #require(try server.fixture.client().records([run.job]).first, sourceLocation: sourceLocation)
    let result = try #require(record.result, "job \(run.job) has no result", sourceLocation: sourceLocation)
    let answer = result.requests.first?.text ?? ""
    #expect(run.chunks.count >= minimumChunks, "\(run.chunks.count) content chunks", sourceLocation: sourceLocation)
    #expect(run.chunks.map(\.content).joined() == answer, sourceLocation: sourceLocation)
    let first = try #require(run.chunks.first, sourceLocation: sourceLocation)
    #expect(first.at < result.finishedAt, "the first chunk came at \(first.at), after the job ended at \(result.finishedAt)",
            sourceLocation: sourceLocation)
    let spread = (run.chunks.last?.at ?? 0) - first.at
    #expect(spread >= minimumSpread, "the chunks came within \(spread) s", sourceLocation: sourceLocation)
    #expect(["stop", "length"].contains(run.finish ?? ""), sourceLocation: sourceLocation)
  }
}
