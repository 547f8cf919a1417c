import NightdeskSupport

/// One turn of a conversation, as the OpenAI chat API spells it. The queue stores
/// it, the chat templates render it, the CLI reads it from `--messages` files.
public struct ChatMessage: Sendable, Equatable, Hashable {
  /// Who speaks. A struct rather than an enum so that a template can be handed a
  /// role it does not know and say so (the JSON reader admits only `known`).
  public struct Role: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    public static let system: Role = "system"
    /// OpenAI's newer name for a system message; templates render it as `system`.
    public static let developer: Role = "developer"
    public static let user: Role = "user"
    public static let assistant: Role = "assistant"
    /// A tool's answer to an assistant's call.
    public static let tool: Role = "tool"

    public static let known: [Role] = [.system, .developer, .user, .assistant, .tool]
  }

  public var role: Role
  public var content: String
  /// An assistant turn's reasoning, when kept apart from `content` (Qwen3).
  public var reasoningContent: String?

  public init(role: Role, content: String, reasoningContent: String? = nil) {
    self.role = role
    self.content = content
    self.reasoningContent = reasoningContent
  }

  public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }

  public var json: JSONValue {
    var object = JSONObject(["role": .string(role.rawValue), "content": .string(content)])
    if let reasoningContent { object["reasoning_content"] = .string(reasoningContent) }
    return .object(object)
  }

  /// Reads `{"role": ..., "content": ...}` (optionally `reasoning_content`). A null
  /// content is an empty string (OpenAI's assistant turns that only call tools);
  /// OpenAI's list of text parts (`[{"type": "text", "text": ...}]`) is joined.
  public init(json: JSONValue, at path: String) throws(RequestError) {
    guard let object = json.objectValue else { throw RequestError(path, "must be an object, found \(json.kindName)") }
    guard let roleText = object["role"]?.stringValue else {
      throw RequestError("\(path).role", "is missing or not a string")
    }
    let role = Role(rawValue: roleText)
    guard Role.known.contains(role) else {
      throw RequestError(
        "\(path).role", "is '\(roleText)'; expected one of \(Role.known.map(\.rawValue).joined(separator: ", "))")
    }
    self.role = role
    switch object["content"] {
    case .string(let text)?:
      content = text
    case nil, .null?:
      content = ""
    case .array(let parts)?:
      var text = ""
      for (index, part) in parts.enumerated() {
        guard part["type"]?.stringValue == "text", let piece = part["text"]?.stringValue else {
          throw RequestError(
            "\(path).content[\(index)]",
            "must be a text part {\"type\": \"text\", \"text\": ...}; only text parts are supported")
        }
        text += piece
      }
      content = text
    case let other?:
      throw RequestError("\(path).content", "is \(other.kindName); expected a string or a list of text parts")
    }
    reasoningContent = object["reasoning_content"]?.stringValue
  }

  /// Messages from a JSON array of message objects; errors name `path[index]`.
  public static func list(fromJSON value: JSONValue, at path: String = "messages") throws(RequestError) -> [ChatMessage] {
    guard let items = value.arrayValue else {
      throw RequestError(path, "must be an array of messages, found \(value.kindName)")
    }
    var messages: [ChatMessage] = []
    messages.reserveCapacity(items.count)
    for (index, item) in items.enumerated() {
      messages.append(try ChatMessage(json: item, at: "\(path)[\(index)]"))
    }
    return messages
  }
}
