/// What one engine step did.
public struct StepStatistics: Sendable, Equatable {
  public var step: Int
  public var sequences: Int
  public var prefillTokens: Int
  public var decodeTokens: Int
  /// Prompt tokens taken from the prefix cache by requests admitted this step.
  public var prefixReusedTokens: Int
  public var admitted: Int
  public var preempted: Int
  public var kvBlocksUsed: Int
  public var kvBlocksFree: Int
  /// Blocks holding a cached prefix (in use or free but revivable).
  public var kvBlocksCached: Int
  public var stepSeconds: Double
  /// Time the step thread waited for work before this step.
  public var idleSeconds: Double
}

/// Totals since the engine started, plus the latest step.
public struct EngineStatistics: Sendable, Equatable {
  public var steps = 0
  public var requestsFinished = 0
  /// Prompt tokens of admitted requests, reused or computed.
  public var promptTokens = 0
  public var prefixReusedTokens = 0
  /// Tokens run through the model (prefill chunks, recomputation and decode).
  public var computedTokens = 0
  public var generatedTokens = 0
  public var preemptions = 0
  public var busySeconds = 0.0
  public var idleSeconds = 0.0
  public var running = 0
  public var waiting = 0
  public var kvBlockCount = 0
  public var kvBlockSize = 0
  public var kvBytes = 0
  /// KV blocks held by sequences, and blocks keeping a cached prefix, right now.
  public var kvBlocksUsed = 0
  public var kvBlocksCached = 0
  public var lastStep: StepStatistics?

  /// Share of admitted prompt tokens served from the prefix cache.
  public var prefixHitRatio: Double {
    promptTokens == 0 ? 0 : Double(prefixReusedTokens) / Double(promptTokens)
  }
}
