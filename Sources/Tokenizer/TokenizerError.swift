/// Why a tokenizer could not be loaded or built. The message says what was wrong,
/// where (file and field) and, where it helps, what to do.
public enum TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
  /// A tokenizer file is missing, unreadable or malformed.
  case invalidFile(path: String, message: String)
  /// The tokenizer description itself is inconsistent (from any source).
  case invalidSpec(String)
  /// The tokenizer uses a feature Nightdesk does not implement.
  case unsupported(path: String, message: String)

  public var description: String {
    switch self {
    case .invalidFile(let path, let message): return "\(path): \(message)"
    case .invalidSpec(let message): return "invalid tokenizer: \(message)"
    case .unsupported(let path, let message): return "\(path): unsupported tokenizer: \(message)"
    }
  }
}
