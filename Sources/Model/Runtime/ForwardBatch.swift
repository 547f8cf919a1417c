/// One sequence's share of a forward step: some of its tokens (a prefill chunk,
/// or the one decode token) and where its keys and values live.
public struct SequenceChunk: Sendable, Equatable {
  /// Rows of `ForwardBatch.tokens` that belong to this sequence, in order.
  public var rows: Range<Int>
  /// Tokens of this sequence already in the KV cache (cached prefix and earlier
  /// steps): the first row's position.
  public var startPosition: Int
  /// KV blocks of the sequence in order; they must cover `startPosition + rows.count` tokens.
  public var blockTable: [Int32]
  /// Whether the caller wants logits for this chunk's last row.
  public var wantsLogits: Bool

  public init(rows: Range<Int>, startPosition: Int, blockTable: [Int32], wantsLogits: Bool) {
    self.rows = rows
    self.startPosition = startPosition
    self.blockTable = blockTable
    self.wantsLogits = wantsLogits
  }
}

/// All tokens of one engine step, from one or many sequences. The model applies
/// each weight as one matrix product over all rows, so many sequences cost one
/// pass over the weights.
public struct ForwardBatch: Sendable, Equatable {
  /// [rows] token ids of every chunk, concatenated in chunk order.
  public var tokens: [Int32]
  public var chunks: [SequenceChunk]

  public init(tokens: [Int32], chunks: [SequenceChunk]) {
    self.tokens = tokens
    self.chunks = chunks
  }
}
