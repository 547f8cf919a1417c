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
    valueName: "url"))
  var url: String?

  @OptionGroup var state: StateDirectoryOption

  func target() throws(RedisError) -> RedisTarget {
    try RedisTarget.resolve(url: url, stateDirectory: state.stateDirectory)
  }

  /// Connects to the chosen Redis, starting the embedded one if needed.
  func connect(clientName: String? = nil) throws(RedisError) -> RedisConnection {
    try target().connect(options: RedisConnection.Options(clientName: clientName))
  }
}

/// `--state-dir DIR`: the embedded redis-server's folder.
struct StateDirectoryOption: ParsableArguments {
  @Option(name: .customLong("state-dir"), help: ArgumentHelp(
    "The embedded redis-server's folder (socket, AOF, log); default .nightdesk in the current directory.",
    discussion: "Unused when a Redis URL is given.",
    valueName: "dir"))
  var stateDirectory: String?

  var embedded: EmbeddedRedis {
    EmbeddedRedis(stateDirectory: stateDirectory ?? RedisTarget.defaultStateDirectory)
  }
}
