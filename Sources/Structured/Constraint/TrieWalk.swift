extension JSONMachine {
  /// Sets the bit of every token of `trie` whose bytes the automaton accepts from `start`
  /// and after which the document can be completed in at most `limit` bytes: one pass over
  /// the trie in order, feeding each node's byte to its parent's state and skipping a
  /// node's whole subtree when its byte is refused. The arena is cut back to where each
  /// depth's state made it, so a walk leaves it as it found it. Returns the longest
  /// completion left after any token set (-1 for none).
  @discardableResult
  mutating func walk(
    _ trie: VocabularyTrie, from start: ParseState, into words: inout [UInt64], scratch: inout WalkScratch,
    limit: Int = .max
  ) -> Int {
    var farthest = -1
    let base = arena.count
    scratch.prepare(depth: trie.maximumDepth, start: start, arenaCount: base)
    let count = trie.nodeCount
    var node = 0
    while node < count {
      let depth = Int(trie.depths[node])
      var state = scratch.states[depth - 1]
      let mark = scratch.marks[depth - 1]
      if arena.count > mark { arena.removeLast(arena.count - mark) }
      if feed(&state, trie.bytes[node]) {
        scratch.states[depth] = state
        scratch.marks[depth] = arena.count
        var token = Int(trie.tokenStart[node])
        let end = Int(trie.tokenStart[node + 1])
        if token < end {
          // Tokens end here: they fit the budget when what is left to write does.
          let left = shortestCompletion(state)
          if left > limit { token = end } else { farthest = max(farthest, left) }
        }
        while token < end {
          let id = Int(trie.tokens[token])
          words[id >> 6] |= 1 << UInt64(id & 63)
          token += 1
        }
        node += 1
      } else {
        node = Int(trie.skips[node])
      }
    }
    if arena.count > base { arena.removeLast(arena.count - base) }
    return farthest
  }
}

/// The walk's per-depth states and arena marks, kept between walks. // [trie depth + 1]
struct WalkScratch: Sendable {
  var states: [ParseState] = []
  var marks: [Int] = []

  mutating func prepare(depth: Int, start: ParseState, arenaCount: Int) {
    if states.count <= depth {
      states = [ParseState](repeating: start, count: depth + 1)
      marks = [Int](repeating: arenaCount, count: depth + 1)
    }
    states[0] = start
    marks[0] = arenaCount
  }
}
