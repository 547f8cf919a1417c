import NightdeskRequests
import NightdeskTokenizer

/// A model ready to serve: its package, tokenizer, chat template and the ids that
/// end generation, assembled once from one `ModelPackage`. Commands and the worker
/// take everything from here: `loadModel()` for the single-sequence reference path
/// (`generate`, `bench`, `compare-precision`), `Engine(serving:)` for the batching
/// engine (`generate --prompts-file`, `bench --requests`, `worker`), and
/// `promptIDs(for:)` to turn chat messages into the prompt both paths see.
public final class ServedModel: Sendable {
  public let package: ModelPackage
  /// Read first: a folder that is not a model folder is refused before its tokenizer is read.
  public let config: ModelConfig
  public let tokenizer: Tokenizer
  /// The compute threads and activation precision every model built from here uses.
  public let threads: Int?
  public let activations: ActivationPrecision

  public init(package: ModelPackage, threads: Int? = nil, activations: ActivationPrecision = .float32) throws {
    self.package = package
    config = try package.config()
    tokenizer = try Tokenizer(spec: package.tokenizerSpec())
    self.threads = threads
    self.activations = activations
  }

  /// Opens the Hugging Face folder or GGUF file at `path` (see `ModelPackage.open`).
  public static func open(_ path: String, threads: Int? = nil, activations: ActivationPrecision = .float32) throws
    -> ServedModel
  {
    try ServedModel(package: ModelPackage.open(path), threads: threads, activations: activations)
  }

  /// eos plus the extra stop ids (generation_config.json's list, `<|endoftext|>`), without duplicates.
  public var stopTokenIDs: [Int32] { tokenizer.stopTokenIDs }

  /// The model's stored Jinja chat template, if any.
  public var storedChatTemplate: String? { tokenizer.chatTemplate }

  /// A new forward pass over the weights, for the caller alone (the engine takes
  /// it for its step thread; the reference path feeds it directly).
  public func loadModel(kernels: KernelLevel? = nil) throws -> TransformerModel {
    try package.loadModel(config: config, threads: threads, activations: activations, kernels: kernels)
  }

  /// The chat format of the model's stored template, unless `override` (`--chat-format`) says otherwise.
  public func chatTemplate(override: ChatFormat? = nil) throws -> ChatTemplate {
    try ChatTemplate(modelTemplate: storedChatTemplate, override: override)
  }

  /// The prompt ids of a chat: rendered by `template`, message content encoded as
  /// untrusted text (a document cannot close its turn), a BOS first when the
  /// tokenizer asks for one. Every mode builds chat prompts here, so the same
  /// messages give the same prompt to `generate`, `--prompts-file` and the worker.
  /// `enableThinking`: Qwen3's `enable_thinking` (other formats ignore it).
  public func promptIDs(for messages: [ChatMessage], template: ChatTemplate, enableThinking: Bool? = nil) throws
    -> [Int32]
  {
    let chat = try template.render(messages, enableThinking: enableThinking)
    let bos = tokenizer.addsBOS ? tokenizer.bosTokenID.map { [$0] } ?? [] : []
    return bos + tokenizer.encode(chat)
  }
}
