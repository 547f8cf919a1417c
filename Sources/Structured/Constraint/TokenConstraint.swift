/// Why a token was refused by a constraint.
public enum ConstraintError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The token's bytes do not continue a valid text (or it ends the text too early).
  case tokenNotAllowed(token: Int, afterBytes: Int)
  /// A token after the end token.
  case finished(token: Int)

  public var description: String {
    switch self {
    case .tokenNotAllowed(let token, let offset):
      return "token \(token) does not continue schema-valid JSON after byte \(offset)"
    case .finished(let token): return "token \(token) after the end of the structured output"
    }
  }
}

/// Schema-constrained decoding for one request: which tokens may come next, and the
/// text so far. Start one per request (cheap: the schema and vocabulary are shared),
/// call `allowedTokens` before sampling each token and `accept` with the token sampled.
///
/// ```swift
/// var constraint = TokenConstraint(schema: schema, vocabulary: vocabulary)
/// var mask = TokenMask(count: vocabulary.count)
/// while !constraint.isFinished {
///   constraint.allowedTokens(into: &mask)
///   mask.apply(to: logits)                // -inf for every other id
///   try constraint.accept(token: sample(logits))
/// }
/// ```
///
/// In the engine (`GenerationRequest.schema`, applied in `RequestOutput`): one `TokenVocabulary` per loaded model; one constraint
/// per request, kept beside its sampler for the request's whole life (a preemption that
/// recomputes the KV cache from the tokens must not feed them again); the mask applied
/// to the request's logits row before penalties, temperature and top-k/p/min-p, so that
/// truncation only ever keeps allowed tokens; `accept` with the sampled token. The end
/// tokens are allowed only once the value is complete, and once the value can go no
/// further they are all that is allowed, so generation stops by itself; `ignoreEOS` and
/// stop strings do not apply to constrained requests. The KV cache and the prefix cache
/// see only token ids and are untouched. Memory: up to `MaskCache.capacity` masks of
/// `count / 8` bytes each (about 0.45 MB with Qwen3's vocabulary).
public struct TokenConstraint: Sendable {
  public let schema: StructuredSchema
  public let vocabulary: TokenVocabulary
  private var machine: JSONMachine
  private var state: ParseState
  private var cache = MaskCache()
  private var scratch = WalkScratch()
  /// An end token was accepted: nothing more may come.
  public private(set) var isFinished = false
  /// The bytes of the accepted tokens.
  public private(set) var text: [UInt8] = []
  /// The budget took tokens away at some step: the document was steered to close
  /// shorter than the model would have written it.
  public private(set) var closedByBudget = false

  public init(schema: StructuredSchema, vocabulary: TokenVocabulary) {
    self.schema = schema
    self.vocabulary = vocabulary
    machine = JSONMachine(schema: schema)
    state = machine.start
  }

  /// The text is a whole schema-valid value: an end token is allowed now.
  public var isComplete: Bool { isFinished || machine.canEnd(state) }

  /// The fewest bytes that still complete the document: 0 once it can end. Each token
  /// writes at least one byte, so this many tokens always suffice.
  public var shortestCompletion: Int { isFinished ? 0 : machine.shortestCompletion(state) }

  /// Fills `mask` (of the vocabulary's size) with the tokens allowed next: those whose
  /// bytes keep the text a prefix of a valid one, and the end tokens once it is complete.
  /// Nothing after the end token. With `tokensLeft` (this token included), only tokens
  /// after which the document can still close in the tokens then left: a budget of at
  /// least `shortestCompletion` always ends in a whole valid document, written shorter
  /// where the budget demands it (see `closedByBudget`).
  public mutating func allowedTokens(into mask: inout TokenMask, tokensLeft: Int? = nil) {
    precondition(mask.count == vocabulary.count, "a mask of \(mask.count) ids for a vocabulary of \(vocabulary.count)")
    if isFinished {
      mask.removeAll()
      return
    }
    // A budget that cannot close the document any more (below the shortest one from the
    // start, which `submit` refuses) leaves the mask as without one: the answer is cut.
    let limit = tokensLeft.map { $0 >= machine.shortestCompletion(state) ? $0 - 1 : .max } ?? .max
    let key = self.key()
    if let cached = cache.lookup(key) {
      mask.words = cached.words
      if cached.farthest <= limit { return }
    } else {
      let farthest = compute(into: &mask.words)
      cache.store(key, (mask.words, farthest))
      if farthest <= limit { return }
    }
    // The budget is close: only tokens that leave a completion it covers (the last tokens
    // of a request only, never cached). Between two characters of a string the clean
    // tokens come from the precomputed classes, as without a budget; elsewhere, a walk
    // over the whole vocabulary, which refuses most tokens at their first byte.
    let free = mask.words
    let top = state.top
    if top.kind == .string, top.phase == Phase.stringBody {
      var closing = [UInt64](repeating: 0, count: mask.words.count)
      let need = max(Int(machine.grammar.node(top.node).low - top.count), 0)
      // What is left after the string's own characters and its closing quote.
      let after = machine.shortestCompletion(state) - need - 1
      vocabulary.strings.closing(need: need, spare: limit - 1 - after, into: &closing)
      cleanStringTokens(into: &mask.words)
      for index in mask.words.indices { mask.words[index] &= closing[index] }
      machine.walk(vocabulary.strings.exits, from: state, into: &mask.words, scratch: &scratch, limit: limit)
    } else {
      for index in mask.words.indices { mask.words[index] = 0 }
      machine.walk(vocabulary.trie, from: state, into: &mask.words, scratch: &scratch, limit: limit)
    }
    if machine.canEnd(state) {
      for id in vocabulary.endTokens { mask.words[Int(id) >> 6] |= 1 << UInt64(id & 63) }
    }
    if mask.words != free { closedByBudget = true }
  }

