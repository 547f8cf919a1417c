import Foundation
import NightdeskQueue
import NightdeskRequests

/// An executor that answers every request at once with a fixed text (optionally
/// after a pause, or failing the first attempts): the queue's own overhead, alone.
/// Used by `nightdesk queue bench` and the queue-layer tests, never for real work.
public struct EchoExecutor: JobExecutor {
  public var identity = ExecutorIdentity(model: "echo", modelDigest: "none", templateDigest: "none")
  public var capacity: Int
  /// Time each job takes, to make jobs overlap (0: none).
  public var delay: Duration
  /// Jobs fail this many attempts before succeeding (to exercise retries).
  public var failingAttempts: Int

  public init(capacity: Int = 64, delay: Duration = .zero, failingAttempts: Int = 0) {
    self.capacity = capacity
    self.delay = delay
    self.failingAttempts = failingAttempts
  }

  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void) async throws -> [RequestResult] {
    try await execute(job, progress: progress, text: nil)
  }

  /// Streams the first request's answer in ten pieces, one per step of `delay`.
  public func execute(_ job: ClaimedJob, progress: @escaping @Sendable (JobProgress) -> Void,
                      text: (@Sendable (String) -> Void)?) async throws -> [RequestResult] {
    let answer = job.spec.requests.first.map(Self.answer) ?? ""
    var streamed = answer.startIndex
    if delay > .zero {
      // Progress in small steps, so cancellation and progress writes can be observed.
      let steps = 10
      for step in 1...steps {
        try await Task.sleep(for: delay / steps)
        progress(JobProgress(promptTokens: job.spec.requests.count * 8, generatedTokens: step, requestsDone: 0))
        let end = answer.index(answer.startIndex, offsetBy: answer.count * step / steps)
        if let text, end > streamed { text(String(answer[streamed..<end])) }
        streamed = max(streamed, end)
      }
    }
    if let text, streamed < answer.endIndex { text(String(answer[streamed...])) }
    try Task.checkCancellation()
    if job.lease.attempt <= failingAttempts {
      throw ExecutionFailure("echo executor: attempt \(job.lease.attempt) fails on purpose")
    }
    return job.spec.requests.map { request in
      var sampling = request.sampling
      sampling.seed = sampling.seed ?? 0
      let words = request.messages.last?.content.split(separator: " ").count ?? 0
      return RequestResult(
        customID: request.customID, text: Self.answer(request),
        finishReason: "stop", promptTokens: words, reusedTokens: 0, generatedTokens: 1, sampling: sampling)
    }
  }

  static func answer(_ request: ChatRequest) -> String { "echo: \(request.messages.last?.content.prefix(64) ?? "")" }
}
