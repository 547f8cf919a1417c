/// How text is split before BPE runs on each piece.
public enum PreTokenizerKind: String, Sendable, Codable {
  /// Qwen2/Qwen3's split pattern (letters, single digits, punctuation runs, newlines).
  case qwen2
  /// GPT-2's pattern (SmolLM2's upstream tokenizer.json: ByteLevel without digit splitting).
  case gpt2
  /// llama.cpp's `smollm`: every `\p{N}` character isolated first, then GPT-2's pattern.
  case smollm
  /// Llama 3's pattern: Qwen2's, but digits in runs of up to three (llama.cpp's `llama-bpe`).
  case llama3
}

/// A token the tokenizer matches whole in raw text, before any splitting.
public struct AddedToken: Sendable, Equatable {
  public var id: Int32
  public var content: String
  /// Control tokens (`<|im_start|>`); `<think>` is added but not special.
  public var special: Bool
  public init(id: Int32, content: String, special: Bool) {
    self.id = id
    self.content = content
    self.special = special
  }
}

/// Everything needed to build a byte-level BPE tokenizer, whichever file it came
/// from (`tokenizer.json` + `tokenizer_config.json`, or GGUF metadata).
public struct TokenizerSpec: Sendable {
  /// id → token text in GPT-2's byte-to-unicode encoding, as stored in the files.
  public var tokens: [String]
  /// Merge rules in rank order, each "left right".
  public var merges: [String]
  /// Tokens matched whole in text (GGUF: token types 3 control and 4 user-defined).
  public var addedTokens: [AddedToken]
  public var preTokenizer: PreTokenizerKind
  /// Normalize the input to NFC first (Qwen).
  public var normalizeNFC: Bool
  public var bosTokenID: Int32?
  public var eosTokenID: Int32?
  /// Further ids that end generation (generation_config.json's eos list, `<|endoftext|>`).
  public var extraStopTokenIDs: [Int32]
  public var padTokenID: Int32?
  public var addBOS: Bool
  /// The model's stored Jinja chat template, if any.
  public var chatTemplate: String?

  public init(
    tokens: [String], merges: [String], addedTokens: [AddedToken], preTokenizer: PreTokenizerKind,
    normalizeNFC: Bool, bosTokenID: Int32? = nil, eosTokenID: Int32? = nil, extraStopTokenIDs: [Int32] = [],
    padTokenID: Int32? = nil, addBOS: Bool = false, chatTemplate: String? = nil
  ) {
    self.tokens = tokens
    self.merges = merges
    self.addedTokens = addedTokens
    self.preTokenizer = preTokenizer
    self.normalizeNFC = normalizeNFC
    self.bosTokenID = bosTokenID
    self.eosTokenID = eosTokenID
    self.extraStopTokenIDs = extraStopTokenIDs
    self.padTokenID = padTokenID
    self.addBOS = addBOS
    self.chatTemplate = chatTemplate
  }
}
