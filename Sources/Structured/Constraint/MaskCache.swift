/// Masks of automaton states seen before, for one constraint. Inside a string or a
/// number the state repeats token after token (counters far from their bounds read as
/// the same key, see `TokenConstraint.key`), so most steps are a lookup. A fixed number
/// of entries, replaced round robin. Each mask keeps the longest completion any of its
/// tokens leaves, so that a request with less budget than that computes its own.
struct MaskCache: Sendable {
  static let capacity = 24
  private var index: [[Frame]: Int] = [:]
  private var keys: [[Frame]] = []
  private var masks: [(words: [UInt64], farthest: Int)] = []
  private var hand = 0

  func lookup(_ key: [Frame]) -> (words: [UInt64], farthest: Int)? {
    index[key].map { masks[$0] }
  }

  mutating func store(_ key: [Frame], _ mask: (words: [UInt64], farthest: Int)) {
    if keys.count < Self.capacity {
      index[key] = keys.count
      keys.append(key)
      masks.append(mask)
      return
    }
    index[keys[hand]] = nil
    index[key] = hand
    keys[hand] = key
    masks[hand] = mask
    hand = (hand + 1) % Self.capacity
  }
}
