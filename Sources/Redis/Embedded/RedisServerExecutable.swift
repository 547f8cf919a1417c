import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `redis-server` program found on PATH, used to run the embedded server and
/// the tests' private servers. Launches it with `posix_spawn` (not Foundation's
/// `Process`) so that callers get a plain pid they can signal and `waitpid` on.
public struct RedisServerExecutable: Sendable, Equatable {
  public let path: String

  public init(path: String) { self.path = path }

  /// Finds `redis-server` on `PATH`, or explains how to install it.
  public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(RedisError) -> RedisServerExecutable {
    let searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for folder in searchPath.split(separator: ":") where !folder.isEmpty {
      let candidate = "\(folder)/redis-server"
      if access(candidate, X_OK) == 0 { return RedisServerExecutable(path: candidate) }
    }
    throw RedisError(.serverNotFound, message: """
      redis-server is not on PATH, and nightdesk needs it for its embedded Redis. \
      Install it (Debian/Ubuntu: sudo apt-get install redis-server, or run Ops/setup), \
      or point nightdesk at an existing Redis with --redis URL or NIGHTDESK_REDIS_URL.
      """)
  }

  /// Starts `redis-server arguments...` with stdin/stdout/stderr on /dev/null (the
  /// server logs to its logfile) and returns its pid; the caller must `waitpid` it.
  public func spawn(_ arguments: [String]) throws(RedisError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for descriptor: Int32 in [0, 1, 2] {
      posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    // The child inherits the spawning thread's signal mask and ignored signals, and
    // libdispatch's worker threads block everything: without a clean slate the server
    // would never see SIGTERM.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let status = argv.withUnsafeBufferPointer { buffer in
      posix_spawn(&pid, path, &actions, &attributes, buffer.baseAddress!, environ)
    }
    guard status == 0 else {
      throw RedisError(.embeddedServer, message: "cannot run \(path): \(String(cString: strerror(status)))")
    }
    return pid
  }

  /// Waits for a child started by `spawn` and returns its exit status (128+signal if killed).
  @discardableResult
  public static func wait(for pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 {
      if errno != EINTR { return -1 }
    }
    let signal = status & 0x7F
    return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
  }

  /// True while `pid` names a live (not zombie) process.
  public static func isAlive(_ pid: pid_t) -> Bool {
    guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
    // A daemon whose parent is a non-reaping PID 1 lingers as a zombie after exit.
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return true }
    return !stat[close...].dropFirst(2).hasPrefix("Z")
  }
}
