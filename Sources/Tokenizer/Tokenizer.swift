import Foundation

/// Text that goes into one encode call, with whether added tokens may be
/// recognised in it. A chat prompt is template scaffolding (trusted: its
/// `<|im_start|>` must become the control token) around message content that may
/// come from an untrusted document (where `<|im_end|>` is just text).
public struct TextSegment: Sendable, Equatable {
  public var text: String
  public var trusted: Bool
  public init(_ text: String, trusted: Bool) {
    self.text = text
    self.trusted = trusted
  }
}

/// A byte-level BPE tokenizer (Qwen2/Qwen3, GPT-2, SmolLM2), built once from a
/// `TokenizerSpec` and immutable afterwards, so one instance serves every thread.
public final class Tokenizer: Sendable {
  public let preTokenizerKind: PreTokenizerKind
  public let normalizesNFC: Bool
  public let bosTokenID: Int32?
  public let eosTokenID: Int32?
  public let padTokenID: Int32?
  /// Whether the model expects a BOS token before the text (callers add it: `encode` never does).
  public let addsBOS: Bool
  /// Every id that ends generation: the EOS token and the extra ones, in that order.
  public let stopTokenIDs: [Int32]
  /// The model's stored Jinja chat template, if any.
  public let chatTemplate: String?
  /// The added tokens (matched whole in trusted text), in id order.
  public let addedTokens: [AddedToken]

  let vocabulary: TokenBytesTable
  let encoder: BytePairEncoder
  private let preTokenizer: PreTokenizer
  private let matcher: AddedTokenMatcher
  private let addedIDs: [Int32: AddedToken]
  private let addedByContent: [String: Int32]

  public init(spec: TokenizerSpec) throws {
    let count = spec.tokens.count
    guard count > 0 else { throw TokenizerError.invalidSpec("the vocabulary is empty") }
    var addedIDs: [Int32: AddedToken] = [:]
    for token in spec.addedTokens {
      guard token.id >= 0, Int(token.id) < count else {
        throw TokenizerError.invalidSpec(
          "added token \(token.content.debugDescription) has id \(token.id), outside the vocabulary of \(count) tokens")
      }
      guard !token.content.isEmpty else {
        throw TokenizerError.invalidSpec("added token \(token.id) has empty text")
      }
      addedIDs[token.id] = token
    }
    var isAdded = [Bool](repeating: false, count: count)
    for id in addedIDs.keys { isAdded[Int(id)] = true }
    let tokenBytes: [[UInt8]] = spec.tokens.indices.map { id in
      isAdded[id] ? Array(addedIDs[Int32(id)]!.content.utf8) : ByteLevelAlphabet.bytes(ofToken: spec.tokens[id])
    }
    let vocabulary = TokenBytesTable(tokens: tokenBytes, indexed: { !isAdded[$0] })

    // Some vocabularies lack a few bytes (SmolLM2: bytes no UTF-8 text contains
    // and some control bytes); like Hugging Face without an unknown token, such
    // bytes are dropped. Printable ASCII must all be there, or this is not byte-level BPE.
    var byteTokens = [Int32](repeating: -1, count: 256)
    for byte in 0..<256 {
      if let id = vocabulary.id(of: [UInt8(byte)]) {
        byteTokens[byte] = id
      } else if (0x21...0x7E).contains(byte) {
        throw TokenizerError.invalidSpec(
          "the vocabulary has no token for \(ByteLevelAlphabet.token(forBytes: [UInt8(byte)]).debugDescription); "
            + "only byte-level BPE vocabularies (GPT-2, Qwen, SmolLM2 style) are supported")
      }
    }

    var rules: [(left: Int32, right: Int32, merged: Int32)] = []
    rules.reserveCapacity(spec.merges.count)
    for (rank, merge) in spec.merges.enumerated() {
      let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw TokenizerError.invalidSpec("merge \(rank) \(merge.debugDescription) is not two tokens separated by a space")
      }
      let left = ByteLevelAlphabet.bytes(ofToken: String(parts[0]))
      let right = ByteLevelAlphabet.bytes(ofToken: String(parts[1]))
      guard let leftID = vocabulary.id(of: left), let rightID = vocabulary.id(of: right) else {
        throw TokenizerError.invalidSpec("merge \(rank) \(merge.debugDescription) names a token that is not in the vocabulary")
      }
      guard let mergedID = vocabulary.id(of: left + right) else {
        throw TokenizerError.invalidSpec("merge \(rank) \(merge.debugDescription) makes a token that is not in the vocabulary")
      }
      rules.append((leftID, rightID, mergedID))
    }

