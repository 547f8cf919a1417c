/// Keys and values of every layer in fixed-size blocks the engine hands out.
/// Layout, for keys and values alike: [layers, blocks, blockSize, kvHeads, headDim], float32.
public final class PagedKVStorage: KVStorage {
  public let blockCount: Int
  public let blockSize: Int
  public let precision: KVPrecision
  let layers: Int
  /// kvHeads · headDim: floats per token per layer.
  let tokenWidth: Int
  let keys: UnsafeMutablePointer<Float>
  let values: UnsafeMutablePointer<Float>

  var floatsPerLayer: Int { blockCount * blockSize * tokenWidth }
  public var byteCount: Int { 2 * layers * floatsPerLayer * MemoryLayout<Float>.size }

  init(config: ModelConfig, blockCount: Int, blockSize: Int, precision: KVPrecision) throws {
    guard precision == .f32 else {
      throw ModelRuntimeError.unsupported("KV precision \(precision.rawValue) is not implemented yet; use f32")
    }
    guard blockCount > 0, blockSize > 0 else {
      throw ModelRuntimeError.invalidBatch("KV storage needs at least one block of at least one token")
    }
    self.blockCount = blockCount
    self.blockSize = blockSize
    self.precision = precision
    layers = config.layerCount
    tokenWidth = config.kvHeadCount * config.headDim
    let total = layers * blockCount * blockSize * tokenWidth
    keys = .allocate(capacity: total)
    values = .allocate(capacity: total)
    // Touch nothing else: pages are committed as blocks are written.
  }

  deinit {
    keys.deallocate()
    values.deallocate()
  }

  static func bytesPerBlock(config: ModelConfig, blockSize: Int, precision: KVPrecision) -> Int {
    2 * config.layerCount * blockSize * config.kvHeadCount * config.headDim * precision.bytesPerElement
  }

  func layerKeys(_ layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * floatsPerLayer }
  func layerValues(_ layer: Int) -> UnsafeMutablePointer<Float> { values + layer * floatsPerLayer }

  /// Where the token at `position` of a sequence with `blockTable` lives within a layer.
  @inline(__always)
  func slotOffset(position: Int, blockTable: UnsafePointer<Int32>) -> Int {
    (Int(blockTable[position / blockSize]) * blockSize + position % blockSize) * tokenWidth
  }

  public func copyBlock(from source: Int32, to destination: Int32) {
    precondition(source >= 0 && Int(source) < blockCount && destination >= 0 && Int(destination) < blockCount,
                 "copyBlock(\(source) -> \(destination)) outside \(blockCount) blocks")
    let blockFloats = blockSize * tokenWidth
    for layer in 0..<layers {
      let base = layer * floatsPerLayer
      (keys + base + Int(destination) * blockFloats).update(from: keys + base + Int(source) * blockFloats, count: blockFloats)
      (values + base + Int(destination) * blockFloats).update(from: values + base + Int(source) * blockFloats, count: blockFloats)
    }
  }
}

/// A forward step that cannot run: the batch or the KV storage does not fit the model.
public enum ModelRuntimeError: Error, Sendable, CustomStringConvertible {
  case invalidBatch(String)
  case unsupported(String)

  public var description: String {
    switch self {
    case .invalidBatch(let detail): return "invalid forward batch: \(detail)"
    case .unsupported(let detail): return detail
    }
  }
}
