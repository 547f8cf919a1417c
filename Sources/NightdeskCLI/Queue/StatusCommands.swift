import ArgumentParser
import Foundation
import NightdeskQueue
import NightdeskSupport

/// `nightdesk status [JOB|BATCH]`.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Where a job or batch stands (no argument: the queue and its recent batches).",
    usage: "nightdesk status [<job-or-batch>] [--json] [<options>]",
    discussion: """
      A batch's --json holds batch, total, queued, delayed, running, succeeded, failed, \
      cancelled, dead, prompt_tokens, generated_tokens (and requests, requests_done, done). \
      Job ids contain a dot (BATCH.N); batch ids do not.

      Examples:
        nightdesk status
        nightdesk status b1kz3x9q2abcd --json
        nightdesk status b1kz3x9q2abcd.17
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @OptionGroup(title: "Archive") var archive: ArchiveOptions
  @Argument(help: ArgumentHelp("A job id (BATCH.N) or a batch id.", valueName: "job-or-batch")) var target: String?
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    let client = try queue.client("status")
    guard let target else {
      let stats = try client.stats()
      let batches = try client.recentBatches(limit: 10).compactMap { try client.batchStatus($0) }
      if json {
        var object = stats.json.objectValue ?? JSONObject()
        object["batches"] = .array(batches.map(\.json))
        printJSON(.object(object))
      } else {
        print(QueueStatsText.render(stats))
        for batch in batches { print(BatchText.line(batch)) }
      }
      return
    }
    if target.contains(".") {
      guard let status = try archive.jobStatus(target, client: client) else { throw notFound("job", target) }
      if json { printJSON(status.json) } else { print(JobText.render(status)) }
    } else {
      guard let status = try archive.batchStatus(target, client: client) else { throw notFound("batch", target) }
      if json { printJSON(status.json) } else { print(BatchText.line(status)) }
    }
  }
}

func notFound(_ what: String, _ id: String) -> ValidationError {
  ValidationError("no \(what) '\(id)' in this queue (finished work is kept for the worker's --retention, 7 days by default, "
    + "and for good in a worker's --archive; check --queue, --redis and --archive)")
}

/// `nightdesk list [--state S] [--desk D]`.
struct ListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List jobs of recent batches, newest batch first.",
    usage: "nightdesk list [--state <state>] [--desk <desk>] [--json] [<options>]",
    discussion: """
      Examples:
        nightdesk list --state dead
        nightdesk list --desk credit --json
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Option(help: ArgumentHelp("Only jobs in this state: queued, delayed, running, succeeded, failed, cancelled, dead.", valueName: "state")) var state: String?
  @Option(help: ArgumentHelp("Only jobs of this desk.", valueName: "desk")) var desk: String?
  @Option(help: ArgumentHelp("Jobs at most.", valueName: "n")) var limit: Int = 100
  @Flag(help: "Print one JSON array instead of text.") var json = false

  func validate() throws {
    if let state, JobState(rawValue: state) == nil {
      throw ValidationError("--state must be one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() throws {
    let jobs = try queue.client("list").list(state: state.flatMap(JobState.init(rawValue:)), desk: desk, limit: limit)
    if json {
      printJSON(.array(jobs.map(\.json)))
    } else {
      for job in jobs { print(JobText.line(job)) }
      if jobs.isEmpty { print("no jobs") }
    }
  }
}

/// `nightdesk results JOB|BATCH [--format ...]`.
struct ResultsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "results", abstract: "Write the results of a job or batch.",
    usage: "nightdesk results <job-or-batch> [--format <format>] [<options>]",
    discussion: """
      Formats: json (jobs with full results: text, usage, effective seed, model and template \
      digests, worker, timings), jsonl (one line per request), markdown (questions and \
      answers), openai (the OpenAI Batch API output file: one line per request of a finished \
      job, failures with "response": null and an "error" object), summary (one line per \
      request: its custom_id and the start of its answer).

      Examples:
        nightdesk results b1kz3x9q2abcd --format markdown
        nightdesk results b1kz3x9q2abcd --format openai --output out.jsonl
        nightdesk results b1kz3x9q2abcd --format csv --output night.csv
        nightdesk results b1kz3x9q2abcd --format openai --archive /var/lib/nightdesk/archive.sqlite

      A batch Redis no longer holds (its retention is over) is read from the archive \
      a worker wrote with --archive PATH, and renders the same.
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @OptionGroup(title: "Archive") var archive: ArchiveOptions
  @Argument(help: ArgumentHelp("A job id (BATCH.N) or a batch id.", valueName: "job-or-batch")) var target: String
  @Option(help: "json, jsonl, markdown, openai, summary or csv (one row per request, RFC 4180).") var format: String = "json"
  @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")) var output: String?

  func validate() throws {
    guard ResultFormat(rawValue: format) != nil else {
      throw ValidationError("--format must be one of \(ResultFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() throws {
    let client = try queue.client("results")
    let records = try archive.records(target, client: client)
    let text = ResultFormat(rawValue: format)!.render(records)
    let unfinished = records.filter { !$0.state.isFinished }.count
    if unfinished > 0 {
      FileHandle.standardError.write(Data("note: \(unfinished) of \(records.count) job(s) not finished yet\n".utf8))
    }
    if let output {
      do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
        throw ValidationError("--output \(output): \(error.localizedDescription)")
      }
      FileHandle.standardError.write(Data("wrote \(records.count) job(s) to \(output)\n".utf8))
    } else {
      // A reader that stops early (`| head`) closes the pipe: stop quietly, as Unix tools do.
      do { try FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) } catch { throw ExitCode(141) }
    }
  }
}

/// `nightdesk cancel` and `nightdesk retry`.
struct CancelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cancel", abstract: "Cancel a job or every unfinished job of a batch.",
    usage: "nightdesk cancel <job-or-batch> [--json] [<options>]",
    discussion: """
      Queued jobs are cancelled at once; running generations stop at their worker's next \
      lease renewal (about a second) and free their engine slots. Finished jobs are left \
      as they are; `nightdesk retry` queues cancelled ones again.

      Examples:
        nightdesk cancel b1kz3x9q2abcd
        nightdesk cancel b1kz3x9q2abcd.17 --json
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Argument(help: ArgumentHelp("A job id (BATCH.N) or a batch id.", valueName: "job-or-batch")) var target: String
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    let changes: [(job: String, previous: String)]
    do { changes = try queue.client("cancel").cancel(target: target) } catch { throw ValidationError("\(error)") }
    report(changes, applied: ["queued", "delayed", "running"], verb: "cancelled", json: json)
  }
}

