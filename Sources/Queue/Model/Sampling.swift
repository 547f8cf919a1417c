import NightdeskSupport

/// How a request's answer is sampled, in the OpenAI API's terms. The queue keeps
/// its own copy of these fields (it never sees the engine); the worker maps them
/// onto the engine's parameters and records the effective seed with the result.
public struct Sampling: Sendable, Equatable, Hashable {
  /// 0 is greedy. OpenAI's default is 1.
  public var temperature: Double
  public var topP: Double
  /// nil: the engine's choice; set it for reproducible sampled output.
  public var seed: UInt64?
  public var maxTokens: Int
  public var stop: [String]

  public init(temperature: Double = 1, topP: Double = 1, seed: UInt64? = nil, maxTokens: Int = 256, stop: [String] = []) {
    self.temperature = temperature
    self.topP = topP
    self.seed = seed
    self.maxTokens = maxTokens
    self.stop = stop
  }

  public static let greedy = Sampling(temperature: 0)

  /// Bounds that keep one request from costing unbounded work.
  public static let maxTokensLimit = 32_768
  public static let maxStopStrings = 4
  public static let maxStopBytes = 256

  public var json: JSONValue {
    var object = JSONObject()
    object["temperature"] = .double(temperature)
    object["top_p"] = .double(topP)
    if let seed { object["seed"] = .int(Int64(bitPattern: seed)) }
    object["max_tokens"] = .int(Int64(maxTokens))
    if !stop.isEmpty { object["stop"] = .array(stop.map { .string($0) }) }
    return .object(object)
  }

  /// Reads the sampling fields of an OpenAI chat-completion body (or our own
  /// `sampling` object): `temperature`, `top_p`, `seed`, `max_tokens` or
  /// `max_completion_tokens`, `stop` (a string or a list). Absent fields keep `defaults`.
  public init(json object: JSONObject, at path: String, defaults: Sampling = Sampling()) throws(JobSpecError) {
    self = defaults
    func number(_ key: String) throws(JobSpecError) -> Double? {
      guard let value = object[key], !value.isNull else { return nil }
      guard let number = value.doubleValue, number.isFinite else {
        throw JobSpecError("\(path).\(key)", "must be a number, found \(value.kindName)")
      }
      return number
    }
    func integer(_ key: String) throws(JobSpecError) -> Int? {
      guard let value = object[key], !value.isNull else { return nil }
      guard let number = value.intValue else { throw JobSpecError("\(path).\(key)", "must be an integer, found \(value.kindName)") }
      return number
    }
    if let value = try number("temperature") { temperature = value }
    if let value = try number("top_p") { topP = value }
    if let value = try integer("seed") { seed = UInt64(bitPattern: Int64(value)) }
    var maxTokens = try integer("max_completion_tokens")
    if maxTokens == nil { maxTokens = try integer("max_tokens") }
    if let value = maxTokens { self.maxTokens = value }
    switch object["stop"] {
    case nil, .null?: break
    case .string(let text)?: stop = [text]
    case .array(let items)?:
      var strings: [String] = []
      for (index, item) in items.enumerated() {
        guard let text = item.stringValue else { throw JobSpecError("\(path).stop[\(index)]", "must be a string") }
        strings.append(text)
      }
      stop = strings
    case let other?: throw JobSpecError("\(path).stop", "must be a string or a list of strings, found \(other.kindName)")
    }
    try validate(at: path)
  }

  /// The bounds every request's sampling keeps, however it was made (a JSON line, the
  /// command line's flags): checked when it is read and again before it is queued.
  public func validate(at path: String) throws(JobSpecError) {
    guard temperature.isFinite, (0...2).contains(temperature) else {
      throw JobSpecError("\(path).temperature", "is \(temperature); it must be in 0...2")
    }
    guard topP.isFinite, topP > 0, topP <= 1 else { throw JobSpecError("\(path).top_p", "is \(topP); it must be in (0, 1]") }
    guard (1...Self.maxTokensLimit).contains(maxTokens) else {
      throw JobSpecError("\(path).max_tokens", "is \(maxTokens); it must be in 1...\(Self.maxTokensLimit)")
    }
    guard stop.count <= Self.maxStopStrings else {
      throw JobSpecError("\(path).stop", "has \(stop.count) strings; at most \(Self.maxStopStrings) are allowed")
    }
    for text in stop where text.isEmpty || text.utf8.count > Self.maxStopBytes {
      throw JobSpecError("\(path).stop", "holds a string that is empty or longer than \(Self.maxStopBytes) bytes")
    }
  }
}
