import NightdeskRequests
import NightdeskStructured

/// One completion to compute: a tokenized prompt and how to sample its continuation.
public struct GenerationRequest: Sendable {
  /// Token ids of the prompt (chat template already applied).
  public var prompt: [Int32]
  public var sampling: SamplingParameters
  /// When set, the output is JSON valid under this schema by construction: the engine
  /// masks every token that cannot continue a valid value, and the request ends by itself
  /// (with an end token) once the value is complete. Needs an engine with a vocabulary;
  /// stop strings and `ignoreEOS` are refused with it.
  public var schema: StructuredSchema?

  public init(prompt: [Int32], sampling: SamplingParameters = SamplingParameters(), schema: StructuredSchema? = nil) {
    self.prompt = prompt
    self.sampling = sampling
    self.schema = schema
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
