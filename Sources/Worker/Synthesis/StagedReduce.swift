import NightdeskIngest
import NightdeskQueue
import NightdeskRequests
import NightdeskTokenizer

/// A document's synthesis over its chunks' answers, run within its one synthesis job.
///
/// When the answers do not fit the executor's context (prompt through the model's
/// template and tokenizer, plus the request's max_tokens: `ContextLimit`), it reduces in
/// stages: the answers are cut into runs that fit (`ReduceRuns`), each run is synthesised
/// with the same prompt, schema and sampling as the final one (so a partial synthesis is
/// schema-valid JSON, by the engine's constrained decoding), and the partial syntheses,
/// headed by every page and section their answers cited, are the next stage's answers,
/// until one synthesis fits. A stage's runs go to the executor together, so the engine
/// batches them. Nothing is stored between stages: a crash re-runs the whole job.
struct StagedReduce: Sendable {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The job, its request built over all the answers (what runs when they fit).
  let job: ClaimedJob
  let type: JobType
  let answers: [ChunkAnswer]
  /// The synthesis request as stored at submit: its sampling, schema and custom id.
  private let base: ChatRequest

  /// Stages at most, a guard only: each stage about halves the answers (runs of two at
  /// least), so 32 stages would take some 2^31 of them.
  static let maxStages = 32
  /// Tokens kept free, per answer, for the blank lines between answers: two answers each
  /// at half the room must fit together (token counts do not quite add).
  static let joinMargin = 8
  /// A context with less room than this for answers cannot be helped by stages: the
  /// request runs whole, and the executor fails it with the numbers.
  static let minimumRoom = 32
  static let truncationMarker = "\n[... cut: the rest of this answer did not fit the worker's context]"

  init(job: ClaimedJob, type: JobType, answers: [ChunkAnswer]) throws {
    guard let request = job.spec.requests.first else { throw Failure(description: "synthesis job \(job.lease.job) has no request") }
    self.type = type
    self.answers = answers
    base = request
    var built = job
    built.spec.requests = [try Self.request(request, type: type, over: answers)]
    self.job = built
  }

  /// Runs the synthesis on `executor`, in stages when the answers do not fit its context;
  /// the result's `reduce` says how many it took, and what the stages before the final one cost.
  func run(on executor: any JobExecutor, progress: @escaping @Sendable (JobProgress) -> Void) async throws
    -> [RequestResult]
  {
    var inputs = answers
    // Tokens of the stages before this one (their requests are not the job's).
    var spent = JobProgress()
    func synthesise(_ inputs: [ChunkAnswer], stage: Int) async throws -> [RequestResult] {
      var final = job
      final.spec.requests = [try Self.request(base, type: type, over: inputs)]
      let before = spent
      var results = try await executor.execute(final, progress: { progress(before.adding($0)) })
      if results.count == 1 {
        results[0].reduce = ReduceStages(count: stage, promptTokens: before.promptTokens, generatedTokens: before.generatedTokens)
      }
      return results
    }
    for stage in 1...Self.maxStages {
      guard let limit = executor.contextLimit, !limit.fits(try Self.request(base, type: type, over: inputs)),
        stage < Self.maxStages, let empty = try? limit.promptTokens(Self.request(base, type: type, over: [])),
        case let room = limit.tokens - base.sampling.maxTokens - empty, room >= Self.minimumRoom
      else { return try await synthesise(inputs, stage: stage) }
      let runs = try plan(&inputs, limit: limit, room: room, empty: empty)
      // Cutting the answers too long alone was enough.
      if runs.count == 1 { return try await synthesise(inputs, stage: stage) }
      guard runs.count < inputs.count else {
        throw ExecutionFailure("staged reduce: no two answers fit the context together (\(limit.tokens) tokens)",
                               permanent: true)
      }
      // A run of one answer (the last one, at most) goes on to the next stage as it is.
      let merged = runs.filter { $0.count > 1 }
      var partial = job
      partial.spec.requests = try merged.enumerated().map { number, run in
        var request = try Self.request(base, type: type, over: Array(inputs[run]))
        request.customID = (base.customID ?? "synthesis") + "/stage\(stage).\(number + 1)"
        return request
      }
      let before = spent
      let results = try await executor.execute(partial, progress: { update in
        progress(before.adding(JobProgress(promptTokens: update.promptTokens, generatedTokens: update.generatedTokens)))
      })
      spent = before.adding(JobProgress(
        promptTokens: results.reduce(0) { $0 + $1.promptTokens }, generatedTokens: results.reduce(0) { $0 + $1.generatedTokens }))
      var outputs = zip(merged, results).makeIterator()
      inputs = runs.map { run in
        guard run.count > 1, let (_, result) = outputs.next() else { return inputs[run.lowerBound] }
        let text = result.text.isEmpty ? "(this part has no synthesis: \(result.error ?? result.finishReason))" : result.text
        return ChunkAnswer(partialOver: Array(inputs[run]), label: "partial synthesis, stage \(stage)", text: text)
      }
    }
    throw Failure(description: "staged reduce: more than \(Self.maxStages) stages")
  }

  /// Cuts `inputs` into runs that fit, after truncating each answer longer than half the
  /// room (the context less max_tokens and the prompt over no answers, `empty` tokens):
  /// then any two answers fit together, so each stage about halves the answers.
  private func plan(_ inputs: inout [ChunkAnswer], limit: ContextLimit, room: Int, empty: Int) throws -> [Range<Int>] {
    let cap = max(1, (room - Self.joinMargin) / 2)
    for index in inputs.indices {
      inputs[index] = try truncated(inputs[index], toTokens: cap, empty: empty, limit: limit)
    }
    let answers = inputs
    return ReduceRuns.group(count: answers.count) { run in
      (try? Self.request(base, type: type, over: Array(answers[run]))).map(limit.fits) ?? false
    }
  }

  /// `answer`, its text cut (with a marker) so that it adds at most `cap` tokens to the prompt.
  private func truncated(_ answer: ChunkAnswer, toTokens cap: Int, empty: Int, limit: ContextLimit) throws -> ChunkAnswer {
    func cost(_ candidate: ChunkAnswer) throws -> Int {
      try limit.promptTokens(Self.request(base, type: type, over: [candidate])) - empty
    }
    guard try cost(answer) > cap else { return answer }
    let characters = Array(answer.text)
    var cut = answer
    // The longest prefix (with the marker) within the cap: `good` fits, `bad` does not.
    var good = 0
    var bad = characters.count
    while bad - good > 1 {
      let middle = (good + bad) / 2
      cut.text = String(characters[..<middle]) + Self.truncationMarker
      if try cost(cut) <= cap { good = middle } else { bad = middle }
    }
    cut.text = String(characters[..<good]) + Self.truncationMarker
    return cut
  }

  /// `base` asking the job type's synthesis over `answers`. Only the messages are kept: the
  /// worker's engine renders them with its own template.
  static func request(_ base: ChatRequest, type: JobType, over answers: [ChunkAnswer]) throws -> ChatRequest {
    var request = base
    request.messages = try type.synthesisPrompt(answers: answers, template: ChatTemplate(format: .chatml)).messages
    return request
  }
}

extension JobProgress {
  func adding(_ other: JobProgress) -> JobProgress {
    JobProgress(promptTokens: promptTokens + other.promptTokens, generatedTokens: generatedTokens + other.generatedTokens,
                requestsDone: requestsDone + other.requestsDone)
  }
}
