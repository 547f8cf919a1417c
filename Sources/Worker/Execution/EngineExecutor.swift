import Foundation
import NightdeskEngine
import NightdeskQueue
import NightdeskRequests
import NightdeskStructured
import NightdeskSupport
import NightdeskTokenizer

/// Runs jobs on the continuous-batching engine. A job's requests are submitted
/// together, so the engine computes their shared prefix once and the rest hit its
/// prefix cache; their progress is summed for the job.
///
/// A request with a `response_format` schema runs constrained (its answer is valid JSON
/// by construction) and with thinking off: the constraint holds from the first generated
/// token, so the template writes the empty think block. Its result carries the parsed
/// value (`structured`), or, when the output broke the schema anyway (cut by max_tokens),
/// the validation error beside the text. A think block is never part of the answer text:
/// it is kept as `reasoning`.
public struct EngineExecutor: JobExecutor {
  /// Turns a request's messages into prompt tokens (chat template + tokenizer), with
  /// Qwen3's `enable_thinking` when it is set.
  public typealias Encoder = @Sendable (_ messages: [ChatMessage], _ enableThinking: Bool?) throws -> [Int32]

  public let engine: Engine
  public let identity: ExecutorIdentity
  public let capacity: Int
  private let encode: Encoder
  private let schemas = SchemaCache()

