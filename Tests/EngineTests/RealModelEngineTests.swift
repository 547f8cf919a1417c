import Foundation
import NightdeskRequests
import NightdeskEngine
import NightdeskModel
import NightdeskTestSupport
import Testing

/// The engine over the real forward pass (qwen3-tiny fixture and SmolLM2 Q4_1):
/// a request's output must not depend on its batch-mates, on its prefix coming
/// from the cache, or on being preempted and recomputed.
@Suite(.serialized) struct RealModelEngineTests {
  static let blockSize = 16

  static func engine(_ path: String, kvBlocks: Int = 512, prefixCaching: Bool = true, maxBatchTokens: Int = 64)
    throws -> Engine
  {
    let model = try ModelPackage.open(path).loadModel()
    let perBlock = model.kvBytesPerBlock(blockSize: blockSize, precision: .f32)
    return try Engine(
      model: model,
      configuration: EngineConfiguration(
        blockSize: blockSize, kvMemoryBytes: kvBlocks * perBlock,
        scheduler: SchedulerConfiguration(maxBatchTokens: maxBatchTokens, maxSequences: 16),
        prefixCaching: prefixCaching))
  }

  /// Mixed lengths: a shared 40-token document with short and long questions, a
  /// prompt of exactly three blocks sent twice (the second is a full cache hit),
  /// and unrelated prompts. Ids are ordinary tokens of both vocabularies.
  static func prompts() -> [[Int32]] {
    var state: UInt64 = 7
    func ids(_ count: Int) -> [Int32] {
      (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int32(300 + (state >> 33) % 4000)
      }
    }
    let document = ids(40)
    let exact = ids(48)
    return [document + ids(5), ids(7), document + ids(21), exact, ids(33), exact, document + ids(2)]
  }

  struct Run: Equatable {
    var tokens: [[Int32]]
    var logprobs: [[[TokenLogprob]]]
  }

  static func run(_ engine: Engine, _ sampling: SamplingParameters, oneAtATime: Bool) async throws -> Run {
    let requests = prompts().map { GenerationRequest(prompt: $0, sampling: sampling) }
    var results: [CompletedGeneration] = []
    if oneAtATime {
      for request in requests { results.append(try await engine.submit(request).collect()) }
    } else {
      let generations = requests.map { engine.submit($0) }
      for generation in generations { results.append(try await generation.collect()) }
    }
    return Run(
      tokens: results.map(\.tokens),
      logprobs: results.map { $0.samples.map { [TokenLogprob(id: $0.id, logprob: $0.logprob ?? .nan)] + $0.topLogprobs } })
  }

  static let models: [String] = ["qwen3-tiny", "smollm2"]

  static func path(_ name: String) -> String {
    name == "smollm2" ? TestPaths.smolLM2.path : TestPaths.fixture("qwen3-tiny").path
  }

  @Test(arguments: models)
  func batchedGreedyIsTokenForTokenTheSameAsOneAtATime(model name: String) async throws {
    let greedy = SamplingParameters(temperature: 0, maxTokens: 8, ignoreEOS: true, logprobs: 3)
    let reference = try Self.engine(Self.path(name), prefixCaching: false)
    let alone = try await Self.run(reference, greedy, oneAtATime: true)
    await reference.shutdown()

    let batchedEngine = try Self.engine(Self.path(name))
    let batched = try await Self.run(batchedEngine, greedy, oneAtATime: false)
    let stats = batchedEngine.statistics
    await batchedEngine.shutdown()
    #expect(batched.tokens == alone.tokens)
    // Two followers reuse the document's two full blocks; the repeated prompt all but its last token.
    #expect(stats.prefixReusedTokens == 2 * 32 + 47)

    // 10 blocks hold two or three of these sequences: the rest wait or are preempted.
    let tight = try Self.engine(Self.path(name), kvBlocks: 10)
    let squeezed = try await Self.run(tight, greedy, oneAtATime: false)
    let tightStats = tight.statistics
    await tight.shutdown()
    #expect(squeezed.tokens == alone.tokens)
    #expect(tightStats.preemptions > 0)

    // Logits, through their log-probabilities: bitwise the same in every case.
    #expect(batched.logprobs == alone.logprobs)
    #expect(squeezed.logprobs == alone.logprobs)
  }

