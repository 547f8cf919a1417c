import Foundation
import NightdeskEngine
import NightdeskQueue
import NightdeskRequests
import NightdeskSupport

/// Runs jobs on the continuous-batching engine. A job's requests are submitted
/// together, so the engine computes their shared prefix once and the rest hit its
/// prefix cache; their progress is summed for the job.
public struct EngineExecutor: JobExecutor {
  /// Turns a request's messages into prompt tokens (chat template + tokenizer).
  public typealias Encoder = @Sendable ([ChatMessage]) throws -> [Int32]

  public let engine: Engine
  public let identity: ExecutorIdentity
  public let capacity: Int
  private let encode: Encoder

  public init(engine: Engine, identity: ExecutorIdentity, capacity: Int, encode: @escaping Encoder) {
    self.engine = engine
    self.identity = identity
    self.capacity = max(1, capacity)
    self.encode = encode
  }

  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void) async throws -> [RequestResult] {
    // A request that cannot run (unencodable, invalid sampling, too long) fails alone:
    // its result says why, and its siblings run.
    var failures: [Int: String] = [:]
    var prepared: [(index: Int, request: GenerationRequest)] = []
    for (index, request) in job.spec.requests.enumerated() {
      let prompt: [Int32]
      do { prompt = try encode(request.messages) } catch {
        failures[index] = "request \(index + 1) cannot be encoded for this model: \(error)"
        continue
      }
      do { try request.sampling.validate() } catch {
        failures[index] = "request \(index + 1): \(error)"
        continue
      }
      prepared.append((index, GenerationRequest(prompt: prompt, sampling: request.sampling)))
    }
    let perRequest = LockedValue([JobProgress](repeating: JobProgress(), count: prepared.count))
    let generations = prepared.map { engine.submit($0.request) }
    let completed = try await withThrowingTaskGroup(of: (Int, Result<CompletedGeneration, EngineError>).self) { group in
      for (slot, generation) in generations.enumerated() {
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
            let result = try await generation.collect { update in
              report(JobProgress(promptTokens: update.promptTokensDone, generatedTokens: update.generatedTokens))
            }
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
      return RequestResult(
        customID: request.customID, text: generation.text, finishReason: generation.summary.reason.rawValue,
        promptTokens: usage.promptTokens, reusedTokens: usage.prefixReusedTokens, generatedTokens: usage.generatedTokens,
        sampling: sampling, queueSeconds: usage.queueSeconds, firstTokenSeconds: usage.firstTokenSeconds,
        totalSeconds: usage.totalSeconds)
    }
  }
}

extension EngineError {
  /// Errors that belong to one request (its input), not to the engine or the job.
  var isRequestsOwn: Bool { code == .invalidRequest || code == .tooLong }
}
