import ArgumentParser
import Foundation
import Logging
import NightdeskArchive
import NightdeskQueue
import NightdeskSupport

/// `nightdesk archive [BATCH...] --archive PATH`: copies batches from Redis into the archive now.
struct ArchiveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "archive",
    abstract: "Copy finished jobs and batch summaries from Redis into the result archive now.",
    usage: "nightdesk archive [<batch> ...] --archive <path> [--json] [<options>]",
    discussion: """
      A worker started with --archive PATH copies every job it finishes, and a batch \
      whole when its last job ends; this command does the same for batches finished \
      before the archive was switched on, or ended by `cancel` (no worker finished them). \
      Without a batch, every batch Redis still holds is copied. Copies are keyed by job id: \
      running it twice keeps one copy of each job and result.

      With --every, it keeps doing so (a small archive daemon beside the file, for workers \
      on many machines): each pass copies the finished jobs of the batches the archive does \
      not yet hold finished as they stand; SIGTERM stops it (a pass is one transaction, never half written). \
      As a daemon it logs through swift-log (--log-format text|json, --log-level): a line per \
      batch copied (batch, jobs) and per pass (the archive's totals), a warning when a pass fails.

      Examples:
        nightdesk archive --archive /var/lib/nightdesk/archive.sqlite
        nightdesk archive b1kz3x9q2abcd --archive night.sqlite --json
        nightdesk archive --archive /var/lib/nightdesk/archive.sqlite --every 5m
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @OptionGroup(title: "Archive") var archive: ArchiveOptions
  @Argument(help: ArgumentHelp("Batch ids (default: every batch Redis holds).", valueName: "batch")) var batches: [String] = []
  @Flag(help: "Print {\"batches\": N, \"jobs\": N, \"results\": N} (the archive's totals for this queue).") var json = false
  @Option(help: ArgumentHelp("Copy again after this long, until stopped (e.g. 60s, 5m): the archive as a daemon.",
                             valueName: "duration"))
  var every: String?
  @OptionGroup(title: "Logs (with --every)") var logging: LoggingOptions

  func validate() throws {
    if let every { _ = try parseDuration(every, option: "--every") }
    if every != nil, !batches.isEmpty { throw ValidationError("--every copies every batch; name none") }
  }

  func run() throws {
    guard let store = try archive.open(create: true) else {
      throw CommandFailure("give --archive PATH (or set NIGHTDESK_ARCHIVE): the archive to copy into")
    }
    let client = try queue.client("archive")
    guard let every else { return try pass(store, client, logger: nil) }
    let logger = try logging.logger("nightdesk.archive")
    let interval = try parseDuration(every, option: "--every")
    // A parent may have started us with SIGTERM and SIGINT blocked (they are inherited):
    // a daemon must stop on them, and their default action does, between passes or in one
    // (a pass is one transaction, so SQLite keeps it whole or not at all).
    var stopSignals = sigset_t()
    sigemptyset(&stopSignals)
    sigaddset(&stopSignals, SIGTERM)
    sigaddset(&stopSignals, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    while true {
      do { try pass(store, client, logger: logger) } catch {
        // A daemon rides out a Redis or disk outage: the next pass copies what this one missed.
        logger.warning("this pass failed, trying again in \(every): \(error)", metadata: ["error": "\(error)"])
      }
      Thread.sleep(forTimeInterval: interval)
    }
  }

  /// Copies the named batches (all of them by default) and prints what the archive holds
  /// (the daemon logs it, through `logger`).
  private func pass(_ store: ResultArchive, _ client: QueueClient, logger: Logger?) throws {
    let namespace = client.keys.namespace
    let chosen = batches.isEmpty ? try client.recentBatches(limit: Int.max) : batches
    for batch in chosen {
      // A sweep of every batch skips those already kept whole and unchanged since (no retry);
      // a named batch is copied again.
      if batches.isEmpty {
        let counters = try client.batchHash(batch)
        if try archived({ try store.holdsFinished(queue: namespace, batch: batch, counters: counters) }) { continue }
      }
      let ids = try client.jobIDs(ofBatch: batch)
      guard !ids.isEmpty else { throw CommandFailure("no batch '\(batch)' in queue '\(namespace)'") }
      try archived { try store.archive(jobs: ids, from: client) }
      if let logger {
        logger.info("batch copied where finished", metadata: ["batch": "\(batch)", "jobs": .stringConvertible(ids.count)])
      } else if !json {
        print("\(batch): \(ids.count) job(s) copied where finished")
      }
    }
    let counts = try archived { try store.counts(queue: namespace) }
    if let logger {
      logger.info("archive pass done", metadata: [
        "archive": "\(store.path)", "queue": "\(namespace)", "batches": .stringConvertible(counts.batches),
        "jobs": .stringConvertible(counts.jobs), "results": .stringConvertible(counts.results),
      ])
    } else if json {
      printJSON(["batches": .int(Int64(counts.batches)), "jobs": .int(Int64(counts.jobs)), "results": .int(Int64(counts.results))])
    } else {
      print("\(store.path): \(counts.batches) batch(es), \(counts.jobs) job(s), \(counts.results) result(s) of queue \(client.keys.namespace)")
    }
  }
}

