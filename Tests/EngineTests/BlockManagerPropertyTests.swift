import PropertyBased
import Testing
@testable import NightdeskEngine

/// Block-manager invariants under random sequences of submissions, steps,
/// completions and cancellations, with a pool small enough to force eviction and
/// preemption.
@Suite struct BlockManagerPropertyTests {
  static let blockSize = 4
  static let documents: [[Int32]] = [
    Array(0..<13), Array(0..<8) + Array(50..<58), Array(100..<104), [],
  ]

  /// One operation per generated number: <30 submit, <75 step, <88 finish, else cancel.
  static func run(_ operations: [Int], blocks: Int) -> [String] {
    var problems: [String] = []
    var state = SchedulerState(blocks: BlockManager(blockCount: blocks, blockSize: blockSize, modelIdentity: "prop"))
    let scheduler = Scheduler(configuration: .init(maxBatchTokens: 12, maxSequences: 6, watermarkBlocks: 1))
    var nextID: UInt64 = 1
    for (index, operation) in operations.enumerated() {
      switch operation {
      case ..<30:
        let document = documents[operation % documents.count]
        let suffix = (0..<(1 + operation % 5)).map { Int32(200 + (operation * 7 + $0) % 40) }
        state.enqueue(RequestID(nextID), prompt: document + suffix)
        nextID += 1
      case ..<75:
        let plan = scheduler.plan(&state)
        for id in plan.outOfMemory { state.remove(id) }
        state.commit(plan)
        for chunk in plan.chunks where chunk.wantsLogits {
          state.append(Int32(300 + (operation + index) % 3), to: chunk.id)
        }
      case ..<88:
        if !state.running.isEmpty { state.remove(state.running[operation % state.running.count]) }
      default:
        let all = state.sequences.keys.sorted()
        if !all.isEmpty { state.remove(all[operation % all.count]) }
      }
      problems += violations(state).map { "after operation \(index) (\(operation)): \($0)" }
      if !problems.isEmpty { return problems }
    }
    for id in state.sequences.keys.sorted() { state.remove(id) }
    if state.blocks.freeCount != blocks { problems.append("\(blocks - state.blocks.freeCount) blocks never returned") }
    if (0..<blocks).contains(where: { state.blocks.refCount(Int32($0)) != 0 }) { problems.append("references left") }
    return problems
  }

  static func violations(_ state: SchedulerState) -> [String] {
    var problems: [String] = []
    let blocks = state.blocks
    var holders = [Int32](repeating: 0, count: blocks.blockCount)
    for id in state.running {
      guard let sequence = state.sequences[id] else {
        problems.append("\(id) running but unknown")
        continue
      }
      if Set(sequence.blockTable).count != sequence.blockTable.count { problems.append("\(id) holds a block twice") }
      if sequence.blockTable.count * blockSize < sequence.computed { problems.append("\(id) table too short") }
      for block in sequence.blockTable { holders[Int(block)] += 1 }
      for index in 0..<min(sequence.registeredBlocks, sequence.computed / blockSize) {
        let start = index * blockSize
        if let cached = blocks.cachedTokens(of: sequence.blockTable[index]),
          cached != Array(sequence.tokens[start..<(start + blockSize)])
        {
          problems.append("\(id) reuses block \(sequence.blockTable[index]) holding other tokens")
        }
      }
    }
    for id in state.waiting where state.sequences[id]?.blockTable.isEmpty == false {
      problems.append("waiting \(id) holds blocks")
    }
    let free = Set(blocks.freeBlocks)
    if free.count != blocks.freeCount { problems.append("free list length \(free.count) != free count \(blocks.freeCount)") }
    for block in 0..<blocks.blockCount {
      let refCount = blocks.refCount(Int32(block))
      if refCount < 0 { problems.append("block \(block) has refcount \(refCount)") }
      if refCount != holders[block] { problems.append("block \(block) refcount \(refCount) but \(holders[block]) holders") }
      if free.contains(Int32(block)) == (refCount > 0) { problems.append("block \(block) both free and in use, or neither") }
    }
    return problems
  }

  @Test func invariantsHoldUnderRandomOperations() async {
    await propertyCheck(count: 200, input: Gen.int(in: 0...99).array(of: 1...120), Gen.int(in: 3...24)) { ops, blocks in
      let problems = Self.run(ops, blocks: blocks)
      #expect(problems.isEmpty, "\(problems.prefix(3))")
    }
  }
}
