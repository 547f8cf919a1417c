/// Limits of one engine step.
public struct SchedulerConfiguration: Sendable, Equatable {
  /// Tokens per step over all sequences (decode tokens plus prefill chunks).
  public var maxBatchTokens: Int
  /// Sequences holding KV at once.
  public var maxSequences: Int
  /// How much a step of waiting is worth against cached prefix tokens when the
  /// waiting queue is ordered, so a request with no cache hit is not passed over forever.
  public var agingTokensPerStep: Int
  /// Free blocks kept back when admitting new requests while others run, so the
  /// running ones can take their next decode block without preemption.
  public var watermarkBlocks: Int

  /// - Parameters:
  ///   - maxBatchTokens: 2048 keeps prefill GEMMs large while a step stays well under a second.
  ///   - maxSequences: 64 sequences per decode step.
  ///   - agingTokensPerStep: 16 (a block of cached prefix is worth one step of waiting).
  ///   - watermarkBlocks: 1.
  public init(maxBatchTokens: Int = 2048, maxSequences: Int = 64, agingTokensPerStep: Int = 16, watermarkBlocks: Int = 1) {
    self.maxBatchTokens = maxBatchTokens
    self.maxSequences = maxSequences
    self.agingTokensPerStep = agingTokensPerStep
    self.watermarkBlocks = watermarkBlocks
  }
}

/// Decides each step: which sequences run, how many tokens each, who is
/// preempted and who is admitted. It touches only the block bookkeeping in
/// `SchedulerState`, never the model or the KV memory, so it is tested on its own.
///
/// Rules, in order:
/// 1. Running sequences first: every decode token, then the next prefill chunks,
///    oldest first. When the pool runs dry, the newest running sequence is
///    preempted (its KV freed, recomputed later) until the older one fits.
/// 2. Then waiting sequences, longest cached prefix first (with aging), while the
///    token budget and free blocks last. A waiting sequence whose next uncached
///    block is being computed right now by another sequence waits a step, so a
///    shared prefix submitted many times at once is computed once. Cached tokens
///    also count inside the block where computing resumes: a cached block that
///    starts with the same tokens is copied, and only the rest is computed.
/// Prefill chunks end on block boundaries (unless they reach the prompt's end), so
/// a prompt splits the same way whatever shares the step.
struct Scheduler: Sendable {
  var configuration: SchedulerConfiguration
  /// Waiting sequences looked at per step (the queue can be long).
  var waitingScanLimit = 512

  init(configuration: SchedulerConfiguration) {
    precondition(configuration.maxBatchTokens > 0 && configuration.maxSequences > 0, "empty step limits")
    self.configuration = configuration
  }

  func plan(_ state: inout SchedulerState) -> StepPlan {
    state.step += 1
    var plan = StepPlan()
    var budget = configuration.maxBatchTokens
    scheduleRunning(&state, &plan, &budget)
    // After a preemption memory is short: admitting now would only thrash.
    if plan.preempted.isEmpty && plan.outOfMemory.isEmpty {
      admitWaiting(&state, &plan, &budget)
    }
    return plan
  }

  /// Tokens of a chunk starting at `start`: all `remaining` if the budget allows,
  /// else up to the last block boundary the budget reaches.
  func chunkLength(start: Int, remaining: Int, budget: Int, blockSize: Int) -> Int {
    if remaining <= budget { return remaining }
    return max(0, ((start + budget) / blockSize) * blockSize - start)
  }

  /// Decode tokens first, then the prefill chunks of sequences admitted earlier:
  /// a long prompt in progress never holds back the others' next token.
  private func scheduleRunning(_ state: inout SchedulerState, _ plan: inout StepPlan, _ budget: inout Int) {
    let decoding = state.running.filter { state.sequences[$0]?.isPrefilling == false }
    let prefilling = state.running.filter { state.sequences[$0]?.isPrefilling == true }
    for id in decoding + prefilling {
      guard budget > 0 else { break }
      guard var sequence = state.sequences[id], state.running.contains(id) else { continue }
      let count = chunkLength(
        start: sequence.computed, remaining: sequence.uncomputed, budget: budget, blockSize: state.blocks.blockSize)
      if count == 0 { continue }
      var preemptedSelf = false
      while !state.blocks.grow(&sequence, toHold: sequence.computed + count) {
        guard let victim = state.running.last else { preconditionFailure("no running sequence") }
        if victim == id {
          if state.running.count == 1 {
            plan.outOfMemory.append(id)
          } else {
            preempt(id, &state, &plan, &budget)
          }
          preemptedSelf = true
          break
        }
        preempt(victim, &state, &plan, &budget)
      }
      if preemptedSelf { continue }
      state.sequences[id] = sequence
      plan.chunks.append(
        .init(id: id, start: sequence.computed, count: count, wantsLogits: count == sequence.uncomputed))
      budget -= count
    }
  }

