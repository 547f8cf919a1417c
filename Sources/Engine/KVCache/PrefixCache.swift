/// Which KV blocks hold which full blocks of tokens, so a request whose prompt
/// starts like an earlier one reuses that KV instead of recomputing it.
///
/// Entries outlive their sequences: a registered block that is freed stays in the
/// cache (on the pool's free list) until the pool hands it out again, which
/// `BlockManager` reports through `forget`.
struct PrefixCache: Sendable {
  private struct Entry: Sendable {
    var hash: BlockHash
    /// The hash of the prefix before the block (the previous block's, or the root).
    var parent: BlockHash
    /// [blockSize] the tokens whose keys and values the block holds.
    var tokens: [Int32]
  }

  private var blockByHash: [BlockHash: Int32] = [:]
  private var entryByBlock: [Int32: Entry] = [:]
  /// Cached blocks by the prefix they follow: where a prompt that leaves a cached
  /// chain mid-block looks for a block sharing the start of its next block.
  private var childrenByParent: [BlockHash: [Int32]] = [:]

  var count: Int { blockByHash.count }

  /// The block holding exactly `tokens` after the prefix that `hash` stands for.
  /// The tokens are compared too, so a hash collision is a miss, not wrong KV.
  func lookup(_ hash: BlockHash, tokens: ArraySlice<Int32>) -> Int32? {
    guard let block = blockByHash[hash], let entry = entryByBlock[block],
      entry.tokens.elementsEqual(tokens)
    else { return nil }
    return block
  }

  /// The longest run of cached blocks at the start of a prompt, as block ids.
  func match(hashes: [BlockHash], tokens: [Int32], blockSize: Int) -> [Int32] {
    var blocks: [Int32] = []
    for (index, hash) in hashes.enumerated() {
      let start = index * blockSize
      guard let block = lookup(hash, tokens: tokens[start..<(start + blockSize)]) else { break }
      blocks.append(block)
    }
    return blocks
  }

  /// The cached block after the prefix `parent` stands for whose tokens start
  /// with the longest run of `tokens` (at least one token), and that run's length.
  func longestPartialMatch(after parent: BlockHash, tokens: ArraySlice<Int32>) -> (block: Int32, length: Int)? {
    var best: (block: Int32, length: Int)?
    for block in childrenByParent[parent] ?? [] {
      guard let entry = entryByBlock[block] else { continue }
      let length = zip(entry.tokens, tokens).prefix { $0 == $1 }.count
      if length > (best?.length ?? 0) { best = (block, length) }
    }
    return best
  }

  func contains(_ hash: BlockHash) -> Bool { blockByHash[hash] != nil }

  func hash(of block: Int32) -> BlockHash? { entryByBlock[block]?.hash }

  func tokens(of block: Int32) -> [Int32]? { entryByBlock[block]?.tokens }

  /// Records that `block` now holds `tokens` under `hash`. A hash already held by
  /// another block (two sequences computed the same prefix at once) keeps its
  /// first block; the duplicate simply stays unregistered.
  mutating func register(block: Int32, hash: BlockHash, parent: BlockHash, tokens: ArraySlice<Int32>) -> Bool {
    guard blockByHash[hash] == nil, entryByBlock[block] == nil else { return false }
    blockByHash[hash] = block
    entryByBlock[block] = Entry(hash: hash, parent: parent, tokens: Array(tokens))
    childrenByParent[parent, default: []].append(block)
    return true
  }

  /// The block is being reused for other tokens: its cached content is gone.
  mutating func forget(block: Int32) {
    guard let entry = entryByBlock.removeValue(forKey: block) else { return }
    blockByHash.removeValue(forKey: entry.hash)
    childrenByParent[entry.parent]?.removeAll { $0 == block }
    if childrenByParent[entry.parent]?.isEmpty == true { childrenByParent.removeValue(forKey: entry.parent) }
  }
}
