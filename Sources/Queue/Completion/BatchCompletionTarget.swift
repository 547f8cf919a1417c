import Foundation

/// Where the news of a finished batch goes (`submit --on-complete`): a URL the worker
/// POSTs the event to, or a shell command it runs with the event on standard input.
/// Stored with the batch (`on_complete`, `on_complete_kind`).
public enum BatchCompletionTarget: Sendable, Equatable {
  case url(String)
  case command(String)

  public enum Kind: String, Sendable, CaseIterable {
    case url
    case command
  }

  /// `http://` or `https://` is a URL; anything else a command.
  public init(parsing text: String) throws(QueueError) {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw QueueError(.invalidArgument, "--on-complete is empty") }
    guard trimmed.count <= 4096 else { throw QueueError(.invalidArgument, "--on-complete is longer than 4096 characters") }
    if trimmed.hasPrefix("http://") || trimmed.hasPrefix("https://") {
      guard let url = URL(string: trimmed), let host = url.host, !host.isEmpty else {
        throw QueueError(.invalidArgument, "--on-complete '\(trimmed)' is not a valid http(s) URL")
      }
      self = .url(trimmed)
    } else {
      self = .command(trimmed)
    }
  }

  public var kind: Kind {
    switch self {
    case .url: return .url
    case .command: return .command
    }
  }

  public var text: String {
    switch self {
    case .url(let text), .command(let text): return text
    }
  }
}
