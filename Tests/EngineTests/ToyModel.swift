import Foundation
import NightdeskEngine
import NightdeskModel

/// A test double of `LanguageModel` whose logits are a hash of the whole context
/// *as read back from its KV blocks*: a wrong block table, a block shared by
/// mistake or evicted while in use changes the output or throws. Unit tests of the
/// engine layers only; the real model is tested elsewhere.
final class ToyModel: LanguageModel {
  let config: ModelConfig
  let identity = "toy-model"
  /// Rows run through `forward` so far (prefill and decode), to check reuse.
  private(set) var computedRows = 0
  private(set) var steps = 0

  /// Where forward steps wait for the test, so it can act while a request runs.
  let gate: StepGate?

  init(vocabularySize: Int = 32, maxPositions: Int = 4096, gate: StepGate? = nil) {
    self.gate = gate
    config = ModelConfig(
      architecture: .llama, vocabularySize: vocabularySize, hiddenSize: 8, intermediateSize: 8, layerCount: 1,
      headCount: 1, kvHeadCount: 1, headDim: 8, rmsNormEpsilon: 1e-6, ropeTheta: 10000, maxPositions: maxPositions,
      tieWordEmbeddings: true, hasQKNorm: false, hasQKVBias: false)
  }

  func kvBytesPerBlock(blockSize: Int, precision: KVPrecision) -> Int { blockSize * 8 }

  func makeKVStorage(blockCount: Int, blockSize: Int, precision: KVPrecision) throws -> KVStorage {
    ToyKV(blockCount: blockCount, blockSize: blockSize, precision: precision)
  }

  struct Corrupt: Error, CustomStringConvertible {
    var description: String
  }

  func forward(_ batch: ForwardBatch, kv: KVStorage) throws -> Logits {
    guard let kv = kv as? ToyKV else { throw Corrupt(description: "foreign KV storage") }
    steps += 1
    gate?.pass(step: steps)
    var values: [Float] = []
    for chunk in batch.chunks {
      for (offset, row) in chunk.rows.enumerated() {
        try kv.write(token: batch.tokens[row], position: chunk.startPosition + offset, table: chunk.blockTable)
      }
      computedRows += chunk.rows.count
      guard chunk.wantsLogits else { continue }
      let last = chunk.startPosition + chunk.rows.count - 1
      var context: UInt64 = 0x1234
      for position in 0...last {
        let token = try kv.read(position: position, table: chunk.blockTable)
        context = Self.mix(context ^ UInt64(UInt32(bitPattern: token)))
      }
      for index in 0..<config.vocabularySize {
        let bits = Self.mix(context ^ (UInt64(index) &* 0x9E37_79B9))
        values.append(Float(bits % 8000) / 1000 - 4)
      }
    }
    return Logits(vocabularySize: config.vocabularySize, values: values)
  }

  static func mix(_ input: UInt64) -> UInt64 {
    var z = input &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// KV "memory" of the toy: the token and position written into every slot.
final class ToyKV: KVStorage {
  let blockCount: Int
  let blockSize: Int
  let precision: KVPrecision
  var byteCount: Int { blockCount * blockSize * 8 }
  /// [blockCount * blockSize] token and position per slot; position -1 when never written.
  private var tokens: [Int32]
  private var positions: [Int]

  init(blockCount: Int, blockSize: Int, precision: KVPrecision) {
    self.blockCount = blockCount
    self.blockSize = blockSize
    self.precision = precision
    tokens = Array(repeating: -1, count: blockCount * blockSize)
    positions = Array(repeating: -1, count: blockCount * blockSize)
  }

  private func slot(_ position: Int, _ table: [Int32]) throws -> Int {
    let index = position / blockSize
    guard index < table.count else {
      throw ToyModel.Corrupt(description: "position \(position) beyond the block table (\(table.count) blocks)")
    }
    let block = Int(table[index])
    guard block >= 0 && block < blockCount else { throw ToyModel.Corrupt(description: "block \(block) out of range") }
    return block * blockSize + position % blockSize
  }

  func write(token: Int32, position: Int, table: [Int32]) throws {
    let index = try slot(position, table)
    tokens[index] = token
    positions[index] = position
  }

  func read(position: Int, table: [Int32]) throws -> Int32 {
    let index = try slot(position, table)
    guard positions[index] == position else {
      throw ToyModel.Corrupt(description: "slot for position \(position) holds position \(positions[index])")
    }
    return tokens[index]
  }

  func copyBlock(from source: Int32, to destination: Int32) {
    for offset in 0..<blockSize {
      tokens[Int(destination) * blockSize + offset] = tokens[Int(source) * blockSize + offset]
      positions[Int(destination) * blockSize + offset] = positions[Int(source) * blockSize + offset]
    }
  }
}

/// Decodes toy token i to a fixed word, so stop strings can be tested.
struct ToyDecoder: TokenTextDecoder {
  static func text(_ token: Int32) -> String { ["a", "b", "c ", "d", "e", "!", "\n"][Int(token) % 7] }
  mutating func append(_ token: Int32) -> String { Self.text(token) }
  mutating func finish() -> String { "" }
}
