/// Reads a model's hyper-parameters from GGUF metadata (`<arch>.block_count`, …),
/// the keys llama.cpp's converter writes. The switches come from `Architecture`; a
/// GGUF declares llama's optional q/k/v biases by carrying their tensors.
extension ModelConfig {
  public init(gguf: GGUFFile) throws {
    let keys = GGUFConfigKeys(gguf: gguf)
    let archName = try keys.required(gguf.string("general.architecture"), "general.architecture")
    guard let architecture = Architecture(rawValue: archName) else {
      throw gguf.error(.unsupportedArchitecture, key: "general.architecture",
                       "architecture '\(archName)' is not supported; Nightdesk runs qwen3, qwen2 and llama")
    }
    let hidden = try keys.positive("embedding_length")
    let heads = try keys.positive("attention.head_count")
    let kvHeads = try keys.optionalPositive("attention.head_count_kv") ?? heads
    // Qwen3's head_dim is independent of hidden / heads: trust key_length when present.
    let headDim: Int
    if let keyLength = try keys.optionalPositive("attention.key_length") {
      headDim = keyLength
    } else {
      guard hidden % heads == 0 else {
        throw keys.error("attention.key_length", "absent, and embedding_length \(hidden) is not divisible by \(heads) heads")
      }
      headDim = hidden / heads
    }
    if let valueLength = try keys.optionalPositive("attention.value_length"), valueLength != headDim {
      throw keys.unsupported("attention.value_length", "value_length \(valueLength) differs from key_length \(headDim)")
    }
    if let ropeDims = try keys.optionalPositive("rope.dimension_count"), ropeDims != headDim {
      throw keys.unsupported("rope.dimension_count", "partial RoPE (\(ropeDims) of \(headDim) dimensions) is not supported")
    }
    let epsilon = try keys.required(gguf.float(keys.name("attention.layer_norm_rms_epsilon")),
                                    keys.name("attention.layer_norm_rms_epsilon"))
    let theta = try gguf.float(keys.name("rope.freq_base")) ?? 10_000

    let vocabulary: Int
    if let size = try keys.optionalPositive("vocab_size") {
      vocabulary = size
    } else if let count = gguf.arrayCount("tokenizer.ggml.tokens"), count > 0 {
      vocabulary = count
    } else {
      throw gguf.error(.missingKey, key: "tokenizer.ggml.tokens",
                       "cannot tell the vocabulary size: neither \(keys.name("vocab_size")) nor a token list is present")
    }

    self.init(
      architecture: architecture, vocabularySize: vocabulary, hiddenSize: hidden,
      intermediateSize: try keys.positive("feed_forward_length"), layerCount: try keys.positive("block_count"),
      headCount: heads, kvHeadCount: kvHeads, headDim: headDim, rmsNormEpsilon: Float(epsilon),
      ropeTheta: theta, ropeLayout: architecture.ropeLayout(in: .gguf),
      yarn: try Self.yarn(keys), maxPositions: try keys.positive("context_length"),
      tieWordEmbeddings: !gguf.hasTensor("output.weight"),
      hasQKNorm: architecture.hasQKNorm,
      hasQKVBias: architecture.hasQKVBias(declared: gguf.hasTensor(WeightNaming.gguf.name(.qBias, layer: 0))))
    try validate(file: gguf.sourceDescription) { setting in
      let key = Self.ggufKey[setting] ?? setting
      return key.hasPrefix("general.") ? key : keys.name(key)
    }
  }

  /// GGUF's names (after `<arch>.`) of the settings `validate` checks.
  static let ggufKey = [
    "kvHeadCount": "attention.head_count_kv", "headDim": "attention.key_length",
    "rmsNormEpsilon": "attention.layer_norm_rms_epsilon", "ropeTheta": "rope.freq_base",
    "yarn": "rope.scaling.factor", "architecture": "general.architecture",
    "layerCount": "block_count", "hiddenSize": "embedding_length", "intermediateSize": "feed_forward_length",
    "headCount": "attention.head_count", "vocabularySize": "vocab_size",
  ]

  private static func yarn(_ keys: GGUFConfigKeys) throws -> YaRNScaling? {
    let type = try keys.gguf.string(keys.name("rope.scaling.type"))
    switch type {
    case nil, "none":
      return nil
    case "yarn":
      let factor = try keys.required(keys.gguf.float(keys.name("rope.scaling.factor")), keys.name("rope.scaling.factor"))
      guard factor >= 1, factor.isFinite else {
        throw keys.error("rope.scaling.factor", "expected a YaRN factor >= 1, found \(factor)")
      }
      if factor == 1 { return nil }
      var yarn = YaRNScaling(factor: factor, originalMaxPositions: try keys.positive("rope.scaling.original_context_length"))
      if let fast = try keys.gguf.float(keys.name("rope.scaling.yarn_beta_fast")) { yarn.betaFast = fast }
      if let slow = try keys.gguf.float(keys.name("rope.scaling.yarn_beta_slow")) { yarn.betaSlow = slow }
      return yarn
    case let other?:
      throw keys.unsupported("rope.scaling.type", "RoPE scaling '\(other)' is not supported (only YaRN)")
    }
  }
}

/// Architecture-prefixed key lookup with uniform errors.
struct GGUFConfigKeys {
  let gguf: GGUFFile

  func name(_ suffix: String) -> String {
    let arch = (try? gguf.string("general.architecture")) ?? nil
    return "\(arch ?? "?").\(suffix)"
  }

  func required<T>(_ value: T?, _ key: String) throws -> T {
    guard let value else { throw gguf.error(.missingKey, key: key, "required metadata key is missing") }
    return value
  }

  func positive(_ suffix: String) throws -> Int {
    try required(optionalPositive(suffix), name(suffix))
  }

  func optionalPositive(_ suffix: String) throws -> Int? {
    guard let value = try gguf.int(name(suffix)) else { return nil }
    guard value > 0, value <= 1 << 31 else { throw error(suffix, "expected a positive count, found \(value)") }
    return value
  }

  func error(_ suffix: String, _ detail: String) -> ModelFileError {
    gguf.error(.malformed, key: name(suffix), detail)
  }

  func unsupported(_ suffix: String, _ detail: String) -> ModelFileError {
    gguf.error(.unsupportedArchitecture, key: name(suffix), detail)
  }
}
