import ArgumentParser
import Foundation
import NightdeskIngest
import NightdeskQueue
import NightdeskRequests
import NightdeskServer
import NightdeskStructured
import NightdeskSupport

/// `nightdesk submit`: one job, a manifest of jobs, an OpenAI Batch API input file, or
/// documents for a job type (`--type`, see `TypedSubmission`).
struct SubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Queue jobs: documents for a job type, one job, a batch manifest, or an OpenAI Batch API input file.",
    usage: """
      nightdesk submit --type <type> <file>... [<options>]
      nightdesk submit (--openai-batch <file> | --manifest <file>) [<options>]
      nightdesk submit --document <file> --question <text>... [<options>]
      """,
    discussion: """
      With --type, each file is read as the job type's input (Jobs/types/TYPE.yaml): a \
      report or contract is one document, a news or social file one per article or post \
      group. Each document is cut into chunks by --model's tokens (default \
      \(TypedSubmission.defaultModel)), fitting its context; each chunk becomes a job asking \
      the type's questions, and the document gets a synthesis job, queued once its chunk \
      jobs have all finished, that reads their answers (also for a one-chunk document). \
      A file that cannot be read is rejected with its reason and the rest go in; --json \
      then prints exactly {"batch": ID, "jobs": N, "rejected": [{"file": F, "error": \
      "..."}]}, N counting chunk and synthesis jobs. `nightdesk report BATCH` reads the results. \
      A type whose limits.max_tokens or synthesis_max_tokens is below the bytes of its \
      output_schema's shortest document is refused, with both numbers, before anything is queued.


      Prints the batch id (follow it with `nightdesk watch BATCH`). Each line of an OpenAI \
      batch file (and each entry of a manifest) is checked on its own: a bad one is reported \
      with its number and the rest are queued. Requests that share their leading messages \
      (system prompt and document) become one job, so a worker reads the document once.

      With --idempotency-key, running the same submit again never queues a second copy: \
      what the first run queued is kept and only the rest is added, to the same batch.

      A request too long for the model's context (its prompt, counted with the \
      model's tokenizer and chat template, plus max_tokens) is refused with its line \
      and the numbers: counted with --model when given, else with each model the \
      queue's workers have registered (nd:{QUEUE}:models) whose file is at the same \
      path here. Otherwise the worker that claims it fails that request alone, with \
      the reason.

      Up to 128 jobs are queued all or nothing. More take several writes, and Redis can \
      refuse one halfway (at its maxmemory limit, or when the connection drops): the \
      error then says how many jobs are queued in which batch, and names a key. Running \
      the same submit again with --idempotency-key and that key (the batch id for a new \
      batch) queues only the rest, into that batch, never a second copy.

      --json prints exactly {"batch": ID, "jobs": N, "rejected": [{"line": L, \
      "error": "..."}]}. The exit status is 1 when nothing could be queued.

      Examples:
        nightdesk submit --type annual-report Jobs/samples/ingest/annual-report-harrowgate-2025.pdf \\
            --desk credit
        nightdesk submit --openai-batch Jobs/samples/analysis-batch.jsonl \\
            --desk research
        nightdesk submit --manifest overnight.json --priority low
        nightdesk submit --document report.txt \\
            --question "What was the revenue?" \\
            --question "Which risks are named?" \\
            --system "You are a credit analyst."
      """)

  @OptionGroup(title: "Redis and queue") var queue: QueueOptions

  @Argument(help: ArgumentHelp("Documents for --type (PDF, HTML, Markdown, text, news JSONL/RSS/Atom, social JSON/JSONL).",
                               valueName: "file"))
  var files: [String] = []

  @Option(help: ArgumentHelp("A job type (Jobs/types/TYPE.yaml): submit the files as its documents.", valueName: "type"))
  var type: String?

  @Option(name: .customLong("types-dir"), help: ArgumentHelp("Where job types are.", valueName: "dir"))
  var typesDirectory = "Jobs/types"

  @Option(help: ArgumentHelp(
    "The model whose tokens and context --type chunks by (default \(TypedSubmission.defaultModel)). Other "
      + "submissions: requests whose prompt and max_tokens do not fit its context are refused (without --model, "
      + "those of the models the queue's workers registered, when their files are here).",
    valueName: "path"))
  var model: String?

  @Option(help: ArgumentHelp("An OpenAI Batch API input file (JSONL, url /v1/chat/completions).", valueName: "file"))
  var openaiBatch: String?

  @Option(help: ArgumentHelp("A batch manifest: {\"jobs\": [{\"requests\": [...]}, ...]}.", valueName: "file"))
  var manifest: String?

  @Option(help: ArgumentHelp("A text file: the document the questions are asked about.", valueName: "file"))
  var document: String?

  @Option(name: .customLong("question"), help: ArgumentHelp("A question about --document (repeat for several).", valueName: "text"))
  var questions: [String] = []

  @Option(help: ArgumentHelp("The system prompt for --document questions.", valueName: "text"))
  var system: String = "You are a careful analyst. Answer from the document only, briefly."

  @Option(help: ArgumentHelp("Generated tokens at most per answer (--document questions).", valueName: "n"))
  var maxTokens: Int = 256

  @Option(help: ArgumentHelp("Sampling temperature for --document questions (0 = greedy).", valueName: "t"))
  var temperature: Double = 0

  @Option(help: ArgumentHelp("Sampling seed for --document questions.", valueName: "n"))
  var seed: UInt64?

  @Option(help: ArgumentHelp("Priority: high, normal or low.", valueName: "priority"))
  var priority: String = "normal"

  @Option(help: ArgumentHelp("The submitting desk (letters, digits, - _ .).", valueName: "desk"))
  var desk: String = "default"

  @Option(help: ArgumentHelp("Attempts before a failing job is dead-lettered.", valueName: "n"))
  var maxAttempts: Int = 3

  @Option(help: ArgumentHelp("Do not start jobs after this long from now (e.g. 8h).", valueName: "duration"))
  var deadlineIn: String?

  @Option(help: ArgumentHelp(
    "Makes the submission safe to repeat: submitting the same input again with the same key (after a crash, "
      + "a timeout or a lost reply) queues only what is missing, into the same batch, and prints that batch. "
      + "Different input under a used key is refused. Keys are remembered for the queue's retention (7 days).",
    valueName: "key"))
  var idempotencyKey: String?

  @Option(help: ArgumentHelp("Add the jobs to this existing batch instead of a new one.", valueName: "batch"))
  var batch: String?

  @Option(help: ArgumentHelp(
    "When the batch's last job has finished: POST the event JSON to this http(s) URL, or run this shell command.",
    discussion: "The event is {\"event\": \"batch.completed\", \"batch\", \"desk\", \"total\", \"counts\": {STATE: N}, "
      + "\"requests\", \"prompt_tokens\", \"generated_tokens\", \"created_ms\"}; a command gets it on standard input "
      + "and in $NIGHTDESK_EVENT, the batch id in $NIGHTDESK_BATCH, and runs only on workers started with "
      + "--allow-on-complete-commands. Sent once, by one worker.",
    valueName: "url|command"))
  var onComplete: String?

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func validate() throws {
    if let onComplete {
      do { _ = try BatchCompletionTarget(parsing: onComplete) } catch { throw ValidationError(error.message) }
    }
    let sources = [openaiBatch != nil, manifest != nil, document != nil, type != nil].filter { $0 }.count
    guard sources == 1 else { throw ValidationError("give exactly one of --type, --openai-batch, --manifest or --document") }
    if type != nil, files.isEmpty { throw ValidationError("--type needs at least one file") }
    if type == nil, !files.isEmpty { throw ValidationError("files go with --type (or give --document FILE)") }
    if document != nil, questions.isEmpty { throw ValidationError("--document needs at least one --question") }
    if document == nil, !questions.isEmpty { throw ValidationError("--question goes with --document") }
    guard Priority(rawValue: priority) != nil else { throw ValidationError("--priority must be high, normal or low") }
    if let deadlineIn { _ = try parseDuration(deadlineIn, option: "--deadline-in") }
    if let idempotencyKey {
      do { try QueueClient.validateSubmissionKey(idempotencyKey) } catch { throw ValidationError("--idempotency-key: \(error)") }
    }
  }

  func run() throws {
    var defaults = JobDefaults(priority: Priority(rawValue: priority) ?? .normal, desk: desk, maxAttempts: maxAttempts)
    if let deadlineIn {
      defaults.deadline = Date().timeIntervalSince1970 + (try parseDuration(deadlineIn, option: "--deadline-in"))
    }
    if let type { return try submitDocuments(type: type, defaults: defaults) }
    let input = try readInput(defaults: defaults)
    var batchID: String?
    var queued = 0
    // Jobs an earlier submission under the same idempotency key had already queued.
    var earlier = 0
    var conflicted = false
    if !input.jobs.isEmpty {
      let receipt = try queueJobs(input.jobs)
      batchID = receipt.batch
      queued = receipt.jobs.filter { $0.status == .new || $0.status == .duplicate }.count
      earlier = receipt.jobs.filter { $0.status == .duplicate }.count
      let conflicts = receipt.jobs.filter { $0.status == .conflict }
      if !conflicts.isEmpty {
        FileHandle.standardError.write(Data(
          ("not queued: \(conflicts.count) job(s) whose idempotency keys name earlier jobs with different content "
           + "(\(conflicts.prefix(3).map(\.id).joined(separator: ", "))\(conflicts.count > 3 ? ", ..." : "")); "
           + "use new keys for new content\n").utf8))
        conflicted = true
      }
    }
    if json {
      printJSON([
        "batch": batchID.map { .string($0) } ?? .null, "jobs": .int(Int64(queued)),
        "rejected": .array(input.rejected.map { ["line": .int(Int64($0.line)), "error": .string($0.error)] }),
      ])
    } else {
      for rejection in input.rejected {
        FileHandle.standardError.write(Data("rejected line \(rejection.line): \(rejection.error)\n".utf8))
      }
      if let batchID {
        print(batchID)
        FileHandle.standardError.write(Data(
          ("queued \(queued - earlier) job(s), \(input.requestCount) request(s) in batch \(batchID)"
           + (earlier == 0 ? "" : " (\(earlier) more were already there: submitted before under this idempotency key)")
           + (input.rejected.isEmpty ? "" : "; \(input.rejected.count) rejected") + "\n").utf8))
      }
    }
    if batchID == nil || conflicted { throw ExitCode(1) }
  }

  /// Queues `jobs` into --batch (or a new batch), under --idempotency-key when given, and
  /// records --on-complete with the batch.
  private func queueJobs(_ jobs: [JobSpec]) throws -> SubmitReceipt {
    let client = try queue.client("submit")
    try client.checkDeskLimits(jobs, newBatch: batch == nil, submissionKey: idempotencyKey)
    let receipt = try idempotencyKey.map { try client.submit(jobs, toBatch: batch, submissionKey: $0) }
      ?? client.submit(jobs, toBatch: batch)
    if let onComplete { try client.setCompletionTarget(try BatchCompletionTarget(parsing: onComplete), batch: receipt.batch) }
    return receipt
  }

  /// `--type`: the files' documents as map-reduce groups.
  private func submitDocuments(type name: String, defaults: JobDefaults) throws {
    let type: JobType
    do {
      type = try JobType.named(name, folder: typesDirectory)
    } catch {
      throw CommandFailure("--type \(name): \(error)")
    }
    let submission: TypedSubmission
    do {
      submission = try TypedSubmission.build(
        type: type, files: files, model: model ?? TypedSubmission.defaultModel, defaults: defaults, key: idempotencyKey)
    } catch let error as JobTypeBudget.TooSmall {
      // Checked first, before any file is read (TypedJobBuilder): the job type's fault, not the model's.
      throw CommandFailure("--type \(name): \(error)")
    } catch {
      throw CommandFailure("--model \(model ?? TypedSubmission.defaultModel): \(error)")
    }
    var batchID: String?
    var queued = 0
    if !submission.jobs.isEmpty {
      let receipt = try queueJobs(submission.jobs)
      batchID = receipt.batch
      queued = receipt.jobs.filter { $0.status == .new || $0.status == .duplicate }.count
    }
    if json {
      printJSON([
        "batch": batchID.map { .string($0) } ?? .null, "jobs": .int(Int64(queued)),
        "rejected": .array(submission.rejected.map { ["file": .string($0.file), "error": .string($0.error)] }),
      ])
    } else {
      for rejection in submission.rejected {
        FileHandle.standardError.write(Data("rejected \(rejection.file): \(rejection.error)\n".utf8))
      }
      if let batchID {
        print(batchID)
        FileHandle.standardError.write(Data(
          ("queued \(queued) job(s) for \(submission.documents) document(s) of type \(type.name) in batch \(batchID) "
           + "(each document's chunk jobs, then its synthesis)\n").utf8))
      }
    }
    if batchID == nil { throw ExitCode(1) }
  }

  /// The models each request must fit: --model, else those the queue's workers registered
  /// (`ContextFit.registered`). Asked for after the input file is read, so a wrong path is
  /// named before Redis is reached.
  private func contextFits() throws -> [ContextFit] {
    guard let model else { return try ContextFit.registered(client: try queue.client("submit")) }
    do { return [try ContextFit(model: model)] } catch { throw CommandFailure("--model \(model): \(error)") }
  }

  /// A request's checks beyond its own fields: its schema is one decoding supports, and it fits `fits`.
  private static func check(fitting fits: [ContextFit]) -> (ChatRequest) throws -> Void {
    { request in
      try StructuredSchema.check(request)
      if let refusal = fits.lazy.compactMap({ $0.refusal(request) }).first { throw refusal }
    }
  }

  private func readInput(defaults: JobDefaults) throws -> SubmissionInput {
    if let path = openaiBatch {
      let bytes = try readBoundedFile(path, option: "--openai-batch")
      return OpenAIBatchInput.parse(bytes, defaults: defaults, check: Self.check(fitting: try contextFits()))
    }
    if let path = manifest {
      let bytes = try readBoundedFile(path, option: "--manifest")
      return try BatchManifest.parse(bytes, defaults: defaults, check: Self.check(fitting: try contextFits()))
    }
    let bytes = try readBoundedFile(document ?? "", option: "--document")
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ValidationError("--document \(document ?? ""): not UTF-8 text")
    }
    let sampling = SamplingParameters(temperature: temperature, seed: seed, maxTokens: maxTokens)
    // The document goes with the system prompt, so every question shares it as a
    // prefix (one job, read once by the engine).
    let context = system + "\n\nDocument:\n" + text
    let spec = JobSpec(
      requests: questions.enumerated().map { index, question in
        ChatRequest(customID: "q\(index + 1)", messages: [.system(context), .user(question)], sampling: sampling)
      },
      priority: defaults.priority, desk: defaults.desk, deadline: defaults.deadline,
      maxAttempts: defaults.maxAttempts)
    do { try spec.validate() } catch { throw ValidationError("\(error)") }
    let fits = try contextFits()
    for (index, request) in spec.requests.enumerated() {
      if let refusal = fits.lazy.compactMap({ $0.refusal(request) }).first {
        throw CommandFailure("--document \(document ?? ""), question \(index + 1): \(refusal)")
      }
    }
    return SubmissionInput(jobs: [spec])
  }
}
