import Foundation
import NightdeskEngine
import NightdeskQueue
import NightdeskSupport

/// Runs jobs on the continuous-batching engine. A job's requests are submitted
/// together, so the engine computes their shared prefix once and the rest hit its
/// prefix cache; their progress is summed for the job.
public struct EngineExecutor: JobExecutor {
  /// Turns a request's messages into prompt tokens (chat template + tokenizer).
  public typealias Encoder = @Sendable ([NightdeskQueue.ChatMessage]) throws -> [Int32]

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
    var prepared: [GenerationRequest] = []
    for (index, request) in job.spec.requests.enumerated() {
      let prompt: [Int32]
      do { prompt = try encode(request.messages) } catch {
        throw ExecutionFailure("request \(index + 1) cannot be encoded for this model: \(error)", permanent: true)
      }
      let sampling = Self.parameters(request.sampling)
      do { try sampling.validate() } catch {
        throw ExecutionFailure("request \(index + 1): \(error.message)", permanent: true)
      }
      prepared.append(GenerationRequest(prompt: prompt, sampling: sampling))
    }
    let perRequest = LockedValue([JobProgress](repeating: JobProgress(), count: prepared.count))
    let generations = prepared.map { engine.submit($0) }
    let completed = try await withThrowingTaskGroup(of: (Int, Collected).self) { group in
      for (index, generation) in generations.enumerated() {
        group.addTask {
          let result = try await Self.collect(generation) { update in
            let total = perRequest.withLock { table in
              table[index] = update
              return table.reduce(into: JobProgress()) { sum, item in
                sum.promptTokens += item.promptTokens
                sum.generatedTokens += item.generatedTokens
                sum.requestsDone += item.requestsDone
              }
            }
            progress(total)
          }
          return (index, result)
        }
      }
      var results = [Collected?](repeating: nil, count: generations.count)
      do {
        for try await (index, result) in group { results[index] = result }
      } catch {
        group.cancelAll()
        for generation in generations { engine.cancel(generation.id) }
        if Task.isCancelled { throw CancellationError() }
        if let engineError = error as? EngineError {
          throw ExecutionFailure(engineError.message, permanent: engineError.code == .invalidRequest || engineError.code == .tooLong)
        }
        throw error
      }
      return results.compactMap { $0 }
    }
    if Task.isCancelled || completed.contains(where: { $0.summary.reason == .cancelled }) { throw CancellationError() }
    return zip(job.spec.requests, completed).map { request, generation in
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

  /// What a finished request produced.
  struct Collected: Sendable {
    var text: String
    var summary: GenerationSummary
  }

  /// Reads a generation's events to the end, reporting prompt progress and every
  /// generated token (the engine sends prompt progress only while it prefills).
  static func collect(_ generation: Generation, progress: (JobProgress) -> Void) async throws -> Collected {
    var current = JobProgress()
    var count = 0
    var text = ""
    for try await event in generation.events {
      switch event {
      case .progress(let update):
        current.promptTokens = update.promptTokensDone
        progress(current)
      case .token(let token):
        count += 1
        text += token.text
        current.generatedTokens = count
        progress(current)
      case .finished(let summary):
        current.promptTokens = summary.usage.promptTokens
        current.requestsDone = 1
        progress(current)
        return Collected(text: text, summary: summary)
      }
    }
    try Task.checkCancellation()
    throw EngineError(.stopped, "\(generation.id)'s stream ended without a result")
  }

  /// The queue's OpenAI-style sampling fields as engine parameters.
  static func parameters(_ sampling: Sampling) -> SamplingParameters {
    SamplingParameters(
      temperature: Float(sampling.temperature), topP: Float(sampling.topP), seed: sampling.seed,
      maxTokens: sampling.maxTokens, stopStrings: sampling.stop)
  }
}
