import Foundation
import NightdeskModel
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskServer
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// The API as `curl` sees it: keys per desk, OpenAI's error shape on every refusal,
/// desks kept apart, the upload limit, cancel, and a server that will not start open
/// on a public address.
struct CurlTests {
  static let creditKey = "sk-credit-0123456789abcdef"
  static let macroKey = "sk-macro-0123456789abcdef"

  @Test func keysSeparateDesksAndErrorsHaveOpenAIsShape() async throws {
    let fixture = try QueueFixture()
    let server = try ServeProcess(fixture, keys: [Self.creditKey: "credit", Self.macroKey: "macro"],
                                  extra: ["--max-file-size", "2KiB"])
    defer { server.stop() }
    try await server.waitUntilListening()
    let curl = Curl(base: server.baseURL)

    // No key, a wrong key: 401 in OpenAI's shape.
    var reply = try await curl.call("GET", "/v1/batches")
    #expect(reply.status == 401)
    try expectOpenAIError(reply, code: "invalid_api_key")
    reply = try await curl.call("GET", "/v1/files", key: "sk-wrong-0123456789abcdef")
    #expect(reply.status == 401)
    try expectOpenAIError(reply, code: "invalid_api_key")

    // Credit uploads a file and makes a batch of it.
    let folder = try TestPaths.temporaryDirectory("nightdesk-curl")
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("batch.jsonl")
    try Data((#"{"custom_id": "c1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "Hi"}]}}"# + "\n").utf8).write(to: input)
    reply = try await curl.call("POST", "/v1/files", key: Self.creditKey, form: ["purpose=batch", "file=@\(input.path)"])
    #expect(reply.status == 200)
    let fileID = try #require(reply.json?["id"]?.stringValue)
    #expect(reply.json?["object"] == "file" && reply.json?["purpose"] == "batch")
    reply = try await curl.call("POST", "/v1/batches", key: Self.creditKey,
                                json: #"{"input_file_id": "\#(fileID)", "endpoint": "/v1/chat/completions", "completion_window": "24h"}"#)
    #expect(reply.status == 200)
    let batchID = try #require(reply.json?["id"]?.stringValue)
    #expect(reply.json?["status"] == "in_progress" && reply.json?["request_counts"]?["total"] == 1)

    // Macro cannot see either: 404, as for what does not exist.
    for path in ["/v1/files/\(fileID)", "/v1/files/\(fileID)/content", "/v1/batches/\(batchID)"] {
      reply = try await curl.call("GET", path, key: Self.macroKey)
      #expect(reply.status == 404, "\(path)")
      try expectOpenAIError(reply, code: "not_found")
    }
    reply = try await curl.call("POST", "/v1/batches/\(batchID)/cancel", key: Self.macroKey)
    #expect(reply.status == 404)
    reply = try await curl.call("GET", "/v1/batches", key: Self.macroKey)
    #expect(reply.json?["data"]?.arrayValue?.isEmpty == true)

    // Credit cancels its batch (no worker runs): it ends cancelled, its request in the error file.
    reply = try await curl.call("POST", "/v1/batches/\(batchID)/cancel", key: Self.creditKey)
    #expect(reply.status == 200)
    #expect(["cancelling", "cancelled"].contains(reply.json?["status"]?.stringValue ?? ""))
    reply = try await curl.call("GET", "/v1/batches/\(batchID)", key: Self.creditKey)
    #expect(reply.json?["status"] == "cancelled" && reply.json?["cancelled_at"]?.intValue != nil)
    let errorFile = try #require(reply.json?["error_file_id"]?.stringValue)
    #expect(reply.json?["output_file_id"] == .null)
    reply = try await curl.call("GET", "/v1/files/\(errorFile)/content", key: Self.creditKey)
    let line = try JSONParser.parse(reply.body.trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(line["custom_id"] == "c1" && line["error"]?["code"] == "cancelled")
    reply = try await curl.call("GET", "/v1/batches?limit=1", key: Self.creditKey)
    #expect(reply.json?["data"]?.arrayValue?.count == 1 && reply.json?["first_id"]?.stringValue == batchID)

    // Refusals in OpenAI's shape: a file over --max-file-size (413), a bad endpoint,
    // an unknown URL, a deleted file.
    let big = folder.appendingPathComponent("big.jsonl")
    try Data(repeating: UInt8(ascii: "x"), count: 4096).write(to: big)
    reply = try await curl.call("POST", "/v1/files", key: Self.creditKey, form: ["purpose=batch", "file=@\(big.path)"])
    #expect(reply.status == 413)
    try expectOpenAIError(reply, code: "file_too_large")
    reply = try await curl.call("POST", "/v1/batches", key: Self.creditKey,
                                json: #"{"input_file_id": "\#(fileID)", "endpoint": "/v1/embeddings", "completion_window": "24h"}"#)
    #expect(reply.status == 400 && reply.json?["error"]?["param"] == "endpoint")
    reply = try await curl.call("GET", "/v1/nothing", key: Self.creditKey)
    #expect(reply.status == 404)
    try expectOpenAIError(reply, code: "unknown_url")
    reply = try await curl.call("DELETE", "/v1/files/\(fileID)", key: Self.creditKey)
    #expect(reply.status == 200 && reply.json?["deleted"] == true)
    reply = try await curl.call("GET", "/v1/files/\(fileID)", key: Self.creditKey)
    #expect(reply.status == 404)
  }

  /// With `--model`, or a model the queue's workers registered, a line whose prompt and
  /// max_tokens overflow the model's context is refused at creation, with its number; the
  /// others are queued.
  @Test(arguments: [true, false])
  func refusesALineTooLongForTheModelsContext(named: Bool) async throws {
    let model = try TestPaths.requireSmolLM2()
    let fixture = try QueueFixture()
    if !named {
      // Without --model, serve checks against the models the queue's workers registered.
      let served = try ServedModel.open(model.path)
      try fixture.client().register(model: ModelRegistration(
        digest: "test", name: model.lastPathComponent, contextLength: served.config.maxPositions,
        tokenizerDigest: ContextFit.tokenizerDigest(served), path: model.path, worker: "test-worker"))
    }
    let server = try ServeProcess(fixture, extra: named ? ["--model", model.path] : [])
    defer { server.stop() }
    try await server.waitUntilListening()
    let lines = [16, 9_000, 16].enumerated().map { index, maxTokens in
      #"{"custom_id": "l\#(index + 1)", "method": "POST", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hello?"}], "max_tokens": \#(maxTokens)}}"#
    }
    let reply = try await Curl(base: server.baseURL).createBatch(lines, window: "24h")
    #expect(reply.json?["status"] == "in_progress")
    #expect(reply.json?["request_counts"]?["total"] == 3 && reply.json?["request_counts"]?["failed"] == 1)
    let errors = try #require(reply.json?["errors"]?["data"]?.arrayValue, "\(reply.body)")
    #expect(errors.count == 1 && errors.first?["line"] == 2)
    #expect(errors.first?["message"]?.stringValue?.contains("tokens of \(model.lastPathComponent)'s context") == true,
            "\(errors)")
  }

  /// A window that passes before a worker comes, with no one reading the batch: the
  /// jobs fail on their deadline, and the batch, read afterwards, is `expired` with
  /// every request in its error file as `batch_expired`.
  @Test func expiresUnreadWhenNoWorkerCameInTime() async throws {
    let fixture = try QueueFixture()
    let server = try ServeProcess(fixture)
    defer { server.stop() }
    try await server.waitUntilListening()
    let curl = Curl(base: server.baseURL)
    var reply = try await curl.createBatch(
      [#"{"custom_id": "e1", "url": "/v1/chat/completions", "body": {"messages": [{"role": "user", "content": "Hi"}]}}"#],
      window: "1s")
    let batchID = try #require(reply.json?["id"]?.stringValue, "\(reply.body)")
    try await Task.sleep(for: .seconds(2.5))
    let (worker, _) = try WorkerProcess.start(fixture, id: "late", echoDelay: 0, lease: 30, drain: true)
    try await WorkerProcess.waitForExit(worker)
    reply = try await curl.call("GET", "/v1/batches/\(batchID)")
    #expect(reply.json?["status"] == "expired" && reply.json?["expired_at"]?.intValue != nil, "\(reply.body)")
    #expect(reply.json?["request_counts"]?["failed"] == 1 && reply.json?["output_file_id"] == .null)
    let errorFile = try #require(reply.json?["error_file_id"]?.stringValue)
    reply = try await curl.call("GET", "/v1/files/\(errorFile)/content")
    #expect(try JSONParser.parse(reply.body.trimmingCharacters(in: .whitespacesAndNewlines))["error"]?["code"] == "batch_expired")
  }

  @Test func refusesToServeAPublicAddressWithoutKeys() async throws {
    let fixture = try QueueFixture()
    let outcome = try await NightdeskBinary.run(
      ["serve", "--host", "0.0.0.0", "--port", String(try RedisServerProcess.freePort()),
       "--redis", "unix://\(fixture.server.socketPath)"], environment: ["NIGHTDESK_API_KEYS_FILE": ""])
    #expect(outcome.status != 0)
    #expect(outcome.stderr.contains("without API keys") && outcome.stderr.contains("NIGHTDESK_API_KEYS_FILE"))
  }

  func expectOpenAIError(_ reply: Curl.Reply, code: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let error = try #require(reply.json?["error"]?.objectValue, "not OpenAI's error shape: \(reply.body)",
                             sourceLocation: sourceLocation)
    #expect(Set(error.keys) == ["message", "type", "param", "code"], sourceLocation: sourceLocation)
    #expect(error["code"]?.stringValue == code, sourceLocation: sourceLocation)
    #expect(error["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
  }
}

/// curl against the server: the status and the body of one call.
struct Curl {
  let base: String

  struct Reply {
    var status: Int
    var body: String
    var json: JSONValue? { try? JSONParser.parse(body) }
  }

  func call(_ method: String, _ path: String, key: String? = nil, json: String? = nil, form: [String] = []) async throws
    -> Reply
  {
    var arguments = ["--silent", "--show-error", "--max-time", "60", "--request", method, "--write-out", "\n%{http_code}"]
    if let key { arguments += ["--header", "Authorization: Bearer \(key)"] }
    if let json { arguments += ["--header", "Content-Type: application/json", "--data-binary", json] }
    for field in form { arguments += ["--form", field] }
    let run = try await NightdeskBinary.runProgram(URL(fileURLWithPath: "/usr/bin/curl"), arguments + [base + path])
    try #require(run.status == 0, "curl failed: \(run.stderr)")
    let parts = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    return Reply(status: Int(parts.last ?? "") ?? 0, body: parts.dropLast().joined(separator: "\n"))
  }

  /// Uploads `lines` as a batch input file and creates a batch of it: the creation's reply.
  func createBatch(_ lines: [String], window: String) async throws -> Reply {
    let folder = try TestPaths.temporaryDirectory("nightdesk-curl-batch")
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = folder.appendingPathComponent("batch.jsonl")
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
    let file = try await call("POST", "/v1/files", form: ["purpose=batch", "file=@\(input.path)"])
    let fileID = try #require(file.json?["id"]?.stringValue, "\(file.body)")
    return try await call(
      "POST", "/v1/batches",
      json: #"{"input_file_id": "\#(fileID)", "endpoint": "/v1/chat/completions", "completion_window": "\#(window)"}"#)
  }
}
