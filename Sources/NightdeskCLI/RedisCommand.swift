import ArgumentParser

struct RedisCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "redis",
    abstract: "Check or stop the Redis that Nightdesk uses.",
    subcommands: []
  )
}
