import Foundation
import NightdeskRedis
import NightdeskTestSupport
import Testing

/// The embedded default, through the same calls `nightdesk redis ping/stop` make:
/// `RedisTarget.resolve` (no flag, no NIGHTDESK_REDIS_URL), `connect`, `EmbeddedRedis.stop`.
@Suite("Embedded redis-server")
struct EmbeddedRedisTests {
  @Test func startsReusesAndStopsInItsStateFolder() throws {
    let folder = try shortTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let stateDirectory = folder + "/state"
    let target = try RedisTarget.resolve(url: nil, stateDirectory: stateDirectory, environment: [:])
    guard case .embedded(let embedded) = target else {
      Issue.record("no URL given, yet the target is \(target)")
      return
    }
    #expect(!embedded.isRunning)

    let first = try target.connect()
    #expect(try first.ping() == "PONG")
    try first.command("SET", "kept", "across restarts")
    let pid = try #require(embedded.runningPID())
    let config = try String(contentsOfFile: embedded.configFile, encoding: .utf8)
    for setting in ["port 0", "appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"] {
      #expect(config.contains(setting), "redis.conf lacks '\(setting)'")
    }
    // The running server really has those settings.
    #expect(try first.command("CONFIG", "GET", "maxmemory-policy").array?.last?.string == "noeviction")
    #expect(try first.command("CONFIG", "GET", "appendonly").array?.last?.string == "yes")

    // Reuse: a second start finds the same process.
    #expect(try embedded.start() == .alreadyRunning)
    #expect(embedded.runningPID() == pid)

    #expect(try embedded.stop() == .stopped)
    #expect(!embedded.isRunning)
    #expect(!RedisServerExecutable.isAlive(pid))
    #expect(try embedded.stop() == .notRunning)
    #expect(throws: RedisError.self) { try first.ping() }

    // Started again, the AOF brings the data back.
    #expect(try embedded.start() == .started)
    let second = try target.connect()
    #expect(try second.command("GET", "kept").string == "across restarts")
    #expect(try embedded.stop() == .stopped)
  }

  /// Two commands racing to start the same folder's server start it once.
  @Test func concurrentStartsStartOneServer() throws {
    let folder = try shortTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let embedded = EmbeddedRedis(stateDirectory: folder)
    defer { _ = try? embedded.stop() }
    let outcomes = Outcomes()
    let group = DispatchGroup()
    for _ in 0..<3 {
      DispatchQueue.global().async(group: group) {
        let outcome = try? embedded.start()
        outcomes.append(outcome)
      }
    }
    group.wait()
    #expect(outcomes.sorted == ["alreadyRunning", "alreadyRunning", "started"])
  }

  /// After a crash (SIGKILL) the socket and pidfile are stale; start replaces them.
  @Test func startsAgainAfterACrash() throws {
    let folder = try shortTemporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let embedded = EmbeddedRedis(stateDirectory: folder)
    defer { _ = try? embedded.stop() }
    try embedded.start()
    let pid = try #require(embedded.runningPID())
    kill(pid, SIGKILL)
    while RedisServerExecutable.isAlive(pid) { usleep(5_000) }
    #expect(FileManager.default.fileExists(atPath: embedded.socketPath))
    #expect(!embedded.isRunning)
    // A launcher that returns before the server is up (as a loaded machine makes any
    // daemonizing redis-server do): start must wait for the new server instead of
    // taking the dead one's pid, still in the stale pidfile, for a failed start.
    let slow = try Self.slowLauncher(in: folder)
    #expect(try embedded.start(executable: slow) == .started)
    #expect(embedded.runningPID() != pid)
    #expect(try RedisConnection(url: embedded.url).ping() == "PONG")
  }

  @Test func missingRedisServerSaysHowToInstallIt() {
    do {
      _ = try RedisServerExecutable.locate(environment: ["PATH": "/nonexistent"])
      Issue.record("found a redis-server in /nonexistent")
    } catch {
      #expect(error.kind == .serverNotFound)
      #expect(error.message.contains("apt-get install redis-server"))
    }
  }

  @Test func overlongSocketPathIsRefusedClearly() throws {
    let embedded = EmbeddedRedis(stateDirectory: "/tmp/" + String(repeating: "d", count: 120))
    do {
      try embedded.start()
      Issue.record("started with a socket path over 107 bytes")
    } catch {
      #expect(error.kind == .embeddedServer)
      #expect(error.message.contains("--state-dir"))
    }
  }

  /// A script that exits at once and starts the real redis-server half a second later.
  private static func slowLauncher(in folder: String) throws -> RedisServerExecutable {
    let real = try RedisServerExecutable.locate()
    let script = folder + "/slow-redis-server"
    try "#!/bin/sh\n(sleep 0.5; exec '\(real.path)' \"$@\") >/dev/null 2>&1 &\n"
      .write(toFile: script, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    return RedisServerExecutable(path: script)
  }

  private func shortTemporaryFolder() throws -> String {
    let path = "/tmp/nd-embed-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// Start outcomes collected from several threads; `@unchecked Sendable` is safe because
/// every access holds `lock`.
private final class Outcomes: @unchecked Sendable {
  private let lock = NSLock()
  private var values: [String] = []

  func append(_ outcome: EmbeddedRedis.StartOutcome?) {
    lock.lock()
    defer { lock.unlock() }
    values.append(outcome.map { "\($0)" } ?? "failed")
  }

  var sorted: [String] {
    lock.lock()
    defer { lock.unlock() }
    return values.sorted()
  }
}
