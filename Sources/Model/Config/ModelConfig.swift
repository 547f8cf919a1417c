/// The architecture families Nightdesk runs. They share one forward pass and
/// differ in the switches of `ModelConfig`.
public enum Architecture: String, Sendable, Codable {
  case qwen3
  case qwen2
  case llama
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
}
