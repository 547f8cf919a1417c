import NightdeskSupport

/// One chat completion asked for: its messages and how to sample the answer, read
/// from an OpenAI chat-completion body or our own `{"messages", "sampling"}`.
/// `customID` is the caller's name for it (OpenAI batches' `custom_id`), echoed in
/// every result format.
public struct ChatRequest: Sendable, Equatable, Hashable {
  public var customID: String?
  public var messages: [ChatMessage]
  public var sampling: SamplingParameters
  /// The model the caller named, if any; recorded, not used to pick a model (a
  /// worker serves the one it was started with).
  public var model: String?
  /// The shape the answer must take (OpenAI's `response_format`); nil is free text.
  public var responseFormat: ResponseFormat?
  /// Qwen3's `enable_thinking` (OpenAI-compatible servers' `chat_template_kwargs`);
  /// nil leaves the template's default.
  public var enableThinking: Bool?

  /// `enable_thinking` as the request runs: off for a constrained request, whose schema
  /// holds from the first generated token; else as asked.
  public var thinkingAsRun: Bool? { responseFormat?.schema == nil ? enableThinking : false }

  public init(
    customID: String? = nil, messages: [ChatMessage], sampling: SamplingParameters = SamplingParameters(),
    model: String? = nil, responseFormat: ResponseFormat? = nil, enableThinking: Bool? = nil
  ) {
    self.customID = customID
    self.messages = messages
    self.sampling = sampling
    self.model = model
    self.responseFormat = responseFormat
    self.enableThinking = enableThinking
  }

  public static let maxMessages = 256
  public static let maxCustomIDBytes = 512
  /// A request queued for a night's run generates at most this many tokens: one
  /// request must not hold a worker for hours.
  public static let maxTokensLimit = 32_768

  public var json: JSONValue {
    var object = JSONObject()
    if let customID { object["custom_id"] = .string(customID) }
    object["messages"] = .array(messages.map(\.json))
    object["sampling"] = sampling.json
    if let model { object["model"] = .string(model) }
    if let responseFormat, responseFormat != .text { object["response_format"] = responseFormat.json }
    if let enableThinking { object["chat_template_kwargs"] = .object(JSONObject(["enable_thinking": .bool(enableThinking)])) }
    return .object(object)
  }

  public init(json: JSONValue, at path: String) throws(RequestError) {
    guard let object = json.objectValue else { throw RequestError(path, "must be an object, found \(json.kindName)") }
    var customID: String?
    if let value = object["custom_id"], !value.isNull {
      guard let text = value.stringValue else { throw RequestError("\(path).custom_id", "must be a string") }
      customID = text
    }
    let samplingObject = object["sampling"]?.objectValue ?? JSONObject()
    try self.init(customID: customID, messagesJSON: object["messages"], samplingObject: samplingObject,
                  model: object["model"]?.stringValue, at: path)
    try readOptions(from: object, at: path)
  }

  /// `response_format` and `chat_template_kwargs`, in our format and in an OpenAI body alike.
  public mutating func readOptions(from object: JSONObject, at path: String) throws(RequestError) {
    if let value = object["response_format"], !value.isNull {
      let format = try ResponseFormat(json: value, at: RequestError.field("response_format", of: path))
      responseFormat = format == .text ? nil : format
    }
    if let value = object["chat_template_kwargs"], !value.isNull {
      let kwargsPath = RequestError.field("chat_template_kwargs", of: path)
      guard let kwargs = value.objectValue else { throw RequestError(kwargsPath, "must be an object, found \(value.kindName)") }
      for key in kwargs.keys where key != "enable_thinking" {
        throw RequestError("\(kwargsPath).\(key)", "is not supported (supported: enable_thinking)")
      }
      if let thinking = kwargs["enable_thinking"], !thinking.isNull {
        guard let flag = thinking.boolValue else { throw RequestError("\(kwargsPath).enable_thinking", "must be true or false") }
        enableThinking = flag
      }
    }
  }

  /// The shared reading of `messages` and the sampling fields, for our own format
  /// and for an OpenAI chat-completion body.
  public init(customID: String?, messagesJSON: JSONValue?, samplingObject: JSONObject, model: String?, at path: String)
    throws(RequestError)
  {
    if let customID {
      guard !customID.isEmpty, customID.utf8.count <= Self.maxCustomIDBytes else {
        throw RequestError("\(path).custom_id", "must be 1...\(Self.maxCustomIDBytes) bytes")
      }
    }
    guard let items = messagesJSON?.arrayValue else { throw RequestError("\(path).messages", "is missing or not a list") }
    guard !items.isEmpty else { throw RequestError("\(path).messages", "is empty; a request needs at least one message") }
    guard items.count <= Self.maxMessages else {
      throw RequestError("\(path).messages", "has \(items.count) messages; at most \(Self.maxMessages) are allowed")
    }
    var messages: [ChatMessage] = []
    messages.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      messages.append(try ChatMessage(json: item, at: "\(path).messages[\(index)]"))
    }
    guard messages.last?.role == .user else {
      throw RequestError("\(path).messages", "must end with a user message (the question to answer)")
    }
    self.customID = customID
    self.messages = messages
    self.sampling = try SamplingParameters(json: samplingObject, at: path)
    self.model = model
    try checkMaxTokens(at: path)
  }

  /// The bounds a request keeps, however it was made (a JSON line, the command
  /// line's flags): checked when it is read and again before it is queued.
  public func validate(at path: String) throws(RequestError) {
    try sampling.validate(at: path)
    try checkMaxTokens(at: path)
  }

  private func checkMaxTokens(at path: String) throws(RequestError) {
    guard sampling.maxTokens <= Self.maxTokensLimit else {
      throw RequestError("\(path).max_tokens", "is \(sampling.maxTokens); it must be in 1...\(Self.maxTokensLimit)")
    }
  }
}
