/// How keys and values are stored in the paged KV cache.
public enum KVPrecision: String, Sendable, CaseIterable {
  case f32, f16, bf16
  public var bytesPerElement: Int { self == .f32 ? 4 : 2 }
}

/// Logits for the chunks of a step that asked for them, in chunk order.
public struct Logits: Sendable {
  public let vocabularySize: Int
  /// [rows, vocabularySize]
  public var values: [Float]
  public var rowCount: Int { vocabularySize == 0 ? 0 : values.count / vocabularySize }
  public init(vocabularySize: Int, values: [Float]) {
    self.vocabularySize = vocabularySize
    self.values = values
  }
  public func row(_ index: Int) -> ArraySlice<Float> {
    values[(index * vocabularySize)..<((index + 1) * vocabularySize)]
  }
}

/// What the engine needs from a model: one forward step over many sequences'
/// tokens, with keys and values in a paged cache the engine allocates blocks of.
/// The engine confines a model and its KV storage to its own step thread, so
/// neither needs to be Sendable.
public protocol LanguageModel: AnyObject {
  var config: ModelConfig { get }
  /// A stable identity of the weights (file digest or path + size + mtime), mixed into prefix-cache hashes.
  var identity: String { get }
  /// Bytes one KV block takes over all layers, keys and values.
  func kvBytesPerBlock(blockSize: Int, precision: KVPrecision) -> Int
  /// Preallocates `blockCount` blocks of `blockSize` tokens.
  func makeKVStorage(blockCount: Int, blockSize: Int, precision: KVPrecision) throws -> KVStorage
  /// Runs every chunk of `batch`, writes their keys and values into `kv` at their
  /// positions, and returns logits for the chunks with `wantsLogits`. Each output
  /// row is computed in a fixed order whatever other rows share the step, so a
  /// sequence's logits do not depend on its batch-mates.
  func forward(_ batch: ForwardBatch, kv: KVStorage) throws -> Logits
}

/// Preallocated key/value memory, addressed by block. Layout is the model's business.
public protocol KVStorage: AnyObject {
  var blockCount: Int { get }
  var blockSize: Int { get }
  var precision: KVPrecision { get }
  var byteCount: Int { get }
  /// Copies one block's keys and values over another's (copy-on-write of a shared partial block).
  func copyBlock(from source: Int32, to destination: Int32)
}
