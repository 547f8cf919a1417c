import ArgumentParser
import Foundation
import Logging
import NightdeskIngest
import NightdeskObservability
import NightdeskQueue
import NightdeskRedis
import NightdeskSchedule
import NightdeskSupport

/// `nightdesk schedule`: the scheduled news runs of Jobs/schedules.yaml, as a daemon or
/// once (`--once`, for cron and tests). The scheduling is `NightdeskSchedule`'s
/// `ScheduleRunner`; this command loads the file, connects, and handles signals.
struct ScheduleCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schedule",
    abstract: "Queue new articles from folders and feeds on cron schedules (Jobs/schedules.yaml).",
    usage: "nightdesk schedule [--config <file>] [--once] [<options>]",
    discussion: """
      Each entry of the schedules file names a cron expression (minute hour \
      day-of-month month day-of-week, with *, lists, ranges, steps and names; read in \
      the file's timezone, UTC by default), a source (a folder, whose files matching \
      `files` are read each run, or one feed file: news JSONL, RSS or Atom), a job \
      type (Jobs/types/TYPE.yaml) and a desk. An entry is due when it has never run, \
      or when a minute its cron names has come since its last run (a run missed while \
      no scheduler ran is made up once). A due entry queues every article it has not \
      seen, as `submit --type` would (chunk jobs and a synthesis), into one batch per \
      run, and remembers the articles by URL and by content in Redis \
      (nd:{QUEUE}:schedule:ENTRY:seen), so an article re-sent, or the same story in \
      a second file, goes in once. Each article's jobs carry idempotency keys made \
      from its URL or content, so a run cut short (a crash, a kill) is finished by the \
      next one with nothing queued twice.

      Without --once it runs as a daemon: the due entries at start, then every \
      minute. SIGTERM or SIGINT stops it between two articles and it exits 0; an \
      entry stopped halfway stays due and its next run queues the rest. Run one \
      scheduler per queue.

      With --once, every due entry runs once and the command exits: 0 when \
      everything was read and queued, 1 when a file, article or entry had an error \
      (each is printed). --json prints {"entries": [{"entry", "due", "batch", \
      "queued_articles", "queued_jobs", "seen_articles", "already_queued", \
      "errors", "stopped"}]}.

      Logs go to stderr through swift-log (--log-format text|json, --log-level): a line \
      per pass with the entry, its batch and its counts, a line per error, and at debug \
      a line per article with its submission key. --metrics-port serves /metrics \
      (Prometheus: runs, articles queued and skipped as seen, errors and the last run \
      time per entry; the queue's jobs by state) and /health (200 while Redis answers, \
      else 503 with the reason). With --once, only --metrics-port itself starts it (not \
      $NIGHTDESK_METRICS_PORT, which is the daemon's).

      A bad schedules file is refused with the file, line and field: a bad cron \
      field, an unknown job type, a missing source, an unknown key.

      Examples:
        nightdesk schedule --once --config Jobs/schedules.yaml
        nightdesk schedule --config /etc/nightdesk/schedules.yaml --types-dir /etc/nightdesk/job-types
        nightdesk schedule --log-format json --metrics-port 9465
        */10 * * * *  nightdesk schedule --once --config /srv/desk/schedules.yaml   # from cron(8)
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions

  @Option(help: ArgumentHelp("The schedules file (relative sources are read from its folder).", valueName: "file"))
  var config = "Jobs/schedules.yaml"

  @Flag(help: "Run every due entry once and exit (for cron and tests).")
  var once = false

  @Option(name: .customLong("types-dir"), help: ArgumentHelp("Where job types are.", valueName: "dir"))
  var typesDirectory = "Jobs/types"

  @Option(help: ArgumentHelp("The model whose tokens and context articles are chunked by.", valueName: "path"))
  var model: String = TypedSubmission.defaultModel

  @Option(name: .customLong("seen-days"), help: ArgumentHelp(
    "Days an article is remembered as seen (keep it longer than a feed keeps an item).", valueName: "days"))
  var seenDays = 90

  @Flag(help: "With --once: print one JSON object with each entry's run.")
  var json = false

  @OptionGroup(title: "Logs") var logging: LoggingOptions
  @OptionGroup(title: "Metrics and health") var metrics: MetricsOptions

  func validate() throws {
    guard (1...3650).contains(seenDays) else { throw ValidationError("--seen-days must be in 1...3650") }
    if json, !once { throw ValidationError("--json goes with --once") }
  }

  func run() async throws {
    let loaded: ScheduleConfig
    do {
      loaded = try ScheduleConfig.load(path: config, typesFolder: typesDirectory)
    } catch {
      throw CommandFailure("\(error)")
    }
    let logger = try logging.logger("nightdesk.schedule")
    let target = try queue.redis.target()
    let url = try target.prepare()
    let client = try queue.client("schedule")
    // A run of --once from cron serves metrics only when asked on its command line: the
    // port of the environment or config file is the daemon's (or a worker's) to hold.
    let metricsPort = once && metrics.metricsPort == nil ? nil : try metrics.port(ProcessInfo.processInfo.environment)
    let watch = metricsPort == nil ? nil : RedisWatch(url: url, keys: client.keys, name: "nightdesk-schedule-health")
    let metricsServer = try await metrics.start(port: metricsPort, health: { watch?.problems ?? [] }, logger: logger)
    watch?.start()
    defer { watch?.stop() }
    let model = self.model
    nonisolated(unsafe) let runner = ScheduleRunner(
      config: loaded, client: client, seenDays: seenDays,
      makeJobs: { entry in
        do {
          return TypedArticleJobs(
            builder: try TypedJobBuilder(type: entry.type, model: model),
            defaults: JobDefaults(priority: Priority(rawValue: entry.priority) ?? .normal, desk: entry.desk))
        } catch let error as JobTypeBudget.TooSmall {
          throw CommandFailure("\(error)")
        } catch {
          throw CommandFailure("--model \(model): \(error)")
        }
      },
      logger: logger)
    let stop = StopRequest()
    let signals = onStopSignals { number in
      logger.notice("stopping (signal \(number)) after the current article")
      stop.request()
    }
    defer { signals.forEach { $0.cancel() } }
    guard once else {
      logger.info("schedule: \(loaded.entries.count) entr\(loaded.entries.count == 1 ? "y" : "ies") from \(config)",
                  metadata: ["queue": "\(client.keys.namespace)", "redis": "\(target)"])
      // The runner is used by its thread alone from here on.
      try await onOwnThread("nightdesk-schedule") { runner.runUntilStopped(stop: stop) }
      await metricsServer?.stop()
      logger.info("scheduler stopped")
      return
    }
    let reports = try await onOwnThread("nightdesk-schedule") { try runner.runDue(stop: stop) }
    await metricsServer?.stop()
    if json {
      printJSON(["entries": .array(reports.map(\.json))])
    } else {
      for batch in reports.compactMap(\.batch) { print(batch) }
    }
    if reports.contains(where: { !$0.errors.isEmpty }) { throw ExitCode(1) }
  }
}

/// An article's jobs as `submit --type` makes them, with the entry's desk and priority.
private struct TypedArticleJobs: ArticleJobMaker {
  let builder: TypedJobBuilder
  let defaults: JobDefaults

  func jobs(for document: Document, group: String) throws -> [JobSpec] {
    try builder.jobs(for: document, index: 0, group: group, defaults: defaults)
  }
}
