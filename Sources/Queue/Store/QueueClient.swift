import NightdeskRedis
import NightdeskSupport

/// The queue as one Redis connection sees it: submission, the worker's claim /
/// renew / complete / fail calls, control (cancel, retry) and status reads. Every
/// state change is one Lua script (see `QueueScripts`); reads are pipelined.
///
/// Like the `RedisConnection` it wraps, a client belongs to one task or thread at a
/// time; a worker opens one for its claim loop and one for its lease keeper.
public final class QueueClient {
  public let redis: RedisConnection
  public let keys: QueueKeys
  /// How long finished jobs, results and batches are kept (default 7 days).
  public let retentionSeconds: Int

  public static let defaultRetentionSeconds = 7 * 86_400
  /// What this client is used for (`cancel`, `results`, ...), named when Redis refuses it.
  public var operation = "this operation"

  public init(redis: RedisConnection, keys: QueueKeys, retentionSeconds: Int = QueueClient.defaultRetentionSeconds) {
    precondition(retentionSeconds > 0, "retention must be positive")
    self.redis = redis
    self.keys = keys
    self.retentionSeconds = retentionSeconds
  }

  /// The EVALSHA call of `script` with the queue's prefix and retention in front of `arguments`.
  func call(_ script: RedisScript, _ arguments: [any RedisArgumentConvertible]) -> RedisCommand {
    script.evalsha(keys: [keys.stream(.normal)], arguments: [keys.prefix, retentionSeconds] + arguments)
  }

  /// Runs one script, loading it if the server lacks it.
  func run(_ script: RedisScript, _ arguments: [any RedisArgumentConvertible]) throws(QueueError) -> RedisReply {
    try runAll([(script, arguments)])[0]
  }

  /// Runs scripts in one round trip. A server that lost its script cache (restart,
  /// SCRIPT FLUSH) answers NOSCRIPT without running anything; those calls are
  /// loaded and sent again. Other error replies throw, naming the script's reply.
  func runAll(_ calls: [(RedisScript, [any RedisArgumentConvertible])]) throws(QueueError) -> [RedisReply] {
    let replies = try runAllReplies(calls)
    for reply in replies {
      if let message = reply.errorMessage {
        // Redis 7.0 words a refusal inside a script this way; outside one, NOPERM.
        if message.hasPrefix("NOPERM") || message.contains("user executing the script can't") { throw refused(message) }
        throw QueueError(.redis, "a queue script failed: \(message)")
      }
    }
    return replies
  }

  /// `runAll`, with the scripts' error replies returned in their places (a script Redis
  /// refused does not hide what the others of the round trip did).
  func runAllReplies(_ calls: [(RedisScript, [any RedisArgumentConvertible])]) throws(QueueError) -> [RedisReply] {
    let commands = calls.map { call($0.0, $0.1) }
    var replies = try pipeline(commands)
    let missing = replies.indices.filter { replies[$0].errorMessage?.hasPrefix("NOSCRIPT") == true }
    if !missing.isEmpty {
      var loaded = Set<String>()
      for index in missing where loaded.insert(calls[index].0.sha1).inserted {
        do { try redis.load(calls[index].0) } catch { throw QueueError(error) }
      }
      let again = try pipeline(missing.map { commands[$0] })
      for (slot, reply) in zip(missing, again) { replies[slot] = reply }
    }
    return replies
  }

  /// Replies in order; a reply refused by the ACL (`NOPERM`) throws, naming the desk, since
  /// a read refused must not pass for a key that is missing.
  func pipeline(_ commands: [RedisCommand]) throws(QueueError) -> [RedisReply] {
    let replies: [RedisReply]
    do { replies = try redis.pipeline(commands) } catch { throw translated(error) }
    if let refusal = replies.lazy.compactMap(\.errorMessage).first(where: { $0.hasPrefix("NOPERM") }) { throw refused(refusal) }
    return replies
  }

  func command(_ command: RedisCommand) throws(QueueError) -> RedisReply {
    do { return try redis.command(command) } catch { throw translated(error) }
  }

  private func translated(_ error: RedisError) -> QueueError {
    error.serverErrorCode == "NOPERM" ? refused(error.message) : QueueError(error)
  }

  /// Redis's ACL refused this user: say which desk (queue) and which operation, and what to do.
  func refused(_ message: String) -> QueueError {
    QueueError(.permissionDenied,
      "desk '\(keys.namespace)' refused \(operation): this Redis user may not touch that desk's keys "
        + "(\(keys.prefix)*) or run that command; connect as one of the desk's own users (nightdesk desk create "
        + "\(keys.namespace)) (Redis said: \(message))")
  }

  /// Refuses a Redis that could evict queue keys under memory pressure: any
  /// `maxmemory-policy` but `noeviction` may drop jobs, leases or results silently.
  public func checkEvictionPolicy() throws(QueueError) {
    let reply: RedisReply
    do {
      reply = try redis.command("CONFIG", "GET", "maxmemory-policy")
    } catch {
      throw QueueError(.unsafeRedis,
        "cannot read this Redis's maxmemory-policy (CONFIG GET failed: \(error)); "
          + "the queue needs 'noeviction' and must be able to check it")
    }
    let policy = reply.array.flatMap { $0.count == 2 ? $0[1].string : nil } ?? "(unknown)"
    guard policy == "noeviction" else {
      throw QueueError(.unsafeRedis,
        "this Redis has maxmemory-policy '\(policy)': under memory pressure it would evict queue keys "
          + "(jobs, leases, results) and lose work without an error. Set 'maxmemory-policy noeviction' "
          + "(CONFIG SET maxmemory-policy noeviction, and in redis.conf) and start again")
    }
  }

  /// The server's clock in milliseconds (scripts use it too, so workers on machines
  /// with skewed clocks still agree on leases and backoff).
  public func serverTimeMilliseconds() throws(QueueError) -> Int64 {
    let reply = try command(RedisCommand("TIME"))
    guard let parts = reply.array, parts.count == 2, let seconds = parts[0].int, let micros = parts[1].int else {
      throw QueueError(.protocolError, "TIME answered \(reply.summary)")
    }
    return seconds * 1000 + micros / 1000
  }
}

extension RedisReply {
  /// A script's array reply, or a protocol error naming the script.
  func scriptArray(_ script: String) throws(QueueError) -> [RedisReply] {
    if let array { return array }
    if isNull { return [] }
    throw QueueError(.protocolError, "the \(script) script answered \(summary), expected a list")
  }
}
