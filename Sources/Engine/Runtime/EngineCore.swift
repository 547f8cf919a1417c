import Foundation
import NightdeskModel
import NightdeskRequests
import NightdeskStructured

/// The engine's single owner of the model, the KV memory, the scheduler state and
/// every request's output side. It lives on the step thread and nowhere else; this
/// is where a plan's effects are applied (block copies, the forward pass, sampling,
/// events), in one place.
final class EngineCore {
  let model: any LanguageModel
  let kv: any KVStorage
  let scheduler: Scheduler
  private(set) var state: SchedulerState
  private var outputs: [RequestID: RequestOutput] = [:]
  private let eosTokens: Set<Int32>
  private let maxContext: Int
  private let makeDecoder: (@Sendable () -> any TokenTextDecoder)?
  private let makeVocabulary: (@Sendable () -> TokenVocabulary)?
  /// Built at the first constrained request and shared by all of them.
  private var vocabulary: TokenVocabulary?
  /// Per schema (by `StructuredSchema.identity`), a constraint that has worked out its
  /// first mask: requests of that schema start from a copy, so a batch of them pays for
  /// it once, not once each.
  private var startingConstraints: [UInt64: TokenConstraint] = [:]
  private var totals = EngineStatistics()

  /// Totals with the live queue and KV figures.
  var statistics: EngineStatistics {
    var snapshot = totals
    snapshot.running = state.running.count
    snapshot.waiting = state.waiting.count
    snapshot.kvBlocksUsed = state.blocks.usedCount
    snapshot.kvBlocksCached = state.blocks.cachedBlockCount
    return snapshot
  }
  /// Progress of requests touched since the last `drainReports`, for `Engine.progress(of:)`.
  private var progressUpdates: [RequestID: RequestProgress] = [:]
  private var finishedIDs: [RequestID] = []

  init(
    model: any LanguageModel, kv: any KVStorage, configuration: EngineConfiguration,
    makeDecoder: (@Sendable () -> any TokenTextDecoder)?, makeVocabulary: (@Sendable () -> TokenVocabulary)? = nil
  ) {
    self.model = model
    self.kv = kv
    scheduler = Scheduler(configuration: configuration.scheduler)
    state = SchedulerState(
      blocks: BlockManager(
        blockCount: kv.blockCount, blockSize: kv.blockSize, modelIdentity: model.identity,
        cachesPrefixes: configuration.prefixCaching))
    eosTokens = Set(configuration.eosTokenIDs)
    maxContext = configuration.maxContext ?? model.config.maxPositions
    self.makeDecoder = makeDecoder
    self.makeVocabulary = makeVocabulary
    totals.kvBlockCount = kv.blockCount
    totals.kvBlockSize = kv.blockSize
    totals.kvBytes = kv.byteCount
  }

  var isIdle: Bool { state.isIdle }

  /// Progress changes and finished requests since the last call.
  func drainReports() -> (progress: [RequestID: RequestProgress], finished: [RequestID]) {
    defer {
      progressUpdates.removeAll(keepingCapacity: true)
      finishedIDs.removeAll(keepingCapacity: true)
    }
    return (progressUpdates, finishedIDs)
  }

  static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  /// Takes a request in, or finishes its stream at once with the reason it cannot run.
  func accept(_ id: RequestID, _ request: GenerationRequest, _ continuation: RequestOutput.Continuation) {
    do throws(EngineError) {
      try check(request)
    } catch {
      continuation.finish(throwing: error)
      return
    }
    // Picked seeds stay below 2^53, so they survive JSON readers that use doubles.
    let seed = request.sampling.seed ?? UInt64.random(in: 0..<(1 << 53))
    let limit = min(request.sampling.maxTokens, maxContext - request.prompt.count)
    outputs[id] = RequestOutput(
      request: request, seed: seed, tokenLimit: limit, eosTokens: eosTokens,
      constraint: request.schema.flatMap(startingConstraint), decoder: makeDecoder?(),
      continuation: continuation, now: Self.now())
    state.enqueue(id, prompt: request.prompt)
    progressUpdates[id] = outputs[id]?.progress(nil, phase: .waiting)
  }

  private func startingConstraint(_ schema: StructuredSchema) -> TokenConstraint? {
    if let known = startingConstraints[schema.identity] { return known }
    if vocabulary == nil { vocabulary = makeVocabulary?() }
    guard let vocabulary else { return nil }
    var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
    var mask = TokenMask(count: vocabulary.count)
    constraint.allowedTokens(into: &mask)
    if startingConstraints.count >= 64 { startingConstraints.removeAll() }
    startingConstraints[schema.identity] = constraint
    return constraint
  }

