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
