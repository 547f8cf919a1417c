import Testing
@testable import NightdeskEngine

@Suite struct BlockPoolTests {
  @Test func freedBlocksAreReusedLeastRecentlyFreedFirst() {
    var pool = BlockPool(blockCount: 4)
    let a = pool.takeFree()!, b = pool.takeFree()!, c = pool.takeFree()!
    #expect([a, b, c] == [0, 1, 2])
    #expect(pool.freeCount == 1)
    pool.release(c)
    pool.release(a)
    #expect(pool.freeBlocks == [3, 2, 0])
    let next = pool.takeFree(), after = pool.takeFree()
    #expect(next == 3 && after == 2)
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
    let registered = cache.register(block: 7, hash: hash, tokens: [1, 2])
    #expect(registered)
    #expect(cache.lookup(hash, tokens: [1, 2]) == 7)
    #expect(cache.lookup(hash, tokens: [1, 3]) == nil)
    let duplicate = cache.register(block: 8, hash: hash, tokens: [1, 2])
    #expect(!duplicate)
    cache.forget(block: 7)
    #expect(cache.lookup(hash, tokens: [1, 2]) == nil)
  }
}
