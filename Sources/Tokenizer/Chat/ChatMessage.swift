import NightdeskSupport

/// One turn of a conversation, as OpenAI-style message lists spell it.
public struct ChatMessage: Sendable, Equatable {
  /// `system`, `user`, `assistant` or `tool`.
  public var role: String
  public var content: String
  /// An assistant turn's reasoning, when kept apart from `content` (Qwen3).
  public var reasoningContent: String?

  public init(role: String, content: String, reasoningContent: String? = nil) {
    self.role = role
    self.content = content
    self.reasoningContent = reasoningContent
  }

  /// Messages from a JSON array of `{"role": ..., "content": ...}` objects
  /// (optionally `reasoning_content`); a null content is an empty string, and
  /// OpenAI-style content parts `[{"type": "text", "text": ...}]` are joined.
  public static func list(fromJSON value: JSONValue) throws -> [ChatMessage] {
    guard let items = value.arrayValue else {
      throw ChatTemplateError.invalidMessages("expected an array of messages, found \(value.kindName)")
    }
    return try items.enumerated().map { index, item in
      guard let role = item["role"]?.stringValue else {
        throw ChatTemplateError.invalidMessages("message \(index) has no string \"role\"")
      }
      let content: String
      switch item["content"] {
      case .string(let text)?: content = text
      case nil, .null?: content = ""
      case .array(let parts)?: content = try textOfParts(parts, message: index)
      case let other?:
        throw ChatTemplateError.invalidMessages("message \(index) \"content\" is \(other.kindName), expected a string")
      }
      return ChatMessage(role: role, content: content, reasoningContent: item["reasoning_content"]?.stringValue)
    }
  }

  private static func textOfParts(_ parts: [JSONValue], message: Int) throws -> String {
    try parts.enumerated().map { index, part in
      guard part["type"]?.stringValue == "text", let text = part["text"]?.stringValue else {
        throw ChatTemplateError.invalidMessages(
          "message \(message) content part \(index) is not {\"type\": \"text\", \"text\": ...}; only text parts are supported")
      }
      return text
    }.joined()
  }
}

/// Why a chat could not be rendered.
public enum ChatTemplateError: Error, CustomStringConvertible, Sendable, Equatable {
  case noTemplate
  case unknownTemplate
  case invalidMessages(String)

  public var description: String {
    switch self {
    case .noTemplate:
      return "the model has no chat template; pass --chat-format \(ChatFormat.names)"
    case .unknownTemplate:
      return "the model's chat template is not one Nightdesk knows; pass --chat-format \(ChatFormat.names)"
    case .invalidMessages(let message):
      return "invalid chat messages: \(message)"
    }
  }
}
