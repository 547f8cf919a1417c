import Foundation
import NightdeskEngine
import NightdeskIngest
import NightdeskModel
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport
import NightdeskTestSupport
import NightdeskTokenizer
import Testing

/// Schema-constrained requests through the engine over the real models: every answer that
/// ends is valid JSON under its schema (the request ends by itself), a constrained
/// request is the same alone, batched or preempted, and unconstrained batch-mates are
/// token for token what they are without it.
@Suite(.serialized) struct ConstrainedEngineTests {
  static let blockSize = 16

  /// Opened on a thread of its own: reading the model and tokenizer must not hold a cooperative thread.
  static func engine(_ name: String, kvBlocks: Int = 512) async throws -> (Engine, ServedModel) {
    try await onOwnThread { try openEngine(name, kvBlocks: kvBlocks) }
  }

  static func openEngine(_ name: String, kvBlocks: Int) throws -> (Engine, ServedModel) {
    let path = name == "smollm2" ? try TestPaths.requireSmolLM2().path : TestPaths.fixture("qwen3-tiny").path
    let served = try ServedModel.open(path)
    let perBlock = try served.loadModel().kvBytesPerBlock(blockSize: blockSize, precision: .f32)
    let engine = try Engine(
      serving: served,
      configuration: EngineConfiguration(
        blockSize: blockSize, kvMemoryBytes: kvBlocks * perBlock,
        scheduler: SchedulerConfiguration(maxBatchTokens: 64, maxSequences: 16),
        eosTokenIDs: served.stopTokenIDs, prefixCaching: true))
    return (engine, served)
  }

  /// The annual-report job type's output schema and smaller ones of every shape.
  static func schemas() throws -> [(name: String, schema: StructuredSchema)] {
    let annualReport = try JobType.named("annual-report", folder: TestPaths.repositoryRoot.path + "/Jobs/types")
    let texts = [
      ("tags", """
        {"type": "array", "minItems": 1, "maxItems": 4, "items": {"type": "string", "minLength": 2, "maxLength": 10}}
        """),
      ("sentiment", """
        {"type": "object", "properties": {"sentiment": {"enum": ["positive", "neutral", "negative"]},
         "score": {"type": "number"}, "ticker": {"type": ["string", "null"], "maxLength": 6}},
         "required": ["sentiment", "score", "ticker"]}
        """),
      ("entities", """
        {"$defs": {"entity": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 30}, "kind": {"const": "company"}, "listed": {"type": "boolean"}},
            "required": ["name", "listed"]}},
         "type": "object", "properties": {"entities": {"type": "array", "items": {"$ref": "#/$defs/entity"}, "maxItems": 3},
           "count": {"type": "integer"}}, "required": ["entities", "count"]}
        """),
    ]
    return [("annual-report", try StructuredSchema.compile(annualReport.outputSchema.json))]
      + (try texts.map { ($0.0, try StructuredSchema.compile(try JSONParser.parse($0.1))) })
  }

  static let questions = [
    "Northwind Shipping reported revenue of 412 million euros in 2025, up 8%. Fuel costs and a port strike are risks. Extract the facts as JSON.",
    "List the companies in: Acme Corp (listed) bought Globex. Answer in JSON.",
    "What is the sentiment of: 'Profits collapsed and the CEO resigned.' Answer in JSON.",
  ]

  static func prompts(_ served: ServedModel) throws -> [[Int32]] {
    let template = try served.chatTemplate()
    return try questions.map { try served.promptIDs(for: [ChatMessage(role: .user, content: $0)], template: template) }
  }

  static func check(_ result: CompletedGeneration, _ schema: StructuredSchema, maxTokens: Int, _ label: String) {
    if result.summary.reason == .stop {
      #expect(schema.validate(text: Array(result.text.utf8)).isEmpty, "\(label): \(result.text)")
      #expect(result.summary.stopToken != nil, "\(label): ended without its end token")
    } else {
      #expect(result.summary.reason == .length && result.tokens.count == maxTokens, "\(label): \(result.summary.reason)")
    }
  }

  /// The summary says when the mask had to take tokens away for the value to close within
  /// max_tokens (the random fixture writes long strings, so a budget just above the
  /// shortest document binds), and not when the answer ended by itself well within it.
  @Test func theSummarySaysWhenTheBudgetClosedTheValue() async throws {
    let (engine, served) = try await Self.engine("qwen3-tiny")
    let schema = try #require(try Self.schemas().first { $0.name == "tags" }?.schema)
    let prompt = try Self.prompts(served)[1]
    let tight = SamplingParameters(temperature: 1.0, seed: 3, maxTokens: schema.shortestDocument + 2)
    let result = try await engine.submit(GenerationRequest(prompt: prompt, sampling: tight, schema: schema)).collect()
    await engine.shutdown()
    #expect(result.summary.closedByBudget, "\(result.text)")
    #expect(schema.validate(text: Array(result.text.utf8)).isEmpty, "\(result.text)")
    #expect(result.tokens.count <= tight.maxTokens)
  }

