import ArgumentParser
import NightdeskRedis

/// `--redis URL` and `--state-dir DIR`, shared by every command that talks to Redis
/// (`@OptionGroup var redis: RedisOptions`), so they all choose the server the same
/// way: the flag, else NIGHTDESK_REDIS_URL, else the embedded redis-server.
struct RedisOptions: ParsableArguments {
  @Option(name: .customLong("redis"), help: ArgumentHelp(
    "The Redis to use: redis://[user:password@]host:port/db or unix:///path/to/socket?db=N.",
    discussion: "Default: $NIGHTDESK_REDIS_URL, else an embedded redis-server in the state folder. "
      + "Keep passwords out of command lines with NIGHTDESK_REDIS_PASSWORD or NIGHTDESK_REDIS_PASSWORD_FILE.",
    valueName: "URL"))
  var url: String?

  @Option(name: .customLong("state-dir"), help: ArgumentHelp(
    "The folder of the embedded redis-server (socket, AOF, log).",
    discussion: "Default: .nightdesk in the current directory. Ignored when a Redis URL is given.",
    valueName: "DIR"))
  var stateDirectory: String?

  func target() throws(RedisError) -> RedisTarget {
    try RedisTarget.resolve(url: url, stateDirectory: stateDirectory)
  }

  /// Connects to the chosen Redis, starting the embedded one if needed.
  func connect(clientName: String? = nil) throws(RedisError) -> RedisConnection {
    try target().connect(options: RedisConnection.Options(clientName: clientName))
  }
}
