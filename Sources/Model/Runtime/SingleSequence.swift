import NightdeskKernels

/// One sequence run directly over a model with a trivial block table (blocks
/// 0, 1, 2, … of a private KV storage): the CLI's simple path and the tests'
/// reference. The engine replaces it for real serving.
public final class SingleSequence {
  public let model: any LanguageModel
  public let kv: KVStorage
  public let capacity: Int
  public private(set) var tokens: [Int32] = []
  private let blockTable: [Int32]

  /// `capacity` tokens at most (prompt plus generated).
  public init(model: any LanguageModel, capacity: Int, blockSize: Int = 16, precision: KVPrecision = .f32) throws {
    self.model = model
    self.capacity = capacity
    let blocks = max(1, (capacity + blockSize - 1) / blockSize)
    kv = try model.makeKVStorage(blockCount: blocks, blockSize: blockSize, precision: precision)
    (kv as? PagedKVStorage)?.commitPages()
    blockTable = (0..<blocks).map { Int32($0) }
  }

  /// Feeds `newTokens` (in chunks of at most `chunkSize`) and returns the logits after the last one.
  public func feed(_ newTokens: [Int32], chunkSize: Int = 512) throws -> [Float] {
    precondition(!newTokens.isEmpty, "feed needs at least one token")
    guard tokens.count + newTokens.count <= capacity else {
      throw ModelRuntimeError.invalidBatch("sequence of \(tokens.count + newTokens.count) tokens exceeds its capacity \(capacity)")
    }
    var logits: [Float] = []
    var start = 0
    while start < newTokens.count {
      let end = min(newTokens.count, start + max(1, chunkSize))
      let chunk = Array(newTokens[start..<end])
      let batch = ForwardBatch(tokens: chunk, chunks: [
        SequenceChunk(rows: 0..<chunk.count, startPosition: tokens.count, blockTable: blockTable, wantsLogits: end == newTokens.count),
      ])
      let result = try model.forward(batch, kv: kv)
      tokens += chunk
      if end == newTokens.count { logits = result.values }
      start = end
    }
    return logits
  }
}

/// Index of the largest logit (the lowest index on a tie; NaN is never chosen).
/// Non-generic and vectorised: a generic loop over 150k logits is a serial
/// stretch of every decode step.
public func argmax(_ values: UnsafeBufferPointer<Float>) -> Int {
  guard let base = values.baseAddress else { return 0 }
  return Int(nd_argmax(base, Int64(values.count)))
}

public func argmax(_ values: [Float]) -> Int {
  values.withUnsafeBufferPointer { argmax($0) }
}
