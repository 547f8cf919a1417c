/// The KV blocks of every sequence: allocation from the pool, sharing through the
/// prefix cache, and release. It only moves block ids around; the keys and values
/// themselves live in the model's `KVStorage`.
struct BlockManager: Sendable {
  let blockSize: Int
  /// Root of every block-hash chain (model identity and block size).
  let root: BlockHash
  private(set) var pool: BlockPool
  private(set) var cache: PrefixCache
  /// Off: nothing is cached or reused (the reference for determinism tests and A/B benchmarks).
  let cachesPrefixes: Bool

  init(blockCount: Int, blockSize: Int, modelIdentity: String, cachesPrefixes: Bool = true) {
    precondition(blockSize > 0, "block size must be positive")
    self.blockSize = blockSize
    self.cachesPrefixes = cachesPrefixes
    root = BlockHash.root(modelIdentity: modelIdentity, blockSize: blockSize)
    pool = BlockPool(blockCount: blockCount)
    cache = PrefixCache()
  }

  var blockCount: Int { pool.blockCount }
  var freeCount: Int { pool.freeCount }
  var usedCount: Int { pool.usedCount }

  func blocks(toHold tokenCount: Int) -> Int { (tokenCount + blockSize - 1) / blockSize }

  /// Cached blocks that hold the start of `sequence`'s tokens.
  func cachedPrefix(of sequence: SequenceState) -> [Int32] {
    guard cachesPrefixes else { return [] }
    return cache.match(hashes: sequence.blockHashes, tokens: sequence.tokens, blockSize: blockSize)
  }

  /// A cached block that shares the first tokens of `sequence`'s block after its
  /// `fullBlocks` cached ones (a document that ends mid-block, followed by another
  /// question), and how many tokens it shares. Its keys and values for those
  /// tokens are the ones the sequence would compute: each position's depend only
  /// on the tokens up to it.
  func partialMatch(of sequence: SequenceState, after fullBlocks: Int) -> (block: Int32, length: Int)? {
    guard cachesPrefixes else { return nil }
    let start = fullBlocks * blockSize
    guard start < sequence.tokens.count else { return nil }
    let parent = fullBlocks == 0 ? root : sequence.blockHashes[fullBlocks - 1]
    let next = sequence.tokens[start..<min(sequence.tokens.count, start + blockSize)]
    return cache.longestPartialMatch(after: parent, tokens: next)
  }

  /// Free blocks that taking `blocks` would revive (they stop counting as free).
  func revivals(in blocks: [Int32]) -> Int {
    blocks.reduce(0) { $0 + (pool.isFree($1) ? 1 : 0) }
  }

  /// Gives `sequence` the cached blocks of its prefix.
  mutating func adopt(_ blocks: [Int32], into sequence: inout SequenceState) {
    precondition(sequence.blockTable.isEmpty, "prefix adopted into a sequence that holds blocks")
    for block in blocks { pool.retain(block) }
    sequence.blockTable = blocks
    sequence.registeredBlocks = blocks.count
  }

  /// A fresh block for new keys and values; reusing a cached one evicts its prefix.
  mutating func allocate() -> Int32? {
    guard let block = pool.takeFree() else { return nil }
    cache.forget(block: block)
    return block
  }

  /// Extends `sequence`'s block table to hold `tokenCount` tokens; false (and no
  /// change) if the pool has too few free blocks.
  mutating func grow(_ sequence: inout SequenceState, toHold tokenCount: Int) -> Bool {
    let missing = blocks(toHold: tokenCount) - sequence.blockTable.count
    guard missing <= pool.freeCount else { return false }
    for _ in 0..<max(0, missing) {
      guard let block = allocate() else { preconditionFailure("free count lied") }
      sequence.blockTable.append(block)
    }
    return true
  }

  /// Keeps the source of a copy-on-write alive until the copy has run: allocations
  /// later in the same plan must not hand it out.
  mutating func holdCopySource(_ block: Int32) { pool.retain(block) }
  mutating func releaseCopySource(_ block: Int32) { pool.release(block, keeps: cache.hash(of: block) != nil) }

  /// Returns every block of `sequence` to the pool, its last block first: among
  /// cached blocks the pool evicts the least recently freed first, so the tail of
  /// a sequence goes before the prefix that other requests are likelier to share.
  mutating func free(_ sequence: inout SequenceState) {
    for block in sequence.blockTable.reversed() { pool.release(block, keeps: cache.hash(of: block) != nil) }
    sequence.blockTable = []
    sequence.computed = 0
    sequence.registeredBlocks = 0
  }

  /// Enters every newly computed full block of `sequence` into the prefix cache.
  /// Returns how many blocks were registered.
  @discardableResult
  mutating func registerComputed(_ sequence: inout SequenceState) -> Int {
    var registered = 0
    guard cachesPrefixes else { return 0 }
    while (sequence.registeredBlocks + 1) * blockSize <= sequence.computed {
      let index = sequence.registeredBlocks
      let start = index * blockSize
      if cache.register(
        block: sequence.blockTable[index], hash: sequence.blockHashes[index],
        parent: index == 0 ? root : sequence.blockHashes[index - 1],
        tokens: sequence.tokens[start..<(start + blockSize)])
      {
        registered += 1
      }
      sequence.registeredBlocks += 1
    }
    return registered
  }

  func refCount(_ block: Int32) -> Int32 { pool.refCounts[Int(block)] }
  func cachedTokens(of block: Int32) -> [Int32]? { cache.tokens(of: block) }
  var freeBlocks: [Int32] { pool.freeBlocks }
  var cachedBlockCount: Int { cache.count }
}
