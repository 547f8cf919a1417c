import Foundation
import NightdeskRedis
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private, real `redis-server` for one test or suite: its own unix socket in a
/// fresh temporary folder (and, if asked, a free TCP port on 127.0.0.1), so suites
/// run in parallel without sharing state. Nothing is persisted unless `appendOnly`.
///
/// `kill()` SIGKILLs it (to test lost connections), `restart()` brings it back on the
/// same socket and port, and `stop()` (also run on deinit) ends it and removes the folder.
///
///     let server = try RedisServerProcess()
///     let redis = try RedisConnection(url: server.url)
public final class RedisServerProcess {
  public struct Options: Sendable {
    /// Also listen on a free TCP port on 127.0.0.1.
    public var tcp = false
    /// `requirepass`: the password of the `default` user.
    public var requirePassword: String?
    /// ACL users (`user NAME on >PASSWORD ~* &* +@all`), for `AUTH user password`.
    public var aclUsers: [(name: String, password: String)] = []
    public var appendOnly = false
    /// Extra `redis.conf` lines.
    public var extraConfig: [String] = []

    public init(tcp: Bool = false, requirePassword: String? = nil,
                aclUsers: [(name: String, password: String)] = [], appendOnly: Bool = false,
                extraConfig: [String] = []) {
      self.tcp = tcp
      self.requirePassword = requirePassword
      self.aclUsers = aclUsers
      self.appendOnly = appendOnly
      self.extraConfig = extraConfig
    }
  }

  public let options: Options
  public let directory: URL
  public let socketPath: String
  /// The TCP port when `options.tcp`, else nil.
  public let port: Int?
  private let executable: RedisServerExecutable
  private var pid: pid_t?

  public init(_ options: Options = Options()) throws {
    self.options = options
    self.executable = try RedisServerExecutable.locate()
    // Short names: unix socket paths are limited to 107 bytes.
    directory = URL(fileURLWithPath: "/tmp/nd-redis-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    socketPath = directory.appendingPathComponent("redis.sock").path
    port = options.tcp ? try Self.freePort() : nil
    try writeConfig()
    try start()
  }

  deinit { stop() }

  /// The unix-socket URL, without credentials.
  public var url: RedisURL { .unixSocket(socketPath) }

  /// The TCP URL (`redis://127.0.0.1:PORT/0`); nil unless `options.tcp`.
  public var tcpURL: RedisURL? {
    port.map { RedisURL(endpoint: .tcp(host: "127.0.0.1", port: $0)) }
  }

  public var isRunning: Bool { pid != nil }

  /// SIGKILL, as if the machine lost power; waits until the process is gone.
  public func kill() {
    guard let pid else { return }
    _ = Glibc.kill(pid, SIGKILL)
    RedisServerExecutable.wait(for: pid)
    self.pid = nil
  }

  /// Starts the server again on the same socket and port (after `kill()` or `stop()`).
  public func restart() throws {
    kill()
    try start()
  }

  /// Ends the server and removes its folder.
  public func stop() {
    if let pid {
      _ = Glibc.kill(pid, SIGTERM)
      RedisServerExecutable.wait(for: pid)
      self.pid = nil
    }
    try? FileManager.default.removeItem(at: directory)
  }

  /// The server's log, for failure messages.
  public var log: String {
    (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
  }

  // MARK: - Private

  private func writeConfig() throws {
    var lines = [
      "daemonize no",
      "port \(port ?? 0)",
      "bind 127.0.0.1",
      "unixsocket \(socketPath)",
      "unixsocketperm 700",
      "dir \(directory.path)",
      "logfile \(directory.appendingPathComponent("redis.log").path)",
      "save \"\"",
      "appendonly \(options.appendOnly ? "yes" : "no")",
      "maxmemory-policy noeviction",
    ]
    if let password = options.requirePassword { lines.append("requirepass \(password)") }
    for user in options.aclUsers { lines.append("user \(user.name) on >\(user.password) ~* &* +@all") }
    lines += options.extraConfig
    try (lines.joined(separator: "\n") + "\n")
      .write(to: directory.appendingPathComponent("redis.conf"), atomically: true, encoding: .utf8)
  }

  private func start() throws {
    pid = try executable.spawn([directory.appendingPathComponent("redis.conf").path])
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
      if let pid, !RedisServerExecutable.isAlive(pid) {
        RedisServerExecutable.wait(for: pid)
        self.pid = nil
        throw RedisError(.embeddedServer, message: "test redis-server exited at start:\n\(log)")
      }
      if FileManager.default.fileExists(atPath: socketPath),
         let probe = try? RedisConnection(url: url, options: .init(connectTimeout: .seconds(1))) {
        do {
          try probe.ping()
          return
        } catch where error.kind == .authenticationFailed {
          return  // up, and asking for the password this test configured
        } catch {}  // LOADING or not accepting yet
      }
      usleep(10_000)
    }
    throw RedisError(.embeddedServer, message: "test redis-server did not answer within 10 s:\n\(log)")
  }

  /// A TCP port nobody listens on right now (bind port 0, read it back, close).
  public static func freePort() throws -> Int {
    let socket: (fd: Int32, port: Int)
    do { socket = try LoopbackSocket.bound() } catch {
      throw RedisError(.embeddedServer, message: "cannot find a free TCP port: \(error)")
    }
    close(socket.fd)
    return socket.port
  }
}
