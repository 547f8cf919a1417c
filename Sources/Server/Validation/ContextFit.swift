import Foundation
import NightdeskModel
import NightdeskQueue
import NightdeskRequests
import NightdeskTokenizer

/// Whether a request fits a model's context, counted as the worker will count it: the
/// chat prompt rendered by the model's template and encoded by its tokenizer (thinking
/// off for a constrained request, as the worker runs it), plus `max_tokens`. Used by
/// `submit` and by `serve`'s batches to refuse, before the night, what no worker could
/// run whole; the worker registers the digest it is matched by.
public struct ContextFit: Sendable {
  /// The model as the refusal names it.
  public let name: String
  public var contextLength: Int { limit.tokens }
  let served: ServedModel
  /// The counting, as the worker's engine executor counts.
  let limit: ContextLimit

  public init(model path: String, name: String? = nil, contextLength: Int? = nil) throws {
    try self.init(served: try ServedModel.open(path), name: name ?? path, contextLength: contextLength)
  }

  public init(served: ServedModel, name: String, contextLength: Int? = nil) throws {
    self.served = served
    let template = try served.chatTemplate()
    limit = ContextLimit(tokens: contextLength ?? served.config.maxPositions) { request in
      try served.promptIDs(for: request.messages, template: template, enableThinking: request.thinkingAsRun).count
    }
    self.name = name
  }

  /// Why `request` does not fit, or nil when it does (or cannot be encoded: the worker
  /// names that reason itself, as the request's failure).
  public func refusal(_ request: ChatRequest) -> RequestError? {
    guard let prompt = try? limit.promptTokens(request),
      limit.refusal(promptTokens: prompt, maxTokens: request.sampling.maxTokens) != nil
    else { return nil }
    let total = prompt + request.sampling.maxTokens
    return RequestError("messages",
      "hold a prompt of \(prompt) tokens; with max_tokens \(request.sampling.maxTokens) that is \(total), "
        + "more than the \(contextLength) tokens of \(name)'s context (shorten the prompt or lower max_tokens; "
        + "`submit --type` cuts a long document into chunks that fit)")
  }

  /// Names the tokenizer as the worker registers it: its vocabulary, pre-tokenizer, BOS
  /// rule and stored chat template (what decides the tokens of a chat prompt).
  public static func tokenizerDigest(_ served: ServedModel) -> String {
    let tokenizer = served.tokenizer
    var text = "\(tokenizer.preTokenizerKind)|\(tokenizer.normalizesNFC)|\(tokenizer.addsBOS)|\(tokenizer.bosTokenID ?? -1)\n"
    for id in 0..<tokenizer.vocabularySize { text += (tokenizer.tokenString(Int32(id)) ?? "") + "\n" }
    text += served.storedChatTemplate ?? ""
    return PrefixHash.digest(text) + PrefixHash.digest("tokenizer\n" + text)
  }

  /// What `submit` checks against without `--model`: each model the queue's workers
  /// registered whose file is at the same path here with the same tokenizer (a request
  /// must fit all of them, since any of their workers may claim it); else none, and a
  /// worker fails a request that does not fit as that request's own failure.
  public static func registered(client: QueueClient) throws -> [ContextFit] {
    var seenPaths = Set<String>()
    return try client.registeredModels().filter { seenPaths.insert($0.path).inserted }.compactMap(matching)
  }

  /// The registered model, when its file is at the same path here with the same tokenizer.
  public static func matching(_ registration: ModelRegistration) -> ContextFit? {
    guard FileManager.default.fileExists(atPath: registration.path),
      let fit = try? ContextFit(model: registration.path, name: registration.name,
                                contextLength: registration.contextLength),
      tokenizerDigest(fit.served) == registration.tokenizerDigest
    else { return nil }
    return fit
  }
}
