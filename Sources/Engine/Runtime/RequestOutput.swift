import Foundation
import NightdeskModel
import NightdeskStructured

/// The output side of one request: sampling, detokenizing, stop conditions and
/// its event stream. Owned by the step thread.
struct RequestOutput {
  typealias Continuation = AsyncThrowingStream<GenerationEvent, any Error>.Continuation

  let continuation: Continuation
  let promptCount: Int
  /// Generated tokens at most: max_tokens, or what the context has left.
  let tokenLimit: Int
  private var sampler: Sampler
  private var decoder: (any TokenTextDecoder)?
  private var stopMatcher: StopMatcher
  private let stopTokens: Set<Int32>
  /// Schema-constrained requests only: what may come next, kept for the request's whole
  /// life (a preemption recomputes the KV cache from the tokens without feeding them here again).
  private var constraint: TokenConstraint?
  private var mask: TokenMask
  private let submitted: Double
  private var admitted: Double?
  private var firstToken: Double?
  private(set) var generated = 0

  init(
    request: GenerationRequest, seed: UInt64, tokenLimit: Int, eosTokens: Set<Int32>,
    constraint: TokenConstraint?, decoder: (any TokenTextDecoder)?, continuation: Continuation, now: Double
  ) {
    self.continuation = continuation
    promptCount = request.prompt.count
    self.tokenLimit = tokenLimit
    sampler = Sampler(parameters: request.sampling, seed: seed, prompt: request.prompt)
    self.decoder = decoder
    stopMatcher = StopMatcher(stopStrings: request.sampling.stopStrings)
    stopTokens = Set(request.sampling.stopTokenIDs).union(request.sampling.ignoreEOS ? [] : eosTokens)
    submitted = now
    self.constraint = constraint
    mask = TokenMask(count: constraint?.vocabulary.count ?? 0)
  }

  /// Sets the logits of every token the schema does not allow next to -infinity, in
  /// place, before the sampler's penalties, temperature and truncation see them. Does
  /// nothing for an unconstrained request.
  mutating func constrain(_ logits: inout Logits, row: Int) {
    guard constraint != nil else { return }
    // The tokens left bound the mask so that the value closes within them.
    let tokensLeft = tokenLimit - generated
    constraint?.allowedTokens(into: &mask, tokensLeft: tokensLeft)
    let width = logits.vocabularySize
    logits.values.withUnsafeMutableBufferPointer { values in
      mask.apply(to: UnsafeMutableBufferPointer(rebasing: values[(row * width)..<((row + 1) * width)]))
    }
  }

  /// Notes the first admission; true the first time.
  mutating func markAdmitted(now: Double) -> Bool {
    guard admitted == nil else { return false }
    admitted = now
    return true
  }

  /// Samples the next token from `logits` and streams it; returns how generation
  /// ended, or nil to go on.
  mutating func receive(_ logits: ArraySlice<Float>, now: Double) -> (token: Int32, end: Ending?) {
    let sample = sampler.sample(logits)
    let index = generated
    generated += 1
    if firstToken == nil { firstToken = now }
    if constraint != nil {
      // Only the constraint ends a constrained request: an end token once the value is
      // complete. A refused token (logits all NaN) ends it too; the caller's validation
      // then reports the text as invalid.
      let refused: Bool
      do { try constraint?.accept(token: Int(sample.id)); refused = false } catch { refused = true }
      if refused || constraint?.isFinished == true {
        emit(index, sample, text: flush())
        return (sample.id, Ending(reason: .stop, stopToken: refused ? nil : sample.id))
      }
    } else if stopTokens.contains(sample.id) {
      let rest = flush()
      emit(index, sample, text: rest)
      return (sample.id, Ending(reason: .stop, stopToken: sample.id))
    }
    let text = decoder?.append(sample.id) ?? ""
    switch stopMatcher.append(text) {
    case .stopped(let before, let stop):
      emit(index, sample, text: before)
      return (sample.id, Ending(reason: .stop, stopString: stop))
    case .text(let released):
      if generated >= tokenLimit {
        emit(index, sample, text: released + flush())
        return (sample.id, Ending(reason: .length))
      }
      emit(index, sample, text: released)
      return (sample.id, nil)
    }
  }

  struct Ending {
    var reason: FinishReason
    var stopString: String?
    var stopToken: Int32?
  }

  /// Text still held by the decoder and the stop matcher (stop strings are checked once more).
  private mutating func flush() -> String {
    let tail = decoder?.finish() ?? ""
    switch stopMatcher.append(tail) {
    case .stopped(let before, _): return before
    case .text(let released): return released + stopMatcher.finish()
    }
  }

  private func emit(_ index: Int, _ sample: SampledToken, text: String) {
    continuation.yield(.token(GeneratedToken(index: index, sample: sample, text: text)))
  }

  func progress(_ sequence: SequenceState?, phase: RequestProgress.Phase) -> RequestProgress {
    RequestProgress(
      phase: phase, promptTokens: promptCount,
      promptTokensDone: min(promptCount, sequence?.computed ?? (phase == .finished ? promptCount : 0)),
      generatedTokens: generated, prefixReusedTokens: sequence?.prefixReusedTokens ?? 0)
  }

  func summary(_ ending: Ending, sequence: SequenceState?, now: Double) -> GenerationSummary {
    GenerationSummary(
      reason: ending.reason, stopString: ending.stopString, stopToken: ending.stopToken,
      usage: Usage(
        promptTokens: promptCount, generatedTokens: generated,
        prefixReusedTokens: sequence?.prefixReusedTokens ?? 0, seed: sampler.seed,
        preemptions: sequence?.preemptions ?? 0, queueSeconds: (admitted ?? now) - submitted,
        firstTokenSeconds: firstToken.map { $0 - submitted }, totalSeconds: now - submitted),
      closedByBudget: constraint?.closedByBudget ?? false)
  }
}
