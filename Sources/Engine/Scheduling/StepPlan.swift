import NightdeskModel

/// What one engine step will do, decided by `Scheduler.plan` before anything runs.
struct StepPlan: Sendable, Equatable {
  /// Tokens of one sequence to run this step: a prefill chunk or its one decode token.
  struct Chunk: Sendable, Equatable {
    var id: RequestID
    /// Position of the first token (tokens before it are in the KV cache).
    var start: Int
    var count: Int
    /// The chunk reaches the sequence's last token, so its logits give the next token.
    var wantsLogits: Bool
  }

  /// A shared full block copied into a private one before the step (the whole
  /// prompt was cached, and its last token is recomputed for its logits).
  struct BlockCopy: Sendable, Equatable {
    var source: Int32
    var destination: Int32
  }

  var chunks: [Chunk] = []
  var copies: [BlockCopy] = []
  /// Sequences sent back to the waiting queue (their KV freed, to be recomputed).
  var preempted: [RequestID] = []
  /// Sequences that alone need more KV than the whole pool: they cannot continue.
  var outOfMemory: [RequestID] = []
  /// Prompt tokens of sequences admitted for the first time this step, and how
  /// many of them came from the prefix cache.
  var admittedPromptTokens = 0
  var reusedTokens = 0
  var admitted = 0

  var isEmpty: Bool { chunks.isEmpty }
  var tokenCount: Int { chunks.reduce(0) { $0 + $1.count } }

  /// The model's input: the chunks' tokens and block tables, in chunk order.
  func forwardBatch(_ sequences: [RequestID: SequenceState]) -> ForwardBatch {
    var tokens: [Int32] = []
    tokens.reserveCapacity(tokenCount)
    var batchChunks: [SequenceChunk] = []
    batchChunks.reserveCapacity(chunks.count)
    for chunk in chunks {
      guard let sequence = sequences[chunk.id] else { preconditionFailure("planned \(chunk.id) is gone") }
      let rowStart = tokens.count
      tokens.append(contentsOf: sequence.tokens[chunk.start..<(chunk.start + chunk.count)])
      batchChunks.append(
        SequenceChunk(
          rows: rowStart..<tokens.count, startPosition: chunk.start,
          blockTable: sequence.blockTable, wantsLogits: chunk.wantsLogits))
    }
    return ForwardBatch(tokens: tokens, chunks: batchChunks)
  }
}
