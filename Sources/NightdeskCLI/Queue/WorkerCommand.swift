import ArgumentParser
import Dispatch
import Foundation
import NightdeskModel
import NightdeskQueue
import NightdeskRedis
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

      Examples:
        nightdesk worker --model models/SmolLM2-135M-Instruct.Q4_1.gguf
        nightdesk worker --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --drain --grace 60 --kv-memory 2GiB
        nightdesk worker --echo --drain   # echo answers: the queue alone
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Option(help: ArgumentHelp("A .gguf file or a Hugging Face model folder.", valueName: "path")) var model: String?
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

  func validate() throws {
    guard echo != (model != nil) else { throw ValidationError("give --model PATH (or --echo to test the queue alone)") }
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
    // The model is opened (its metadata read, its config checked) before Redis is
    // reached, and its weights are loaded after: a wrong --model fails at once.
    let served = try model.map { try ServedModel.open($0, threads: threads, activations: precision.activations) }
    let target = try queue.redis.target()
    let url = try target.prepare()
    // An unreachable Redis is reported before a model of gigabytes is loaded.
    _ = try target.connect(options: RedisConnection.Options(clientName: "nightdesk-worker")).ping()
    let executor: any JobExecutor = echo ? EchoExecutor(capacity: engine.maxSequences, delay: .milliseconds(Int(echoDelay * 1000))) : try makeEngineExecutor(served)
    var configuration = WorkerConfiguration(
      redisURL: url, keys: try queue.keys, lease: .milliseconds(Int(lease * 1000)),
      renewInterval: .milliseconds(Int(min(1, lease / 4) * 1000)), prefetch: prefetch, drain: drain,
      grace: .milliseconds(Int(grace * 1000)), backoff: Backoff(base: .milliseconds(Int(backoff * 1000))))
    if let workerID { configuration.workerID = workerID }
    configuration.retentionSeconds = max(1, Int(try parseDuration(retention, option: "--retention").rounded(.up)))
    configuration.affinity = !noAffinity
    configuration.jobTypesFolder = typesDirectory
    let worker = Worker(configuration: configuration, executor: executor) { message in
      FileHandle.standardError.write(Data("worker: \(message)\n".utf8))
    }
    if let served, let model, let engineExecutor = executor as? EngineExecutor {
      registerModel(served, path: model, identity: engineExecutor.identity, worker: configuration.workerID)
    }
    let signals = onStopSignals { number in
      FileHandle.standardError.write(Data("worker: stopping (signal \(number)); a second signal gives everything back now\n".utf8))
      worker.requestStop()
    }
    let kernels = echo ? "" : ", kernels \(KernelLevel.active.name) on \(KernelLevel.cpuName)"
    FileHandle.standardError.write(Data(("worker \(configuration.workerID): \(executor.identity.model), capacity "
      + "\(executor.capacity) requests, queue \(configuration.keys.namespace)\(kernels)\n").utf8))
    let started = ContinuousClock.now
    let summary = try await worker.run()
    let wall = ContinuousClock.now - started
    for source in signals { source.cancel() }
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
        FileHandle.standardError.write(Data(String(
          format: "engine: busy %.1fs, idle %.1fs between steps; %d prompt tokens (%d reused from the prefix cache), %d generated\n",
          engineStatistics.busySeconds, engineStatistics.idleSeconds, engineStatistics.promptTokens,
          engineStatistics.prefixReusedTokens, engineStatistics.generatedTokens).utf8))
      }
      FileHandle.standardError.write(Data(
        ("worker \(configuration.workerID) exits: \(summary.succeeded) succeeded, \(summary.retried) retried, "
         + "\(summary.dead) dead, \(summary.failed) failed, \(summary.released) given back\n").utf8))
    }
  }

  /// Tells the queue which model this worker serves, its context and tokenizer, so that
  /// `submit` can refuse a request too long for it before the night. A refusal by Redis
  /// only costs that check (the worker still fails such a request itself), so it warns.
  private func registerModel(_ served: ServedModel, path: String, identity: ExecutorIdentity, worker: String) {
    let registration = ModelRegistration(
      digest: identity.modelDigest, name: served.package.name, contextLength: served.config.maxPositions,
      tokenizerDigest: ContextFit.tokenizerDigest(served),
      path: URL(fileURLWithPath: path).standardizedFileURL.path, worker: worker)
    do {
      try queue.client("worker-register").register(model: registration)
    } catch {
      FileHandle.standardError.write(Data("worker: could not register the model for submit's context check: \(error)\n".utf8))
    }
  }

  private func makeEngineExecutor(_ served: ServedModel?) throws -> EngineExecutor {
    guard let served else { throw ValidationError("give --model PATH (or --echo to test the queue alone)") }
    return try EngineExecutor.serving(served) { stopTokens in
      try engine.configuration(eosTokenIDs: stopTokens)
    }
  }
}
