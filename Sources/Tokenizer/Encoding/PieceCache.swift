/// Remembers the BPE result of pieces that are not whole tokens (rare words,
/// runs of CJK text) for the length of one encode call, so a document that
/// repeats them pays for the merges once. Bounded: it empties itself when full.
struct PieceCache {
  private static let slotCount = 8192  // power of two
  private static let maximumEntries = 4096
  private static let maximumPieceBytes = 256

  private var slots: [Int32] = []  // [slotCount] entry index, -1 empty; allocated on first insert
  private var keyBytes: [UInt8] = []
  private var entries: [(hash: UInt64, keyStart: Int32, keyCount: Int32, idStart: Int32, idCount: Int32)] = []
  private var ids: [Int32] = []

  /// Appends the cached tokens of the piece to `out`; false when it is not cached.
  @inline(__always)
  func append(_ piece: UnsafePointer<UInt8>, _ count: Int, to out: inout [Int32]) -> Bool {
    guard !slots.isEmpty, count <= Self.maximumPieceBytes else { return false }
    let hash = hashBytes(piece, count)
    var slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
    while slots[slot] >= 0 {
      let entry = entries[Int(slots[slot])]
      if entry.hash == hash, Int(entry.keyCount) == count, matches(entry.keyStart, piece, count) {
        out.append(contentsOf: ids[Int(entry.idStart)..<Int(entry.idStart + entry.idCount)])
        return true
      }
      slot = (slot + 1) & (Self.slotCount - 1)
    }
    return false
  }

  private func matches(_ keyStart: Int32, _ piece: UnsafePointer<UInt8>, _ count: Int) -> Bool {
    let start = Int(keyStart)
    for k in 0..<count where keyBytes[start + k] != piece[k] { return false }
    return true
  }

  mutating func insert(_ piece: UnsafePointer<UInt8>, _ count: Int, ids pieceIDs: ArraySlice<Int32>) {
    guard count <= Self.maximumPieceBytes else { return }
    if slots.isEmpty || entries.count >= Self.maximumEntries {
      slots = [Int32](repeating: -1, count: Self.slotCount)
      keyBytes.removeAll(keepingCapacity: true)
      entries.removeAll(keepingCapacity: true)
      ids.removeAll(keepingCapacity: true)
    }
    let hash = hashBytes(piece, count)
    var slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
    while slots[slot] >= 0 { slot = (slot + 1) & (Self.slotCount - 1) }
    slots[slot] = Int32(entries.count)
    entries.append((hash, Int32(keyBytes.count), Int32(count), Int32(ids.count), Int32(pieceIDs.count)))
    keyBytes.append(contentsOf: UnsafeBufferPointer(start: piece, count: count))
    ids.append(contentsOf: pieceIDs)
  }
}
