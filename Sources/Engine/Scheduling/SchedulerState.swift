/// Everything the scheduler decides over: the sequences, their queues, and the KV
/// blocks. A value type, so a test can build one, plan a step and inspect it.
struct SchedulerState: Sendable {
  var blocks: BlockManager
  var sequences: [RequestID: SequenceState] = [:]
  /// Sequences holding KV blocks, in admission order (the last is preempted first).
  var running: [RequestID] = []
  /// Sequences without KV, in arrival order (preempted ones go back to the front).
  var waiting: [RequestID] = []
  var step = 0
  private var arrivals = 0

  init(blocks: BlockManager) { self.blocks = blocks }

  var isIdle: Bool { running.isEmpty && waiting.isEmpty }

  mutating func enqueue(_ id: RequestID, prompt: [Int32]) {
    precondition(sequences[id] == nil, "\(id) enqueued twice")
    sequences[id] = SequenceState(
      id: id, prompt: prompt, arrival: arrivals, step: step, root: blocks.root, blockSize: blocks.blockSize)
    arrivals += 1
    waiting.append(id)
  }

  /// Drops a sequence (finished or cancelled) and frees its blocks at once.
  @discardableResult
  mutating func remove(_ id: RequestID) -> SequenceState? {
    guard var sequence = sequences.removeValue(forKey: id) else { return nil }
    blocks.free(&sequence)
    if let index = running.firstIndex(of: id) { running.remove(at: index) }
    if let index = waiting.firstIndex(of: id) { waiting.remove(at: index) }
    return sequence
  }

  /// Frees a running sequence's KV and puts it back in the waiting queue, ahead
  /// of later arrivals; its tokens (prompt and output so far) are recomputed on
  /// re-admission, from the prefix cache where its blocks survived.
  mutating func preempt(_ id: RequestID) {
    guard var sequence = sequences[id], let index = running.firstIndex(of: id) else { return }
    running.remove(at: index)
    blocks.free(&sequence)
    sequence.preemptions += 1
    sequence.waitingSince = step
    sequences[id] = sequence
    let position = waiting.firstIndex { sequences[$0].map { $0.arrival > sequence.arrival } ?? false }
    waiting.insert(id, at: position ?? waiting.endIndex)
  }

  /// Marks the chunks of a step as computed and caches their full blocks.
  mutating func commit(_ plan: StepPlan) {
    for copy in plan.copies { blocks.releaseCopySource(copy.source) }
    for chunk in plan.chunks {
      guard var sequence = sequences[chunk.id] else { continue }
      sequence.computed = chunk.start + chunk.count
      blocks.registerComputed(&sequence)
      sequences[chunk.id] = sequence
    }
  }

  mutating func append(_ token: Int32, to id: RequestID) {
    sequences[id]?.append(token, root: blocks.root, blockSize: blocks.blockSize)
  }
}
