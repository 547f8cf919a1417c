/// Reference counts and the free list of a fixed set of KV blocks.
///
/// One intrusive doubly linked list over block ids (every operation O(1)), taken
/// from the front:
/// - freed blocks with nothing worth keeping go to the front, so they are reused
///   first, while their memory is still warm, and untouched blocks stay untouched
///   (the KV memory is committed page by page as it is first written);
/// - blocks never used yet follow;
/// - freed blocks that hold a cached prefix go to the back, in the order they
///   were freed, so the least recently used prefix is evicted first.
/// A free block is revived by `retain` when a prefix-cache hit wants it.
struct BlockPool: Sendable {
  let blockCount: Int
  /// [blockCount] how many sequences hold each block; 0 means it is on the free list.
  private(set) var refCounts: [Int32]
  /// [blockCount] free-list links; `none` at the ends and for blocks in use.
  private var previous: [Int32]
  private var next: [Int32]
  private var head: Int32 = BlockPool.none
  private var tail: Int32 = BlockPool.none
  private(set) var freeCount: Int = 0

  private static let none: Int32 = -1

  init(blockCount: Int) {
    precondition(blockCount > 0 && blockCount < Int(Int32.max), "block count out of range")
    self.blockCount = blockCount
    refCounts = Array(repeating: 0, count: blockCount)
    previous = Array(repeating: BlockPool.none, count: blockCount)
    next = Array(repeating: BlockPool.none, count: blockCount)
    for block in 0..<Int32(blockCount) { appendFree(block) }
  }

  var usedCount: Int { blockCount - freeCount }

  func isFree(_ block: Int32) -> Bool { refCounts[Int(block)] == 0 }

  /// The block `takeFree` would return next (the least recently freed), if any.
  var nextFree: Int32? { head == BlockPool.none ? nil : head }

  /// Free blocks, least recently freed first (for invariant checks and tests).
  var freeBlocks: [Int32] {
    var blocks: [Int32] = []
    blocks.reserveCapacity(freeCount)
    var block = head
    while block != BlockPool.none {
      blocks.append(block)
      block = next[Int(block)]
    }
    return blocks
  }

  /// Takes the least recently freed block and gives it one reference.
  mutating func takeFree() -> Int32? {
    guard head != BlockPool.none else { return nil }
    let block = head
    retain(block)
    return block
  }

  /// Adds a reference; a free block leaves the free list.
  mutating func retain(_ block: Int32) {
    let index = Int(block)
    if refCounts[index] == 0 { unlinkFree(block) }
    refCounts[index] += 1
  }

  /// Drops a reference. At zero the block becomes free: at the back of the list
  /// if it `keeps` a cached prefix, else at the front.
  mutating func release(_ block: Int32, keeps: Bool = true) {
    let index = Int(block)
    precondition(refCounts[index] > 0, "block \(block) released more often than retained")
    refCounts[index] -= 1
    guard refCounts[index] == 0 else { return }
    if keeps { appendFree(block) } else { prependFree(block) }
  }

  private mutating func prependFree(_ block: Int32) {
    let index = Int(block)
    previous[index] = BlockPool.none
    next[index] = head
    if head == BlockPool.none { tail = block } else { previous[Int(head)] = block }
    head = block
    freeCount += 1
  }

  private mutating func appendFree(_ block: Int32) {
    let index = Int(block)
    previous[index] = tail
    next[index] = BlockPool.none
    if tail == BlockPool.none { head = block } else { next[Int(tail)] = block }
    tail = block
    freeCount += 1
  }

  private mutating func unlinkFree(_ block: Int32) {
    let index = Int(block)
    let before = previous[index]
    let after = next[index]
    if before == BlockPool.none { head = after } else { next[Int(before)] = after }
    if after == BlockPool.none { tail = before } else { previous[Int(after)] = before }
    previous[index] = BlockPool.none
    next[index] = BlockPool.none
    freeCount -= 1
  }
}
