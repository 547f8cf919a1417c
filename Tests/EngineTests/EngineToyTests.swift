import Testing
import NightdeskRequests
import NightdeskEngine
import NightdeskModel
import NightdeskSupport

/// The engine end to end over `ToyModel`, whose output depends on every token it
/// reads back from the paged KV cache.
@Suite struct EngineToyTests {
  struct Outcome: Equatable {
    var tokens: [Int32] = []
    var text = ""
    var summary: GenerationSummary?
  }

  static func collect(_ generation: Generation) async throws -> Outcome {
    var outcome = Outcome()
    for try await event in generation.events {
      switch event {
      case .token(let token):
        outcome.tokens.append(token.sample.id)
        outcome.text += token.text
      case .finished(let summary): outcome.summary = summary
      case .progress: break
      }
    }
    return outcome
  }

  static func engine(kvBlocks: Int = 256, blockSize: Int = 4, maxBatchTokens: Int = 32, eos: [Int32] = [])
    throws -> Engine
  {
    try Engine(
      model: ToyModel(),
      configuration: EngineConfiguration(
        blockSize: blockSize, kvMemoryBytes: kvBlocks * blockSize * 8,
        scheduler: SchedulerConfiguration(maxBatchTokens: maxBatchTokens, maxSequences: 8), eosTokenIDs: eos),
      textDecoder: { ToyDecoder() })
  }

  /// Prompts of mixed lengths, some sharing a document.
  static let prompts: [[Int32]] = {
    let document = (0..<21).map { Int32(($0 * 5) % 32) }
    return [
      document + [1, 2, 3], [7], document + [4], Array(repeating: 9, count: 13), document + [1, 2, 5, 6, 7],
      [3, 1, 4, 1, 5, 9, 2, 6], document,
    ]
  }()

  static func requests(_ sampling: SamplingParameters) -> [GenerationRequest] {
    prompts.map { GenerationRequest(prompt: $0, sampling: sampling) }
  }

  static func oneAtATime(_ requests: [GenerationRequest]) async throws -> [Outcome] {
    var outcomes: [Outcome] = []
    for request in requests {
      let engine = try engine()  // a fresh engine: no batch-mates, no cached prefix
      outcomes.append(try await collect(engine.submit(request)))
      await engine.shutdown()
    }
    return outcomes
  }

  static func together(_ requests: [GenerationRequest], engine: Engine) async throws -> [Outcome] {
    let generations = requests.map { engine.submit($0) }
    var outcomes: [Outcome] = []
    for generation in generations { outcomes.append(try await collect(generation)) }
    return outcomes
  }

