/// How a document is cut for a model: chunks of about `targetTokens`, consecutive
/// chunks sharing up to `overlapTokens` of text, and the whole document as one chunk
/// when it fits `contextBudget` (long-context mode: every question shares it as a prefix).
public struct ChunkingOptions: Sendable, Equatable {
  /// Tokens of document text per chunk at most (paragraphs are not split unless one alone is longer).
  public var targetTokens: Int
  /// Tokens of text a chunk repeats from the end of the one before it, at most.
  public var overlapTokens: Int
  /// Tokens the model's context has for the document (its context length less the
  /// system prompt, the question and the answer); nil turns long-context mode off.
  public var contextBudget: Int?

  public init(targetTokens: Int, overlapTokens: Int = 0, contextBudget: Int? = nil) {
    self.targetTokens = targetTokens
    self.overlapTokens = overlapTokens
    self.contextBudget = contextBudget
  }

  /// Why the options cannot be used, naming the field; nil when they can.
  public var problem: String? {
    if targetTokens < 16 { return "target_tokens must be at least 16 (got \(targetTokens))" }
    if overlapTokens < 0 { return "overlap_tokens must not be negative (got \(overlapTokens))" }
    if overlapTokens * 2 > targetTokens {
      return "overlap_tokens must be at most half of target_tokens (got \(overlapTokens) of \(targetTokens))"
    }
    if let contextBudget, contextBudget < 1 { return "the context budget must be positive (got \(contextBudget))" }
    return nil
  }
}
