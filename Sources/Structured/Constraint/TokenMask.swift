/// A set of token ids as bits: the tokens a constraint allows at one step.
public struct TokenMask: Sendable, Equatable {
  /// Ids 0..<count (the vocabulary's size).
  public let count: Int
  /// Bit `id & 63` of word `id >> 6`. // [(count + 63) / 64]
  var words: [UInt64]

  public init(count: Int) {
    self.count = count
    words = [UInt64](repeating: 0, count: (count + 63) / 64)
  }

  public subscript(id: Int) -> Bool {
    guard id >= 0, id < count else { return false }
    return words[id >> 6] & (1 << UInt64(id & 63)) != 0
  }

  public mutating func insert(_ id: Int) {
    precondition(id >= 0 && id < count, "token \(id) outside a mask of \(count)")
    words[id >> 6] |= 1 << UInt64(id & 63)
  }

  public mutating func removeAll() {
    for index in words.indices { words[index] = 0 }
  }

  /// How many ids are in the set.
  public var allowedCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

  /// The ids in the set, ascending.
  public var allowedIDs: [Int32] {
    var ids: [Int32] = []
    for (index, word) in words.enumerated() where word != 0 {
      var bits = word
      while bits != 0 {
        ids.append(Int32(index << 6 + bits.trailingZeroBitCount))
        bits &= bits - 1
      }
    }
    return ids
  }

  /// Sets every logit the mask does not allow to -infinity, padding rows beyond `count`
  /// included, so that any sampler (greedy, temperature, top-k/p) picks an allowed id.
  /// A word at a time: runs of 64 refused ids are one fill, runs of allowed ones a skip.
  public func apply(to logits: UnsafeMutableBufferPointer<Float>) {
    guard let base = logits.baseAddress else { return }
    let covered = min(logits.count, count)
    words.withUnsafeBufferPointer { words in
      var start = 0
      for word in words where start < covered {
        let width = min(64, covered - start)
        if word == 0 {
          (base + start).update(repeating: -.infinity, count: width)
        } else if word != ~0 {
          var refused = ~word
          while refused != 0 {
            let bit = refused.trailingZeroBitCount
            if bit >= width { break }
            base[start + bit] = -.infinity
            refused &= refused - 1
          }
        }
        start += 64
      }
    }
    if logits.count > count { (base + count).update(repeating: -.infinity, count: logits.count - count) }
  }

  /// Greedy decoding under the mask without writing the logits: the allowed id with the
  /// largest logit (the lowest on a tie, NaN never chosen while another is allowed), nil
  /// when nothing is allowed. Reads only the allowed ids: a handful outside strings.
  public func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int? {
    var best = -1
    var bestValue = -Float.infinity
    var first = -1
    words.withUnsafeBufferPointer { words in
      for index in words.indices where words[index] != 0 {
        let start = index << 6
        if words[index] == ~0, start + 64 <= logits.count {
          // A whole word allowed (inside strings, most are): a plain scan, no bit tricks.
          if first < 0 { first = start }
          for id in start..<(start + 64) where logits[id] > bestValue || (best < 0 && logits[id] == bestValue) {
            best = id
            bestValue = logits[id]
          }
          continue
        }
        var bits = words[index]
        while bits != 0 {
          let id = index << 6 + bits.trailingZeroBitCount
          guard id < logits.count else { return }
          if first < 0 { first = id }
          let value = logits[id]
          if value > bestValue || (best < 0 && value == bestValue) {
            best = id
            bestValue = value
          }
          bits &= bits - 1
        }
      }
    }
    return best >= 0 ? best : (first >= 0 ? first : nil)
  }
}
