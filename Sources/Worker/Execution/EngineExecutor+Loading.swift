import NightdeskEngine
import NightdeskModel
import NightdeskQueue
import NightdeskRequests
import NightdeskTokenizer

extension EngineExecutor {
  /// Serves the model at `path` (a .gguf file or a Hugging Face folder); see `serving`.
  public static func load(
    model path: String, threads: Int? = nil, activations: ActivationPrecision = .float32,
    configuration: ([Int32]) throws -> EngineConfiguration
  ) throws -> EngineExecutor {
    try serving(ServedModel.open(path, threads: threads, activations: activations), configuration: configuration)
  }

  /// Starts an engine over `served`, configured by `configuration` (given the
  /// model's stop tokens), and returns an executor feeding it, with the model's
  /// chat template as its prompt format.
  public static func serving(_ served: ServedModel, configuration: ([Int32]) throws -> EngineConfiguration) throws
    -> EngineExecutor
  {
    let activations = served.activations
    let template = try served.chatTemplate()
    let config = try configuration(served.stopTokenIDs)
    let engine = try Engine(serving: served, configuration: config, skipSpecialTokens: true)
    let identity = ExecutorIdentity(
      // A result says when it did not come from the reference arithmetic.
      model: served.package.name + (activations == .float32 ? "" : " (\(activations.rawValue) activations)"),
      modelDigest: served.package.fileDigest() ?? PrefixHash.digest(engine.modelIdentity),
      templateDigest: template.format.rawValue + ":" + PrefixHash.digest(served.storedChatTemplate ?? ""))
    return EngineExecutor(engine: engine, identity: identity, capacity: config.scheduler.maxSequences) {
      messages, enableThinking in
      try served.promptIDs(for: messages, template: template, enableThinking: enableThinking)
    }
  }
}
