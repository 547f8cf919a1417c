#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A synchronous connection to one Redis server, over TCP or a unix socket.
///
/// ## Concurrency model
/// A connection belongs to **one task or thread at a time**: it is a non-`Sendable`
/// class wrapping a hiredis context, which is not thread-safe. Calls block the calling
/// thread until the reply arrives (or the timeout fires), so from async code run them
/// on a thread you own or through `RedisPool.withConnection`, which moves the work off
/// the cooperative thread pool. Callers needing more concurrency take more
/// connections from a `RedisPool`.
///
/// ## Failures and reconnection
/// Any error other than an error *reply* kills the underlying hiredis context (a late
/// reply would otherwise be read as the answer to the next command). The connection
/// then throws that error — it never retries a command, which may not be idempotent —
/// and reopens itself on the next use: new socket, `redisSetTimeout`, AUTH, SELECT,
/// with the backoff of `Options.reconnect`.
///
/// ## Timeouts
/// `Options.connectTimeout` bounds connecting; `Options.commandTimeout` bounds each
/// read and write on the socket. Blocking commands (`BLPOP key 30`, `XREADGROUP ...
/// BLOCK 30000`) need a longer budget: pass `timeout:` to `command(_:timeout:)`, which
/// widens the socket timeout for that call only. A blocking command that outlives its
/// budget throws `.timeout` rather than hanging.
///
/// Not supported by Debian's hiredis 0.14.1: TLS and RESP3 (`HELLO 3` would break the
/// connection); replies are RESP2.
public final class RedisConnection {
  public struct Options: Sendable, Equatable {
    /// Bounds the TCP or unix-socket connect (default 5 s).
    public var connectTimeout: Duration
    /// Bounds every socket read and write of an ordinary command (default 10 s).
    public var commandTimeout: Duration
    public var reconnect: RedisReconnectPolicy
    /// Sent with `CLIENT SETNAME` after connecting, so `CLIENT LIST` shows who is who.
    public var clientName: String?

    public init(connectTimeout: Duration = .seconds(5), commandTimeout: Duration = .seconds(10),
                reconnect: RedisReconnectPolicy = RedisReconnectPolicy(), clientName: String? = nil) {
      self.connectTimeout = connectTimeout
      self.commandTimeout = commandTimeout
      self.reconnect = reconnect
      self.clientName = clientName
    }
  }

  public let url: RedisURL
  public let options: Options
  private var context: RedisContext?
  /// How many times the connection was reopened after breaking (for tests and health output).
  public private(set) var reconnectCount = 0

  /// Connects (one attempt, no backoff: a wrong URL should fail fast), authenticates
  /// and selects the database.
  public init(url: RedisURL, options: Options = Options()) throws(RedisError) {
    self.url = url
    self.options = options
    self.context = try Self.open(url, options)
  }

  /// True when the last operation left a usable connection behind.
  public var isConnected: Bool { context.map { !$0.isBroken } ?? false }

  /// Runs one command and returns its reply; an error reply throws `.serverError`
  /// (`.authenticationFailed` for `NOAUTH`/`WRONGPASS`).
  ///
  /// - Parameter timeout: the socket timeout for this call only, for blocking
  ///   commands; make it longer than the command's own block time.
  @discardableResult
  public func command(_ command: RedisCommand, timeout: Duration? = nil) throws(RedisError) -> RedisReply {
    let context = try usableContext(for: command.name)
    let reply: RedisReply
    if let timeout, timeout != options.commandTimeout {
      try context.setTimeout(timeout, command: command.name)
      reply = try context.send(command)
      try context.setTimeout(options.commandTimeout, command: command.name)
    } else {
      reply = try context.send(command)
    }
    if case .error(let message) = reply { throw serverError(message, command: command.name) }
    return reply
  }

  /// `command(RedisCommand(name, arguments...))`, e.g. `try redis.command("SET", key, bytes)`.
  @discardableResult
  public func command(_ name: String, _ arguments: any RedisArgumentConvertible...) throws(RedisError) -> RedisReply {
    try command(RedisCommand([name] + arguments))
  }

