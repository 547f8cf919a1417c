import Testing
@testable import NightdeskEngine

@Suite struct SchedulerTests {
  func makeState(blocks: Int, blockSize: Int = 4) -> SchedulerState {
    SchedulerState(blocks: BlockManager(blockCount: blocks, blockSize: blockSize, modelIdentity: "test"))
  }

  /// What the engine does after a step, minus the model: mark computed, append a token.
  func complete(_ plan: StepPlan, _ state: inout SchedulerState, token: Int32 = 1) {
    state.commit(plan)
    for chunk in plan.chunks where chunk.wantsLogits { state.append(token, to: chunk.id) }
  }

  @Test func prefillChunksEndOnBlockBoundaries() {
    var state = makeState(blocks: 64)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 10))
    state.enqueue(RequestID(1), prompt: Array(0..<23))
    var starts: [Int] = []
    for _ in 0..<3 {
      let plan = scheduler.plan(&state)
      #expect(plan.chunks.count == 1)
      starts.append(plan.chunks[0].start)
      complete(plan, &state)
    }
    // 10-token budget, 4-token blocks: chunks of 8, 8, then the remaining 7.
    #expect(starts == [0, 8, 16])
    #expect(state.sequences[RequestID(1)]!.computed == 23)
  }

  @Test func decodesAndPrefillShareAStep() {
    var state = makeState(blocks: 64)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 16))
    state.enqueue(RequestID(1), prompt: Array(0..<5))
    complete(scheduler.plan(&state), &state)
    state.enqueue(RequestID(2), prompt: Array(100..<130))
    let plan = scheduler.plan(&state)
    #expect(plan.chunks.map(\.id) == [RequestID(1), RequestID(2)])
    #expect(plan.chunks.map(\.count) == [1, 12])  // decode, then 15 tokens cut back to a block boundary
  }

  @Test func decodeTokensGoBeforeAnOlderSequencesPrefill() {
    var state = makeState(blocks: 64, blockSize: 8)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 20))
    state.enqueue(RequestID(1), prompt: Array(0..<40))
    state.enqueue(RequestID(2), prompt: [5, 6, 7])
    let first = scheduler.plan(&state)
    #expect(first.chunks.map(\.count) == [16, 3])
    complete(first, &state)
    let second = scheduler.plan(&state)
    #expect(second.chunks.map(\.id) == [RequestID(2), RequestID(1)])
    #expect(second.chunks.map(\.count) == [1, 16])
  }

  @Test func sharedPrefixSubmittedTogetherIsComputedOnce() {
    var state = makeState(blocks: 64)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 256))
    let document = Array(Int32(0)..<Int32(40))
    for id in 1...3 { state.enqueue(RequestID(UInt64(id)), prompt: document + [Int32(100 + id), 7]) }
    let first = scheduler.plan(&state)
    #expect(first.chunks.map(\.id) == [RequestID(1)])  // the others wait for the shared blocks
    complete(first, &state)
    let second = scheduler.plan(&state)
    #expect(second.chunks.count == 3)
    #expect(second.chunks[1].start == 40 && second.chunks[1].count == 2)
    #expect(second.reusedTokens == 80)
  }

  @Test func fullyCachedPromptRecomputesOnlyItsLastTokenInACopy() {
    var state = makeState(blocks: 16)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 64))
    let prompt = Array(Int32(0)..<Int32(8))
    state.enqueue(RequestID(1), prompt: prompt)
    complete(scheduler.plan(&state), &state)
    state.remove(RequestID(1))
    state.enqueue(RequestID(2), prompt: prompt)
    let plan = scheduler.plan(&state)
    #expect(plan.chunks == [.init(id: RequestID(2), start: 7, count: 1, wantsLogits: true)])
    #expect(plan.copies.count == 1)
    let table = state.sequences[RequestID(2)]!.blockTable
    #expect(plan.copies[0].destination == table[1] && plan.copies[0].source != table[1])
    #expect(plan.reusedTokens == 7)
  }

  @Test func kvExhaustionPreemptsTheNewestSequence() {
    var state = makeState(blocks: 4, blockSize: 4)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 64, watermarkBlocks: 0))
    state.enqueue(RequestID(1), prompt: Array(0..<8))
    state.enqueue(RequestID(2), prompt: Array(20..<28))
    complete(scheduler.plan(&state), &state)
    #expect(state.running == [RequestID(1), RequestID(2)])
    let plan = scheduler.plan(&state)  // both need a third block, only none is free
    #expect(plan.preempted == [RequestID(2)])
    #expect(plan.chunks.map(\.id) == [RequestID(1)])
    #expect(state.waiting == [RequestID(2)])
    #expect(state.sequences[RequestID(2)]!.blockTable.isEmpty)
  }

  @Test func aPartlyCachedBlockCountsTowardsTheCachedPrefix() {
    var state = makeState(blocks: 16)
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 64))
    state.enqueue(RequestID(1), prompt: Array(Int32(0)..<Int32(8)))
    complete(scheduler.plan(&state), &state)
    state.remove(RequestID(1))
    state.enqueue(RequestID(3), prompt: [50, 51, 52, 53, 54])  // nothing cached, arrived first
    state.enqueue(RequestID(2), prompt: [0, 1, 2, 9, 9])  // shares 3 tokens of a cached block
    #expect(scheduler.waitingOrder(state) == [RequestID(2), RequestID(3)])
  }

  @Test func agingLetsAnUncachedRequestOvertakeCachedOnes() {
    var state = makeState(blocks: 64)
    let scheduler = Scheduler(configuration: .init(agingTokensPerStep: 4))
    let cached = Array(Int32(0)..<Int32(16))
    state.enqueue(RequestID(1), prompt: cached + [1])
    complete(scheduler.plan(&state), &state)
    state.enqueue(RequestID(2), prompt: [9, 9, 9])
    state.step += 10  // request 2 has waited 10 steps: 40 tokens of aging beat 16 cached
    state.enqueue(RequestID(3), prompt: cached + [2])
    #expect(scheduler.waitingOrder(state) == [RequestID(2), RequestID(3)])
  }
}
