/// Where a Redis server is and how to log in to it, parsed from one of:
///
///     redis://[user:password@]host[:port][/db]     e.g. redis://:secret@db.internal:6379/2
///     unix:///path/to/socket[?db=N][&user=U][&password=P]
///
/// Parsed by hand rather than with Foundation's `URL` so that every mistake can be
/// reported by the part that is wrong (scheme, user, host, port, db, path, query).
/// `rediss://` (TLS) is refused: Debian's hiredis 0.14.1 has no TLS.
///
/// `description` never shows the password.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
  public enum Endpoint: Sendable, Equatable {
    case tcp(host: String, port: Int)
    case unix(path: String)
  }

  public static let defaultPort = 6379

  public var endpoint: Endpoint
  /// The ACL user for `AUTH user password`; nil means `AUTH password` (the `default` user).
  /// A user without a password in the URL takes it from the environment (`RedisTarget`).
  public var username: String?
  public var password: String?
  /// The logical database chosen with `SELECT` after connecting.
  public var database: Int

  public init(endpoint: Endpoint, username: String? = nil, password: String? = nil, database: Int = 0) {
    self.endpoint = endpoint
    self.username = username
    self.password = password
    self.database = database
  }

  /// A socket path, as for the embedded server and the tests.
  public static func unixSocket(_ path: String, database: Int = 0) -> RedisURL {
    RedisURL(endpoint: .unix(path: path), database: database)
  }

  /// Parses `text`; a malformed URL throws `RedisError` of kind `.invalidURL` whose
  /// message quotes the (redacted) URL and names the part that is wrong.
  public init(parsing text: String) throws(RedisError) {
    let parser = Parser(text: text)
    self = try parser.parse()
  }

  public var description: String {
    switch endpoint {
    case .tcp(let host, let port):
      let shownHost = host.contains(":") ? "[\(host)]" : host
      return "redis://\(credentialsForDisplay)\(shownHost):\(port)/\(database)"
    case .unix(let path):
      var query = ["db=\(database)"]
      if let username { query.append("user=\(username)") }
      if password != nil { query.append("password=***") }
      return "unix://\(path)?\(query.joined(separator: "&"))"
    }
  }

  private var credentialsForDisplay: String {
    switch (username, password) {
    case (nil, nil): return ""
    case (let user?, nil): return "\(user)@"
    case (let user, _?): return "\(user ?? ""):***@"
    }
  }
}

// MARK: - Parsing

extension RedisURL {
  private struct Parser {
    let text: String

    func fail(_ part: String, _ problem: String) -> RedisError {
      RedisError(.invalidURL, message: "invalid Redis URL '\(RedisURL.redact(text))': \(part) \(problem). "
        + "Use redis://[user:password@]host:port/db or unix:///path/to/socket?db=N")
    }

    func parse() throws(RedisError) -> RedisURL {
      guard let schemeEnd = text.firstRange(of: "://") else {
        throw fail("scheme", "is missing (expected 'redis://' or 'unix://')")
      }
      let scheme = text[..<schemeEnd.lowerBound].lowercased()
      let rest = String(text[schemeEnd.upperBound...])
      switch scheme {
      case "redis": return try parseTCP(rest)
      case "unix": return try parseUnix(rest)
      case "rediss": throw fail("scheme 'rediss'", "(TLS) is not supported: hiredis 0.14.1 has no TLS")
      default: throw fail("scheme '\(scheme)'", "is not supported (expected 'redis' or 'unix')")
      }
    }

