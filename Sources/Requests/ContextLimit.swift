import NightdeskRequests

/// An executor's context, and how it counts a request against it: the prompt through the
/// model's chat template and tokenizer (as the executor will encode it), plus `max_tokens`.
/// The engine executor's too-long check and the staged reduce's runs both use it, so a
/// run planned to fit is one the executor runs.
public struct ContextLimit: Sendable {
  /// Tokens of the context (the engine's `maxContext`, else the model's).
  public let tokens: Int
  private let countPrompt: @Sendable (ChatRequest) throws -> Int

  public init(tokens: Int, countPrompt: @escaping @Sendable (ChatRequest) throws -> Int) {
    self.tokens = tokens
    self.countPrompt = countPrompt
  }

  /// The prompt tokens of `request` on this executor's model.
  public func promptTokens(_ request: ChatRequest) throws -> Int { try countPrompt(request) }

  /// Whether `request`'s prompt and its `max_tokens` fit (false when it cannot be encoded).
  public func fits(_ request: ChatRequest) -> Bool {
    guard let prompt = try? countPrompt(request) else { return false }
    return refusal(promptTokens: prompt, maxTokens: request.sampling.maxTokens) == nil
  }

  /// Why a prompt of `promptTokens` with `maxTokens` to generate does not fit, or nil: an
  /// answer that the context rather than its own max_tokens could cut is refused.
  public func refusal(promptTokens: Int, maxTokens: Int) -> String? {
    guard promptTokens + maxTokens > tokens else { return nil }
    return "the prompt has \(promptTokens) tokens; with max_tokens \(maxTokens) that is \(promptTokens + maxTokens), "
      + "more than the \(tokens) tokens of the model's context"
  }
}
