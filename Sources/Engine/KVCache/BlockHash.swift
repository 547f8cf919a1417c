import NightdeskSupport

/// The identity of one full KV block: a hash of its tokens chained to the hash of
/// the block before it, seeded with the model identity. Equal hashes mean an equal
/// whole prefix (the prefix cache still compares the tokens, so a collision can
/// never hand a request someone else's keys and values).
///
/// The hash is computed by hand, not with `Hasher`, because `Hasher` is seeded per
/// process and these values are reported across processes (prefix affinity, logs).
public struct BlockHash: Hashable, Sendable, CustomStringConvertible {
  public let value: UInt64

  public init(value: UInt64) { self.value = value }

  /// The chain's root: the model identity and block size, so caches of different
  /// weights or block sizes never match.
  public static func root(modelIdentity: String, blockSize: Int) -> BlockHash {
    var state: UInt64 = 0x6E69_6768_7464_736B  // "nightdsk"
    for byte in modelIdentity.utf8 { state = SplitMix64.mix(state ^ UInt64(byte)) }
    return BlockHash(value: SplitMix64.mix(state ^ UInt64(blockSize)))
  }

  /// The hash of a full block of `tokens` that follows the block hashed `self`.
  public func chained(with tokens: ArraySlice<Int32>) -> BlockHash {
    var state = SplitMix64.mix(value ^ 0x9E37_79B9_7F4A_7C15)
    for token in tokens { state = SplitMix64.mix(state ^ UInt64(UInt32(bitPattern: token))) }
    return BlockHash(value: SplitMix64.mix(state ^ UInt64(tokens.count)))
  }

  public var description: String {
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

extension BlockHash {
  /// Hashes of every full block of `tokens`, in order.
  public static func chain(of tokens: [Int32], root: BlockHash, blockSize: Int) -> [BlockHash] {
    var hashes: [BlockHash] = []
    extend(&hashes, tokens: tokens, root: root, blockSize: blockSize)
    return hashes
  }

  /// Appends the hashes of full blocks of `tokens` not yet in `hashes`.
  static func extend(_ hashes: inout [BlockHash], tokens: [Int32], root: BlockHash, blockSize: Int) {
    let fullBlocks = tokens.count / blockSize
    while hashes.count < fullBlocks {
      let start = hashes.count * blockSize
      let parent = hashes.last ?? root
      hashes.append(parent.chained(with: tokens[start..<(start + blockSize)]))
    }
  }
}