  public init(engine: Engine, identity: ExecutorIdentity, capacity: Int, encode: @escaping Encoder) {
    self.engine = engine
    self.identity = identity
    self.capacity = max(1, capacity)
    self.encode = encode
  }

  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void) async throws -> [RequestResult] {
    try await execute(job, progress: progress, text: nil)
  }

  public var contextLimit: ContextLimit? { context }

  /// The engine's context (`maxContext`, else the model's), counted as `execute` encodes.
  var context: ContextLimit {
    let encode = encode
    return ContextLimit(tokens: engine.configuration.maxContext ?? engine.modelConfig.maxPositions) { request in
      try Self.promptIDs(request, encode: encode).count
    }
  }

  /// A request's prompt tokens; a constrained request runs with thinking off (see the type's note).
  private static func promptIDs(_ request: ChatRequest, encode: Encoder) throws -> [Int32] {
    try encode(request.messages, request.thinkingAsRun)
  }

  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void,
                      text: (@Sendable (String) -> Void)?) async throws -> [RequestResult] {
    // A request that cannot run (unencodable, invalid sampling, too long) fails alone:
    // its result says why, and its siblings run.
    var failures: [Int: String] = [:]
    var prepared: [(index: Int, request: GenerationRequest)] = []
    for (index, request) in job.spec.requests.enumerated() {
      var schema: StructuredSchema?
      if let source = request.responseFormat?.schema {
        do { schema = try schemas.compiled(source) } catch {
          failures[index] = "request \(index + 1): response_format: \(error)"
          continue
        }
      }
      let prompt: [Int32]
      do { prompt = try Self.promptIDs(request, encode: encode) } catch {
        failures[index] = "request \(index + 1) cannot be encoded for this model: \(error)"
        continue
      }
      do { try request.sampling.validate() } catch {
        failures[index] = "request \(index + 1): \(error)"
        continue
      }
      // What `submit` refuses when it knows the model: a request whose answer could be cut
      // by the context rather than by its own max_tokens fails here, alone, saying so.
      if let refusal = context.refusal(promptTokens: prompt.count, maxTokens: request.sampling.maxTokens) {
        failures[index] = "request \(index + 1): \(refusal)"
        continue
      }
      prepared.append((index, GenerationRequest(prompt: prompt, sampling: request.sampling, schema: schema)))
    }
    let perRequest = LockedValue([JobProgress](repeating: JobProgress(), count: prepared.count))
    let generations = prepared.map { engine.submit($0.request) }
    let completed = try await withThrowingTaskGroup(of: (Int, Result<CompletedGeneration, EngineError>).self) { group in
      for (slot, generation) in generations.enumerated() {
        // A streamed job has one request; only its text is published.
        let streamed: (@Sendable (String) -> Void)? = slot == 0 ? text : nil
        group.addTask {
          do {
            let report = { (update: JobProgress) in
              let total = perRequest.withLock { table in
                table[slot] = update
                return table.reduce(into: JobProgress()) { sum, item in
                  sum.promptTokens += item.promptTokens
                  sum.generatedTokens += item.generatedTokens
                  sum.requestsDone += item.requestsDone
                }
              }
              progress(total)
            }
            let result = try await generation.collect(
              onProgress: { update in
                report(JobProgress(promptTokens: update.promptTokensDone, generatedTokens: update.generatedTokens))
              }, onText: streamed.map { streamed in { streamed($0) } })
            report(JobProgress(promptTokens: result.summary.usage.promptTokens, generatedTokens: result.tokens.count,
                               requestsDone: 1))
            return (slot, .success(result))
          } catch let error as EngineError where error.isRequestsOwn {
            return (slot, .failure(error))
          }
        }
      }
      var results = [Result<CompletedGeneration, EngineError>?](repeating: nil, count: generations.count)
      do {
        for try await (slot, result) in group { results[slot] = result }
      } catch {
        group.cancelAll()
        for generation in generations { engine.cancel(generation.id) }
        if Task.isCancelled { throw CancellationError() }
        if let engineError = error as? EngineError { throw ExecutionFailure(engineError.message) }
        throw error
      }
      return results.compactMap { $0 }
    }
    if Task.isCancelled
      || completed.contains(where: { if case .success(let done) = $0 { done.summary.reason == .cancelled } else { false } })
    {
      throw CancellationError()
    }
    for (slot, outcome) in completed.enumerated() {
      if case .failure(let error) = outcome { failures[prepared[slot].index] = "request \(prepared[slot].index + 1): \(error.message)" }
    }
    // Nothing ran: the job itself fails, for good (the same input fails the same way again).
    if failures.count == job.spec.requests.count, let first = failures.keys.min().flatMap({ failures[$0] }) {
      throw ExecutionFailure(first, permanent: true)
    }
    var answers: [Int: CompletedGeneration] = [:]
    for (slot, outcome) in completed.enumerated() {
      if case .success(let done) = outcome { answers[prepared[slot].index] = done }
    }
    return job.spec.requests.enumerated().map { index, request in
      guard let generation = answers[index] else {
        return RequestResult.failed(customID: request.customID, sampling: request.sampling,
                                    error: failures[index] ?? "request \(index + 1) did not run")
      }
      let usage = generation.summary.usage
      var sampling = request.sampling
      sampling.seed = usage.seed
      var result = RequestResult(
        customID: request.customID, text: "", finishReason: generation.summary.reason.rawValue,
        promptTokens: usage.promptTokens, reusedTokens: usage.prefixReusedTokens, generatedTokens: usage.generatedTokens,
        sampling: sampling, queueSeconds: usage.queueSeconds, firstTokenSeconds: usage.firstTokenSeconds,
        totalSeconds: usage.totalSeconds, closedByBudget: generation.summary.closedByBudget)
      Self.settle(&result, generated: generation.text, schema: request.responseFormat?.schema.flatMap { try? schemas.compiled($0) })
      return result
    }
  }

  /// Stores a generated text as a result's answer: the think block apart as `reasoning`,
  /// and for a schema request the parsed value, or why it is not valid (the text stays).
  public static func settle(_ result: inout RequestResult, generated: String, schema: StructuredSchema?) {
    let split = ThinkingSplit(generated: generated)
    result.text = split.answer
    result.reasoning = split.reasoning
    guard let schema else { return }
    let text = Array(result.text.utf8)
    let violations = schema.validate(text: text)
    if violations.isEmpty, let value = try? JSONParser.parse(text) {
      result.structured = value
    } else {
      let shown = violations.prefix(3).map(\.description).joined(separator: "; ")
      result.error = "the answer is not valid under the response_format schema"
        + (result.finishReason == "length" ? " (cut off by max_tokens)" : "") + ": "
        + (shown.isEmpty ? "not JSON" : shown) + (violations.count > 3 ? "; ..." : "")
    }
  }
}

/// Compiled `response_format` schemas by their JSON text, shared by a worker's jobs:
/// a batch asks the same schema of many documents.
final class SchemaCache: Sendable {
  private static let capacity = 256
  private let table = LockedValue<[String: StructuredSchema]>([:])

  func compiled(_ source: JSONValue) throws(SchemaError) -> StructuredSchema {
    let key = JSONWriter.string(source)
    if let known = table.withLock({ $0[key] }) { return known }
    let schema = try StructuredSchema.compile(source)
    table.withLock { table in
      if table.count >= Self.capacity { table.removeAll() }
      table[key] = schema
    }
    return schema
  }
}

extension EngineError {
  /// Errors that belong to one request (its input), not to the engine or the job.
  var isRequestsOwn: Bool { code == .invalidRequest || code == .tooLong }
}
