import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRequests
import NightdeskSupport
import NightdeskTestSupport
import NightdeskWorker
import Testing

/// One request and one seed give one answer, whichever way it runs: `nightdesk
/// generate` on its single-sequence path, `generate --prompts-file` through the
/// engine, and a worker serving the queue (a real redis-server). Sampled, not
/// greedy, so the sampler and its seeded random numbers are what is compared.
@Suite(.serialized) struct SeedReproducibilityTests {
  static let messages = [
    ChatMessage(role: .system, content: "You are a terse analyst."),
    ChatMessage(role: .user, content: "Harrowgate Mills reported revenue of 412 million pounds, up 9 percent. Summarise."),
  ]
  static let sampling = SamplingParameters(temperature: 0.9, topK: 50, topP: 0.95, seed: 20_261_207, maxTokens: 24)

  /// What one run gave.
  struct Answer: Equatable {
    var tokens: [Int]
    var text: String
  }

  static let flags = [
    "--temperature", "0.9", "--top-k", "50", "--top-p", "0.95", "--seed", "20261207", "--max-tokens", "24",
  ]

  static func generateSingle(model: String, messagesFile: URL) async throws -> Answer {
    let result = try await NightdeskBinary.run(["generate", "--model", model, "--messages", messagesFile.path, "--json"] + flags)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSONParser.parse(Data(result.stdout.utf8))
    return Answer(tokens: object["tokens"]?.arrayValue?.compactMap(\.intValue) ?? [], text: object["text"]?.stringValue ?? "")
  }

  static func generatePromptsFile(model: String, folder: URL) async throws -> Answer {
    let line = JSONValue.object(JSONObject(["messages": .array(messages.map(\.json))]))
    let file = folder.appendingPathComponent("prompts.jsonl")
    try Data((JSONWriter.string(line) + "\n").utf8).write(to: file)
    let result = try await NightdeskBinary.run(
      ["generate", "--model", model, "--prompts-file", file.path, "--kv-memory", "64MiB"] + flags)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSONParser.parse(Data(result.stdout.utf8))
    #expect(object["error"] == nil, "\(result.stdout)")
    return Answer(tokens: object["tokens"]?.arrayValue?.compactMap(\.intValue) ?? [], text: object["text"]?.stringValue ?? "")
  }

  /// The worker's answer: its text and how many tokens it generated (results carry no ids).
  static func worker(model: String) async throws -> (text: String, generatedTokens: Int, seed: UInt64?) {
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let receipt = try queue.submit([JobSpec(requests: [ChatRequest(customID: "q", messages: messages, sampling: sampling)])])
    let executor = try EngineExecutor.load(model: model, threads: 2) { stops in
      EngineConfiguration(kvMemoryBytes: 64 << 20, eosTokenIDs: stops)
    }
    let summary = try await Worker(
      configuration: WorkerConfiguration(
        redisURL: fixture.server.url, keys: fixture.keys, workerID: "seed-worker", pollInterval: .milliseconds(20),
        drain: true),
      executor: executor
    ).run()
    await executor.engine.shutdown()
    #expect(summary.succeeded == 1)
    let answer = try #require(try queue.records(receipt.jobs.map(\.id)).first?.result?.requests.first)
    return (answer.text, answer.generatedTokens, answer.sampling.seed)
  }

  @Test(arguments: ["smollm2", "qwen3-tiny"])
  func generateBothWaysAndTheWorkerGiveTheSameTokens(model name: String) async throws {
    let model = name == "smollm2" ? try TestPaths.requireSmolLM2().path : TestPaths.fixture("qwen3-tiny").path
    let folder = try TestPaths.temporaryDirectory("seed-reproducibility")
    defer { try? FileManager.default.removeItem(at: folder) }
    let messagesFile = folder.appendingPathComponent("messages.json")
    try Data(JSONWriter.string(.array(Self.messages.map(\.json))).utf8).write(to: messagesFile)

    let single = try await Self.generateSingle(model: model, messagesFile: messagesFile)
    let batched = try await Self.generatePromptsFile(model: model, folder: folder)
    #expect(!single.tokens.isEmpty)
    #expect(batched == single, "generate: \(single.tokens)\n--prompts-file: \(batched.tokens)")

    // The worker leaves control tokens out of its text; the CLI shows them.
    let served = try ServedModel.open(model)
    let answer = try await Self.worker(model: model)
    #expect(answer.seed == Self.sampling.seed)
    #expect(answer.generatedTokens == single.tokens.count)
    #expect(answer.text == served.tokenizer.decode(
      single.tokens.map(Int32.init).filter { !served.stopTokenIDs.contains($0) }, skipSpecialTokens: true))
  }
}
