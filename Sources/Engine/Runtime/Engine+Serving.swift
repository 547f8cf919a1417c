import NightdeskModel
import NightdeskStructured
import NightdeskTokenizer

/// The tokenizer's streaming decoder already has the shape the engine needs.
extension StreamingDecoder: TokenTextDecoder {}

extension Engine {
  /// Starts an engine over a forward pass built from `served` (the engine owns it
  /// from here on), decoding text with its tokenizer. `skipSpecialTokens`: leave
  /// control tokens out of the text (the worker's answers), or keep them (the
  /// CLI's output, which shows what the model produced). Schema-constrained requests
  /// take their masks from the tokenizer's vocabulary, built at the first one.
  public convenience init(serving served: ServedModel, configuration: EngineConfiguration, skipSpecialTokens: Bool = false)
    throws
  {
    let model = try served.loadModel()
    let tokenizer = served.tokenizer
    try self.init(
      model: model, configuration: configuration,
      textDecoder: { tokenizer.makeStreamingDecoder(skipSpecialTokens: skipSpecialTokens) },
      vocabulary: { TokenVocabulary(tokenizer: tokenizer) })
  }
}
