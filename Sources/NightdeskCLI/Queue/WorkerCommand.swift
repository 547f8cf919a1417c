import ArgumentParser
import Dispatch
import Foundation
import Logging
import NightdeskModel
import NightdeskQueue
import NightdeskRedis
import NightdeskServer
import NightdeskSupport
import NightdeskWorker

/// `nightdesk worker --model PATH`: drains the queue through the engine.
struct WorkerCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Run queued jobs through the engine until stopped (--drain: until none are left).",
    discussion: """
      Claims jobs as engine capacity frees up, renews their leases from a thread of its own, \
      writes progress at most once a second per job, retries failures with exponential \
      backoff and jitter, and dead-letters a job after its last attempt. Any number of \
      workers on any number of machines can share one Redis.

      SIGTERM or SIGINT: stop claiming, let running jobs finish within --grace seconds, give \
      the rest back to the queue. A second signal gives everything back at once.

      Needs --model (a .gguf file or a Hugging Face folder), or --echo to test the queue \
      alone. Refuses a Redis whose maxmemory-policy could evict queue keys.

      Logs go to stderr through swift-log, one line per event, each with the worker id and, \
      for a job, its job and batch ids; a finished attempt gets one `job finished` line \
      (state, tokens, seconds, prefix tokens reused). --metrics-port serves /metrics \
      (Prometheus) and /health (200, or 503 with the reason: model loading, Redis lost).

      Settings: a flag, else its environment variable, else the config file (--config PATH, \
      $NIGHTDESK_CONFIG or ./nightdesk.yaml: redis, queue, model, kv_memory, threads, log.*, \
      metrics.*), else the default.

      Examples:
        nightdesk worker --model models/SmolLM2-135M-Instruct.Q4_1.gguf
        nightdesk worker --config /etc/nightdesk/nightdesk.yaml \\
            --log-format json --metrics-port 9464
        nightdesk worker --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --drain --grace 60 --kv-memory 2GiB
        nightdesk worker --echo --drain   # echo answers: the queue alone
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Option(help: ArgumentHelp("A .gguf file or a Hugging Face model folder (default: $NIGHTDESK_MODEL).", valueName: "path"))
  var model: String?
  @Flag(help: "Answer every request with an echo instead of a model (tests and benchmarks of the queue alone).")
  var echo = false
  @Option(help: .hidden) var echoDelay: Double = 0
  @Flag(help: "Exit with status 0 once the queue is empty and nothing is in flight.") var drain = false
  @Option(help: ArgumentHelp("Seconds running jobs get to finish after SIGTERM/SIGINT before they go back to the queue.", valueName: "seconds"))
  var grace: Double = 30
  @Option(help: ArgumentHelp("Seconds a claimed job stays this worker's without a renewal.", valueName: "seconds")) var lease: Double = 30
  @Option(help: ArgumentHelp("Jobs claimed ahead of free capacity.", valueName: "n")) var prefetch: Int = 4
  @Option(help: ArgumentHelp("Seconds of the first retry's backoff (doubling per attempt, at most 5 minutes).", valueName: "seconds")) var backoff: Double = 2
  @Option(help: ArgumentHelp("How long finished jobs and their results stay in Redis (e.g. 36h, 7d).", valueName: "duration"))
  var retention: String = "7d"
  @Flag(name: .customLong("no-affinity"), help: "Take jobs in queue order, ignoring which prefixes this worker holds warm (for comparisons).")
  var noAffinity = false
  @Option(name: .customLong("types-dir"), help: ArgumentHelp(
    "Where a synthesis job's job type is found by name when its file (recorded at submit) is not on this machine.",
    valueName: "dir"))
  var typesDirectory = "Jobs/types"
  @Option(help: ArgumentHelp("This worker's name in `queue stats` (default host-pid-random).", valueName: "name")) var workerID: String?
  @Option(help: ArgumentHelp("Compute threads for the model (default: NIGHTDESK_THREADS, else all cores).", valueName: "n")) var threads: Int?
  @Flag(help: "At exit, print the worker's summary as one JSON object.") var json = false
  @OptionGroup(title: "Engine") var engine: EngineOptions
  @OptionGroup(title: "Precision") var precision: ActivationOptions
  @OptionGroup(title: "Logs") var logging: LoggingOptions
  @OptionGroup(title: "Metrics and health") var metrics: MetricsOptions
  @Flag(help: "Run the shell commands batches name with `submit --on-complete` (URLs are always sent); only where every producer is trusted.")
  var allowOnCompleteCommands = false
  @OptionGroup(title: "Archive") var archive: ArchiveOptions

  func validate() throws {
    guard echo != (modelPath != nil) else {
      throw ValidationError("give --model PATH or set NIGHTDESK_MODEL (or --echo to test the queue alone)")
    }
    _ = try parseDuration(retention, option: "--retention")
    // A day at most each: larger values are typos, and would overflow their milliseconds.
    guard (0...86400).contains(grace), (1...86400).contains(lease), backoff > 0, backoff <= 86400,
      (0...4096).contains(prefetch)
    else {
      throw ValidationError("--grace must be in 0...86400 s, --lease in 1...86400 s, --backoff in (0, 86400] s "
                            + "and --prefetch in 0...4096")
    }
  }

  func run() async throws {
    // A wrong --archive fails before a model of gigabytes is loaded.
    let resultArchive = try archive.open(create: true)
    // The model is opened (its metadata read, its config checked) before Redis is
    // reached, and its weights are loaded after: a wrong --model fails at once.
    let name = workerID ?? WorkerConfiguration.defaultWorkerID()
    var logger = try logging.logger("nightdesk.worker")
    logger[metadataKey: "worker"] = "\(name)"
    let health = WorkerHealth()
    let metricsServer = try await metrics.start(health: { health.problems }, logger: logger)
    let served = try modelPath.map { try ServedModel.open($0, threads: threads, activations: precision.activations) }
    let target = try queue.redis.target()
    let url = try target.prepare()
    // An unreachable Redis is reported before a model of gigabytes is loaded.
    _ = try target.connect(options: RedisConnection.Options(clientName: "nightdesk-worker")).ping()
    let executor: any JobExecutor = echo ? EchoExecutor(capacity: engine.maxSequences, delay: .milliseconds(Int(echoDelay * 1000))) : try makeEngineExecutor(served)
    health.modelReady()
    var configuration = WorkerConfiguration(
      redisURL: url, keys: try queue.keys, lease: .milliseconds(Int(lease * 1000)),
      renewInterval: .milliseconds(Int(min(1, lease / 4) * 1000)), prefetch: prefetch, drain: drain,
      grace: .milliseconds(Int(grace * 1000)), backoff: Backoff(base: .milliseconds(Int(backoff * 1000))))
    configuration.workerID = name
    configuration.allowCompletionCommands = allowOnCompleteCommands
    configuration.retentionSeconds = max(1, Int(try parseDuration(retention, option: "--retention").rounded(.up)))
    configuration.affinity = !noAffinity
    configuration.jobTypesFolder = typesDirectory
    configuration.archive = resultArchive
    if !echo { configuration.advertised = ["kernels": KernelLevel.active.name] }
    if metricsServer != nil {
      configuration.queueMetricsInterval = .seconds(5)
      if let engineExecutor = executor as? EngineExecutor { EngineMetrics.observe(engineExecutor.engine) }
      if !echo { recordKernelLevel() }
    }
    if let served, let engineExecutor = executor as? EngineExecutor, let modelPath {
      registerModel(served, path: modelPath, identity: engineExecutor.identity, worker: configuration.workerID, logger: logger)
    }
    let worker = Worker(configuration: configuration, executor: executor, logger: logger)
    health.attach(worker)
    let signals = onStopSignals { [logger] number in
      logger.notice("stopping (signal \(number)); a second signal gives everything back now")
      worker.requestStop()
    }
    let kernels = echo ? "" : ", kernels \(KernelLevel.active.name) on \(KernelLevel.cpuName)"
    logger.info("""
      worker \(configuration.workerID): \(executor.identity.model), capacity \(executor.capacity) requests, \
      queue \(configuration.keys.namespace), Redis \(target)\(kernels)
      """)
    let started = ContinuousClock.now
    let summary = try await worker.run()
    let wall = ContinuousClock.now - started
    for source in signals { source.cancel() }
    await metricsServer?.stop()
    // How busy the engine was over the run (its idle time includes waiting for work at the start and end).
    let engineStatistics = (executor as? EngineExecutor)?.engine.statistics
    if json {
      var report = JSONObject([
        "worker": .string(configuration.workerID), "claimed": .int(Int64(summary.claimed)),
        "succeeded": .int(Int64(summary.succeeded)), "retried": .int(Int64(summary.retried)),
        "dead": .int(Int64(summary.dead)), "failed": .int(Int64(summary.failed)), "fenced": .int(Int64(summary.fenced)),
        "released": .int(Int64(summary.released)), "stopped": .int(Int64(summary.stopped)),
        "wall_s": .double(Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18),
      ])
      if let engineStatistics {
        report["engine_busy_s"] = .double(engineStatistics.busySeconds)
        report["engine_idle_s"] = .double(engineStatistics.idleSeconds)
        report["prefix_reused_tokens"] = .int(Int64(engineStatistics.prefixReusedTokens))
      }
      printJSON(.object(report))
    } else {
      if let engineStatistics {
        let line = String(
          format: "engine: busy %.1fs, idle %.1fs between steps; %d prompt tokens (%d reused from the prefix cache), %d generated",
          engineStatistics.busySeconds, engineStatistics.idleSeconds, engineStatistics.promptTokens,
          engineStatistics.prefixReusedTokens, engineStatistics.generatedTokens)
        logger.info("\(line)")
      }
      logger.info("""
        worker \(configuration.workerID) exits: \(summary.succeeded) succeeded, \(summary.retried) retried, \
        \(summary.dead) dead, \(summary.failed) failed, \(summary.released) given back
        """)
    }
  }

  /// `--model`, else `NIGHTDESK_MODEL` (ignored with `--echo`).
  private var modelPath: String? {
    if echo || model != nil { return model }
    return FlagOrEnvironment.text(nil, "NIGHTDESK_MODEL")
  }

  /// Tells the queue which model this worker serves, its context and tokenizer, so that
  /// `submit` can refuse a request too long for it before the night. A refusal by Redis
  /// only costs that check (the worker still fails such a request itself), so it warns.
  private func registerModel(_ served: ServedModel, path: String, identity: ExecutorIdentity, worker: String, logger: Logger) {
    let registration = ModelRegistration(
      digest: identity.modelDigest, name: served.package.name,
      contextLength: engine.maxContext ?? served.config.maxPositions,
      tokenizerDigest: ContextFit.tokenizerDigest(served),
      path: URL(fileURLWithPath: path).standardizedFileURL.path, worker: worker)
    do {
      try queue.client("worker-register").register(model: registration)
    } catch {
      logger.warning("could not register the model for submit's context check: \(error)")
    }
  }

  private func makeEngineExecutor(_ served: ServedModel?) throws -> EngineExecutor {
    guard let served else { throw ValidationError("give --model PATH (or --echo to test the queue alone)") }
    return try EngineExecutor.serving(served) { stopTokens in
      try engine.configuration(eosTokenIDs: stopTokens, modelContext: served.config.maxPositions, activations: served.activations)
    }
  }
}