  /// Takes the sampled token; a token the mask did not allow is refused and changes nothing.
  public mutating func accept(token: Int) throws(ConstraintError) {
    guard !isFinished else { throw .finished(token: token) }
    guard token >= 0, token < vocabulary.count else { throw .tokenNotAllowed(token: token, afterBytes: text.count) }
    if vocabulary.endTokens.contains(Int32(token)) {
      guard machine.canEnd(state) else { throw .tokenNotAllowed(token: token, afterBytes: text.count) }
      isFinished = true
      return
    }
    let bytes = vocabulary.tokenBytes[token]
    var next = state
    for byte in bytes where !machine.feed(&next, byte) {
      throw .tokenNotAllowed(token: token, afterBytes: text.count)
    }
    guard !bytes.isEmpty else { throw .tokenNotAllowed(token: token, afterBytes: text.count) }
    state = next
    text += bytes
    if machine.arena.count > 4096 { compactArena() }
  }

  /// The mask without a budget, and the longest completion any of its tokens leaves.
  private mutating func compute(into words: inout [UInt64]) -> Int {
    var farthest = -1
    let top = state.top
    if top.kind == .string, top.phase == Phase.stringBody {
      // Between two characters of a string: clean tokens from the precomputed masks, then
      // the few that close the string or escape, by walking the automaton.
      cleanStringTokens(into: &words)
      farthest = machine.walk(vocabulary.strings.exits, from: state, into: &words, scratch: &scratch)
      // Clean content shortens what is left or, ending inside a character, adds at most
      // the character's 3 continuation bytes.
      farthest = max(farthest, machine.shortestCompletion(state) + 3)
    } else {
      for index in words.indices { words[index] = 0 }
      farthest = machine.walk(vocabulary.trie, from: state, into: &words, scratch: &scratch)
    }
    if machine.canEnd(state) {
      for id in vocabulary.endTokens { words[Int(id) >> 6] |= 1 << UInt64(id & 63) }
    }
    return farthest
  }

  /// Between two characters of a string: the clean tokens whose characters fit under its
  /// maxLength.
  private func cleanStringTokens(into words: inout [UInt64]) {
    let strings = vocabulary.strings
    let top = state.top
    let high = machine.grammar.node(top.node).high
    let room = high < 0 ? Int.max : Int(high - top.count)
    if room > StringContentClasses.bucketLimit {
      words = strings.all
      if room != Int.max {
        words = strings.fitting[StringContentClasses.bucketLimit]
        for token in strings.long where Int(token.characters) <= room {
          words[Int(token.id) >> 6] |= 1 << UInt64(token.id & 63)
        }
      }
    } else {
      words = strings.fitting[room]
    }
  }

  /// The state as a cache key: the frames from the top down, with each string's and
  /// array's count folded to -1 where it cannot matter within one token (at or past its
  /// minimum and more than a token's length below its maximum).
  private func key() -> [Frame] {
    var frames: [Frame] = []
    var frame = state.top
    var parent = state.parent
    let horizon = vocabulary.longestToken
    while true {
      if frame.kind == .string || frame.kind == .array {
        let shape = machine.grammar.node(frame.node)
        if frame.count >= shape.low, shape.high < 0 || shape.high - frame.count > horizon { frame.count = -1 }
      }
      frames.append(frame)
      guard parent >= 0 else { return frames }
      let entry = machine.arena[Int(parent)]
      frame = entry.frame
      parent = entry.parent
    }
  }

  /// Drops the arena's dead entries (frames popped long ago), keeping the live stack.
  private mutating func compactArena() {
    var chain: [Frame] = []
    var parent = state.parent
    while parent >= 0 {
      chain.append(machine.arena[Int(parent)].frame)
      parent = machine.arena[Int(parent)].parent
    }
    machine.arena.removeAll(keepingCapacity: true)
    for frame in chain.reversed() {
      machine.arena.append(machine.entry(frame, parent: Int32(machine.arena.count) - 1))
    }
    state.parent = Int32(machine.arena.count) - 1
  }
}
