import NightdeskSupport

extension SamplingParameters {
  /// Reads the OpenAI-style sampling fields of a request body (or of our own
  /// `sampling` object) over `defaults`, and validates the result: `temperature`,
  /// `top_p`, `top_k`, `min_p`, `repetition_penalty`, `presence_penalty`,
  /// `frequency_penalty`, `seed`, `max_tokens` or `max_completion_tokens`, `stop`
  /// (a string or a list), `stop_token_ids`, `ignore_eos`, `logprobs` with
  /// `top_logprobs`. Other fields are left to the caller. Errors name the field
  /// under `path` ("" for none), what was found and what is allowed.
  public init(json object: JSONObject, at path: String = "", defaults: SamplingParameters = SamplingParameters())
    throws(RequestError)
  {
    self = defaults
    let fields = FieldReader(object: object, path: path)
    if let value = try fields.number("temperature") { temperature = value }
    if let value = try fields.number("top_p") { topP = value }
    if let value = try fields.integer("top_k") { topK = value == -1 ? 0 : value }  // -1: vLLM's "off"
    if let value = try fields.number("min_p") { minP = value }
    if let value = try fields.number("repetition_penalty") { repetitionPenalty = value }
    if let value = try fields.number("presence_penalty") { presencePenalty = value }
    if let value = try fields.number("frequency_penalty") { frequencyPenalty = value }
    if let value = try fields.integer("seed") { seed = UInt64(bitPattern: Int64(value)) }
    if let value = try fields.integer("max_completion_tokens") {
      maxTokens = value
    } else if let value = try fields.integer("max_tokens") {
      maxTokens = value
    }
    if let value = try fields.flag("ignore_eos") { ignoreEOS = value }
    switch object["stop"] {
    case nil, .null?: break
    case .string(let text)?: stopStrings = [text]
    case .array(let items)?:
      var strings: [String] = []
      for (index, item) in items.enumerated() {
        guard let text = item.stringValue else { throw fields.error("stop[\(index)]", "must be a string") }
        strings.append(text)
      }
      stopStrings = strings
    case let other?: throw fields.error("stop", "must be a string or a list of strings, found \(other.kindName)")
    }
    if let value = object["stop_token_ids"], !value.isNull {
      guard let items = value.arrayValue else {
        throw fields.error("stop_token_ids", "must be a list of token ids, found \(value.kindName)")
      }
      var ids: [Int32] = []
      for (index, item) in items.enumerated() {
        guard let id = item.intValue, let token = Int32(exactly: id) else {
          throw fields.error("stop_token_ids[\(index)]", "must be a token id, found \(item.kindName)")
        }
        ids.append(token)
      }
      stopTokenIDs = ids
    }
    // Chat API: logprobs is a flag and top_logprobs the count; completions API: logprobs is the count.
    if let flag = object["logprobs"], !flag.isNull {
      if let enabled = flag.boolValue {
        logprobs = enabled ? (try fields.integer("top_logprobs") ?? 0) : nil
      } else if let count = flag.intValue {
        logprobs = count
      } else {
        throw fields.error("logprobs", "must be a boolean or a count, found \(flag.kindName)")
      }
    }
    try validate(at: path)
  }

  /// The fields as stored with a job and its result. The OpenAI five are always
  /// written; the others only when they differ from the defaults, so a request
  /// that uses none of them is stored exactly as before they existed.
  public var json: JSONValue {
    var object = JSONObject()
    object["temperature"] = .double(temperature)
    object["top_p"] = .double(topP)
    if let seed { object["seed"] = .int(Int64(bitPattern: seed)) }
    object["max_tokens"] = .int(Int64(maxTokens))
    if !stopStrings.isEmpty { object["stop"] = .array(stopStrings.map { .string($0) }) }
    let plain = SamplingParameters()
    if topK != plain.topK { object["top_k"] = .int(Int64(topK)) }
    if minP != plain.minP { object["min_p"] = .double(minP) }
    if repetitionPenalty != plain.repetitionPenalty { object["repetition_penalty"] = .double(repetitionPenalty) }
    if presencePenalty != plain.presencePenalty { object["presence_penalty"] = .double(presencePenalty) }
    if frequencyPenalty != plain.frequencyPenalty { object["frequency_penalty"] = .double(frequencyPenalty) }
    if !stopTokenIDs.isEmpty { object["stop_token_ids"] = .array(stopTokenIDs.map { .int(Int64($0)) }) }
    if ignoreEOS { object["ignore_eos"] = .bool(true) }
    if let logprobs { object["logprobs"] = .int(Int64(logprobs)) }
    return .object(object)
  }
}

/// Typed field access with errors that name the field.
private struct FieldReader {
  let object: JSONObject
  let path: String

  func error(_ field: String, _ problem: String) -> RequestError {
    RequestError(RequestError.field(field, of: path), problem)
  }

  func number(_ field: String) throws(RequestError) -> Double? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let number = value.doubleValue, number.isFinite else {
      throw error(field, "must be a number, found \(value.kindName)")
    }
    return number
  }

  func integer(_ field: String) throws(RequestError) -> Int? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let number = value.intValue else { throw error(field, "must be an integer, found \(value.kindName)") }
    return number
  }

  func flag(_ field: String) throws(RequestError) -> Bool? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let flag = value.boolValue else { throw error(field, "must be true or false, found \(value.kindName)") }
    return flag
  }
}
