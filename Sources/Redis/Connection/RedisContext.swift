import CHiredis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place that touches hiredis: owns a `redisContext*`, turns `redisReply`
/// trees into `RedisReply` values and frees each reply exactly once.
///
/// Encodes the C library's contracts (hiredis 0.14.1):
/// - a context is not thread-safe: this class is not `Sendable`;
/// - once `err` is set the context is dead: `isBroken` becomes true and every later
///   call fails fast; the owner (`RedisConnection`) drops it and connects anew;
/// - `redisConnectWithTimeout` bounds only the connect, so the command timeout is set
///   separately with `redisSetTimeout` (`SO_RCVTIMEO`/`SO_SNDTIMEO`), and a timed-out
///   read surfaces as `REDIS_ERR_IO` with `errno == EAGAIN`.
final class RedisContext {
  private let context: UnsafeMutablePointer<redisContext>
  /// Redacted endpoint for error messages.
  let endpointDescription: String
  private(set) var isBroken = false

  /// hiredis 0.14.1 writes with `write(2)`, not `send(MSG_NOSIGNAL)`: writing to a
  /// socket the server has closed would raise SIGPIPE and kill the whole process.
  /// Ignoring SIGPIPE turns that into an EPIPE error on this connection instead.
  private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

  private init(context: UnsafeMutablePointer<redisContext>, endpointDescription: String) {
    self.context = context
    self.endpointDescription = endpointDescription
  }

  deinit { redisFree(context) }

  static func connect(to endpoint: RedisURL.Endpoint, timeout: Duration,
                      endpointDescription: String) throws(RedisError) -> RedisContext {
    _ = ignoreSIGPIPE
    let tv = timeval(timeout)
    let raw: UnsafeMutablePointer<redisContext>?
    switch endpoint {
    case .tcp(let host, let port): raw = redisConnectWithTimeout(host, Int32(port), tv)
    case .unix(let path): raw = redisConnectUnixWithTimeout(path, tv)
    }
    guard let raw else {
      throw RedisError(.connectionFailed, message: "hiredis could not allocate a context (out of memory)",
                       endpoint: endpointDescription)
    }
    let context = RedisContext(context: raw, endpointDescription: endpointDescription)
    // hiredis opens sockets without O_CLOEXEC; a redis-server spawned later (embedded,
    // tests) would inherit this one and keep the connection open after we close it.
    if raw.pointee.fd >= 0 { _ = fcntl(raw.pointee.fd, F_SETFD, FD_CLOEXEC) }
    // Reader bounds in 0.14.1: `maxbuf` is not a reply-size cap (that and `maxelements`
    // arrived in hiredis 1.0) but the size above which an emptied read buffer is freed.
    // Keep it small and explicit so one 10 MB reply does not pin 10 MB per connection.
    // Reply sizes are bounded by the server (proto-max-bulk-len, 512 MB by default),
    // which is ours to configure: Nightdesk only talks to Redis servers it trusts.
    if let reader = raw.pointee.reader { reader.pointee.maxbuf = Int(REDIS_READER_MAX_BUF) }
    if raw.pointee.err != 0 {
      let reason = context.errorText
      throw RedisError(.connectionFailed, message: reason + Self.connectHint(endpoint, reason: reason),
                       endpoint: endpointDescription)
    }
    return context
  }

  /// The socket timeout for every later read and write (0 = wait forever).
  func setTimeout(_ timeout: Duration, command: String) throws(RedisError) {
    guard redisSetTimeout(context, timeval(timeout)) == REDIS_OK else { throw failure(command: command) }
  }

  /// Sends one command and waits for its reply (one round trip).
  func send(_ command: RedisCommand) throws(RedisError) -> RedisReply {
    try checkUsable(command: command.name)
    let raw = withArgv(command) { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
    guard let raw else { throw failure(command: command.name) }
    return take(raw)
  }

  /// Queues a command in hiredis' output buffer without sending it; `readReply`
  /// flushes the buffer, so N appends then N reads are one round trip.
  func append(_ command: RedisCommand) throws(RedisError) {
    try checkUsable(command: command.name)
    let status = withArgv(command) { argc, argv, lengths in redisAppendCommandArgv(context, argc, argv, lengths) }
    guard status == REDIS_OK else { throw failure(command: command.name) }
  }

  func readReply(command: String) throws(RedisError) -> RedisReply {
    try checkUsable(command: command)
    var raw: UnsafeMutableRawPointer?
    guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw failure(command: command) }
    return take(raw)
  }

