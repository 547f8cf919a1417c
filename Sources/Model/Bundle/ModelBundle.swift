import Foundation
import NightdeskTokenizer

/// Everything a command needs to run a model: the forward pass, the tokenizer,
/// the chat template and the ids that end generation. `load` takes a Hugging
/// Face folder (config.json, safetensors, tokenizer files) or a `.gguf` file.
public final class ModelBundle {
  public let path: String
  public let model: TransformerModel
  public let tokenizer: Tokenizer
  public let tokenizerSpec: TokenizerSpec
  /// The model's stored Jinja chat template, if any (pick a format with `ChatTemplate(modelTemplate:)`).
  public var chatTemplate: String? { tokenizerSpec.chatTemplate }
  /// eos plus the extra stop ids (generation_config.json's list, `<|endoftext|>`), without duplicates.
  public let stopTokenIDs: [Int32]

  public init(path: String, model: TransformerModel, tokenizerSpec: TokenizerSpec) throws {
    self.path = path
    self.model = model
    self.tokenizerSpec = tokenizerSpec
    tokenizer = try Tokenizer(spec: tokenizerSpec)
    var stops: [Int32] = []
    for id in [tokenizerSpec.eosTokenID].compactMap({ $0 }) + tokenizerSpec.extraStopTokenIDs where !stops.contains(id) {
      stops.append(id)
    }
    stopTokenIDs = stops
  }

  public static func load(path: String, threads: Int? = nil, activations: ActivationPrecision = .float32) throws -> ModelBundle {
    let model = try ModelLoader.loadModel(path: path, threads: threads, activations: activations)
    let spec = try TokenizerSpec(modelAt: URL(fileURLWithPath: path))
    return try ModelBundle(path: path, model: model, tokenizerSpec: spec)
  }
}
