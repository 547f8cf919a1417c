import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskQueue
import NightdeskStructured
import NightdeskSupport
import NightdeskWorker

/// `nightdesk run-batch`: an OpenAI Batch API file through an embedded engine, no Redis.
struct RunBatchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run-batch",
    abstract: "Run an OpenAI Batch API input file through an embedded engine, without Redis.",
    usage: "nightdesk run-batch -i <file> -o <file> --model <path> [<options>]",
    discussion: """
      For a desk with one machine and one file (as vLLM's run-batch): every line of -i is \
      checked as `submit --openai-batch` checks it, the valid requests go through the \
      continuous-batching engine together (requests that share their leading messages \
      are one job, their prefix computed once), and the answers are written to -o in the \
      format of `results --format openai`, the model that answered (its file) in each \
      line's `model`. Requests that failed, and lines refused with their numbers, go to \
      --errors (else to stderr). The exit status is 1 when any line was refused or failed.

      Examples:
        nightdesk run-batch -i Jobs/samples/analysis-batch.jsonl -o out.jsonl \\
            --model models/SmolLM2-135M-Instruct.Q4_1.gguf
        nightdesk run-batch -i in.jsonl -o out.jsonl --errors err.jsonl \\
            --model models/Qwen3-0.6B
      """)

  @Option(name: [.customShort("i"), .customLong("input")], help: ArgumentHelp(
    "An OpenAI Batch API input file (JSONL, url /v1/chat/completions).", valueName: "file"))
  var input: String

  @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp(
    "Where the output file goes (JSONL, one line per answered request).", valueName: "file"))
  var output: String

  @Option(help: ArgumentHelp(
    "Where the error file goes (requests that failed, and refused lines); default: refused lines on stderr only.",
    valueName: "file"))
  var errors: String?

  @Option(help: ArgumentHelp("A .gguf file or a Hugging Face model folder.", valueName: "path"))
  var model: String

  @Option(help: ArgumentHelp("Compute threads (default: NIGHTDESK_THREADS, else all cores).", valueName: "n"))
  var threads: Int?

  @OptionGroup(title: "Engine") var engine: EngineOptions
  @OptionGroup(title: "Precision") var precision: ActivationOptions

  func run() async throws {
    let parsed = OpenAIBatchInput.parse(try readBoundedFile(input, option: "--input"), check: StructuredSchema.check)
    let served = try ServedModel.open(model, threads: threads, activations: precision.activations)
    let executor = try EngineExecutor.serving(served) { stopTokens in
      try engine.configuration(eosTokenIDs: stopTokens, modelContext: served.config.maxPositions, activations: served.activations)
    }
    let started = ContinuousClock.now
    let records = await Self.execute(parsed.jobs, with: executor)
    let files = OpenAIBatchFiles.split(records)
    var refused = ""
    for rejection in parsed.rejected {
      let line: JSONValue = [
        "id": .string("batch_req_line-\(rejection.line)"), "custom_id": nil, "response": nil,
        "error": ["code": "invalid_request", "message": .string("line \(rejection.line): \(rejection.error)")],
      ]
      refused += JSONWriter.string(line) + "\n"
      FileHandle.standardError.write(Data("rejected line \(rejection.line): \(rejection.error)\n".utf8))
    }
    try Data(files.output.utf8).write(to: URL(fileURLWithPath: output))
    if let errors { try Data((refused + files.errors).utf8).write(to: URL(fileURLWithPath: errors)) }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    FileHandle.standardError.write(Data(
      ("\(files.completed) request(s) answered, \(files.failed) failed, \(parsed.rejected.count) line(s) refused in "
        + String(format: "%.1f", seconds) + " s by \(executor.identity.model)\n").utf8))
    if files.failed > 0 || !parsed.rejected.isEmpty { throw ExitCode(1) }
  }

  /// Runs the jobs through the executor, as many requests at once as it has room for,
  /// and returns them as finished records in input order.
  static func execute(_ jobs: [JobSpec], with executor: any JobExecutor) async -> [JobRecord] {
    let batch = "run-batch"
    return await withTaskGroup(of: (Int, JobRecord).self) { group in
      var records = [JobRecord?](repeating: nil, count: jobs.count)
      var running = 0
      var next = 0
      func add(_ index: Int) {
        let spec = jobs[index]
        let id = "\(batch).\(index + 1)"
        let claimed = ClaimedJob(
          lease: Lease(job: id, batch: batch, priority: spec.priority, entry: "0-0", token: 1, attempt: 1), spec: spec,
          prefixHash: "")
        group.addTask {
          let startedAt = Date().timeIntervalSince1970
          do {
            let answers = try await executor.execute(claimed) { _ in }
            let result = JobResult(job: id, batch: batch, attempt: 1, worker: "run-batch", executor: executor.identity,
                                   startedAt: startedAt, finishedAt: Date().timeIntervalSince1970, requests: answers)
            return (index, JobRecord(id: id, batch: batch, state: .succeeded, spec: spec, result: result))
          } catch {
            return (index, JobRecord(id: id, batch: batch, state: .failed, error: "\(error)", spec: spec, result: nil))
          }
        }
      }
      while next < jobs.count || running > 0 {
        // Keep the engine full: add jobs while their requests fit its capacity (one at least).
        while next < jobs.count, running == 0 || running + jobs[next].requests.count <= executor.capacity {
          running += jobs[next].requests.count
          add(next)
          next += 1
        }
        guard let (index, record) = await group.next() else { break }
        running -= jobs[index].requests.count
        records[index] = record
      }
      return records.compactMap { $0 }
    }
  }
}
