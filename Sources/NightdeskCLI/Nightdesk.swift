import ArgumentParser

@main
struct Nightdesk: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nightdesk",
    abstract: "Run large LLM analysis workloads overnight on your own CPUs, queued in Redis.",
    discussion: """
      Desks submit jobs (questions about annual reports, news, social-media dumps) into Redis; workers on any number of GPU-less machines drain them through a continuous-batching Qwen3/Llama engine; the status commands follow the night's progress and the results come out in the morning.

      Commands that use Redis take --redis URL (or NIGHTDESK_REDIS_URL); without either they use an embedded redis-server that nightdesk starts itself on a unix socket in its state folder (.nightdesk/, or --state-dir).

      A night's run:
        nightdesk submit --openai-batch requests.jsonl   # prints BATCH
        nightdesk worker --model MODEL.gguf --drain      # on every machine
        nightdesk watch BATCH
        nightdesk results BATCH --format markdown
      """,
    version: NightdeskVersion.line,
    groupedSubcommands: [
      CommandGroup(name: "Night's work", subcommands: [
        SubmitCommand.self,
        WorkerCommand.self,
        StatusCommand.self,
        WatchCommand.self,
        ListCommand.self,
        ResultsCommand.self,
        CancelCommand.self,
        RetryCommand.self,
        IngestCommand.self,
        ReportCommand.self,
        ScheduleCommand.self,
      ]),
      CommandGroup(name: "Model tools", subcommands: [
        GenerateCommand.self,
        TokenizeCommand.self,
        BenchCommand.self,
        ComparePrecisionCommand.self,
        KernelsCommand.self,
        TokenizerBenchCommand.self,
      ]),
      CommandGroup(name: "Admin", subcommands: [
        RedisAdminCommand.self,
        QueueCommand.self,
      ]),
    ]
  )

  /// argument-parser's own main, except that errors thrown while a command runs
  /// are printed as one line (see `CommandFailure.atCommandLine`).
  static func main() async {
    let command: any ParsableCommand
    do { command = try parseAsRoot() } catch { exit(withError: error) }
    do {
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        var syncCommand = command
        try syncCommand.run()
      }
    } catch {
      exit(withError: CommandFailure.atCommandLine(error))
    }
  }
}
