/// Everything that can go wrong talking to Redis, with enough context to act on:
/// which command failed (its name only — arguments may be secrets or megabytes),
/// against which server (passwords redacted), and why.
///
/// A struct with a `Kind`, rather than a public enum, so that new kinds can be
/// added without breaking callers that switch over the existing ones.
public struct RedisError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: String, Sendable, Equatable, CaseIterable {
    /// Redis answered with an error reply (`ERR ...`, `WRONGTYPE ...`, `NOSCRIPT ...`).
    case serverError
    /// No reply within the command (or connect) timeout. The connection is dropped
    /// because the late reply would otherwise be read as the answer to the next command.
    case timeout
    /// Could not connect (refused, no such socket, DNS failure, ...).
    case connectionFailed
    /// The connection broke while a command was in flight (EOF, reset, I/O error).
    case connectionLost
    /// AUTH was refused (wrong password or user) or the server demands one we lack.
    case authenticationFailed
    /// The server sent something that is not RESP2 (or a reply hiredis could not hold).
    case protocolError
    /// A `redis://` or `unix://` URL that cannot be parsed; the message names the bad part.
    case invalidURL
    /// No `redis-server` executable on PATH for the embedded default or the tests.
    case serverNotFound
    /// The embedded redis-server could not be started, reached or stopped.
    case embeddedServer
    /// Every pooled connection stayed busy for the whole checkout timeout.
    case poolExhausted
  }

  public var kind: Kind
  /// The command's name, e.g. `BLPOP` or `pipeline of 10000 commands (first SET)`.
  public var command: String?
  /// What went wrong, in words; for `serverError` the server's own text.
  public var message: String
  /// The server, as a redacted URL or socket path.
  public var endpoint: String?

  public init(_ kind: Kind, command: String? = nil, message: String, endpoint: String? = nil) {
    self.kind = kind
    self.command = command
    self.message = message
    self.endpoint = endpoint
  }

  /// For server errors, the leading upper-case word Redis uses as an error code
  /// (`NOSCRIPT`, `WRONGTYPE`, `NOAUTH`, `WRONGPASS`, `ERR`).
  public var serverErrorCode: String? {
    guard kind == .serverError else { return nil }
    let word = message.prefix { $0 != " " }
    return !word.isEmpty && word.allSatisfy { $0.isUppercase || $0 == "_" } ? String(word) : nil
  }

  public var description: String {
    var text = command.map { "Redis \($0) failed" } ?? "Redis"
    switch kind {
    case .invalidURL, .serverNotFound, .embeddedServer, .poolExhausted:
      // These explain themselves; only prefix them when a command was involved.
      text = command == nil ? message : text + ": \(message)"
    case .serverError: text += ": server replied: \(message)"
    case .timeout: text += ": timed out: \(message)"
    case .connectionFailed: text += ": cannot connect: \(message)"
    case .connectionLost: text += ": connection lost: \(message)"
    case .authenticationFailed: text += ": authentication failed: \(message)"
    case .protocolError: text += ": protocol error: \(message)"
    }
    if let endpoint { text += " (at \(endpoint))" }
    return text
  }
}
