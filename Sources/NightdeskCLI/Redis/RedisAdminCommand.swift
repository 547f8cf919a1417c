import ArgumentParser
import NightdeskRedis

/// `nightdesk redis ...`: check, start or stop the Redis that Nightdesk uses.
struct RedisAdminCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "redis",
    abstract: "Check, start or stop the Redis that Nightdesk uses.",
    discussion: """
      Every nightdesk command that needs Redis picks it the same way: --redis URL, else \
      NIGHTDESK_REDIS_URL, else an embedded redis-server that nightdesk runs itself on a \
      unix socket in its state folder (.nightdesk/ in the current directory, or \
      --state-dir), with AOF persistence (appendfsync everysec) and maxmemory-policy \
      noeviction. The embedded server starts on first use and keeps running for later \
      commands until `nightdesk redis stop`.

      A URL without a password takes it from NIGHTDESK_REDIS_PASSWORD, or from the file \
      named by NIGHTDESK_REDIS_PASSWORD_FILE, so it stays out of shell history.

      Examples:
        nightdesk redis ping                # embedded: start or reuse, then PING
        nightdesk redis ping --redis redis://db.internal:6379/2
        nightdesk redis ping --redis unix:///run/redis/redis.sock?db=1
        NIGHTDESK_REDIS_PASSWORD_FILE=~/.nd-pw nightdesk redis ping \\
            --redis redis://desk@db.internal:6379/0
        nightdesk redis stop --state-dir /srv/nightdesk
      """,
    subcommands: [RedisPingCommand.self, RedisStartCommand.self, RedisStopCommand.self]
  )
}

struct RedisPingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ping",
    abstract: "PING the Redis (starting the embedded one if needed); print where it is and its version.",
    discussion: """
      Exits with status 0 and prints PONG when Redis answers; otherwise prints what went \
      wrong (cannot connect, authentication failed, timeout, ...) and exits with status 1.
      """)

  @OptionGroup(title: "Redis") var redis: RedisOptions

  func run() throws {
    let target = try redis.target()
    var startNote = ""
    if case .embedded(let embedded) = target {
      startNote = try embedded.start() == .started ? " (started now)" : " (already running)"
    }
    let connection = try target.connect(options: RedisConnection.Options(clientName: "nightdesk-ping"))
    let answer = try connection.ping()
    let version = try connection.serverVersion()
    print(answer)
    print("  redis:   \(target)\(startNote)")
    print("  version: Redis \(version)")
  }
}

struct RedisStartCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "start",
    abstract: "Start the embedded redis-server (or find it already running).",
    discussion: "Other commands start it on demand; this is for starting it ahead of time.")

  @OptionGroup(title: "Redis") var state: StateDirectoryOption

  func run() throws {
    let embedded = state.embedded
    let outcome = try embedded.start()
    print(outcome == .started ? "started" : "already running", "embedded redis-server at \(embedded.socketPath)")
  }
}

struct RedisStopCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stop",
    abstract: "Stop the embedded redis-server (SHUTDOWN: the AOF is flushed first).",
    discussion: "Only the embedded server is ever stopped: an external Redis (--redis URL) is left alone.")

  @OptionGroup(title: "Redis") var state: StateDirectoryOption

  func run() throws {
    let embedded = state.embedded
    switch try embedded.stop() {
    case .stopped: print("stopped the embedded redis-server at \(embedded.socketPath)")
    case .notRunning: print("no embedded redis-server running in \(embedded.stateDirectory)")
    }
  }
}