  /// Sends all commands in one write and reads all replies: one round trip however
  /// many commands. Error replies come back as `.error` values in their slots (the
  /// other commands still ran); a broken connection throws, naming the reply it was
  /// waiting for — commands before it ran, later ones may or may not have.
  public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
    guard let first = commands.first else { return [] }
    let label = commands.count == 1 ? first.name : "pipeline of \(commands.count) commands (first \(first.name))"
    let context = try usableContext(for: label)
    for command in commands { try context.append(command) }
    var replies: [RedisReply] = []
    replies.reserveCapacity(commands.count)
    for (index, command) in commands.enumerated() {
      do {
        replies.append(try context.readReply(command: command.name))
      } catch {
        var failure = error
        failure.command = "\(label), reply \(index + 1) (\(command.name))"
        throw failure
      }
    }
    return replies
  }

  /// Closes the socket now; the next use reconnects.
  public func close() { context = nil }

  // MARK: - Connecting

  private func usableContext(for command: String) throws(RedisError) -> RedisContext {
    if let context, !context.isBroken { return context }
    context = nil
    var lastError = RedisError(.connectionFailed, command: command, message: "not connected", endpoint: url.description)
    for attempt in 0..<options.reconnect.maxAttempts {
      let wait = options.reconnect.delay(beforeAttempt: attempt, randomFraction: Double.random(in: 0...1))
      if wait > .zero { Self.sleep(wait) }
      do {
        let fresh = try Self.open(url, options)
        context = fresh
        reconnectCount += 1
        return fresh
      } catch {
        // A refused password will not change by retrying.
        if error.kind == .authenticationFailed { throw error }
        lastError = error
      }
    }
    lastError.command = command
    lastError.message += " (gave up after \(options.reconnect.maxAttempts) attempts)"
    throw lastError
  }

  private static func open(_ url: RedisURL, _ options: Options) throws(RedisError) -> RedisContext {
    let context = try RedisContext.connect(to: url.endpoint, timeout: options.connectTimeout,
                                           endpointDescription: url.description)
    // redisConnectWithTimeout bounds only the connect; every fresh context (including
    // after hiredis' redisReconnect, which we avoid) needs its socket timeout set again.
    try context.setTimeout(options.commandTimeout, command: "connect")
    if let username = url.username, url.password == nil {
      throw RedisError(.authenticationFailed, command: "AUTH",
                       message: "user '\(username)' has no password: put it in the URL or in NIGHTDESK_REDIS_PASSWORD",
                       endpoint: url.description)
    }
    if let password = url.password {
      let auth = url.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
      if case .error(let message) = try context.send(auth) {
        let who = url.username.map { "user '\($0)'" } ?? "the default user"
        throw RedisError(.authenticationFailed, command: "AUTH",
                         message: "\(who) was refused: \(message)", endpoint: url.description)
      }
    }
    if url.database != 0, case .error(let message) = try context.send(RedisCommand("SELECT", url.database)) {
      throw serverError(message, command: "SELECT \(url.database)", endpoint: url.description)
    }
    if let name = options.clientName, case .error(let message) = try context.send(RedisCommand("CLIENT", "SETNAME", name)) {
      throw serverError(message, command: "CLIENT SETNAME", endpoint: url.description)
    }
    return context
  }

  private func serverError(_ message: String, command: String) -> RedisError {
    Self.serverError(message, command: command, endpoint: url.description)
  }

  /// Error replies that mean "who are you?" become authentication failures with advice.
  private static func serverError(_ message: String, command: String, endpoint: String) -> RedisError {
    if message.hasPrefix("NOAUTH") {
      return RedisError(.authenticationFailed, command: command,
                        message: "the server requires a password: put it in the URL or in NIGHTDESK_REDIS_PASSWORD (\(message))",
                        endpoint: endpoint)
    }
    if message.hasPrefix("WRONGPASS") {
      return RedisError(.authenticationFailed, command: command, message: message, endpoint: endpoint)
    }
    return RedisError(.serverError, command: command, message: message, endpoint: endpoint)
  }

  private static func sleep(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1, errno == EINTR { request = remaining }
  }
}
