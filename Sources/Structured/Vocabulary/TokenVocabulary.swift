import NightdeskTokenizer

/// A model's vocabulary as the token mask needs it: every token's bytes, a byte trie of
/// the tokens that may appear in JSON text, and the string-content classes that make
/// masks inside strings cheap. Built once per model (about a tenth of a second for
/// Qwen3's 151k tokens) and shared by every request and schema.
public final class TokenVocabulary: Sendable {
  /// Token ids run from 0 to `count - 1` (a model's logits may have padding rows beyond).
  public let count: Int
  /// The ids that end generation (EOS and the model's other stop tokens): allowed only
  /// once the value is complete.
  public let endTokens: [Int32]
  /// The bytes of each text token, empty for control tokens and end tokens. // [count][*]
  let tokenBytes: [[UInt8]]
  /// Every text token.
  let trie: VocabularyTrie
  /// Longest token, in bytes: a token can change a counter by at most this much.
  let longestToken: Int32
  /// Masks for the inside of a string (see `StringContentClasses`).
  let strings: StringContentClasses

  /// The vocabulary of `tokenizer`. Added tokens (`<|im_start|>`, `<think>`) never form
  /// part of the JSON text; the stop tokens end it.
  public convenience init(tokenizer: Tokenizer) {
    var isText = [Bool](repeating: true, count: tokenizer.vocabularySize)
    for token in tokenizer.addedTokens where Int(token.id) < isText.count { isText[Int(token.id)] = false }
    let bytes = (0..<tokenizer.vocabularySize).map { id in isText[id] ? tokenizer.decodeBytes([Int32(id)]) : [] }
    self.init(tokenBytes: bytes, endTokens: tokenizer.stopTokenIDs)
  }

  /// A vocabulary from raw token bytes (empty: never part of the text) and end tokens.
  public init(tokenBytes: [[UInt8]], endTokens: [Int32]) {
    var bytes = tokenBytes
    let ends = endTokens.filter { $0 >= 0 && Int($0) < tokenBytes.count }
    for id in ends { bytes[Int(id)] = [] }
    count = bytes.count
    self.endTokens = ends
    self.tokenBytes = bytes
    let entries = bytes.indices.map { (id: Int32($0), bytes: bytes[$0]) }
    trie = VocabularyTrie(entries)
    longestToken = Int32(bytes.map(\.count).max() ?? 0)
    strings = StringContentClasses(tokenBytes: bytes)
  }

  /// The bytes of token `id` (empty for control and end tokens).
  public func bytes(of id: Int) -> [UInt8] { tokenBytes[id] }
}

/// Inside a string, between characters, a token whose bytes are all plain string content
/// (no `"`, no `\`, no control byte, UTF-8 that is valid so far) is allowed exactly when
/// its characters fit under maxLength, whatever the enclosing values: those tokens are
/// most of a vocabulary and are taken from a precomputed mask. Only the tokens that
/// leave the string or escape (a `"` or `\` after clean content) need a walk of the
/// automaton, over their own small trie; every other token can never follow there.
struct StringContentClasses: Sendable {
  /// Masks that start at this many characters go into `long`.
  static let bucketLimit = 32
  /// `fitting[k]`: the clean tokens of at most k characters, k in 0...bucketLimit. // [33][words]
  let fitting: [[UInt64]]
  /// Every clean token. // [words]
  let all: [UInt64]
  /// Clean tokens of more than `bucketLimit` characters, with their character counts.
  let long: [(id: Int32, characters: Int32)]
  /// Tokens whose first byte past clean content is `"` or `\`.
  let exits: VocabularyTrie
  /// `endingInside[p]`: the clean tokens whose last character still lacks p continuation
  /// bytes (0 for a token that ends between characters), p in 0...3. // [4][words]
  let endingInside: [[UInt64]]
  /// The `endingInside` of each token in `long`, in its order.
  let longPending: [Int8]

  init(tokenBytes: [[UInt8]]) {
    let words = (tokenBytes.count + 63) / 64
    var fitting = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: Self.bucketLimit + 1)
    var all = [UInt64](repeating: 0, count: words)
    var long: [(id: Int32, characters: Int32)] = []
    var longPending: [Int8] = []
    var endingInside = [[UInt64]](repeating: [UInt64](repeating: 0, count: words), count: 4)
    var exits: [(id: Int32, bytes: [UInt8])] = []
    for (id, bytes) in tokenBytes.enumerated() where !bytes.isEmpty {
      switch Self.classify(bytes) {
      case .clean(let characters, let pending):
        all[id >> 6] |= 1 << UInt64(id & 63)
        endingInside[pending][id >> 6] |= 1 << UInt64(id & 63)
        if characters > Self.bucketLimit {
          long.append((Int32(id), Int32(characters)))
          longPending.append(Int8(pending))
        } else {
          for k in characters...Self.bucketLimit { fitting[k][id >> 6] |= 1 << UInt64(id & 63) }
        }
      case .exit: exits.append((Int32(id), bytes))
      case .never: break
      }
    }
    self.fitting = fitting
    self.all = all
    self.long = long
    self.longPending = longPending
    self.endingInside = endingInside
    self.exits = VocabularyTrie(exits)
  }

  enum Class { case clean(characters: Int, pending: Int), exit, never }

  /// How a token reads from between two characters of a string.
  static func classify(_ bytes: [UInt8]) -> Class {
    var characters = 0
    var pending: Int32 = 0  // continuation bytes still due (times 8) plus the first one's range
    for byte in bytes {
      if pending != 0 {
        guard JSONMachine.continuationAllowed(pending & 7, byte) else { return .never }
        let left = (pending >> 3) - 1
        pending = left == 0 ? 0 : left << 3
        continue
      }
      if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return .exit }
      guard byte >= 0x20 else { return .never }
      if byte >= 0x80 {
        pending = JSONMachine.leadPending(byte)
        guard pending >= 0 else { return .never }
      }
      characters += 1
    }
    return .clean(characters: characters, pending: Int(pending >> 3))
  }

  /// Adds to `words` the clean tokens after which a string that needs `need` more
  /// characters can close within `spare` bytes before its closing quote: a token of k
  /// characters that leaves p continuation bytes due needs p + max(need - k, 0) more.
  func closing(need: Int, spare: Int, into words: inout [UInt64]) {
    guard spare >= 0 else { return }
    for pending in 0...min(spare, 3) {
      let fewest = max(need + pending - spare, 0)  // characters the token must bring
      let ending = endingInside[pending]
      if fewest == 0 {
        for index in words.indices { words[index] |= ending[index] }
      } else if fewest <= Self.bucketLimit {
        let shorter = fitting[fewest - 1]
        for index in words.indices { words[index] |= ending[index] & ~shorter[index] }
      } else {
        for (at, token) in long.enumerated() where Int(longPending[at]) == pending && Int(token.characters) >= fewest {
          words[Int(token.id) >> 6] |= 1 << UInt64(token.id & 63)
        }
      }
    }
  }
}
