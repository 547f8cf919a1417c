import ArgumentParser
import Foundation
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

      Examples:
        nightdesk archive --archive /var/lib/nightdesk/archive.sqlite
        nightdesk archive b1kz3x9q2abcd --archive night.sqlite --json
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @OptionGroup(title: "Archive") var archive: ArchiveOptions
  @Argument(help: ArgumentHelp("Batch ids (default: every batch Redis holds).", valueName: "batch")) var batches: [String] = []
  @Flag(help: "Print {\"batches\": N, \"jobs\": N, \"results\": N} (the archive's totals for this queue).") var json = false

  func run() throws {
    guard let store = try archive.open(create: true) else {
      throw CommandFailure("give --archive PATH (or set NIGHTDESK_ARCHIVE): the archive to copy into")
    }
    let client = try queue.client("archive")
    let chosen = batches.isEmpty ? try client.recentBatches(limit: Int.max) : batches
    for batch in chosen {
      let ids = try client.jobIDs(ofBatch: batch)
      guard !ids.isEmpty else { throw CommandFailure("no batch '\(batch)' in queue '\(client.keys.namespace)'") }
      do { try store.archive(jobs: ids, from: client) } catch { throw CommandFailure("--archive: \(error)") }
      if !json { print("\(batch): \(ids.count) job(s) copied where finished") }
    }
    let counts: (jobs: Int, results: Int, batches: Int)
    do { counts = try store.counts(queue: client.keys.namespace) } catch { throw CommandFailure("--archive: \(error)") }
    if json {
      printJSON(["batches": .int(Int64(counts.batches)), "jobs": .int(Int64(counts.jobs)), "results": .int(Int64(counts.results))])
    } else {
      print("\(store.path): \(counts.batches) batch(es), \(counts.jobs) job(s), \(counts.results) result(s) of queue \(client.keys.namespace)")
    }
  }
}