  private func check(_ request: GenerationRequest) throws(EngineError) {
    do { try request.sampling.validate() } catch { throw EngineError(.invalidRequest, error.description) }
    let vocabulary = model.config.vocabularySize
    guard !request.prompt.isEmpty else { throw EngineError(.invalidRequest, "the prompt has no tokens") }
    if let bad = request.prompt.firstIndex(where: { $0 < 0 || Int($0) >= vocabulary }) {
      throw EngineError(.invalidRequest,
        "prompt token \(bad) is id \(request.prompt[bad]), outside the model's vocabulary (0..<\(vocabulary))")
    }
    guard request.prompt.count < maxContext else {
      throw EngineError(.tooLong,
        "the prompt has \(request.prompt.count) tokens; the context holds \(maxContext) with room for one more")
    }
    let capacity = state.blocks.blockCount * state.blocks.blockSize
    guard request.prompt.count < capacity else {
      throw EngineError(.tooLong,
        "the prompt has \(request.prompt.count) tokens but the whole KV cache holds \(capacity); raise --kv-memory")
    }
    if !request.sampling.stopStrings.isEmpty && makeDecoder == nil {
      throw EngineError(.invalidRequest, "stop strings need a tokenizer to decode text, and this engine has none")
    }
    if request.schema != nil {
      guard makeVocabulary != nil else {
        throw EngineError(.invalidRequest, "a schema-constrained request needs the model's vocabulary, and this engine has none")
      }
      // The schema decides where the output ends.
      if request.sampling.ignoreEOS { throw EngineError(.invalidRequest, "ignore_eos does not apply to a schema-constrained request") }
      if !request.sampling.stopStrings.isEmpty {
        throw EngineError(.invalidRequest, "stop strings do not apply to a schema-constrained request")
      }
    }
  }

  /// Cancels a request wherever it is; its blocks are free when this returns.
  func cancel(_ id: RequestID) {
    guard outputs[id] != nil else { return }
    finish(id, RequestOutput.Ending(reason: .cancelled))
  }

  /// Ends every request with `error` (engine stopping or failing).
  func failAll(_ error: EngineError) {
    for id in Array(outputs.keys).sorted() {
      state.remove(id)
      outputs.removeValue(forKey: id)?.continuation.finish(throwing: error)
      finishedIDs.append(id)
    }
  }

  /// Runs one step; returns its statistics, or nil when there was nothing to run.
  func step(idleSeconds: Double) -> StepStatistics? {
    let started = Self.now()
    let plan = scheduler.plan(&state)
    for id in plan.outOfMemory { finish(id, RequestOutput.Ending(reason: .length)) }
    guard !plan.isEmpty else { return nil }
    for copy in plan.copies { kv.copyBlock(from: copy.source, to: copy.destination) }
    let batch = plan.forwardBatch(state.sequences)
    // A decode token: one token after the prompt (recomputing after a preemption is prefill work).
    let decodeTokens = plan.chunks.filter { $0.count == 1 && $0.start >= (state.sequences[$0.id]?.promptCount ?? 0) }.count
    var logits: Logits
    do {
      logits = try model.forward(batch, kv: kv)
    } catch {
      state.commit(plan)  // releases copy sources; the failed requests are removed next
      failAll(EngineError(.modelFailure, "the model failed during a step: \(error)"))
      return nil
    }
    state.commit(plan)
    let now = Self.now()
    var row = 0
    var generated = 0
    for chunk in plan.chunks {
      let firstChunk = outputs[chunk.id]?.markAdmitted(now: now) ?? false
      // Every request announces its prompt progress at least once, before its first token.
      if !chunk.wantsLogits || firstChunk { report(chunk.id, phase: .prefill, announce: true) }
      guard chunk.wantsLogits else { continue }
      defer { row += 1 }
      outputs[chunk.id]?.constrain(&logits, row: row)
      // Mutated in place: a copy would duplicate the sampler's history every token.
      guard let (token, ending) = outputs[chunk.id]?.receive(logits.row(row), now: now) else { continue }
      generated += 1
      if let ending {
        finish(chunk.id, ending)
      } else {
        state.append(token, to: chunk.id)
        report(chunk.id, phase: .decode)
      }
    }
    let stats = StepStatistics(
      step: state.step, sequences: plan.chunks.count, prefillTokens: plan.tokenCount - decodeTokens,
      decodeTokens: decodeTokens, prefixReusedTokens: plan.reusedTokens, admitted: plan.admitted,
      preempted: plan.preempted.count, kvBlocksUsed: state.blocks.usedCount, kvBlocksFree: state.blocks.freeCount,
      kvBlocksCached: state.blocks.cachedBlockCount, stepSeconds: Self.now() - started, idleSeconds: idleSeconds)
    record(stats, plan: plan, generated: generated)
    return totals.lastStep
  }

  private func record(_ step: StepStatistics, plan: StepPlan, generated: Int) {
    totals.steps += 1
    totals.computedTokens += plan.tokenCount
    totals.generatedTokens += generated
    totals.promptTokens += plan.admittedPromptTokens
    totals.prefixReusedTokens += plan.reusedTokens
    totals.preemptions += plan.preempted.count
    totals.busySeconds += step.stepSeconds
    totals.idleSeconds += step.idleSeconds
    totals.lastStep = step
  }

  private func report(_ id: RequestID, phase: RequestProgress.Phase, announce: Bool = false) {
    guard let output = outputs[id] else { return }
    let progress = output.progress(state.sequences[id], phase: phase)
    progressUpdates[id] = progress
    if announce { output.continuation.yield(.progress(progress)) }
  }

  private func finish(_ id: RequestID, _ ending: RequestOutput.Ending) {
    guard let output = outputs.removeValue(forKey: id) else { return }
    let sequence = state.remove(id)
    totals.requestsFinished += 1
    let summary = output.summary(ending, sequence: sequence, now: Self.now())
    progressUpdates[id] = output.progress(nil, phase: .finished)
    finishedIDs.append(id)
    output.continuation.yield(.finished(summary))
    output.continuation.finish()
  }
}
