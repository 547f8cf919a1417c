/// BPE merge rules keyed by the pair of token ids they join: (left, right) →
/// (rank, merged id). Open addressing over packed 64-bit keys, because BPE
/// asks this table once per adjacent pair at every step.
struct MergeTable: Sendable {
  static let noRank = Int32.max

  private let keys: [UInt64]  // left << 32 | right, or `empty`
  private let values: [UInt64]  // rank << 32 | merged id
  private let mask: Int
  private static let empty = UInt64.max

  /// - Parameter rules: (left, right, merged) in rank order; a repeated pair keeps its first rank.
  init(rules: [(left: Int32, right: Int32, merged: Int32)]) {
    var capacity = 16
    while capacity < rules.count * 2 { capacity <<= 1 }
    var keys = [UInt64](repeating: Self.empty, count: capacity)
    var values = [UInt64](repeating: 0, count: capacity)
    let mask = capacity - 1
    for (rank, rule) in rules.enumerated() {
      let key = Self.key(rule.left, rule.right)
      var slot = Self.slot(key, mask)
      while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & mask }
      if keys[slot] == key { continue }
      keys[slot] = key
      values[slot] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: rule.merged))
    }
    self.keys = keys
    self.values = values
    self.mask = mask
  }

  @inline(__always)
  private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
    UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
  }

  @inline(__always)
  private static func slot(_ key: UInt64, _ mask: Int) -> Int {
    var h = key &* 0x9E37_79B9_7F4A_7C15
    h ^= h >> 32
    return Int(truncatingIfNeeded: h) & mask
  }

  /// The rank and result of merging `left` and `right`, or nil when no rule joins them.
  @inline(__always)
  func merge(_ left: Int32, _ right: Int32) -> (rank: Int32, merged: Int32)? {
    let key = Self.key(left, right)
    return keys.withUnsafeBufferPointer { keys in
      var slot = Self.slot(key, mask)
      while true {
        let found = keys[slot]
        if found == key {
          let value = values[slot]
          return (Int32(truncatingIfNeeded: value >> 32), Int32(truncatingIfNeeded: value))
        }
        if found == Self.empty { return nil }
        slot = (slot + 1) & mask
      }
    }
  }
}
