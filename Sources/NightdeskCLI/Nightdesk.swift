import ArgumentParser

@main
struct Nightdesk: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nightdesk",
    abstract: "Run large LLM analysis workloads overnight on your own CPUs, queued in Redis.",
    discussion: """
      Producers submit jobs (annual reports, news, social-media dumps) into Redis; workers on \
      any number of GPU-less machines drain them through a continuous-batching Qwen3/Llama \
      engine; the status commands follow the night's progress.

      With no --redis URL and no NIGHTDESK_REDIS_URL, commands use an embedded redis-server \
      that nightdesk starts itself on a unix socket in its state folder (.nightdesk/, or \
      --state-dir).

      Examples:
        nightdesk redis ping          # start (or reuse) the embedded Redis, PING it
        nightdesk redis ping --redis redis://db.internal:6379/2
        nightdesk redis stop          # stop the embedded Redis
      """,
    subcommands: [
      RedisAdminCommand.self,
      SubmitCommand.self,
      StatusCommand.self,
      ListCommand.self,
      WatchCommand.self,
      ResultsCommand.self,
      CancelCommand.self,
      RetryCommand.self,
      WorkerCommand.self,
      QueueCommand.self,
      TokenizeCommand.self,
      TokenizerBenchCommand.self,
      GenerateCommand.self,
      BenchCommand.self,
    ]
  )
}
