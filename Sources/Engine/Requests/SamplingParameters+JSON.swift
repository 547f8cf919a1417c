import NightdeskSupport

extension SamplingParameters {
  /// Reads OpenAI-style sampling fields (`temperature`, `top_p`, `top_k`, `min_p`,
  /// `repetition_penalty`, `presence_penalty`, `frequency_penalty`, `seed`,
  /// `max_tokens` or `max_completion_tokens`, `stop` (a string or an array),
  /// `stop_token_ids`, `ignore_eos`, `logprobs` with `top_logprobs`) over
  /// `defaults`, and validates the result. Other fields are left to the caller.
  /// Errors name the field, what was found and what is allowed.
  public init(json object: JSONObject, defaults: SamplingParameters = SamplingParameters()) throws(EngineError) {
    self = defaults
    let reader = FieldReader(object: object)
    if let value = try reader.double("temperature") { temperature = Float(value) }
    if let value = try reader.double("top_p") { topP = Float(value) }
    if let value = try reader.int("top_k") { topK = value == -1 ? 0 : value }
    if let value = try reader.double("min_p") { minP = Float(value) }
    if let value = try reader.double("repetition_penalty") { repetitionPenalty = Float(value) }
    if let value = try reader.double("presence_penalty") { presencePenalty = Float(value) }
    if let value = try reader.double("frequency_penalty") { frequencyPenalty = Float(value) }
    if let value = try reader.int("seed") { seed = UInt64(bitPattern: Int64(value)) }
    if let value = try reader.int("max_completion_tokens") {
      maxTokens = value
    } else if let value = try reader.int("max_tokens") {
      maxTokens = value
    }
    if let value = try reader.bool("ignore_eos") { ignoreEOS = value }
    if let value = object["stop"], !value.isNull {
      if let single = value.stringValue {
        stopStrings = [single]
      } else if let list = value.arrayValue {
        stopStrings = try list.enumerated().map { (index, item) throws(EngineError) in
          guard let text = item.stringValue else {
            throw EngineError(.invalidRequest, "stop[\(index)] is \(item.kindName); it must be a string")
          }
          return text
        }
      } else {
        throw EngineError(.invalidRequest, "stop is \(value.kindName); it must be a string or an array of strings")
      }
    }
    if let value = object["stop_token_ids"], !value.isNull {
      guard let list = value.arrayValue else {
        throw EngineError(.invalidRequest, "stop_token_ids is \(value.kindName); it must be an array of token ids")
      }
      stopTokenIDs = try list.enumerated().map { (index, item) throws(EngineError) in
        guard let id = item.intValue, let token = Int32(exactly: id) else {
          throw EngineError(.invalidRequest, "stop_token_ids[\(index)] is \(item.kindName); it must be a token id")
        }
        return token
      }
    }
    // Chat API: logprobs is a flag and top_logprobs the count; completions API: logprobs is the count.
    if let flag = object["logprobs"], !flag.isNull {
      if let enabled = flag.boolValue {
        logprobs = enabled ? (try reader.int("top_logprobs") ?? 0) : nil
      } else if let count = flag.intValue {
        logprobs = count
      } else {
        throw EngineError(.invalidRequest, "logprobs is \(flag.kindName); it must be a boolean or a count")
      }
    }
    try validate()
  }
}

/// Typed field access with errors that name the field.
private struct FieldReader {
  let object: JSONObject

  func double(_ field: String) throws(EngineError) -> Double? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let number = value.doubleValue else {
      throw EngineError(.invalidRequest, "\(field) is \(value.kindName); it must be a number")
    }
    return number
  }

  func int(_ field: String) throws(EngineError) -> Int? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let number = value.intValue else {
      throw EngineError(.invalidRequest, "\(field) is \(value.kindName); it must be an integer")
    }
    return number
  }

  func bool(_ field: String) throws(EngineError) -> Bool? {
    guard let value = object[field], !value.isNull else { return nil }
    guard let flag = value.boolValue else {
      throw EngineError(.invalidRequest, "\(field) is \(value.kindName); it must be true or false")
    }
    return flag
  }
}
