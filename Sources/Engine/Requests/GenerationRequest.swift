import NightdeskRequests

/// One completion to compute: a tokenized prompt and how to sample its continuation.
public struct GenerationRequest: Sendable, Equatable {
  /// Token ids of the prompt (chat template already applied).
  public var prompt: [Int32]
  public var sampling: SamplingParameters

  public init(prompt: [Int32], sampling: SamplingParameters = SamplingParameters()) {
    self.prompt = prompt
    self.sampling = sampling
  }
}

/// A submitted request: its id (for `Engine.cancel`) and its stream of events,
/// which ends after `.finished`, or throws an `EngineError`.
public struct Generation: Sendable {
  public let id: RequestID
  public let events: AsyncThrowingStream<GenerationEvent, any Error>
}

/// Turns generated token ids into text as they arrive. The engine needs it for the
/// streamed text and for stop strings; the tokenizer provides it.
public protocol TokenTextDecoder {
  /// Text completed by `token`; empty while a character is still split across tokens.
  mutating func append(_ token: Int32) -> String
  /// Whatever is still held back when generation ends.
  mutating func finish() -> String
}
