import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `redis-server` nightdesk runs itself when given no `--redis URL` and no
/// `NIGHTDESK_REDIS_URL`: one per state folder, on a unix socket inside it.
///
///     <state>/redis.conf   generated (see EmbeddedRedisConfig for why each setting)
///     <state>/redis.sock   the socket (no TCP port)
///     <state>/redis.pid    <state>/redis.log    <state>/appendonlydir/  (the AOF)
///     <state>/redis.lock   held while starting or stopping, so two commands
///                          racing to start the server start it once
///
/// `start()` reuses a server that already answers PING on the socket.
public struct EmbeddedRedis: Sendable, Equatable {
  public enum StartOutcome: Sendable, Equatable {
    case started
    case alreadyRunning
  }

  public enum StopOutcome: Sendable, Equatable {
    case stopped
    case notRunning
  }

  /// Absolute path of the state folder.
  public let stateDirectory: String

  public init(stateDirectory: String) {
    self.stateDirectory = stateDirectory.hasPrefix("/")
      ? stateDirectory
      : FileManager.default.currentDirectoryPath + "/" + stateDirectory
  }

  public var socketPath: String { path("redis.sock") }
  public var pidFile: String { path("redis.pid") }
  public var logFile: String { path("redis.log") }
  public var configFile: String { path("redis.conf") }

  public var url: RedisURL { .unixSocket(socketPath) }

  public var config: EmbeddedRedisConfig {
    EmbeddedRedisConfig(socketPath: socketPath, directory: stateDirectory, pidFile: pidFile, logFile: logFile)
  }

  /// True when a server answers PING on the socket.
  public var isRunning: Bool {
    guard FileManager.default.fileExists(atPath: socketPath),
          let probe = try? RedisConnection(url: url, options: .init(connectTimeout: .seconds(1), commandTimeout: .seconds(2)))
    else { return false }
    return (try? probe.ping()) != nil
  }

  /// Starts the server unless one already answers on the socket, and waits until it
  /// accepts commands (replaying a large AOF can take a while: up to `readyTimeout`).
  @discardableResult
  public func start(executable: RedisServerExecutable? = nil, readyTimeout: Duration = .seconds(60)) throws(RedisError) -> StartOutcome {
    try checkSocketPathLength()
    try createStateDirectory()
    let lock = try StateLock(path: path("redis.lock"))
    defer { lock.release() }
    if isRunning { return .alreadyRunning }
    // Nothing answers, so a pidfile or socket here was left by a server that died
    // without cleaning up (SIGKILL, OOM killer, power loss). Remove them first: the
    // readiness loop below would otherwise read the dead server's pid before the new
    // server rewrites the pidfile, and report that the new one "exited during start".
    removeStaleFiles()

    let server: RedisServerExecutable
    if let executable { server = executable } else { server = try RedisServerExecutable.locate() }
    do {
      try config.render().write(toFile: configFile, atomically: true, encoding: .utf8)
    } catch {
      throw failure("cannot write \(configFile): \(error.localizedDescription)")
    }
    // With `daemonize yes` the launched process forks the server and exits; a
    // non-zero exit means the configuration or the folder was refused.
    let launcher = try server.spawn([configFile])
    let status = RedisServerExecutable.wait(for: launcher)
    guard status == 0 else { throw failure("redis-server exited with status \(status) at start") }

    let clock = ContinuousClock()
    let deadline = clock.now + readyTimeout
    var lastProblem = "no socket yet"
    while clock.now < deadline {
      if FileManager.default.fileExists(atPath: socketPath) {
        do {
          let probe = try RedisConnection(url: url, options: .init(connectTimeout: .seconds(1)))
          try probe.ping()
          return .started
        } catch {
          lastProblem = error.description  // LOADING while the AOF replays
        }
      }
      if let pid = runningPID(), !RedisServerExecutable.isAlive(pid) {
        throw failure("redis-server (pid \(pid)) exited during start")
      }
      usleep(20_000)
    }
    throw failure("redis-server did not answer within \(readyTimeout) (\(lastProblem))")
  }

  /// Shuts the server down (`SHUTDOWN`, which also flushes the AOF) and waits until
  /// the process has exited.
  @discardableResult
  public func stop(timeout: Duration = .seconds(30)) throws(RedisError) -> StopOutcome {
    guard FileManager.default.fileExists(atPath: stateDirectory) else { return .notRunning }
    let lock = try StateLock(path: path("redis.lock"))
    defer { lock.release() }
    guard isRunning else {
      try? FileManager.default.removeItem(atPath: socketPath)  // a stale socket from a crash
      return .notRunning
    }
    let pid = runningPID()
    do throws(RedisError) {
      let connection = try RedisConnection(url: url)
      _ = try connection.command("SHUTDOWN")
      throw failure("SHUTDOWN was answered instead of closing the connection")
    } catch {
      // Expected: the server closes the connection as it exits.
      guard error.kind == .connectionLost else { throw error }
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
      let exited = pid.map { !RedisServerExecutable.isAlive($0) } ?? !isRunning
      if exited { return .stopped }
      usleep(20_000)
    }
    throw failure("redis-server\(pid.map { " (pid \($0))" } ?? "") did not exit within \(timeout) after SHUTDOWN")
  }

  /// The pid in the pidfile, if any.
  public func runningPID() -> pid_t? {
    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8) else { return nil }
    return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  // MARK: - Private

  private func path(_ name: String) -> String {
    stateDirectory.hasSuffix("/") ? stateDirectory + name : stateDirectory + "/" + name
  }

  private func removeStaleFiles() {
    for stale in [pidFile, socketPath] where FileManager.default.fileExists(atPath: stale) {
      try? FileManager.default.removeItem(atPath: stale)
    }
  }

  private func createStateDirectory() throws(RedisError) {
    do {
      try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true,
                                              attributes: [.posixPermissions: 0o700])
    } catch {
      throw failure("cannot create the state folder: \(error.localizedDescription) (choose another with --state-dir)")
    }
  }

  /// `sockaddr_un.sun_path` holds 108 bytes including the terminating NUL.
  private func checkSocketPathLength() throws(RedisError) {
    let length = socketPath.utf8.count
    if length > 107 {
      throw failure("the socket path \(socketPath) is \(length) bytes, more than unix sockets allow (107): "
        + "use a shorter --state-dir")
    }
  }

  private func failure(_ message: String) -> RedisError {
    let tail = logTail()
    return RedisError(.embeddedServer, message: "embedded Redis in \(stateDirectory): \(message)"
      + (tail.isEmpty ? "" : "\nlast lines of \(logFile):\n\(tail)"))
  }

  private func logTail(lines: Int = 8) -> String {
    guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
    return text.split(whereSeparator: \.isNewline).suffix(lines).joined(separator: "\n")
  }
}

/// An exclusive `flock` on a file in the state folder, held while starting or
/// stopping the embedded server.
private struct StateLock {
  let descriptor: Int32

  init(path: String) throws(RedisError) {
    descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else {
      throw RedisError(.embeddedServer, message: "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
    }
    while flock(descriptor, LOCK_EX) == -1, errno == EINTR {}
  }

  func release() {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
