/// How one request picks its tokens and when it stops. Defaults follow the OpenAI
/// API (temperature 1, no truncation, no penalties); `temperature: 0` is greedy.
public struct SamplingParameters: Sendable, Equatable {
  /// 0 picks the most likely token (lowest id on a tie).
  public var temperature: Float
  /// Keep the k most likely tokens; 0 keeps all.
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
  public var topP: Float
  /// Drop tokens less likely than minP times the most likely one; 0 keeps all.
  public var minP: Float
  /// Hugging Face's multiplicative penalty on tokens of the prompt and the output; 1 is none.
  public var repetitionPenalty: Float
  /// OpenAI's additive penalties on tokens already generated (once, and per occurrence).
  public var presencePenalty: Float
  public var frequencyPenalty: Float
  /// The same seed gives the same tokens whatever else runs in the batch; nil lets
  /// the engine pick one (reported in the usage so the output can be reproduced).
  public var seed: UInt64?
  /// Generated tokens at most (the stop token, if any, counts).
  public var maxTokens: Int
  /// Generation stops before any of these appears in the text; it is not returned.
  public var stopStrings: [String]
  /// Generation stops at these tokens (their text is not returned).
  public var stopTokenIDs: [Int32]
  /// Keep generating past the model's end-of-sequence tokens.
  public var ignoreEOS: Bool
  /// Report the chosen token's log-probability and this many top alternatives; nil reports none.
  public var logprobs: Int?

  public init(
    temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
    repetitionPenalty: Float = 1, presencePenalty: Float = 0, frequencyPenalty: Float = 0,
    seed: UInt64? = nil, maxTokens: Int = 256, stopStrings: [String] = [], stopTokenIDs: [Int32] = [],
    ignoreEOS: Bool = false, logprobs: Int? = nil
  ) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.minP = minP
    self.repetitionPenalty = repetitionPenalty
    self.presencePenalty = presencePenalty
    self.frequencyPenalty = frequencyPenalty
    self.seed = seed
    self.maxTokens = maxTokens
    self.stopStrings = stopStrings
    self.stopTokenIDs = stopTokenIDs
    self.ignoreEOS = ignoreEOS
    self.logprobs = logprobs
  }

  public static let greedy = SamplingParameters(temperature: 0)

  public var isGreedy: Bool { temperature == 0 || topK == 1 }

  /// Limits that keep one request from costing unbounded work.
  public static let maxLogprobs = 20
  public static let maxStopStrings = 16
  public static let maxStopStringBytes = 256

  /// Checks every field; the error names the field, its value and the allowed range.
  public func validate() throws(EngineError) {
    func check(_ ok: Bool, _ field: String, _ value: Any, _ allowed: String) throws(EngineError) {
      if !ok { throw EngineError(.invalidRequest, "\(field) is \(value); it must be \(allowed)") }
    }
    try check(temperature.isFinite && temperature >= 0 && temperature <= 100, "temperature", temperature, "in 0...100")
    try check(topK >= 0, "top_k", topK, "0 (off) or more")
    try check(topP.isFinite && topP > 0 && topP <= 1, "top_p", topP, "in (0, 1]")
    try check(minP.isFinite && minP >= 0 && minP <= 1, "min_p", minP, "in [0, 1]")
    try check(
      repetitionPenalty.isFinite && repetitionPenalty > 0 && repetitionPenalty <= 10, "repetition_penalty",
      repetitionPenalty, "in (0, 10]")
    try check(presencePenalty.isFinite && abs(presencePenalty) <= 2, "presence_penalty", presencePenalty, "in -2...2")
    try check(frequencyPenalty.isFinite && abs(frequencyPenalty) <= 2, "frequency_penalty", frequencyPenalty, "in -2...2")
    try check(maxTokens >= 1, "max_tokens", maxTokens, "at least 1")
    try check(stopStrings.count <= Self.maxStopStrings, "stop", "\(stopStrings.count) strings", "at most \(Self.maxStopStrings)")
    for stop in stopStrings {
      try check(!stop.isEmpty && stop.utf8.count <= Self.maxStopStringBytes, "a stop string", "\"\(stop)\"",
        "non-empty and at most \(Self.maxStopStringBytes) bytes")
    }
    if let logprobs {
      try check(logprobs >= 0 && logprobs <= Self.maxLogprobs, "logprobs", logprobs, "in 0...\(Self.maxLogprobs)")
    }
  }
}
