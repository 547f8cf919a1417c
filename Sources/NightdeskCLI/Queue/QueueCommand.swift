import ArgumentParser
import Foundation
import NightdeskQueue
import NightdeskRequests
import NightdeskRedis
import NightdeskSupport
import NightdeskWorker

/// `nightdesk queue stats` and `nightdesk queue bench`.
struct QueueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue", abstract: "Inspect the queue, or measure its own overhead.",
    subcommands: [QueueStatsCommand.self, QueueBenchCommand.self])
}

struct QueueStatsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats",
    abstract: "Jobs by state, depth per priority, jobs in flight, delayed retries, dead letters, workers and their last heartbeat.",
    usage: "nightdesk queue stats [--json] [<options>]",
    discussion: """
      The same counts a worker serves to Prometheus (`worker --metrics-port`), without \
      Prometheus: `--json` prints {"jobs": {STATE: N}, "queued": {PRIORITY: N}, "in_flight", \
      "delayed", "dead", "workers"}; jobs by state cover the batches Redis still holds. \
      Workers are listed with their last heartbeat. A worker that dies (crash, SIGKILL) \
      loses its jobs to the others once their leases expire.

      Examples:
        nightdesk queue stats
        nightdesk queue stats --queue nightly --json
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    let client = try queue.client("stats")
    var stats = try client.stats()
    stats.jobs = try client.jobCounts()
    if json { printJSON(stats.json) } else { print(QueueStatsText.render(stats)) }
  }
}

/// The queue's overhead with a trivial executor, on a private redis-server with AOF on.
struct QueueBenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure submit and claim+complete throughput with an echo executor (no model), AOF on.",
    usage: "nightdesk queue bench [--jobs <n>] [--json] [<options>]",
    discussion: """
      Starts its own redis-server (AOF on, appendfsync everysec, noeviction) in a temporary \
      folder, so the numbers do not depend on what else is queued; stops it afterwards. \
      Reference points measured on the project machine with RQ 3.0: submit 4,700 jobs/s one by \
      one (12,900/s in bulk), complete 590 jobs/s with one worker.

      Example:
        nightdesk queue bench --jobs 20000 --json
      """)

  @Option(help: ArgumentHelp("Jobs per measurement.", valueName: "n")) var jobs: Int = 20_000
  @Option(help: ArgumentHelp("Jobs submitted one call (one round trip) each, for the one-by-one rate.", valueName: "n")) var singleJobs: Int = 5_000
  @Option(help: ArgumentHelp("Requests the echo executor takes at once.", valueName: "n")) var capacity: Int = 64
  @Flag(name: .customLong("no-affinity"), help: "Claim in queue order (every bench job shares one prefix, so affinity moves each claimed job).")
  var noAffinity = false
  @Flag(help: "Print JSON instead of text.") var json = false

  static let rqSubmitOneByOne = 4_677.0
  static let rqSubmitBulk = 12_853.0
  static let rqComplete = 587.0

  func run() async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nd-qbench-\(getpid())").path
    let server = EmbeddedRedis(stateDirectory: folder)
    _ = try server.start()
    defer {
      _ = try? server.stop()
      try? FileManager.default.removeItem(atPath: folder)
    }
    let keys = try QueueKeys(namespace: "bench")
    let client = QueueClient(redis: try RedisConnection(url: server.url), keys: keys)
    let spec = JobSpec(requests: [ChatRequest(customID: "x", messages: [.system("bench"), .user("ping")], sampling: .greedy)],
                       desk: "bench")

    // One job per call: a round trip and a script per job, as a producer that submits as work arrives.
    var clock = ContinuousClock.now
    for _ in 0..<singleJobs { _ = try client.submit([spec]) }
    let singleSeconds = seconds(ContinuousClock.now - clock)
    // Bulk: one batch, scripts of 128 jobs, 8 scripts per round trip.
    clock = ContinuousClock.now
    let receipt = try client.submit(Array(repeating: spec, count: jobs))
    let bulkSeconds = seconds(ContinuousClock.now - clock)
    guard receipt.queuedCount == jobs else { throw ValidationError("only \(receipt.queuedCount) of \(jobs) jobs were queued") }

    // One worker drains all of it (the single-submitted jobs too).
    let total = jobs + singleJobs
    var configuration = WorkerConfiguration(redisURL: server.url, keys: keys, workerID: "bench", pollInterval: .milliseconds(5),
                                            prefetch: capacity, drain: true)
    configuration.affinity = !noAffinity
    let worker = Worker(configuration: configuration, executor: EchoExecutor(capacity: capacity))
    clock = ContinuousClock.now
    let summary = try await worker.run()
    let drainSeconds = seconds(ContinuousClock.now - clock)
    guard summary.succeeded == total else { throw ValidationError("the worker finished \(summary.succeeded) of \(total) jobs") }

    let single = Double(singleJobs) / singleSeconds
    let bulk = Double(jobs) / bulkSeconds
    let complete = Double(total) / drainSeconds
    let report: JSONValue = [
      "jobs": .int(Int64(jobs)), "single_jobs": .int(Int64(singleJobs)), "aof": "everysec", "affinity": .bool(!noAffinity),
      "submit_one_by_one_per_s": .double(single.rounded()), "submit_bulk_per_s": .double(bulk.rounded()),
      "claim_complete_per_s": .double(complete.rounded()),
      "vs_rq_submit_one_by_one": .double((single / Self.rqSubmitOneByOne * 100).rounded() / 100),
      "vs_rq_submit_bulk": .double((bulk / Self.rqSubmitBulk * 100).rounded() / 100),
      "vs_rq_complete": .double((complete / Self.rqComplete * 100).rounded() / 100),
    ]
    if json {
      printJSON(report)
    } else {
      print(String(format: "submit, one job per call: %8.0f jobs/s  (%.1fx RQ's %.0f/s one by one)", single,
                   single / Self.rqSubmitOneByOne, Self.rqSubmitOneByOne))
      print(String(format: "submit, bulk:             %8.0f jobs/s  (%.1fx RQ's %.0f/s enqueue_many)", bulk,
                   bulk / Self.rqSubmitBulk, Self.rqSubmitBulk))
      print(String(format: "claim+complete, 1 worker: %8.0f jobs/s  (%.1fx RQ's %.0f/s SimpleWorker)", complete,
                   complete / Self.rqComplete, Self.rqComplete))
    }
  }

  private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
  }
}

/// `nightdesk bench queue`: the name issue 5 gives the queue benchmark, the same
/// command as `nightdesk queue bench`.
struct BenchQueueCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue",
    abstract: "The queue's own overhead: the same as `nightdesk queue bench`.",
    usage: "nightdesk bench queue [--jobs <n>] [--json] [<options>]",
    discussion: QueueBenchCommand.configuration.discussion)

  @OptionGroup var bench: QueueBenchCommand

  func run() async throws { try await bench.run() }
}