struct RetryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "retry", abstract: "Queue a job, or a batch's failed, dead and cancelled jobs, again with fresh attempts.",
    usage: "nightdesk retry <job-or-batch> [--json] [<options>]",
    discussion: """
      A retried job's attempt count starts again from zero. Jobs that are queued, \
      running or succeeded are left as they are.

      Examples:
        nightdesk list --state dead
        nightdesk retry b1kz3x9q2abcd
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @Argument(help: ArgumentHelp("A job id (BATCH.N) or a batch id.", valueName: "job-or-batch")) var target: String
  @Flag(help: "Print JSON instead of text.") var json = false

  func run() throws {
    let changes: [(job: String, previous: String)]
    do { changes = try queue.client("retry").retry(target: target) } catch { throw ValidationError("\(error)") }
    report(changes, applied: ["failed", "dead", "cancelled"], verb: "re-queued", json: json)
  }
}

private func report(_ changes: [(job: String, previous: String)], applied: Set<String>, verb: String, json: Bool) {
  let done = changes.filter { applied.contains($0.previous) }
  if json {
    printJSON([
      verb: .array(done.map { .string($0.job) }),
      "unchanged": .array(changes.filter { !applied.contains($0.previous) }.map { ["job": .string($0.job), "state": .string($0.previous)] }),
    ])
  } else {
    for change in done { print("\(change.job): \(change.previous) -> \(verb)") }
    print("\(verb) \(done.count) of \(changes.count) job(s)")
  }
}
