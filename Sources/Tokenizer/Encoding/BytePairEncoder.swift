/// Byte-level BPE over one pre-tokenized piece: start from one token per byte and
/// repeatedly join the adjacent pair with the lowest merge rank (the leftmost on
/// a tie), as Hugging Face `tokenizers` does. A heap keeps this O(n log n), so an
/// untrusted document with a megabyte-long run of one symbol cannot stall a worker.
struct BytePairEncoder: Sendable {
  let vocabulary: TokenBytesTable
  let merges: MergeTable
  /// The token of each single byte, -1 for a byte the vocabulary lacks. // [256]
  let byteTokens: [Int32]

  /// Appends the tokens of `piece[0..<count]` to `out`.
  @inline(__always)
  func encode(_ piece: UnsafePointer<UInt8>, _ count: Int, into out: inout [Int32], scratch: inout BPEScratch) {
    if count == 1 {
      let id = byteTokens[Int(piece[0])]
      if id >= 0 { out.append(id) }
      return
    }
    // A piece that is itself a token comes out whole (what tiktoken does; checked
    // equal to running the merges for every token of both fixture vocabularies).
    if let id = vocabulary.id(of: piece, count) {
      out.append(id)
      return
    }
    if scratch.cache.append(piece, count, to: &out) { return }
    let first = out.count
    merge(piece, count, into: &out, scratch: &scratch)
    scratch.cache.insert(piece, count, ids: out[first...])
  }

  /// The merge loop proper, without shortcuts.
  func merge(_ piece: UnsafePointer<UInt8>, _ count: Int, into out: inout [Int32], scratch: inout BPEScratch) {
    scratch.reset(count)
    // Bytes without a token are left out, so their neighbours may merge.
    var symbols = 0
    for i in 0..<count where byteTokens[Int(piece[i])] >= 0 {
      scratch.ids[symbols] = byteTokens[Int(piece[i])]
      scratch.previous[symbols] = Int32(symbols - 1)
      scratch.next[symbols] = Int32(symbols + 1)
      symbols += 1
    }
    guard symbols > 0 else { return }
    scratch.next[symbols - 1] = -1
    for i in 0..<(symbols - 1) { pushPair(at: i, &scratch) }
    while let entry = scratch.popMinimum() {
      let rank = Int32(truncatingIfNeeded: entry >> 32)
      let position = Int(UInt32(truncatingIfNeeded: entry))
      // Entries go stale when a neighbour merges first; a rank names exactly one
      // pair, so an entry is current iff its position still holds a pair of that rank.
      guard scratch.ids[position] >= 0 else { continue }
      let right = Int(scratch.next[position])
      guard right >= 0, let rule = merges.merge(scratch.ids[position], scratch.ids[right]), rule.rank == rank
      else { continue }
      scratch.ids[position] = rule.merged
      scratch.ids[right] = -1
      let afterRight = scratch.next[right]
      scratch.next[position] = afterRight
      if afterRight >= 0 { scratch.previous[Int(afterRight)] = Int32(position) }
      let before = Int(scratch.previous[position])
      if before >= 0 { pushPair(at: before, &scratch) }
      if afterRight >= 0 { pushPair(at: position, &scratch) }
    }
    var i = 0
    while i >= 0 {
      out.append(scratch.ids[i])
      i = Int(scratch.next[i])
    }
  }

  @inline(__always)
  private func pushPair(at position: Int, _ scratch: inout BPEScratch) {
    let right = Int(scratch.next[position])
    if let rule = merges.merge(scratch.ids[position], scratch.ids[right]) {
      scratch.push(UInt64(UInt32(bitPattern: rule.rank)) << 32 | UInt64(position))
    }
  }
}

/// Working memory for BPE, reused across the pieces of one encode call.
struct BPEScratch {
  var ids: [Int32] = []  // [piece bytes]; -1 once merged into its left neighbour
  var previous: [Int32] = []  // [piece bytes] linked list of live symbols
  var next: [Int32] = []  // [piece bytes]
  private var heap: [UInt64] = []  // min-heap of rank << 32 | position
  var cache = PieceCache()

  mutating func reset(_ count: Int) {
    if ids.count < count {
      ids = [Int32](repeating: 0, count: count)
      previous = ids
      next = ids
    }
    heap.removeAll(keepingCapacity: true)
  }

  mutating func push(_ entry: UInt64) {
    heap.append(entry)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if heap[parent] <= heap[child] { break }
      heap.swapAt(parent, child)
      child = parent
    }
  }

  mutating func popMinimum() -> UInt64? {
    guard let last = heap.popLast() else { return nil }
    guard !heap.isEmpty else { return last }
    let minimum = heap[0]
    heap[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      if left >= heap.count { break }
      let right = left + 1
      let smaller = right < heap.count && heap[right] < heap[left] ? right : left
      if heap[parent] <= heap[smaller] { break }
      heap.swapAt(parent, smaller)
      parent = smaller
    }
    return minimum
  }
}
