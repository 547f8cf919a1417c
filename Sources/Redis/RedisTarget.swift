import Foundation

/// Which Redis a command talks to, decided once from the command line and the
/// environment, in this order:
///
/// 1. `--redis URL`;
/// 2. `NIGHTDESK_REDIS_URL`;
/// 3. the embedded server in the state folder (`--state-dir`, default `.nightdesk/`),
///    started on first use and reused afterwards.
///
/// For an external URL without a password, `NIGHTDESK_REDIS_PASSWORD`, or the file
/// named by `NIGHTDESK_REDIS_PASSWORD_FILE`, supplies one (keeping it out of command
/// lines and shell history).
public enum RedisTarget: Sendable, Equatable, CustomStringConvertible {
  case external(RedisURL, source: String)
  case embedded(EmbeddedRedis)

  public static let urlVariable = "NIGHTDESK_REDIS_URL"
  public static let passwordVariable = "NIGHTDESK_REDIS_PASSWORD"
  public static let passwordFileVariable = "NIGHTDESK_REDIS_PASSWORD_FILE"
  public static let defaultStateDirectory = ".nightdesk"

  public static func resolve(url flag: String?, stateDirectory: String?,
                             environment: [String: String] = ProcessInfo.processInfo.environment) throws(RedisError) -> RedisTarget {
    let chosen: (text: String, source: String)?
    if let flag, !flag.isEmpty {
      chosen = (flag, "--redis")
    } else if let text = environment[urlVariable], !text.isEmpty {
      chosen = (text, urlVariable)
    } else {
      chosen = nil
    }
    guard let chosen else {
      return .embedded(EmbeddedRedis(stateDirectory: stateDirectory ?? defaultStateDirectory))
    }
    var url: RedisURL
    do {
      url = try RedisURL(parsing: chosen.text)
    } catch {
      var named = error
      named.message = "\(chosen.source): \(error.message)"
      throw named
    }
    if url.password == nil { url.password = try password(from: environment) }
    return .external(url, source: chosen.source)
  }

  /// Connects, starting the embedded server first if it is not running.
  public func connect(options: RedisConnection.Options = RedisConnection.Options()) throws(RedisError) -> RedisConnection {
    switch self {
    case .external(let url, _):
      return try RedisConnection(url: url, options: options)
    case .embedded(let embedded):
      try embedded.start()
      return try RedisConnection(url: embedded.url, options: options)
    }
  }

  /// The URL to connect to (for pools), starting the embedded server if needed.
  public func prepare() throws(RedisError) -> RedisURL {
    switch self {
    case .external(let url, _): return url
    case .embedded(let embedded):
      try embedded.start()
      return embedded.url
    }
  }

  /// Where, for humans: the redacted URL and where it came from, or the socket.
  public var description: String {
    switch self {
    case .external(let url, let source): return "\(url) (from \(source))"
    case .embedded(let embedded): return "embedded redis-server at \(embedded.socketPath)"
    }
  }

  private static func password(from environment: [String: String]) throws(RedisError) -> String? {
    if let password = environment[passwordVariable], !password.isEmpty { return password }
    guard let file = environment[passwordFileVariable], !file.isEmpty else { return nil }
    guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
      throw RedisError(.invalidURL, message: "\(passwordFileVariable) names \(file), which cannot be read")
    }
    // Files written by `echo` end with a newline that is not part of the password.
    let password = text.hasSuffix("\r\n") ? String(text.dropLast(2)) : text.hasSuffix("\n") ? String(text.dropLast()) : text
    guard !password.isEmpty else {
      throw RedisError(.invalidURL, message: "\(passwordFileVariable) names \(file), which is empty")
    }
    return password
  }
}
