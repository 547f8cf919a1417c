extension RedisConnection {
  /// `PING`; returns the server's answer (`PONG`).
  @discardableResult
  public func ping() throws(RedisError) -> String {
    let reply = try command("PING")
    return reply.string ?? reply.summary
  }

  /// One section of `INFO` as key/value pairs (`redis_version`, `uptime_in_seconds`, ...).
  public func info(_ section: String = "server") throws(RedisError) -> [String: String] {
    let text = try command("INFO", section).string ?? ""
    var fields: [String: String] = [:]
    for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      fields[String(line[..<colon])] = String(line[line.index(after: colon)...])
    }
    return fields
  }

  /// The server's `redis_version`, e.g. `7.0.15`.
  public func serverVersion() throws(RedisError) -> String {
    try info("server")["redis_version"] ?? "unknown"
  }
}