  @Test(arguments: models)
  func seededSamplingIsReproducibleAcrossBatchCompositions(model name: String) async throws {
    let seeded = SamplingParameters(temperature: 0.8, topP: 0.95, seed: 2024, maxTokens: 8, ignoreEOS: true)
    let reference = try Self.engine(Self.path(name), prefixCaching: false)
    let alone = try await Self.run(reference, seeded, oneAtATime: true)
    await reference.shutdown()
    let batchedEngine = try Self.engine(Self.path(name), maxBatchTokens: 40)
    let batched = try await Self.run(batchedEngine, seeded, oneAtATime: false)
    await batchedEngine.shutdown()
    #expect(batched.tokens == alone.tokens)
  }
}

extension RealModelEngineTests {
  @Test func cancellingMidGenerationFreesEveryBlockOfTheRealModel() async throws {
    let engine = try Self.engine(Self.path("qwen3-tiny"))
    let prompts = Self.prompts()
    let long = engine.submit(
      GenerationRequest(prompt: prompts[2], sampling: SamplingParameters(temperature: 0, maxTokens: 4000, ignoreEOS: true)))
    let short = engine.submit(GenerationRequest(prompt: prompts[0], sampling: SamplingParameters(temperature: 0, maxTokens: 4)))
    var tokens = 0
    var reason: FinishReason?
    for try await event in long.events {
      if case .token = event {
        tokens += 1
        if tokens == 3 { engine.cancel(long.id) }
      }
      if case .finished(let summary) = event { reason = summary.reason }
    }
    #expect(reason == .cancelled)
    #expect(tokens < 4000)
    _ = try await short.collect()
    await engine.shutdown()
    #expect(engine.statistics.kvBlocksUsed == 0)
  }
}

extension RealModelEngineTests {
  /// A document that ends mid-block: followers copy the cached block that starts
  /// like theirs and compute only the rest, up to their last token, with logits
  /// bitwise those of computing everything.
  @Test(arguments: models)
  func aDocumentEndingMidBlockIsReusedUpToTheLastToken(model name: String) async throws {
    var state: UInt64 = 11
    func ids(_ count: Int) -> [Int32] {
      (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int32(300 + (state >> 33) % 4000)
      }
    }
    let document = ids(40), question = ids(20)  // the document fills 2 blocks and half of a third
    let followers = [document + ids(5), document + Array(question.prefix(3)) + ids(4), document + Array(question.prefix(4))]
    let greedy = SamplingParameters(temperature: 0, maxTokens: 4, ignoreEOS: true, logprobs: 3)
    func logprobs(_ result: CompletedGeneration) -> [[TokenLogprob]] {
      result.samples.map { [TokenLogprob(id: $0.id, logprob: $0.logprob ?? .nan)] + $0.topLogprobs }
    }

    let reference = try Self.engine(Self.path(name), prefixCaching: false)
    var expected: [[[TokenLogprob]]] = []
    for prompt in followers {
      expected.append(logprobs(try await reference.submit(GenerationRequest(prompt: prompt, sampling: greedy)).collect()))
    }
    await reference.shutdown()

    let engine = try Self.engine(Self.path(name))
    _ = try await engine.submit(GenerationRequest(prompt: document + question, sampling: greedy)).collect()
    var reused: [Int] = []
    for (index, prompt) in followers.enumerated() {
      let result = try await engine.submit(GenerationRequest(prompt: prompt, sampling: greedy)).collect()
      reused.append(result.summary.usage.prefixReusedTokens)
      #expect(logprobs(result) == expected[index], "follower \(index)")
    }
    await engine.shutdown()
    // 32 tokens in full blocks, then 8, 11 and (capped at the last token) 11 of the third block.
    #expect(reused == [40, 43, 43])
    #expect(engine.statistics.kvBlocksUsed == 0)
  }
}
