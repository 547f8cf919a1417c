import Foundation  // memcmp

/// A byte trie over token strings, laid out flat in depth-first (pre-)order, so a walk is
/// one forward pass: a node's subtree is the run of nodes up to `skip`, and a refused
/// byte jumps over everything below it at once.
struct VocabularyTrie: Sendable {
  /// The byte on the edge into each node. // [nodes]
  let bytes: [UInt8]
  /// Depth of each node (1 for a first byte). // [nodes]
  let depths: [Int32]
  /// The index after each node's subtree. // [nodes]
  let skips: [Int32]
  /// Node i's tokens are `tokens[tokenStart[i]..<tokenStart[i + 1]]`. // [nodes + 1]
  let tokenStart: [Int32]
  /// Token ids, grouped by the node where their bytes end. // [tokens in the trie]
  let tokens: [Int32]
  let maximumDepth: Int

  var nodeCount: Int { bytes.count }

  init(_ entries: [(id: Int32, bytes: [UInt8])]) {
    let sorted = entries.filter { !$0.bytes.isEmpty }.sorted { a, b in
      a.bytes.withUnsafeBufferPointer { x in
        b.bytes.withUnsafeBufferPointer { y in
          let order = memcmp(x.baseAddress!, y.baseAddress!, min(x.count, y.count))
          return order != 0 ? order < 0 : (x.count != y.count ? x.count < y.count : a.id < b.id)
        }
      }
    }
    var bytes: [UInt8] = [], depths: [Int32] = [], skips: [Int32] = [], tokenStart: [Int32] = [], tokens: [Int32] = []
    var path: [Int] = []  // the open nodes, one per depth
    var previous: [UInt8] = []
    for entry in sorted {
      var shared = 0
      while shared < min(previous.count, entry.bytes.count), previous[shared] == entry.bytes[shared] { shared += 1 }
      while path.count > shared { skips[path.removeLast()] = Int32(bytes.count) }
      for position in shared..<entry.bytes.count {
        path.append(bytes.count)
        bytes.append(entry.bytes[position])
        depths.append(Int32(position + 1))
        skips.append(0)
        tokenStart.append(Int32(tokens.count))
      }
      // Tokens join the last node made, so each node's tokens stay one run.
      tokens.append(entry.id)
      previous = entry.bytes
    }
    while let open = path.popLast() { skips[open] = Int32(bytes.count) }
    tokenStart.append(Int32(tokens.count))
    self.bytes = bytes
    self.depths = depths
    self.skips = skips
    self.tokenStart = tokenStart
    self.tokens = tokens
    maximumDepth = Int(depths.max() ?? 0)
  }
}
