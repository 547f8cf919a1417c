import ArgumentParser
import Foundation
import NightdeskIngest
import NightdeskModel
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk ingest`: reads files as the night's jobs will (PDF, HTML, Markdown, text,
/// news JSONL and feeds, social dumps) and prints their documents, and with --type their
/// chunks, or each file's errors. Nothing is queued; it is the check before `submit`.
struct IngestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ingest",
    abstract: "Read documents (PDF, HTML, news, social) and show their text and chunks.",
    usage: "nightdesk ingest <file>... [--type <type>] [--model <path>] [--json]",
    discussion: """
      Reads each file with the reader its extension names (.pdf through poppler's \
      pdftotext, .html, .md, .txt, .jsonl news or posts, .rss/.atom feeds, .json \
      social dumps; .jsonl.zst and .json.zst dumps decompressed as they are read, \
      without a temporary file) and prints its documents: sections, paragraphs and where each \
      came from (page, section, line, item). A bad file, or a bad line or post in \
      one, is reported with its position and the rest are read. The exit status \
      is 1 when anything was reported.

      With --type, each document is also cut into the job type's chunks (from \
      Jobs/types/TYPE.yaml), counted with --model's tokenizer (else estimated at \
      4 bytes a token); --context gives the tokens the model has for a document, \
      so one that fits goes in whole.

      Examples:
        nightdesk ingest Jobs/samples/ingest/annual-report-harrowgate-2025.pdf
        nightdesk ingest report.pdf --type annual-report \\
            --model models/SmolLM2-135M-Instruct.Q4_1.gguf --context 6000
        nightdesk ingest news.jsonl feed.rss --json
      """)

  @Argument(help: ArgumentHelp("The files to read.", valueName: "file"))
  var files: [String]

  @Option(help: ArgumentHelp("A job type: chunk as Jobs/types/TYPE.yaml says.", valueName: "type"))
  var type: String?

  @Option(name: .customLong("types-dir"), help: ArgumentHelp("Where job types are.", valueName: "dir"))
  var typesDirectory = "Jobs/types"

  @Option(help: ArgumentHelp("A model or tokenizer folder, or a .gguf, to count tokens with.", valueName: "path"))
  var model: String?

  @Option(help: ArgumentHelp("Tokens of context a whole document may take.", valueName: "n"))
  var context: Int?

  @Option(name: .customLong("as"), help: ArgumentHelp(
    "Read every file as this kind: \(InputKind.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "kind"))
  var kind: String?

  @Flag(help: "Print one JSON object: {\"files\": [{\"file\", \"documents\", \"errors\"}]}.")
  var json = false

  func validate() throws {
    if files.isEmpty { throw ValidationError("give at least one file") }
    if let kind, InputKind(rawValue: kind) == nil {
      throw ValidationError("--as \(kind): not one of \(InputKind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    if let context, context < 1 { throw ValidationError("--context must be positive") }
    if type == nil, context != nil { throw ValidationError("--context goes with --type") }
  }

  func run() throws {
    let jobType: JobType?
    do {
      jobType = try type.map { name throws(JobTypeError) in try JobType.named(name, folder: typesDirectory) }
    } catch {
      throw CommandFailure("--type: \(error)")
    }
    let counter = try tokenCounter()
    let chunker = Chunker(countTokens: counter.count)
    let reader = DocumentReader()
    var failed = false
    // Documents are printed (text) or written as JSON as they are read, so a large dump is
    // never held whole, in either form: the JSON object is written piece by piece.
    if json { print(#"{"files": ["#, terminator: "") }
    for (index, file) in self.files.enumerated() {
      if json {
        print((index == 0 ? "" : ", ") + #"{"file": "# + JSONWriter.string(.string(file)) + #", "documents": ["#, terminator: "")
      }
      var count = 0
      var chunkErrors: [IngestError] = []
      let readErrors = reader.read(file, as: kind.flatMap(InputKind.init(rawValue:)), family: jobType?.input) { document in
        let chunks = jobType.map { chunker.chunks(of: document, options: $0.chunking(contextBudget: context)) }
        if json {
          print((count == 0 ? "" : ", ") + JSONWriter.string(IngestReport.json(document, chunks: chunks)), terminator: "")
        } else {
          print(IngestReport.text(document, chunks: chunks, tokensEstimated: counter.estimated), terminator: "")
        }
        count += 1
        if let type = jobType, let chunks, chunks.count > type.limits.maxChunks {
          chunkErrors.append(IngestError(file: file, reason: "\(chunks.count) chunks in \(document.title ?? "a document"); \(type.name) allows \(type.limits.maxChunks)"))
        }
      }
      let errors = readErrors + chunkErrors
      if !errors.isEmpty { failed = true }
      if json {
        print(#"], "errors": "# + JSONWriter.string(.array(errors.map { .string($0.description) })), terminator: "")
        if jobType != nil { print(#", "tokens_estimated": "# + (counter.estimated ? "true" : "false"), terminator: "") }
        print("}", terminator: "")
      } else {
        print("\(file): \(count) document\(count == 1 ? "" : "s"), \(errors.count) error\(errors.count == 1 ? "" : "s")")
        for error in errors { FileHandle.standardError.write(Data("error: \(error)\n".utf8)) }
      }
    }
    if json { print("]}") }
    if failed { throw ExitCode.failure }
  }

  /// Counts with --model's tokenizer, or estimates 4 bytes a token without one.
  private func tokenCounter() throws -> (count: @Sendable (String) -> Int, estimated: Bool) {
    guard let model else { return ({ ($0.utf8.count + 3) / 4 }, true) }
    let tokenizer: Tokenizer
    do {
      tokenizer = try Tokenizer(spec: ModelPackage.open(model).tokenizerSpec())
    } catch {
      throw CommandFailure("--model \(model): \(error)")
    }
    return ({ tokenizer.encode($0, allowSpecial: false).count }, false)
  }
}
