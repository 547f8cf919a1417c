import Foundation
import NightdeskRedis
import NightdeskSupport
import NightdeskTestSupport
import Testing

/// A request too long for the model's context is refused at submit (with --model, or by
/// the model a worker registered), else failed alone by the worker that claims it; the
/// real SmolLM2 (8192 tokens of context) on a private redis-server.
@Suite(.serialized) struct ContextFitCLITests {
  static func queueArguments(_ server: RedisServerProcess) -> [String] {
    ["--redis", "unix://\(server.socketPath)", "--queue", "t"]
  }

  /// An OpenAI batch line: the shared system prompt, then `question`.
  static func line(_ id: String, _ question: String, maxTokens: Int) -> String {
    JSONWriter.string([
      "custom_id": .string(id), "method": "POST", "url": "/v1/chat/completions",
      "body": ["messages": [["role": "system", "content": "You are an analyst."], ["role": "user", "content": .string(question)]],
               "max_tokens": .int(Int64(maxTokens)), "temperature": 0],
    ])
  }

  /// Three lines: one that fits, one whose prompt alone is longer than the context, one
  /// whose max_tokens takes it over.
  static func batchFile() throws -> String {
    let folder = try TestPaths.temporaryDirectory("context-fit")
    let path = folder.appendingPathComponent("batch.jsonl").path
    let lines = [
      line("short", "Name one colour.", maxTokens: 4),
      line("long", String(repeating: "word ", count: 9000), maxTokens: 4),
      line("greedy", "Write a long story.", maxTokens: 8190),
    ]
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
    return path
  }

  static func submit(_ server: RedisServerProcess, _ file: String, extra: [String] = []) async throws -> JSONValue {
    let outcome = try await NightdeskBinary.run(
      ["submit", "--openai-batch", file, "--json"] + extra + queueArguments(server))
    #expect(outcome.status == 0, "\(outcome.stderr)")
    return try JSONParser.parse(outcome.stdout)
  }

  static func expectRefusedLongLines(_ json: JSONValue) {
    #expect(json["jobs"] == 1, "\(json)")
    let rejected = json["rejected"]?.arrayValue ?? []
    #expect(rejected.map { $0["line"] } == [2, 3], "\(json)")
    let long = rejected.first?["error"]?.stringValue ?? ""
    #expect(long.hasPrefix("messages hold a prompt of ") && long.contains("; with max_tokens 4 that is ")
      && long.contains("more than the 8192 tokens of"), "\(long)")
    let greedy = rejected.last?["error"]?.stringValue ?? ""
    #expect(greedy.contains("; with max_tokens 8190 that is ") && greedy.contains("more than the 8192 tokens"), "\(greedy)")
  }

  @Test func submitWithModelRefusesWhatDoesNotFitNamingLineAndNumbers() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    Self.expectRefusedLongLines(try await Self.submit(server, try Self.batchFile(), extra: ["--model", model]))
  }

  @Test func aWorkersRegisteredModelChecksSubmissionsWithoutModel() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    // An empty queue: the worker registers its model, finds nothing and exits.
    let worker = try await NightdeskBinary.run(["worker", "--model", model, "--drain"] + Self.queueArguments(server))
    #expect(worker.status == 0, "\(worker.stderr)")
    let redis = try RedisConnection(url: server.url)
    let entries = try redis.command("HVALS", "nd:{t}:models").array ?? []
    #expect(entries.count == 1)
    let registration = try JSONParser.parse(entries.first?.string ?? "")
    #expect(registration["context_length"] == 8192 && registration["path"]?.stringValue == model, "\(registration)")
    #expect(registration["digest"]?.stringValue?.hasPrefix("sha256:") == true, "\(registration)")
    Self.expectRefusedLongLines(try await Self.submit(server, try Self.batchFile()))
  }

  @Test func withoutAKnownModelTheWorkerFailsTheLongRequestAlone() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    let folder = try TestPaths.temporaryDirectory("context-fit")
    let file = folder.appendingPathComponent("batch.jsonl").path
    // One job (the same system prompt), two requests too long for the context.
    let lines = [Self.line("short", "Name one colour.", maxTokens: 4),
                 Self.line("long", String(repeating: "word ", count: 9000), maxTokens: 4),
                 Self.line("greedy", "Write a long story.", maxTokens: 8190)]
    try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
    let submitted = try await Self.submit(server, file)
    #expect(submitted["jobs"] == 1 && submitted["rejected"] == [], "\(submitted)")
    let batch = try #require(submitted["batch"]?.stringValue)
    let worker = try await NightdeskBinary.run(["worker", "--model", model, "--drain"] + Self.queueArguments(server))
    #expect(worker.status == 0, "\(worker.stderr)")
    let results = try await NightdeskBinary.run(["results", batch, "--format", "summary"] + Self.queueArguments(server))
    let answers = results.stdout.split(separator: "\n").map(String.init)
    #expect(answers.count == 3, "\(results.stdout)")
    #expect(answers.first?.hasPrefix("short: ") == true && answers.first?.contains("[error]") == false, "\(results.stdout)")
    for (index, line) in answers.enumerated().dropFirst() {
      #expect(line.hasPrefix("\(index == 1 ? "long" : "greedy"): [error] request \(index + 1): the prompt has ")
        && line.contains("more than the 8192 tokens of the model's context"), "\(results.stdout)")
    }
    #expect(answers.last?.contains("with max_tokens 8190 that is ") == true, "\(results.stdout)")
  }

  @Test func aLongDocumentThroughSubmitTypeIsChunkedNeverRefused() async throws {
    let model = try TestPaths.requireSmolLM2().path
    let server = try RedisServerProcess()
    // About 12,000 tokens: more than SmolLM2's context of 8192.
    let clauses = (1...400).map { "## Clause \($0)\n\nThe Supplier shall deliver lot \($0) within thirty days of the order, "
      + "and the Buyer shall pay within sixty days of delivery." }
    let folder = try TestPaths.temporaryDirectory("context-fit")
    let file = folder.appendingPathComponent("long-contract.md").path
    try Data(clauses.joined(separator: "\n\n").utf8).write(to: URL(fileURLWithPath: file))
    let outcome = try await NightdeskBinary.run(
      ["submit", "--type", "contract-risk", file, "--types-dir", TypedBatchCLITests.types, "--model", model, "--json"]
        + Self.queueArguments(server))
    #expect(outcome.status == 0, "\(outcome.stderr)")
    let json = try JSONParser.parse(outcome.stdout)
    #expect(json["rejected"] == [], "\(json)")
    // Several chunk jobs and the synthesis.
    #expect((json["jobs"]?.intValue ?? 0) > 3, "\(json)")
  }
}