  @Test(arguments: [256, 14])
  func batchedGreedyEqualsOneAtATime(kvBlocks: Int) async throws {
    let sampling = SamplingParameters(temperature: 0, maxTokens: 20, ignoreEOS: true)
    let alone = try await Self.oneAtATime(Self.requests(sampling))
    let engine = try Self.engine(kvBlocks: kvBlocks)
    let batched = try await Self.together(Self.requests(sampling), engine: engine)
    #expect(batched.map(\.tokens) == alone.map(\.tokens))
    #expect(alone.allSatisfy { $0.tokens.count == 20 })
    // Run again: now everything comes from the prefix cache.
    let cached = try await Self.together(Self.requests(sampling), engine: engine)
    #expect(cached.map(\.tokens) == alone.map(\.tokens))
    let stats = engine.statistics
    #expect(stats.prefixReusedTokens > 0)
    if kvBlocks == 14 { #expect(stats.preemptions > 0) }
    await engine.shutdown()
    #expect(engine.statistics.kvBlocksUsed == 0)
  }

  @Test func seededSamplingIsTheSameInAnyBatch() async throws {
    let sampling = SamplingParameters(temperature: 0.9, topP: 0.9, seed: 1234, maxTokens: 12, ignoreEOS: true)
    let alone = try await Self.oneAtATime(Self.requests(sampling))
    let engine = try Self.engine(kvBlocks: 20)
    let batched = try await Self.together(Self.requests(sampling).reversed(), engine: engine)
    #expect(batched.reversed().map(\.tokens) == alone.map(\.tokens))
    #expect(Set(alone.map(\.tokens)).count > 1)
    await engine.shutdown()
  }

  @Test func sharedPrefixIsReusedAndNotRecomputed() async throws {
    let model = ToyModel()
    let engine = try Engine(
      model: model, configuration: EngineConfiguration(blockSize: 4, kvMemoryBytes: 100 * 32),
      textDecoder: nil)
    let document = Array(Int32(0)..<Int32(32))
    let sampling = SamplingParameters(temperature: 0, maxTokens: 1, ignoreEOS: true)
    let first = try await Self.collect(engine.submit(GenerationRequest(prompt: document + [1, 2], sampling: sampling)))
    let second = try await Self.collect(engine.submit(GenerationRequest(prompt: document + [3], sampling: sampling)))
    #expect(first.summary?.usage.prefixReusedTokens == 0)
    #expect(second.summary?.usage.prefixReusedTokens == 32)
    let stats = engine.statistics
    #expect(stats.computedTokens == 34 + 1)
    #expect(stats.prefixHitRatio == 32.0 / 67.0)
    await engine.shutdown()
  }

  @Test func withoutPrefixCachingNothingIsReusedAndOutputIsTheSame() async throws {
    let sampling = SamplingParameters(temperature: 0, maxTokens: 6, ignoreEOS: true)
    let engine = try Engine(
      model: ToyModel(),
      configuration: EngineConfiguration(blockSize: 4, kvMemoryBytes: 64 * 32, prefixCaching: false))
    let plain = try await Self.together(Self.requests(sampling), engine: engine)
    #expect(engine.statistics.prefixReusedTokens == 0)
    #expect(engine.statistics.computedTokens == Self.prompts.reduce(0) { $0 + $1.count } + 5 * Self.prompts.count)
    let cachedEngine = try Self.engine()
    let cached = try await Self.together(Self.requests(sampling), engine: cachedEngine)
    #expect(plain.map(\.tokens) == cached.map(\.tokens))
    #expect(cachedEngine.statistics.prefixReusedTokens > 0)
    await engine.shutdown()
    await cachedEngine.shutdown()
  }

  /// A 30-token prompt needs at most 30 steps to prefill, so a gate after 40 steps
  /// holds the request after at least 10 generated tokens and long before its end.
  static let gateSteps = 40

  @Test func cancellingMidGenerationFreesEveryBlock() async throws {
    let gate = StepGate(openSteps: Self.gateSteps)
    defer { gate.open() }
    let engine = try Engine(
      model: ToyModel(gate: gate), configuration: EngineConfiguration(blockSize: 4, kvMemoryBytes: 1024 * 32))
    let long = engine.submit(
      GenerationRequest(prompt: Array(0..<30), sampling: SamplingParameters(temperature: 0, maxTokens: 100_000, ignoreEOS: true)))
    var seen = 0
    var summary: GenerationSummary?
    for try await event in long.events {
      if case .token = event {
        seen += 1
        if seen == 5 {
          #expect(engine.progress(of: long.id) != nil)
          engine.cancel(long.id)
          gate.open()
        }
      }
      if case .finished(let end) = event { summary = end }
    }
    #expect(summary?.reason == .cancelled)
    // The step held at the gate is the last one: the cancellation is read right after it.
    #expect(seen >= 5 && seen <= Self.gateSteps + 1)
    await engine.shutdown()
    #expect(engine.statistics.kvBlocksUsed == 0)
    #expect(engine.progress(of: long.id) == nil)
  }

  @Test func stopStringsStopTokensAndEOS() async throws {
    let engine = try Self.engine(eos: [5])
    let sampling = SamplingParameters(temperature: 0, maxTokens: 40)
    let plain = try await Self.collect(engine.submit(GenerationRequest(prompt: [1, 2, 3], sampling: sampling)))
    var ignoring = sampling
    ignoring.ignoreEOS = true
    let reference = try await Self.collect(engine.submit(GenerationRequest(prompt: [1, 2, 3], sampling: ignoring)))
    // EOS (5) stops the plain run exactly where the run that ignores it first produces it.
    let eos = try #require(reference.tokens.firstIndex { $0 % 32 == 5 }, "the toy model must produce EOS within 40 tokens")
    #expect(plain.summary?.reason == .stop)
    #expect(plain.tokens == Array(reference.tokens.prefix(eos + 1)))
    // Stop at the text of the third generated token.
    let words = reference.tokens.map(ToyDecoder.text)
    var stopping = ignoring
    stopping.stopStrings = [words[2] + words[3]]
    let stopped = try await Self.collect(engine.submit(GenerationRequest(prompt: [1, 2, 3], sampling: stopping)))
    #expect(stopped.summary?.reason == .stop)
    #expect(stopped.summary?.stopString == words[2] + words[3])
    #expect(reference.text.hasPrefix(stopped.text))
    #expect(!stopped.text.contains(words[2] + words[3]))
    var byToken = ignoring
    byToken.stopTokenIDs = [reference.tokens[4]]
    let tokenStopped = try await Self.collect(engine.submit(GenerationRequest(prompt: [1, 2, 3], sampling: byToken)))
    #expect(tokenStopped.summary?.stopToken == reference.tokens[4])
    #expect(tokenStopped.tokens.count <= 5)
    await engine.shutdown()
  }

  @Test func badRequestsFailWithAClearError() async throws {
    let engine = try Self.engine(kvBlocks: 8)
    await #expect(throws: EngineError(.invalidRequest, "")) {
      _ = try await Self.collect(engine.submit(GenerationRequest(prompt: [])))
    }
    await #expect(throws: EngineError(.invalidRequest, "")) {
      _ = try await Self.collect(engine.submit(GenerationRequest(prompt: [99])))
    }
    await #expect(throws: EngineError(.tooLong, "")) {
      _ = try await Self.collect(engine.submit(GenerationRequest(prompt: Array(repeating: 1, count: 40))))
    }
    await engine.shutdown()
    await #expect(throws: EngineError(.stopped, "")) {
      _ = try await Self.collect(engine.submit(GenerationRequest(prompt: [1])))
    }
  }
}

