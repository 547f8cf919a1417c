import NightdeskTokenizer

/// Builds a byte-level BPE tokenizer description from a GGUF's `tokenizer.*`
/// metadata. A GGUF carries no normalizer, so NFC is inferred from the `qwen2`
/// pre-tokenizer (Qwen's tokenizer.json normalizes to NFC).
extension TokenizerSpec {
  /// Token texts that end a turn in the chat formats we run; llama.cpp treats them
  /// as end-of-generation too when they are control tokens and not the eos itself.
  static let endOfGenerationTexts: Set<String> = [
    "<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|end|>", "<end_of_turn>",
  ]

  public init(gguf: GGUFFile) throws {
    let model = try gguf.string("tokenizer.ggml.model")
    guard model == "gpt2" else {
      throw gguf.error(.unsupportedArchitecture, key: "tokenizer.ggml.model",
                       "tokenizer '\(model ?? "(missing)")' is not supported; Nightdesk reads byte-level BPE ('gpt2') tokenizers")
    }
    guard let tokens = try gguf.stringArray("tokenizer.ggml.tokens"), !tokens.isEmpty else {
      throw gguf.error(.missingKey, key: "tokenizer.ggml.tokens", "the GGUF has no token list")
    }
    guard let merges = try gguf.stringArray("tokenizer.ggml.merges") else {
      throw gguf.error(.missingKey, key: "tokenizer.ggml.merges", "a BPE tokenizer needs merges")
    }
    let types = try gguf.intArray("tokenizer.ggml.token_type") ?? []
    guard types.isEmpty || types.count == tokens.count else {
      throw gguf.error(.malformed, key: "tokenizer.ggml.token_type",
                       "has \(types.count) entries but there are \(tokens.count) tokens")
    }
    // ggml token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    var added: [AddedToken] = []
    for (id, type) in types.enumerated() where type == 3 || type == 4 {
      added.append(AddedToken(id: Int32(id), content: tokens[id], special: type == 3))
    }

    let pre: PreTokenizerKind
    switch try gguf.string("tokenizer.ggml.pre") {
    case "qwen2": pre = .qwen2
    case "smollm": pre = .smollm
    case "llama-bpe", "llama3": pre = .llama3
    case nil, "gpt2", "default": pre = .gpt2
    case let other?:
      throw gguf.error(.unsupportedArchitecture, key: "tokenizer.ggml.pre",
                       "pre-tokenizer '\(other)' is not supported (known: qwen2, smollm, llama-bpe, gpt2, default)")
    }

    func tokenID(_ key: String) throws -> Int32? {
      guard let id = try gguf.int(key) else { return nil }
      guard id >= 0, id < tokens.count else {
        throw gguf.error(.malformed, key: key, "token id \(id) is outside the vocabulary of \(tokens.count) tokens")
      }
      return Int32(id)
    }
    let eos = try tokenID("tokenizer.ggml.eos_token_id")
    var stops: [Int32] = []
    for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
      if let id = try tokenID(key), id != eos, !stops.contains(id) { stops.append(id) }
    }
    for token in added where token.special && Self.endOfGenerationTexts.contains(token.content) {
      if token.id != eos, !stops.contains(token.id) { stops.append(token.id) }
    }

    self.init(
      tokens: tokens, merges: merges, addedTokens: added, preTokenizer: pre, normalizeNFC: pre == .qwen2,
      bosTokenID: try tokenID("tokenizer.ggml.bos_token_id"), eosTokenID: eos, extraStopTokenIDs: stops,
      padTokenID: try tokenID("tokenizer.ggml.padding_token_id"),
      addBOS: try gguf.bool("tokenizer.ggml.add_bos_token") ?? false,
      chatTemplate: try gguf.string("tokenizer.chat_template"))
  }
}