  // MARK: - Private

  private func checkUsable(command: String) throws(RedisError) {
    if isBroken {
      throw RedisError(.connectionLost, command: command, message: "the connection broke earlier and was not reopened",
                       endpoint: endpointDescription)
    }
  }

  /// Converts and frees a reply: the only call to `freeReplyObject`.
  private func take(_ raw: UnsafeMutableRawPointer) -> RedisReply {
    defer { freeReplyObject(raw) }
    return Self.convert(raw.assumingMemoryBound(to: redisReply.self))
  }

  private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
    let r = reply.pointee
    switch r.type {
    case REDIS_REPLY_STATUS: return .status(text(r))
    case REDIS_REPLY_ERROR: return .error(text(r))
    case REDIS_REPLY_INTEGER: return .integer(r.integer)
    case REDIS_REPLY_STRING:
      guard let str = r.str, r.len > 0 else { return .bulk([]) }
      return .bulk(Array(UnsafeRawBufferPointer(start: str, count: r.len)))
    case REDIS_REPLY_ARRAY:
      guard let element = r.element else { return .array([]) }
      return .array((0..<r.elements).map { index in
        element[index].map(convert) ?? .null
      })
    default: return .null  // REDIS_REPLY_NIL
    }
  }

  private static func text(_ r: redisReply) -> String {
    guard let str = r.str else { return "" }
    return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
  }

  /// Lays all arguments out in one buffer so a single scope pins them for the C call.
  private func withArgv<Result>(
    _ command: RedisCommand,
    _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
  ) -> Result {
    let lengths = command.arguments.map(\.count)
    var storage = [UInt8]()
    storage.reserveCapacity(lengths.reduce(1, +))
    for argument in command.arguments { storage.append(contentsOf: argument) }
    if storage.isEmpty { storage.append(0) }  // a valid base address even when all arguments are empty
    return storage.withUnsafeBufferPointer { bytes in
      let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
      var argv: [UnsafePointer<CChar>?] = []
      argv.reserveCapacity(lengths.count)
      var offset = 0
      for length in lengths {
        argv.append(base + offset)
        offset += length
      }
      return argv.withUnsafeMutableBufferPointer { argvBuffer in
        lengths.withUnsafeBufferPointer { lengthBuffer in
          body(Int32(lengths.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
        }
      }
    }
  }

  /// Marks the context dead and describes hiredis' error; read `errno` first, before
  /// anything else can overwrite it.
  private func failure(command: String) -> RedisError {
    let savedErrno = errno
    isBroken = true
    let code = context.pointee.err
    let reason = errorText
    let kind: RedisError.Kind
    switch code {
    case REDIS_ERR_IO where savedErrno == EAGAIN || savedErrno == EWOULDBLOCK:
      return RedisError(.timeout, command: command,
                        message: "no reply within the socket timeout; the connection is dropped and reopened on next use",
                        endpoint: endpointDescription)
    case REDIS_ERR_EOF: kind = .connectionLost
    case REDIS_ERR_IO: kind = .connectionLost
    case REDIS_ERR_PROTOCOL: kind = .protocolError
    case REDIS_ERR_OOM: kind = .protocolError
    default: kind = .connectionLost
    }
    return RedisError(kind, command: command, message: reason.isEmpty ? "hiredis error \(code)" : reason,
                      endpoint: endpointDescription)
  }

  private var errorText: String {
    withUnsafeBytes(of: context.pointee.errstr) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
  }

  private static func connectHint(_ endpoint: RedisURL.Endpoint, reason: String) -> String {
    switch endpoint {
    case .unix(let path): return " (is a redis-server listening on the socket \(path)?)"
    case .tcp(let host, let port): return " (is a redis-server listening on \(host):\(port)?)"
    }
  }
}

extension timeval {
  /// A socket timeout; zero means "wait forever" to the kernel, so a positive duration
  /// never rounds down to it.
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    var micros = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    if duration > .zero { micros = max(1, micros) } else { micros = 0 }
    self.init(tv_sec: Int(micros / 1_000_000), tv_usec: Int(micros % 1_000_000))
  }
}
