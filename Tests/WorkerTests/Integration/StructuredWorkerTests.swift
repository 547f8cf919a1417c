import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskQueue
import NightdeskQueueTestSupport
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer
import NightdeskWorker
import Testing

/// `response_format` and thinking through a worker on the real SmolLM2 model and a real
/// redis-server: the parsed answer is stored as `structured`, an answer cut short keeps
/// its text beside the validation error, a schema the compiler refuses fails its request
/// alone, and a think block never reaches the answer text.
@Suite(.serialized) struct StructuredWorkerTests {
  static let schema: JSONValue = [
    "type": "object", "required": ["company", "revenue", "sentiment"],
    "properties": [
      "company": ["type": "string", "maxLength": 40], "revenue": ["type": "number"],
      "sentiment": ["enum": ["positive", "neutral", "negative"]],
    ],
  ]

  static func request(_ id: String, format: JSONValue?, maxTokens: Int) -> ChatRequest {
    ChatRequest(
      customID: id,
      messages: [.system("Answer from this document.\n\nHarrowgate Mills reported revenue of 412 million pounds in 2025, up 9 percent."),
                 .user("Give the company, its revenue in millions and the sentiment as JSON.")],
      sampling: SamplingParameters(temperature: 0, maxTokens: maxTokens),
      responseFormat: format.map { .jsonSchema(name: "facts", schema: $0) })
  }

  @Test func aResponseFormatRequestStoresItsParsedAnswerAndTheOthersFailOrKeepTheirText() async throws {
    try #require(FileManager.default.fileExists(atPath: TestPaths.smolLM2.path), "run Ops/setup for the SmolLM2 model")
    let fixture = try QueueFixture()
    let queue = try fixture.client()
    let unsupported: JSONValue = ["type": "string", "pattern": "^[A-Z]+$"]
    let receipt = try queue.submit([
      JobSpec(requests: [
        Self.request("whole", format: Self.schema, maxTokens: 200),
        Self.request("cut", format: Self.schema, maxTokens: 4),
        Self.request("refused", format: unsupported, maxTokens: 20),
        Self.request("free", format: nil, maxTokens: 8),
      ])
    ])
    let executor = try await onOwnThread { try EngineWorkerTests.executor() }
    let summary = try await Worker(configuration: EngineWorkerTests.configuration(fixture), executor: executor).run()
    await executor.engine.shutdown()
    #expect(summary.succeeded == 1)
    let record = try #require(try queue.records(receipt.jobs.map(\.id)).first)
    let answers = try #require(record.result?.requests)
    try #require(answers.count == 4)

    let whole = answers[0]
    #expect(whole.finishReason == "stop" && whole.error == nil)
    let value = try #require(whole.structured, "no structured value for \(whole.text)")
    #expect(try StructuredSchema.compile(Self.schema).validate(value).isEmpty)
    #expect(try JSONParser.parse(whole.text) == value)
    // Stored as "structured" in the result's JSON, and read back.
    #expect(whole.json["structured"] == value)
    #expect(try RequestResult(json: whole.json) == whole)

    let cut = answers[1]
    #expect(cut.finishReason == "length" && cut.generatedTokens == 4 && !cut.text.isEmpty && cut.structured == nil)
    #expect(cut.error?.contains("not valid under the response_format schema") == true, "\(cut.error ?? "nil")")

    #expect(answers[2].finishReason == "error" && answers[2].error?.contains("\"pattern\"") == true, "\(answers[2].error ?? "nil")")
    #expect(answers[3].structured == nil && answers[3].error == nil && !answers[3].text.isEmpty)

    // The OpenAI output keeps its shape: the cut answer is a completion with its text, the
    // refused one an error line.
    let lines = try ResultFormat.openai.render([record]).split(separator: "\n").map { try JSONParser.parse(String($0)) }
    #expect(lines.count == 4)
    let message = lines[1]["response"]?["body"]?["choices"]?.arrayValue?.first?["message"]
    #expect(message?["content"]?.stringValue == cut.text)
    #expect(message?["reasoning_content"] == nil)
    #expect(lines[1]["response"]?["body"]?["choices"]?.arrayValue?.first?["finish_reason"] == "length")
    #expect(lines[2]["response"] == .null && lines[2]["error"]?["code"] == "invalid_request")

    // The readable formats show the cut answer's text beside its error, not the error alone.
    let summaryLines = ResultFormat.summary.render([record]).split(separator: "\n")
    let cutLine = try #require(summaryLines.first { $0.hasPrefix("cut: [error]") })
    #expect(cutLine.hasPrefix("cut: [error] \(cut.error ?? "") — \(cut.text.prefix(1))"), "\(cutLine)")
    let markdown = ResultFormat.markdown.render([record])
    #expect(markdown.contains("**Answer as generated:** \(cut.text.prefix(1))"), "\(markdown)")
  }

  @Test func theThinkBlockIsKeptApartFromTheAnswer() throws {
    let sampling = SamplingParameters()
    var result = RequestResult(customID: "t", text: "", finishReason: "stop", promptTokens: 3, reusedTokens: 0,
                               generatedTokens: 9, sampling: sampling)
    let schema = try StructuredSchema.compile(["type": "object", "properties": ["a": ["type": "integer"]], "required": ["a"]])
    EngineExecutor.settle(&result, generated: "<think>\nThe user wants a.\n</think>\n\n{\"a\": 1}", schema: schema)
    #expect(result.text == "{\"a\": 1}" && result.reasoning == "The user wants a." && result.structured == ["a": 1])
    #expect(result.json["reasoning"] == "The user wants a." && result.json["structured"] == ["a": 1])

    var plain = RequestResult(customID: "p", text: "", finishReason: "length", promptTokens: 3, reusedTokens: 0,
                              generatedTokens: 9, sampling: sampling)
    EngineExecutor.settle(&plain, generated: "Plain answer.", schema: nil)
    #expect(plain.text == "Plain answer." && plain.reasoning == nil && plain.json["reasoning"] == nil)
  }

  @Test func enableThinkingReachesQwen3sTemplate() async throws {
    let served = try await onOwnThread { try ServedModel.open(TestPaths.fixture("qwen3-tiny").path) }
    let template = try served.chatTemplate()
    let messages = [ChatMessage.user("Hello")]
    let off = try served.promptIDs(for: messages, template: template, enableThinking: false)
    let on = try served.promptIDs(for: messages, template: template, enableThinking: true)
    #expect(served.tokenizer.decode(Array(off.suffix(from: on.count))).contains("</think>"))
    #expect(Array(off.prefix(on.count)) == on)
  }
}
