import Foundation  // memcmp

/// Every token's raw bytes, stored flat, with an open-addressing index from bytes
/// to id. Lookups take a pointer and a length, so matching a piece of the input
/// allocates nothing.
struct TokenBytesTable: Sendable {
  /// All tokens' bytes back to back. // [sum of token lengths]
  let storage: [UInt8]
  /// Token `id` is `storage[offsets[id]..<offsets[id + 1]]`. // [tokenCount + 1]
  let offsets: [Int32]
  /// Ids by hash, -1 where empty; capacity is a power of two at least twice the count.
  private let slots: [Int32]
  private let mask: Int

  var count: Int { offsets.count - 1 }

  /// - Parameter indexed: which ids may be found by `id(of:)` (the others, added
  ///   tokens, are matched whole elsewhere and must not come out of BPE).
  init(tokens: [[UInt8]], indexed: (Int) -> Bool) {
    var storage: [UInt8] = []
    storage.reserveCapacity(tokens.reduce(0) { $0 + $1.count })
    var offsets: [Int32] = [0]
    offsets.reserveCapacity(tokens.count + 1)
    for token in tokens {
      storage.append(contentsOf: token)
      offsets.append(Int32(storage.count))
    }
    var capacity = 16
    while capacity < tokens.count * 2 { capacity <<= 1 }
    var slots = [Int32](repeating: -1, count: capacity)
    let mask = capacity - 1
    storage.withUnsafeBufferPointer { bytes in
      for id in tokens.indices where indexed(id) && !tokens[id].isEmpty {
        let start = Int(offsets[id])
        let length = Int(offsets[id + 1]) - start
        var slot = Int(truncatingIfNeeded: hashBytes(bytes.baseAddress! + start, length)) & mask
        while true {
          let existing = Int(slots[slot])
          if existing < 0 { slots[slot] = Int32(id); break }
          // A duplicate string keeps its lowest id, as a vocabulary dictionary would.
          if Self.equal(bytes, existing, offsets, bytes.baseAddress! + start, length) { break }
          slot = (slot + 1) & mask
        }
      }
    }
    self.storage = storage
    self.offsets = offsets
    self.slots = slots
    self.mask = mask
  }

  private static func equal(
    _ storage: UnsafeBufferPointer<UInt8>, _ id: Int, _ offsets: [Int32], _ key: UnsafePointer<UInt8>, _ length: Int
  ) -> Bool {
    let start = Int(offsets[id])
    guard Int(offsets[id + 1]) - start == length else { return false }
    for k in 0..<length where storage[start + k] != key[k] { return false }
    return true
  }

  /// The id whose bytes are exactly `key[0..<length]`.
  @inline(__always)
  func id(of key: UnsafePointer<UInt8>, _ length: Int) -> Int32? {
    storage.withUnsafeBufferPointer { bytes in
      offsets.withUnsafeBufferPointer { offsets in
        slots.withUnsafeBufferPointer { slots in
          var slot = Int(truncatingIfNeeded: hashBytes(key, length)) & mask
          while true {
            let id = Int(slots[slot])
            if id < 0 { return nil }
            let start = Int(offsets[id])
            if Int(offsets[id + 1]) - start == length, memcmp(bytes.baseAddress! + start, key, length) == 0 {
              return Int32(id)
            }
            slot = (slot + 1) & mask
          }
        }
      }
    }
  }

  func id(of bytes: [UInt8]) -> Int32? {
    bytes.withUnsafeBufferPointer { id(of: $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
  }

  /// The bytes of token `id`.
  func bytes(of id: Int) -> ArraySlice<UInt8> {
    storage[Int(offsets[id])..<Int(offsets[id + 1])]
  }
}
