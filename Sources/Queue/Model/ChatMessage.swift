import NightdeskSupport

/// One message of a chat request, as in the OpenAI chat API.
public struct ChatMessage: Sendable, Equatable, Hashable {
  public enum Role: String, Sendable, CaseIterable {
    case system, user, assistant
    /// OpenAI's newer name for a system message.
    case developer
  }

  public var role: Role
  public var content: String

  public init(role: Role, content: String) {
    self.role = role
    self.content = content
  }

  public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
  public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }

  public var json: JSONValue {
    .object(JSONObject(["role": .string(role.rawValue), "content": .string(content)]))
  }

  /// Reads `{"role": ..., "content": ...}`; `content` may also be OpenAI's list of
  /// text parts (`[{"type": "text", "text": ...}]`), which is joined.
  public init(json: JSONValue, at path: String) throws(JobSpecError) {
    guard let object = json.objectValue else { throw JobSpecError(path, "must be an object, found \(json.kindName)") }
    guard let roleText = object["role"]?.stringValue else { throw JobSpecError("\(path).role", "is missing or not a string") }
    guard let role = Role(rawValue: roleText) else {
      throw JobSpecError("\(path).role", "is '\(roleText)'; expected one of system, developer, user, assistant")
    }
    self.role = role
    switch object["content"] {
    case .string(let text)?:
      content = text
    case .array(let parts)?:
      var text = ""
      for (index, part) in parts.enumerated() {
        guard part["type"]?.stringValue == "text", let piece = part["text"]?.stringValue else {
          throw JobSpecError("\(path).content[\(index)]", "must be a text part {\"type\": \"text\", \"text\": ...}")
        }
        text += piece
      }
      content = text
    default:
      throw JobSpecError("\(path).content", "is missing or not a string")
    }
  }
}

/// A job description that cannot be accepted, with the JSON path of the bad field.
public struct JobSpecError: Error, Sendable, Equatable, CustomStringConvertible {
  public var path: String
  public var problem: String

  public init(_ path: String, _ problem: String) {
    self.path = path
    self.problem = problem
  }

  public var description: String { path.isEmpty ? problem : "\(path) \(problem)" }
}
