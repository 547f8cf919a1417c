/// How one request picks its tokens and when it stops, in the OpenAI API's terms:
/// the queue stores it with a job and records it with the result, the engine
/// samples by it. Defaults follow the OpenAI API (temperature 1, no truncation, no
/// penalties); `temperature: 0` is greedy. Real-valued fields are doubles, as JSON
/// carries them, so a stored job reads back exactly; the sampler computes in Float.
public struct SamplingParameters: Sendable, Equatable, Hashable {
  /// 0 picks the most likely token (lowest id on a tie).
  public var temperature: Double
  /// Keep the k most likely tokens; 0 keeps all.
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability reaches p; 1 keeps all.
  public var topP: Double
  /// Drop tokens less likely than minP times the most likely one; 0 keeps all.
  public var minP: Double
  /// Hugging Face's multiplicative penalty on tokens of the prompt and the output; 1 is none.
  public var repetitionPenalty: Double
  /// OpenAI's additive penalties on tokens already generated (once, and per occurrence).
  public var presencePenalty: Double
  public var frequencyPenalty: Double
  /// The same seed gives the same tokens whatever else runs in the batch, and in
  /// every mode (`generate`, `generate --prompts-file`, the worker); nil lets the
  /// engine pick one (reported with the result so the output can be reproduced).
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
    temperature: Double = 1, topK: Int = 0, topP: Double = 1, minP: Double = 0,
    repetitionPenalty: Double = 1, presencePenalty: Double = 0, frequencyPenalty: Double = 0,
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

  public var hasPenalties: Bool { repetitionPenalty != 1 || presencePenalty != 0 || frequencyPenalty != 0 }

  // The OpenAI API's limits where it has one (temperature, top_p, penalties, four
  // stop strings, twenty top logprobs); the others keep one request from costing
  // unbounded work.
  public static let temperatureRange: ClosedRange<Double> = 0...2
  public static let penaltyRange: ClosedRange<Double> = -2...2
  public static let maxRepetitionPenalty: Double = 10
  public static let maxLogprobs = 20
  public static let maxStopStrings = 4
  public static let maxStopStringBytes = 256

  /// Checks every field, however the parameters were made (a JSON line, the
  /// command line's flags, a stored job). The error names the field under `path`
  /// ("" for none), its value and the allowed range.
  public func validate(at path: String = "") throws(RequestError) {
    func check(_ ok: Bool, _ field: String, _ problem: @autoclosure () -> String) throws(RequestError) {
      if !ok { throw RequestError(RequestError.field(field, of: path), problem()) }
    }
    let temperatures = Self.temperatureRange
    try check(temperature.isFinite && temperatures.contains(temperature), "temperature",
              "is \(temperature); it must be in \(temperatures.lowerBound.formatted)...\(temperatures.upperBound.formatted)")
    try check(topK >= 0, "top_k", "is \(topK); it must be 0 (off) or more")
    try check(topP.isFinite && topP > 0 && topP <= 1, "top_p", "is \(topP); it must be in (0, 1]")
    try check(minP.isFinite && minP >= 0 && minP <= 1, "min_p", "is \(minP); it must be in [0, 1]")
    try check(repetitionPenalty.isFinite && repetitionPenalty > 0 && repetitionPenalty <= Self.maxRepetitionPenalty,
              "repetition_penalty", "is \(repetitionPenalty); it must be in (0, \(Self.maxRepetitionPenalty.formatted)]")
    for (field, value) in [("presence_penalty", presencePenalty), ("frequency_penalty", frequencyPenalty)] {
      try check(value.isFinite && Self.penaltyRange.contains(value), field, "is \(value); it must be in -2...2")
    }
    try check(maxTokens >= 1, "max_tokens", "is \(maxTokens); it must be at least 1")
    try check(stopStrings.count <= Self.maxStopStrings, "stop",
              "has \(stopStrings.count) strings; at most \(Self.maxStopStrings) are allowed")
    for text in stopStrings {
      try check(!text.isEmpty && text.utf8.count <= Self.maxStopStringBytes, "stop",
                "holds a string that is empty or longer than \(Self.maxStopStringBytes) bytes")
    }
    if let logprobs {
      try check((0...Self.maxLogprobs).contains(logprobs), "logprobs", "is \(logprobs); it must be in 0...\(Self.maxLogprobs)")
    }
  }
}

extension Double {
  /// "2" rather than "2.0" in a range shown to the user.
  fileprivate var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
