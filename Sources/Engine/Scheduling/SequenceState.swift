/// One request as the scheduler sees it: its tokens, how many of them already have
/// keys and values in the cache, and the blocks holding them.
///
/// (Not called `Sequence`, which would shadow the standard library's protocol.)
struct SequenceState: Sendable {
  let id: RequestID
  /// [promptCount + generated] the prompt followed by every generated token.
  private(set) var tokens: [Int32]
  let promptCount: Int
  /// Hashes of every full block of `tokens`, kept up to date as tokens arrive.
  private(set) var blockHashes: [BlockHash]
  /// KV blocks in order; they cover at least `computed` tokens.
  var blockTable: [Int32] = []
  /// Tokens whose keys and values are in `blockTable`.
  var computed = 0
  /// Leading blocks already in the prefix cache (reused, or registered once computed).
  var registeredBlocks = 0
  /// Arrival order: preemption takes the newest, ties in the waiting queue go to the oldest.
  let arrival: Int
  /// Step at which the sequence (re)entered the waiting queue, for aging.
  var waitingSince: Int
  /// Prompt tokens taken from the prefix cache at the first admission.
  var prefixReusedTokens: Int?
  var preemptions = 0

  init(id: RequestID, prompt: [Int32], arrival: Int, step: Int, root: BlockHash, blockSize: Int) {
    self.id = id
    tokens = prompt
    promptCount = prompt.count
    blockHashes = BlockHash.chain(of: prompt, root: root, blockSize: blockSize)
    self.arrival = arrival
    waitingSince = step
  }

  var generatedCount: Int { tokens.count - promptCount }
  var generated: ArraySlice<Int32> { tokens[promptCount...] }
  /// Tokens still without keys and values (the rest of the prompt, or the newest token).
  var uncomputed: Int { tokens.count - computed }
  var isPrefilling: Bool { uncomputed > 1 }

  mutating func append(_ token: Int32, root: BlockHash, blockSize: Int) {
    tokens.append(token)
    BlockHash.extend(&blockHashes, tokens: tokens, root: root, blockSize: blockSize)
  }
}

/// The engine's handle on one request.
public struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let value: UInt64
  public init(_ value: UInt64) { self.value = value }
  public static func < (lhs: RequestID, rhs: RequestID) -> Bool { lhs.value < rhs.value }
  public var description: String { "request-\(value)" }
}
