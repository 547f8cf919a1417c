import ArgumentParser
import Foundation
import NightdeskQueue
import NightdeskSupport

/// `nightdesk report BATCH`: the morning report of a batch submitted with `--type`.
struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "The morning report of a --type batch: findings with citations, digests, aggregates, failures.",
    usage: "nightdesk report <batch> [--format markdown|json|html|csv] [<options>]",
    discussion: """
      One entry per submitted document: its synthesis job's status and structured result \
      (checked against the job type's output schema), each chunk's citation (pages, \
      sections) and answers, aggregates across documents (sentiment by entity when the \
      results name entities), and every failed job with its reason. Jobs submitted \
      without --type are not documents and are left out.

      --format json prints {"batch": ID, "documents": [{"source": F, "job_type": T, \
      "status": S, "result": {...} or null, "error": null or "...", "reduce_stages": N}], \
      "failures": [{"source": F, "error": "..."}]}; status is the synthesis job's state, \
      or "invalid" when its answer is not a schema-valid object; reduce_stages is how many \
      stages the synthesis took (more than 1 when the chunks' answers did not fit the \
      context at once). --format csv prints one \
      row per document with the result's top-level scalar fields as columns.

      Examples:
        nightdesk report 20261207-0102-abcd
        nightdesk report 20261207-0102-abcd --format html > report.html
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable {
    case markdown, json, html, csv
  }

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions
  @OptionGroup(title: "Archive") var archive: ArchiveOptions

  @Argument(help: ArgumentHelp("The batch id `submit --type` printed.", valueName: "batch"))
  var batch: String

  @Option(help: ArgumentHelp("markdown, json, html or csv.", valueName: "format"))
  var format: Format = .markdown

  func run() throws {
    let client = try queue.client("report")
    guard !QueueIDs.isJobID(batch) else { throw CommandFailure("'\(batch)' is a job id; give its batch") }
    let records = try archive.records(batch, client: client)
    let report = BatchReport(batch: batch, records: records)
    switch format {
    case .json: printJSON(report.json)
    case .markdown: print(report.markdown, terminator: "")
    case .html: print(report.html, terminator: "")
    case .csv: print(report.csv, terminator: "")
    }
  }
}
