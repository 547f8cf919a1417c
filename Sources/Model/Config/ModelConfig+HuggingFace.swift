import Foundation
import NightdeskSupport

/// Reads a Hugging Face `config.json` (Qwen3, Qwen2 and Llama families).
extension ModelConfig {
  public init(huggingFaceConfig url: URL) throws {
    let json: JSONValue
    do {
      json = try JSONParser.parse(try Data(contentsOf: url))
    } catch {
      throw ModelFileError(.malformed, file: url.path, "cannot read config.json: \(error)")
    }
    try self.init(huggingFaceConfig: json, path: url.path)
  }

  public init(huggingFaceConfig json: JSONValue, path: String) throws {
    let fields = HFConfigFields(json: json, path: path)
    let modelType = try fields.string("model_type")
    let architecture: Architecture
    switch modelType {
    case "qwen3": architecture = .qwen3
    case "qwen2": architecture = .qwen2
    case "llama": architecture = .llama
    default:
      throw ModelFileError(.unsupportedArchitecture, file: path, key: "model_type",
                           "model_type '\(modelType)' is not supported; Nightdesk runs qwen3, qwen2 and llama")
    }
    let hidden = try fields.positive("hidden_size")
    let heads = try fields.positive("num_attention_heads")
    let kvHeads = try fields.optionalPositive("num_key_value_heads") ?? heads
    let headDim: Int
    if let explicit = try fields.optionalPositive("head_dim") {
      headDim = explicit
    } else {
      guard hidden % heads == 0 else {
        throw fields.invalid("head_dim", "absent, and hidden_size \(hidden) is not divisible by \(heads) heads")
      }
      headDim = hidden / heads
    }
    let epsilon = try fields.optionalDouble("rms_norm_eps") ?? 1e-6
    // transformers 5 moved rope_theta and rope_scaling under rope_parameters.
    let ropeParameters = json["rope_parameters"]?.objectValue.map { JSONValue.object($0) }
    let theta = try fields.optionalDouble("rope_theta")
      ?? ropeParameters?["rope_theta"]?.doubleValue ?? 10_000
    let maxPositions = try fields.optionalPositive("max_position_embeddings") ?? 4096
    let scaling = json["rope_scaling"].flatMap { $0.isNull ? nil : $0 } ?? ropeParameters
    let yarn = try Self.yarn(scaling, maxPositions: maxPositions, fields: fields)
    let attentionBias = json["attention_bias"]?.boolValue ?? false

    self.init(
      architecture: architecture, vocabularySize: try fields.positive("vocab_size"), hiddenSize: hidden,
      intermediateSize: try fields.positive("intermediate_size"), layerCount: try fields.positive("num_hidden_layers"),
      headCount: heads, kvHeadCount: kvHeads, headDim: headDim, rmsNormEpsilon: Float(epsilon),
      ropeTheta: theta, ropeLayout: architecture.ropeLayout(in: .huggingFace), yarn: yarn, maxPositions: maxPositions,
      tieWordEmbeddings: json["tie_word_embeddings"]?.boolValue ?? false,
      hasQKNorm: architecture.hasQKNorm, hasQKVBias: architecture.hasQKVBias(declared: attentionBias))
    try validate(file: path) { Self.huggingFaceKey[$0] ?? $0 }
  }

  /// config.json's names of the settings `validate` checks.
  static let huggingFaceKey = [
    "kvHeadCount": "num_key_value_heads", "headDim": "head_dim", "rmsNormEpsilon": "rms_norm_eps",
    "ropeTheta": "rope_theta", "yarn": "rope_scaling.factor", "architecture": "model_type",
    "layerCount": "num_hidden_layers", "hiddenSize": "hidden_size", "intermediateSize": "intermediate_size",
    "headCount": "num_attention_heads", "vocabularySize": "vocab_size",
  ]

  private static func yarn(_ scaling: JSONValue?, maxPositions: Int, fields: HFConfigFields) throws -> YaRNScaling? {
    guard let scaling, scaling.objectValue != nil else { return nil }
    let type = scaling["rope_type"]?.stringValue ?? scaling["type"]?.stringValue ?? "default"
    switch type {
    case "default":
      return nil
    case "yarn":
      guard let factor = scaling["factor"]?.doubleValue, factor >= 1, factor.isFinite else {
        throw fields.invalid("rope_scaling.factor", "a YaRN scaling needs a numeric factor >= 1")
      }
      if factor == 1 { return nil }
      let original = scaling["original_max_position_embeddings"]?.intValue ?? maxPositions
      guard original > 0 else { throw fields.invalid("rope_scaling.original_max_position_embeddings", "expected a positive count") }
      var yarn = YaRNScaling(factor: factor, originalMaxPositions: original)
      if let fast = scaling["beta_fast"]?.doubleValue { yarn.betaFast = fast }
      if let slow = scaling["beta_slow"]?.doubleValue { yarn.betaSlow = slow }
      return yarn
    default:
      throw ModelFileError(.unsupportedArchitecture, file: fields.path, key: "rope_scaling",
                           "RoPE scaling '\(type)' is not supported (only YaRN)")
    }
  }
}

/// Typed access to config.json fields with errors that name the field.
struct HFConfigFields {
  let json: JSONValue
  let path: String

  func invalid(_ key: String, _ detail: String) -> ModelFileError {
    ModelFileError(.malformed, file: path, key: key, detail)
  }

  func string(_ key: String) throws -> String {
    guard let value = json[key], !value.isNull else {
      throw ModelFileError(.missingKey, file: path, key: key, "required field is missing")
    }
    guard let text = value.stringValue else { throw invalid(key, "expected a string, found \(value.kindName)") }
    return text
  }

  func positive(_ key: String) throws -> Int {
    guard let value = try optionalPositive(key) else {
      throw ModelFileError(.missingKey, file: path, key: key, "required field is missing")
    }
    return value
  }

  func optionalPositive(_ key: String) throws -> Int? {
    guard let value = json[key], !value.isNull else { return nil }
    guard let int = value.intValue, int > 0, int <= 1 << 31 else {
      throw invalid(key, "expected a positive integer, found \(value)")
    }
    return int
  }

  func optionalDouble(_ key: String) throws -> Double? {
    guard let value = json[key], !value.isNull else { return nil }
    guard let double = value.doubleValue, double.isFinite else { throw invalid(key, "expected a number, found \(value)") }
    return double
  }
}
