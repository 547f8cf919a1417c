/// What a request's stream reports, in order: progress while the prompt is
/// processed, then one `.token` per generated token, then `.finished`.
public enum GenerationEvent: Sendable, Equatable {
  case progress(RequestProgress)
  case token(GeneratedToken)
  case finished(GenerationSummary)
}

public struct GeneratedToken: Sendable, Equatable {
  /// 0 for the first generated token.
  public var index: Int
  public var sample: SampledToken
  /// New text this token completes (may be empty: a character split across tokens,
  /// text held back because it may start a stop string, or a stop token).
  public var text: String
}

public enum FinishReason: String, Sendable, Equatable {
  /// An end-of-sequence token, a stop token or a stop string.
  case stop
  /// max_tokens, the model's context, or the KV cache ran out for this request alone.
  case length
  /// `Engine.cancel`, or the stream's consumer went away.
  case cancelled
}

public struct GenerationSummary: Sendable, Equatable {
  public var reason: FinishReason
  /// The stop string or stop token that ended generation, if one did.
  public var stopString: String?
  public var stopToken: Int32?
  public var usage: Usage
  /// A schema-constrained request whose mask had to take tokens away for the value to
  /// close within max_tokens: whole and valid, but written shorter than the model would have.
  public var closedByBudget = false
}

/// What a request cost and what reproduces it.
public struct Usage: Sendable, Equatable {
  public var promptTokens: Int
  public var generatedTokens: Int
  /// Prompt tokens whose keys and values came from the prefix cache (at first admission).
  public var prefixReusedTokens: Int
  /// The seed actually used (the request's, or the one the engine picked).
  public var seed: UInt64
  /// Times the request lost its KV to an older one and was recomputed.
  public var preemptions: Int
  /// Submission to first admission, to first token, and to the end.
  public var queueSeconds: Double
  public var firstTokenSeconds: Double?
  public var totalSeconds: Double
}

/// Where a request stands; also readable at any time through `Engine.progress(of:)`.
public struct RequestProgress: Sendable, Equatable {
  public enum Phase: String, Sendable {
    case waiting, prefill, decode, finished
  }

  public var phase: Phase
  public var promptTokens: Int
  /// Prompt tokens with keys and values in the cache (reused or computed).
  public var promptTokensDone: Int
  public var generatedTokens: Int
  public var prefixReusedTokens: Int
}
