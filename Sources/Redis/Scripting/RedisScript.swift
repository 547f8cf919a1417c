/// A Lua script and its SHA-1, so it is sent in full at most once per server:
/// `evaluate` calls `EVALSHA` and, when the server answers `NOSCRIPT` (restarted,
/// `SCRIPT FLUSH`, or a failover to a replica that never saw it), loads the source with
/// `SCRIPT LOAD` and calls `EVALSHA` again.
///
/// Keep scripts as `static let`s: the SHA-1 is computed once, in Swift, without a
/// round trip.
public struct RedisScript: Sendable, Hashable {
  public let source: String
  /// Lower-case hex SHA-1 of `source`, the name Redis gives the script.
  public let sha1: String

  public init(_ source: String) {
    self.source = source
    self.sha1 = SHA1.hex(Array(source.utf8))
  }

  /// `EVALSHA sha1 numkeys keys... arguments...`, for pipelines (load the script first
  /// with `RedisConnection.load(_:)`, since a pipeline cannot fall back).
  public func evalsha(keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible]) -> RedisCommand {
    RedisCommand(["EVALSHA", sha1, keys.count] + keys + arguments)
  }
}

extension RedisConnection {
  /// Runs `script` with `EVALSHA`, loading it first if the server does not have it.
  /// A Lua error (or an error reply the script returns) throws `.serverError`.
  @discardableResult
  public func evaluate(_ script: RedisScript, keys: [any RedisArgumentConvertible] = [],
                       arguments: [any RedisArgumentConvertible] = []) throws(RedisError) -> RedisReply {
    let call = script.evalsha(keys: keys, arguments: arguments)
    do {
      return try command(call)
    } catch where error.serverErrorCode == "NOSCRIPT" {
      try load(script)
      return try command(call)
    }
  }

  /// `SCRIPT LOAD`, checking that Redis names the script as we do.
  public func load(_ script: RedisScript) throws(RedisError) {
    let reply = try command("SCRIPT", "LOAD", script.source)
    guard reply.string == script.sha1 else {
      throw RedisError(.protocolError, command: "SCRIPT LOAD",
                       message: "the server named the script \(reply.summary), expected \(script.sha1)",
                       endpoint: url.description)
    }
  }
}
