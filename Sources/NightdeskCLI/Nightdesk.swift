import ArgumentParser
import Foundation

@main
struct Nightdesk: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nightdesk",
    abstract: "Run large LLM analysis workloads overnight on your own CPUs, queued in Redis.",
    discussion: """
      Desks submit jobs (questions about annual reports, news, social-media dumps) into Redis; workers on any number of GPU-less machines drain them through a continuous-batching Qwen3/Llama engine; the status commands follow the night's progress and the results come out in the morning.

      Commands that use Redis take --redis URL (or NIGHTDESK_REDIS_URL); without either they use an embedded redis-server that nightdesk starts itself on a unix socket in its state folder (.nightdesk/, or --state-dir).

      Settings come from, in this order: a flag; else its environment variable; else the config file (--config PATH, but schedule's --config is its schedules file; else $NIGHTDESK_CONFIG, else nightdesk.yaml in the current folder); else the default. The file (YAML) may set redis, redis_password_file, queue, model, kv_memory, threads, log.format, log.level, metrics.port and metrics.host, each standing for NIGHTDESK_REDIS_URL, NIGHTDESK_REDIS_PASSWORD_FILE, NIGHTDESK_QUEUE, NIGHTDESK_MODEL, NIGHTDESK_KV_MEMORY, NIGHTDESK_THREADS, NIGHTDESK_LOG_FORMAT, NIGHTDESK_LOG_LEVEL, NIGHTDESK_METRICS_PORT and NIGHTDESK_METRICS_HOST.

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
        ServeCommand.self,
      ]),
      CommandGroup(name: "Model tools", subcommands: [
        GenerateCommand.self,
        RunBatchCommand.self,
        TokenizeCommand.self,
        BenchCommand.self,
        ComparePrecisionCommand.self,
        KernelsCommand.self,
        TokenizerBenchCommand.self,
      ]),
      CommandGroup(name: "Admin", subcommands: [
        RedisAdminCommand.self,
        QueueCommand.self,
        ArchiveCommand.self,
        DeskCommand.self,
      ]),
    ]
  )

  /// argument-parser's own main, except that errors thrown while a command runs
  /// are printed as one line (see `CommandFailure.atCommandLine`).
  static func main() async {
    // The config file fills in the environment variables left unset, before any option
    // reads them: flag > environment > file > default.
    let (arguments, configPath) = ConfigFile.extractFlag(Array(CommandLine.arguments.dropFirst()))
    do {
      try ConfigFile.load(path: configPath, environment: ProcessInfo.processInfo.environment)?.apply()
    } catch {
      FileHandle.standardError.write(Data("Error: config file \(error)\n".utf8))
      Foundation.exit(64)
    }
    let command: any ParsableCommand
    do { command = try parseAsRoot(arguments) } catch { exit(withError: error) }
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
