import Foundation
import NightdeskKernels

/// Keys and values of every layer in fixed-size blocks the engine hands out.
/// Layout: values [layers, blocks, kvHeads, blockSize, headDim], so one head's values of a block are
/// contiguous (they stay in L1 while every query of an attention task sums them, and consecutive keys
/// are not 4 KB apart in the same cache sets); keys transposed within each block,
/// [layers, blocks, kvHeads, headDim, blockSize], so the attention kernel reads one dimension of 16
/// keys as a vector (scores as outer products, no lane reduction). Elements in float32, or float16/bfloat16 (rounded to nearest on write, widened exactly on read).
public final class PagedKVStorage: KVStorage {
  public let blockCount: Int
  public let blockSize: Int
  public let precision: KVPrecision
  let layers: Int
  let kvHeads: Int
  let headDim: Int
  /// kvHeads · headDim: floats per token per layer.
  let tokenWidth: Int
  let keys: UnsafeMutableRawPointer
  let values: UnsafeMutableRawPointer

  var elementsPerLayer: Int { blockCount * blockSize * tokenWidth }
  var bytesPerLayer: Int { elementsPerLayer * precision.bytesPerElement }
  public var byteCount: Int { 2 * layers * bytesPerLayer }
  var kernelFormat: Int32 {
    switch precision {
    case .f32: return Int32(ND_KV_F32)
    case .f16: return Int32(ND_KV_F16)
    case .bf16: return Int32(ND_KV_BF16)
    }
  }

  init(config: ModelConfig, blockCount: Int, blockSize: Int, precision: KVPrecision) throws {
    guard blockCount > 0, blockSize > 0 else {
      throw ModelRuntimeError.invalidBatch("KV storage needs at least one block of at least one token")
    }
    self.blockCount = blockCount
    self.blockSize = blockSize
    self.precision = precision
    layers = config.layerCount
    kvHeads = config.kvHeadCount
    headDim = config.headDim
    tokenWidth = kvHeads * headDim
    let (total, overflow) = (layers * blockCount * blockSize).multipliedReportingOverflow(by: tokenWidth * precision.bytesPerElement)
    guard !overflow else { throw ModelRuntimeError.invalidBatch("KV storage of \(blockCount) blocks is too large") }
    // Pages are committed only as blocks are written.
    keys = .allocate(byteCount: max(total, 1), alignment: 64)
    values = .allocate(byteCount: max(total, 1), alignment: 64)
  }

  deinit {
    keys.deallocate()
    values.deallocate()
  }

  /// Writes every page now instead of as blocks are first written: for a small
  /// storage used at once (one sequence), so its decode steps do not each take
  /// page faults (~17 a token on SmolLM2) and the TLB shootdowns they cause on
  /// the compute threads, as llama.cpp clears its cache up front.
  func commitPages() {
    memset(keys, 0, layers * bytesPerLayer)
    memset(values, 0, layers * bytesPerLayer)
  }

  static func bytesPerBlock(config: ModelConfig, blockSize: Int, precision: KVPrecision) -> Int {
    2 * config.layerCount * blockSize * config.kvHeadCount * config.headDim * precision.bytesPerElement
  }

  func layerKeys(_ layer: Int) -> UnsafeMutableRawPointer { keys + layer * bytesPerLayer }
  func layerValues(_ layer: Int) -> UnsafeMutableRawPointer { values + layer * bytesPerLayer }

  /// Stores the keys and values (tokenWidth floats each) of the token at `position` of a sequence
  /// with `blockTable` in a layer: values as one row of each head's rows, keys as one column of their block.
  func store(layer: Int, position: Int, blockTable: UnsafePointer<Int32>,
             keys k: UnsafePointer<Float>, values v: UnsafePointer<Float>) {
    let slot = Int(blockTable[position / blockSize]) * blockSize * tokenWidth, offset = position % blockSize
    let bytes = precision.bytesPerElement
    nd_kv_store_strided(k, layerKeys(layer) + (slot + offset) * bytes, Int64(tokenWidth), Int64(blockSize), kernelFormat)
    nd_kv_store_runs(v, layerValues(layer) + (slot + offset * headDim) * bytes, Int64(kvHeads), Int64(headDim),
                     Int64(blockSize * headDim), kernelFormat)
  }

  public func copyBlock(from source: Int32, to destination: Int32) {
    precondition(source >= 0 && Int(source) < blockCount && destination >= 0 && Int(destination) < blockCount,
                 "copyBlock(\(source) -> \(destination)) outside \(blockCount) blocks")
    let blockBytes = blockSize * tokenWidth * precision.bytesPerElement
    for layer in 0..<layers {
      let base = layer * bytesPerLayer
      memcpy(keys + base + Int(destination) * blockBytes, keys + base + Int(source) * blockBytes, blockBytes)
      memcpy(values + base + Int(destination) * blockBytes, values + base + Int(source) * blockBytes, blockBytes)
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