  /// Preempts `id`, dropping the chunk it may already have in this plan.
  private func preempt(_ id: RequestID, _ state: inout SchedulerState, _ plan: inout StepPlan, _ budget: inout Int) {
    if let index = plan.chunks.firstIndex(where: { $0.id == id }) {
      budget += plan.chunks[index].count
      plan.chunks.remove(at: index)
    }
    state.preempt(id)
    plan.preempted.append(id)
  }

  private func admitWaiting(_ state: inout SchedulerState, _ plan: inout StepPlan, _ budget: inout Int) {
    let blockSize = state.blocks.blockSize
    var pending = pendingBlocks(state)
    for id in waitingOrder(state) {
      guard budget > 0, state.running.count < configuration.maxSequences else { break }
      guard var sequence = state.sequences[id] else { continue }
      var hit = state.blocks.cachedPrefix(of: sequence)
      // Shared blocks are never written, so cached tokens in the block where
      // computing resumes come as a private copy of their block: the whole prompt
      // is cached (recompute only its last token, for its logits), or a cached
      // block shares the start of the next one (a document ending mid-block).
      let wholePromptCached = hit.count * blockSize == sequence.tokens.count
      var copySource = wholePromptCached ? hit.popLast() : nil
      var start = copySource == nil ? hit.count * blockSize : sequence.tokens.count - 1
      if copySource == nil, hit.count < sequence.blockHashes.count,
        pending.contains(sequence.blockHashes[hit.count])
      {
        continue
      }
      if copySource == nil, let partial = state.blocks.partialMatch(of: sequence, after: hit.count) {
        let shared = min(partial.length, sequence.tokens.count - 1 - start)  // the last token gives logits
        if shared > 0 {
          copySource = partial.block
          start += shared
        }
      }
      let count = chunkLength(
        start: start, remaining: sequence.tokens.count - start, budget: budget, blockSize: blockSize)
      if count == 0 { continue }
      let cost =
        state.blocks.blocks(toHold: start + count) - hit.count
        + state.blocks.revivals(in: hit + (copySource.map { [$0] } ?? []))
      let reserve = state.running.isEmpty ? 0 : configuration.watermarkBlocks
      guard cost <= state.blocks.freeCount - reserve else { break }

      state.blocks.adopt(hit, into: &sequence)
      if let source = copySource { state.blocks.holdCopySource(source) }
      guard state.blocks.grow(&sequence, toHold: start + count) else { preconditionFailure("cost miscounted") }
      if let source = copySource {
        plan.copies.append(.init(source: source, destination: sequence.blockTable[hit.count]))
        // A copy of a whole cached block is already in the cache; a partial one
        // becomes a block of its own once the sequence has computed the rest.
        if wholePromptCached { sequence.registeredBlocks = hit.count + 1 }
      }
      sequence.computed = start
      if sequence.prefixReusedTokens == nil {
        sequence.prefixReusedTokens = start
        plan.reusedTokens += start
        plan.admittedPromptTokens += sequence.promptCount
      }
      state.sequences[id] = sequence
      state.waiting.removeAll { $0 == id }
      state.running.append(id)
      pending.formUnion(sequence.blockHashes[sequence.registeredBlocks...])
      plan.chunks.append(.init(id: id, start: start, count: count, wantsLogits: start + count == sequence.tokens.count))
      plan.admitted += 1
      budget -= count
    }
  }

  /// Hashes of blocks that running sequences have yet to compute.
  private func pendingBlocks(_ state: SchedulerState) -> Set<BlockHash> {
    var pending = Set<BlockHash>()
    guard state.blocks.cachesPrefixes else { return pending }
    for id in state.running {
      guard let sequence = state.sequences[id], sequence.isPrefilling else { continue }
      pending.formUnion(sequence.blockHashes[sequence.registeredBlocks...])
    }
    return pending
  }

  /// Waiting sequences by priority: preempted ones first (they already streamed
  /// output), then longest cached prefix (to the token, partial blocks included) plus
  /// aging, then arrival.
  func waitingOrder(_ state: SchedulerState) -> [RequestID] {
    struct Candidate {
      var id: RequestID
      var preempted: Bool
      var score: Int
      var arrival: Int
    }
    let blockSize = state.blocks.blockSize
    let candidates = state.waiting.prefix(waitingScanLimit).compactMap { id -> Candidate? in
      guard let sequence = state.sequences[id] else { return nil }
      // Full cached blocks, plus what a cached block shares with the start of the next one.
      let fullBlocks = state.blocks.cachedPrefix(of: sequence).count
      let partial = state.blocks.partialMatch(of: sequence, after: fullBlocks)?.length ?? 0
      let cached = fullBlocks * blockSize + partial
      let aging = (state.step - sequence.waitingSince) * configuration.agingTokensPerStep
      return Candidate(id: id, preempted: sequence.preemptions > 0, score: cached + aging, arrival: sequence.arrival)
    }
    return candidates.sorted {
      if $0.preempted != $1.preempted { return $0.preempted }
      if $0.score != $1.score { return $0.score > $1.score }
      return $0.arrival < $1.arrival
    }.map(\.id)
  }
}