  @Test(arguments: ["smollm2", "qwen3-tiny"])
  func constrainedAnswersAreSchemaValidAndEndByThemselves(model name: String) async throws {
    let (engine, served) = try await Self.engine(name)
    let schemas = try Self.schemas()
    let prompts = try Self.prompts(served)
    let samplings = [
      SamplingParameters(temperature: 0, maxTokens: 400),
      SamplingParameters(temperature: 0.8, topP: 0.95, seed: 7, maxTokens: 400),
      SamplingParameters(temperature: 1.0, topK: 40, repetitionPenalty: 1.1, seed: 11, maxTokens: 400),
    ]
    var generations: [(Generation, StructuredSchema, Int, String)] = []
    for (schemaName, schema) in schemas {
      for (index, prompt) in prompts.enumerated() {
        let sampling = samplings[index % samplings.count]
        let label = "\(name) \(schemaName) prompt \(index)"
        generations.append((engine.submit(GenerationRequest(prompt: prompt, sampling: sampling, schema: schema)),
                            schema, sampling.maxTokens, label))
      }
    }
    var completed = 0
    for (generation, schema, maxTokens, label) in generations {
      let result = try await generation.collect()
      Self.check(result, schema, maxTokens: maxTokens, label)
      if result.summary.reason == .stop { completed += 1 }
      if result.summary.reason == .stop, result.tokens.count < maxTokens / 2 {
        #expect(!result.summary.closedByBudget, "\(label): ended by itself well within its budget")
      }
    }
    await engine.shutdown()
    // Most answers end by themselves within 400 tokens (a free string can run longer with
    // sampling, and is then cut, never invalid so far); the random fixture at least half.
    #expect(completed >= (name == "smollm2" ? generations.count - 2 : generations.count / 2), "\(completed) of \(generations.count)")
    #expect(engine.statistics.kvBlocksUsed == 0)
  }

  @Test(arguments: ["smollm2", "qwen3-tiny"])
  func mixedBatchesLeaveUnconstrainedRequestsUntouchedAndPreemptionKeepsTheConstraint(model name: String) async throws {
    let schemas = try Self.schemas()
    let (alone, served) = try await Self.engine(name)
    let prompts = try Self.prompts(served)
    let free = [
      SamplingParameters(temperature: 0, maxTokens: 24, ignoreEOS: true, logprobs: 3),
      SamplingParameters(temperature: 0.8, topP: 0.95, seed: 2024, maxTokens: 24, ignoreEOS: true),
    ]
    let constrained = SamplingParameters(temperature: 0.7, seed: 5, maxTokens: 120)
    var requests: [GenerationRequest] = []
    for (index, prompt) in prompts.enumerated() {
      requests.append(GenerationRequest(prompt: prompt, sampling: free[index % free.count]))
      requests.append(GenerationRequest(prompt: prompt, sampling: constrained, schema: schemas[index % schemas.count].schema))
    }
    func key(_ result: CompletedGeneration) -> [[TokenLogprob]] {
      // Without logprobs asked for, 0 stands in (NaN would never compare equal).
      result.samples.map { [TokenLogprob(id: $0.id, logprob: $0.logprob ?? 0)] + $0.topLogprobs }
    }
    var expected: [[[TokenLogprob]]] = []
    for request in requests { expected.append(key(try await alone.submit(request).collect())) }
    await alone.shutdown()

    // Together, then in a KV cache so small that requests are preempted and recomputed.
    for kvBlocks in [512, 12] {
      let (engine, _) = try await Self.engine(name, kvBlocks: kvBlocks)
      let generations = requests.map { engine.submit($0) }
      for (index, generation) in generations.enumerated() {
        let result = try await generation.collect()
        #expect(key(result) == expected[index], "\(name) request \(index) with \(kvBlocks) KV blocks")
        if let schema = requests[index].schema {
          Self.check(result, schema, maxTokens: constrained.maxTokens, "\(name) request \(index)")
        }
      }
      await engine.shutdown()
      if kvBlocks == 12 { #expect(engine.statistics.preemptions > 0) }
    }
  }

  @Test func aConstrainedRequestRefusesStopStringsAndIgnoreEOS() async throws {
    let (engine, served) = try await Self.engine("qwen3-tiny")
    let prompt = try Self.prompts(served)[0]
    let schema = try Self.schemas()[1].schema
    for sampling in [SamplingParameters(maxTokens: 8, stopStrings: ["}"]), SamplingParameters(maxTokens: 8, ignoreEOS: true)] {
      await #expect(throws: EngineError.self) {
        _ = try await engine.submit(GenerationRequest(prompt: prompt, sampling: sampling, schema: schema)).collect()
      }
    }
    await engine.shutdown()
  }
}
