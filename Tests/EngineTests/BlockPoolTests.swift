import Testing
@testable import NightdeskEngine

@Suite struct BlockPoolTests {
  @Test func plainBlocksAreReusedFirstAndCachedOnesLeastRecentlyFreedFirst() {
    var pool = BlockPool(blockCount: 5)
    let taken = (0..<4).map { _ in pool.takeFree()! }
    #expect(taken == [0, 1, 2, 3])
    pool.release(2, keeps: true)
    pool.release(0, keeps: true)
    pool.release(3, keeps: false)
    // Plain 3 first (warm), then never-used 4, then cached 2 and 0 in the order freed.
    #expect(pool.freeBlocks == [3, 4, 2, 0])
    let order = (0..<4).map { _ in pool.takeFree()! }
    #expect(order == [3, 4, 2, 0])
    #expect(pool.takeFree() == nil)
  }

  @Test func retainRevivesAFreeBlockAndCountsReferences() {
    var pool = BlockPool(blockCount: 3)
    let block = pool.takeFree()!
    pool.release(block)
    #expect(pool.isFree(block))
    pool.retain(block)
    pool.retain(block)
    #expect(pool.refCounts[Int(block)] == 2)
    #expect(!pool.freeBlocks.contains(block))
    pool.release(block)
    #expect(!pool.isFree(block))
    pool.release(block)
    #expect(pool.freeBlocks.last == block)
    #expect(pool.freeCount == 3)
  }

  @Test func hashChainDependsOnEveryEarlierTokenAndTheModel() {
    let root = BlockHash.root(modelIdentity: "m", blockSize: 2)
    let a = BlockHash.chain(of: [1, 2, 3, 4, 5], root: root, blockSize: 2)
    let b = BlockHash.chain(of: [1, 9, 3, 4], root: root, blockSize: 2)
    #expect(a.count == 2)
    #expect(a[1] != b[1])
    let other = BlockHash.chain(of: [1, 2, 3, 4], root: BlockHash.root(modelIdentity: "n", blockSize: 2), blockSize: 2)
    #expect(other[0] != a[0])
    #expect(BlockHash.chain(of: [1, 2, 3, 4], root: root, blockSize: 2) == Array(a))
  }

  @Test func prefixCacheComparesTokensNotOnlyHashes() {
    var cache = PrefixCache()
    let hash = BlockHash(value: 42)
    let parent = BlockHash(value: 1)
    let registered = cache.register(block: 7, hash: hash, parent: parent, tokens: [1, 2])
    #expect(registered)
    #expect(cache.lookup(hash, tokens: [1, 2]) == 7)
    #expect(cache.lookup(hash, tokens: [1, 3]) == nil)
    let duplicate = cache.register(block: 8, hash: hash, parent: parent, tokens: [1, 2])
    #expect(!duplicate)
    cache.forget(block: 7)
    #expect(cache.lookup(hash, tokens: [1, 2]) == nil)
  }

  @Test func partialMatchFindsTheLongestSharedStartAfterTheSamePrefix() {
    var cache = PrefixCache()
    let parent = BlockHash(value: 1), elsewhere = BlockHash(value: 2)
    _ = cache.register(block: 3, hash: BlockHash(value: 10), parent: parent, tokens: [5, 6, 7, 8])
    _ = cache.register(block: 4, hash: BlockHash(value: 11), parent: parent, tokens: [5, 6, 9, 9])
    _ = cache.register(block: 5, hash: BlockHash(value: 12), parent: elsewhere, tokens: [5, 6, 7, 8])
    let match = cache.longestPartialMatch(after: parent, tokens: [5, 6, 7, 1])
    #expect(match?.block == 3 && match?.length == 3)
    #expect(cache.longestPartialMatch(after: parent, tokens: [9]) == nil)  // nothing shared
    #expect(cache.longestPartialMatch(after: BlockHash(value: 99), tokens: [5, 6]) == nil)  // another prefix
    cache.forget(block: 3)
    #expect(cache.longestPartialMatch(after: parent, tokens: [5, 6, 7, 1])?.block == 4)
  }
}