    func parseTCP(_ rest: String) throws(RedisError) -> RedisURL {
      // The user info runs to the last '@': a password may hold '/' or '?' (base64 does).
      var username: String?
      var password: String?
      var afterUserInfo = rest
      if let at = rest.lastIndex(of: "@") {
        let userInfo = String(rest[..<at])
        afterUserInfo = String(rest[rest.index(after: at)...])
        let (user, secret) = split(userInfo, at: ":")
        username = user.isEmpty ? nil : try decode(user, part: "user")
        password = try secret.map { secret throws(RedisError) in try decode(secret, part: "password") }
      }
      let (beforeQuery, query) = split(afterUserInfo, at: "?")
      let (hostPort, path) = split(beforeQuery, at: "/")
      let (host, portText) = try splitHostPort(hostPort)
      guard !host.isEmpty else { throw fail("host", "is empty") }
      guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) }) else {
        throw fail("host '\(host)'", "contains characters not allowed in a host name")
      }
      var port = RedisURL.defaultPort
      if let portText {
        guard let value = Int(portText), (1...65_535).contains(value) else {
          throw fail("port '\(portText)'", "is not a number in 1...65535")
        }
        port = value
      }
      var database = 0
      if let path, !path.isEmpty { database = try parseDatabase(path, part: "db (path)") }
      var url = RedisURL(endpoint: .tcp(host: host, port: port), username: username, password: password, database: database)
      if let query, !query.isEmpty { try apply(query: query, to: &url, allowDatabase: path?.isEmpty ?? true) }
      return url
    }

    func parseUnix(_ rest: String) throws(RedisError) -> RedisURL {
      let (path, query) = split(rest, at: "?")
      guard !path.isEmpty else { throw fail("path", "is empty (write unix:///path/to/socket)") }
      guard path.hasPrefix("/") else {
        throw fail("path '\(path)'", "is not absolute (write three slashes: unix:///path/to/socket)")
      }
      guard !path.hasSuffix("/") else { throw fail("path '\(path)'", "names a folder, not a socket") }
      var url = RedisURL(endpoint: .unix(path: path))
      if let query, !query.isEmpty { try apply(query: query, to: &url, allowDatabase: true) }
      return url
    }

    func apply(query: String, to url: inout RedisURL, allowDatabase: Bool) throws(RedisError) {
      for item in query.split(separator: "&", omittingEmptySubsequences: true) {
        let (key, value) = split(String(item), at: "=")
        guard let value else { throw fail("query '\(key)'", "has no value (write \(key)=...)") }
        switch key {
        case "db" where allowDatabase: url.database = try parseDatabase(value, part: "db")
        case "db": throw fail("db", "is given twice (path and query)")
        case "password": url.password = try decode(value, part: "password")
        case "user": url.username = try decode(value, part: "user")
        default: throw fail("query parameter '\(key)'", "is unknown (known: db, user, password)")
        }
      }
    }

    func parseDatabase(_ text: String, part: String) throws(RedisError) -> Int {
      guard let value = Int(text), value >= 0, value <= 1_000_000 else {
        throw fail("\(part) '\(text)'", "is not a database number (0, 1, 2, ...)")
      }
      return value
    }

    func splitHostPort(_ hostPort: String) throws(RedisError) -> (String, String?) {
      if hostPort.hasPrefix("[") {  // IPv6 literal: [::1]:6379
        guard let close = hostPort.firstIndex(of: "]") else { throw fail("host '\(hostPort)'", "has '[' without ']'") }
        let host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
        let after = hostPort[hostPort.index(after: close)...]
        if after.isEmpty { return (host, nil) }
        guard after.hasPrefix(":") else { throw fail("host '\(hostPort)'", "has text after ']' that is not ':port'") }
        return (host, String(after.dropFirst()))
      }
      let (host, port) = split(hostPort, at: ":")
      if let port, port.contains(":") { throw fail("host '\(hostPort)'", "has several ':' (write IPv6 hosts as [::1])") }
      return (host, port)
    }

    func decode(_ text: String, part: String) throws(RedisError) -> String {
      guard let decoded = RedisURL.percentDecoded(text) else {
        throw fail(part == "password" ? "password" : "\(part) '\(text)'", "has a malformed %-escape")
      }
      return decoded
    }

    func split(_ text: String, at separator: Character) -> (String, String?) {
      guard let index = text.firstIndex(of: separator) else { return (text, nil) }
      return (String(text[..<index]), String(text[text.index(after: index)...]))
    }
  }

  static func percentDecoded(_ text: String) -> String? {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8).makeIterator()
    while let byte = iterator.next() {
      guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
      guard let high = iterator.next(), let low = iterator.next(),
            let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
      bytes.append(value)
    }
    return String(validating: bytes, as: UTF8.self)
  }

  /// `text` with any password hidden, for messages about URLs that may not parse.
  public static func redact(_ text: String) -> String {
    var result = text
    // redis://user:secret@host → redis://user:***@host
    // (the user info runs to the last '@', as the parser reads it: a password may hold '/').
    if let schemeEnd = result.firstRange(of: "://") {
      let afterScheme = result[schemeEnd.upperBound...]
      if let at = afterScheme.lastIndex(of: "@"), let colon = afterScheme[..<at].firstIndex(of: ":") {
        result.replaceSubrange(result.index(after: colon)..<at, with: "***")
      }
    }
    // ?password=secret&db=1 → ?password=***&db=1
    if let marker = result.firstRange(of: "password=") {
      let valueEnd = result[marker.upperBound...].firstIndex(of: "&") ?? result.endIndex
      result.replaceSubrange(marker.upperBound..<valueEnd, with: "***")
    }
    return result
  }
}