extension EngineToyTests {
  @Test func cancellingTheReadingTaskCancelsTheRequest() async throws {
    let gate = StepGate(openSteps: Self.gateSteps)
    defer { gate.open() }
    let engine = try Engine(
      model: ToyModel(gate: gate), configuration: EngineConfiguration(blockSize: 4, kvMemoryBytes: 1024 * 32))
    let generation = engine.submit(
      GenerationRequest(prompt: Array(0..<30), sampling: SamplingParameters(temperature: 0, maxTokens: 100_000, ignoreEOS: true)))
    let reader = Task { try await generation.collect() }
    try await gate.waitUntilHolding()
    #expect((engine.progress(of: generation.id)?.generatedTokens ?? 0) >= 3)
    reader.cancel()
    await #expect(throws: CancellationError.self) { _ = try await reader.value }
    gate.open()
    await engine.shutdown()
    #expect(engine.statistics.kvBlocksUsed == 0)
    #expect(engine.statistics.requestsFinished == 1)
  }
}

extension EngineToyTests {
  @Test func collectReportsProgressForShortPromptsToo() async throws {
    let engine = try Self.engine()
    let seen = LockedBox()
    let result = try await engine.submit(
      GenerationRequest(prompt: [1, 2, 3], sampling: SamplingParameters(temperature: 0, maxTokens: 4, ignoreEOS: true))
    ).collect { seen.append($0) }
    let updates = seen.values
    #expect(result.tokens.count == 4)
    #expect(updates.first?.promptTokens == 3)
    #expect(updates.last?.generatedTokens == 4)
    #expect(updates.last?.promptTokensDone == 3)
    await engine.shutdown()
  }
}

/// Progress updates gathered from a callback.
final class LockedBox: Sendable {
  private let storage = NightdeskSupport.LockedValue<[RequestProgress]>([])
  func append(_ value: RequestProgress) { storage.withLock { $0.append(value) } }
  var values: [RequestProgress] { storage.current }
}

extension EngineToyTests {
  /// An engine dropped without `shutdown()` (a test that threw early, a caller that
  /// forgot) must still end its step thread, or the process could never exit cleanly.
  @Test(.timeLimit(.minutes(1))) func anEngineDroppedWithoutShutdownStopsItsThread() async throws {
    let gate = StepGate(openSteps: Self.gateSteps)
    defer { gate.open() }
    var engine: Engine? = try Engine(
      model: ToyModel(gate: gate), configuration: EngineConfiguration(blockSize: 4, kvMemoryBytes: 1024 * 32))
    let generation = try #require(engine).submit(
      GenerationRequest(prompt: Array(0..<30), sampling: SamplingParameters(temperature: 0, maxTokens: 100_000, ignoreEOS: true)))
    try await gate.waitUntilHolding()
    engine = nil
    gate.open()
    // The step thread reads the stop left by `deinit` after the held step, fails the
    // request, and ends.
    await #expect(throws: EngineError(.stopped, "")) { _ = try await generation.collect() }
  }
}