    self.vocabulary = vocabulary
    encoder = BytePairEncoder(vocabulary: vocabulary, merges: MergeTable(rules: rules), byteTokens: byteTokens)
    preTokenizer = PreTokenizer(kind: spec.preTokenizer)
    matcher = AddedTokenMatcher(spec.addedTokens)
    self.addedIDs = addedIDs
    addedByContent = Dictionary(spec.addedTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { first, _ in first })
    addedTokens = spec.addedTokens.sorted { $0.id < $1.id }
    preTokenizerKind = spec.preTokenizer
    normalizesNFC = spec.normalizeNFC
    bosTokenID = spec.bosTokenID
    eosTokenID = spec.eosTokenID
    padTokenID = spec.padTokenID
    addsBOS = spec.addBOS
    var stops: [Int32] = []
    for id in [spec.eosTokenID].compactMap({ $0 }) + spec.extraStopTokenIDs where !stops.contains(id) {
      stops.append(id)
    }
    stopTokenIDs = stops
    chatTemplate = spec.chatTemplate
  }

  /// Number of token ids (the model's embedding may have more rows: padding).
  public var vocabularySize: Int { vocabulary.count }

  // MARK: Encoding

  /// Token ids of `text`. With `allowSpecial` (trusted text) added tokens such as
  /// `<|im_start|>` are recognised; without it (untrusted documents) they are
  /// encoded as the plain characters they are made of. Never adds BOS.
  public func encode(_ text: String, allowSpecial: Bool = true) -> [Int32] {
    encode([TextSegment(text, trusted: allowSpecial)])
  }

  /// Token ids of the concatenated segments. Plain text runs on across segment
  /// boundaries (the split pattern sees it as one text), so the result equals
  /// encoding the joined string whenever no untrusted segment holds an added token.
  public func encode(_ segments: [TextSegment]) -> [Int32] {
    var ids: [Int32] = []
    var plain: [UInt8] = []
    var scratch = BPEScratch()
    for segment in segments {
      let utf8 = normalizesNFC ? NFC.utf8(of: segment.text) : Array(segment.text.utf8)
      guard segment.trusted, !matcher.isEmpty else {
        plain.append(contentsOf: utf8)
        continue
      }
      utf8.withUnsafeBufferPointer { buffer in
        matcher.split(
          buffer,
          plain: { start, end in plain.append(contentsOf: buffer[start..<end]) },
          token: { id in
            encodePlain(plain, into: &ids, scratch: &scratch)
            plain.removeAll(keepingCapacity: true)
            ids.append(id)
          })
      }
    }
    encodePlain(plain, into: &ids, scratch: &scratch)
    return ids
  }

  private func encodePlain(_ text: [UInt8], into ids: inout [Int32], scratch: inout BPEScratch) {
    guard !text.isEmpty else { return }
    ids.reserveCapacity(ids.count + text.count / 3)
    text.withUnsafeBufferPointer { buffer in
      let base = buffer.baseAddress!
      preTokenizer.split(buffer) { start, end in
        encoder.encode(base + start, end - start, into: &ids, scratch: &scratch)
      }
    }
  }

  // MARK: Decoding

  /// The text of `ids`. Ids outside the vocabulary (an embedding's padding rows)
  /// decode to nothing; bytes that are not valid UTF-8 become U+FFFD.
  public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
    String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
  }

  /// The raw bytes of `ids` (a token may hold part of a UTF-8 character).
  public func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool = false) -> [UInt8] {
    var bytes: [UInt8] = []
    for id in ids { appendBytes(of: id, skipSpecialTokens: skipSpecialTokens, to: &bytes) }
    return bytes
  }

  func appendBytes(of id: Int32, skipSpecialTokens: Bool, to bytes: inout [UInt8]) {
    guard id >= 0, Int(id) < vocabulary.count else { return }
    if skipSpecialTokens, addedIDs[id]?.special == true { return }
    bytes.append(contentsOf: vocabulary.bytes(of: Int(id)))
  }

  /// A decoder for tokens arriving one by one that never emits half a character.
  public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
    StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
  }

  // MARK: Lookup

  /// The token as the model files spell it (byte-level alphabet: `Ġhello`), or
  /// the added token's text.
  public func tokenString(_ id: Int32) -> String? {
    guard id >= 0, Int(id) < vocabulary.count else { return nil }
    if let added = addedIDs[id] { return added.content }
    return ByteLevelAlphabet.token(forBytes: vocabulary.bytes(of: Int(id)))
  }

  /// The id of an added token such as `<|im_end|>` or `<think>`.
  public func addedTokenID(_ content: String) -> Int32? { addedByContent[content] }

  /// Whether `id` is a special (control) token, which `skipSpecialTokens` drops.
  public func isSpecial(_ id: Int32) -> Bool { addedIDs[id]?.special == true }
}
