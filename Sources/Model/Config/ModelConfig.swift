/// The architecture families Nightdesk runs. They share one forward pass and
/// differ in the switches of `ModelConfig`, which both config readers take from here.
public enum Architecture: String, Sendable, Codable, CaseIterable {
  case qwen3
  case qwen2
  case llama

  /// Whether q/k/v projections carry biases.
  public enum BiasRule: Sendable {
    /// Always (Qwen2): a missing bias tensor is an error.
    case always
    /// When the checkpoint says so (Llama's `attention_bias`, or bias tensors in a GGUF).
    case ifPresent
    /// Never (Qwen3).
    case never
  }

  /// Qwen3: per-head RMSNorm of q and k before RoPE.
  public var hasQKNorm: Bool { self == .qwen3 }

  public var qkvBias: BiasRule {
    switch self {
    case .qwen2: return .always
    case .llama: return .ifPresent
    case .qwen3: return .never
    }
  }

  /// Which elements RoPE pairs in a file of `format`: llama.cpp's converter permutes
  /// llama's q/k rows for adjacent pairs; everything else keeps Hugging Face's halves.
  public func ropeLayout(in format: WeightNaming) -> RoPELayout {
    self == .llama && format == .gguf ? .adjacent : .halves
  }

  /// Whether the q/k/v biases are loaded, given what the checkpoint declares.
  public func hasQKVBias(declared: Bool) -> Bool {
    switch qkvBias {
    case .always: return true
    case .ifPresent: return declared
    case .never: return false
    }
  }
}

/// Which elements RoPE rotates together.
public enum RoPELayout: String, Sendable, Codable {
  /// Pairs (i, i + headDim/2): Hugging Face's `rotate_half` ("NeoX style").
  case halves
  /// Adjacent pairs (2i, 2i+1): llama.cpp's "normal" RoPE over GGUF llama files,
  /// whose q/k rows the converter permuted.
  case adjacent
}

/// YaRN context extension (Qwen3's 128K mode: factor 4 over 32,768 positions).
public struct YaRNScaling: Sendable, Equatable, Codable {
  public var factor: Double
  public var originalMaxPositions: Int
  public var betaFast: Double = 32
  public var betaSlow: Double = 1
  public init(factor: Double, originalMaxPositions: Int, betaFast: Double = 32, betaSlow: Double = 1) {
    self.factor = factor
    self.originalMaxPositions = originalMaxPositions
    self.betaFast = betaFast
    self.betaSlow = betaSlow
  }
}

/// The hyper-parameters of a decoder-only transformer, from `config.json` or GGUF metadata.
public struct ModelConfig: Sendable, Equatable {
  public var architecture: Architecture
  public var vocabularySize: Int
  public var hiddenSize: Int
  public var intermediateSize: Int
  public var layerCount: Int
  public var headCount: Int
  public var kvHeadCount: Int
  /// Independent of hiddenSize / headCount in Qwen3.
  public var headDim: Int
  public var rmsNormEpsilon: Float
  public var ropeTheta: Double
  public var ropeLayout: RoPELayout
  public var yarn: YaRNScaling?
  public var maxPositions: Int
  public var tieWordEmbeddings: Bool
  /// Qwen3: per-head RMSNorm of q and k before RoPE.
  public var hasQKNorm: Bool
  /// Qwen2: biases on the q, k and v projections.
  public var hasQKVBias: Bool

  public init(
    architecture: Architecture, vocabularySize: Int, hiddenSize: Int, intermediateSize: Int,
    layerCount: Int, headCount: Int, kvHeadCount: Int, headDim: Int, rmsNormEpsilon: Float,
    ropeTheta: Double, ropeLayout: RoPELayout = .halves, yarn: YaRNScaling? = nil, maxPositions: Int,
    tieWordEmbeddings: Bool, hasQKNorm: Bool, hasQKVBias: Bool
  ) {
    self.architecture = architecture
    self.vocabularySize = vocabularySize
    self.hiddenSize = hiddenSize
    self.intermediateSize = intermediateSize
    self.layerCount = layerCount
    self.headCount = headCount
    self.kvHeadCount = kvHeadCount
    self.headDim = headDim
    self.rmsNormEpsilon = rmsNormEpsilon
    self.ropeTheta = ropeTheta
    self.ropeLayout = ropeLayout
    self.yarn = yarn
    self.maxPositions = maxPositions
    self.tieWordEmbeddings = tieWordEmbeddings
    self.hasQKNorm = hasQKNorm
    self.hasQKVBias = hasQKVBias
  }

  /// The invariants the forward pass relies on, checked once for both readers. `field`
  /// names a setting in the file's own terms (config.json key or GGUF metadata key).
  public func validate(file: String, field: (String) -> String) throws(ModelFileError) {
    func invalid(_ setting: String, _ detail: String) -> ModelFileError {
      ModelFileError(.malformed, file: file, key: field(setting), detail)
    }
    // Sizes beyond any real checkpoint are a damaged or hostile file: refused here, before
    // a loader reserves memory for them (a block count of 2^31 asked for a terabyte).
    for (setting, value, limit) in [("layerCount", layerCount, 4096), ("hiddenSize", hiddenSize, 1 << 17),
                                    ("intermediateSize", intermediateSize, 1 << 20), ("headCount", headCount, 4096),
                                    ("kvHeadCount", kvHeadCount, 4096), ("headDim", headDim, 4096),
                                    ("vocabularySize", vocabularySize, 1 << 24)] where value > limit {
      throw invalid(setting, "is \(value); at most \(limit) is supported")
    }
    guard headCount % kvHeadCount == 0 else {
      throw invalid("kvHeadCount", "\(headCount) attention heads are not a multiple of \(kvHeadCount) KV heads")
    }
    guard headDim % 2 == 0 else { throw invalid("headDim", "RoPE needs an even head_dim, found \(headDim)") }
    guard rmsNormEpsilon > 0, rmsNormEpsilon < 1 else {
      throw invalid("rmsNormEpsilon", "expected a small positive number, found \(rmsNormEpsilon)")
    }
    guard ropeTheta > 1, ropeTheta.isFinite else { throw invalid("ropeTheta", "expected a number > 1, found \(ropeTheta)") }
    if let yarn, !(yarn.factor >= 1 && yarn.factor.isFinite) {
      throw invalid("yarn", "expected a YaRN factor >= 1, found \(yarn.factor)")
    }
    guard hasQKNorm == architecture.hasQKNorm else {
      throw invalid("architecture", "\(architecture.rawValue) \(architecture.hasQKNorm ? "has" : "has no") q/k norms")
    }
    if architecture.qkvBias == .always && !hasQKVBias || architecture.qkvBias == .never && hasQKVBias {
      throw invalid("architecture", "\(architecture.rawValue) q/k/v projections \(hasQKVBias ? "have no" : "have") biases")
    }
  }
}
