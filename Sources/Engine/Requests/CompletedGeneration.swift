/// Everything a finished request produced, for callers that want the whole
/// result rather than the stream (batch files, the queue worker).
public struct CompletedGeneration: Sendable, Equatable {
  public var tokens: [Int32] = []
  public var text = ""
  /// Per token: log-probabilities when the request asked for them.
  public var samples: [SampledToken] = []
  public var summary: GenerationSummary
}

extension Generation {
  /// Reads the stream to its end; throws `CancellationError` if the reading task is
  /// cancelled (the request is then cancelled in the engine and its KV freed). `onProgress` sees prompt progress and each token
  /// count as they arrive (for progress reports); it runs on the reading task.
  public func collect(onProgress: ((RequestProgress) -> Void)? = nil, onText: ((String) -> Void)? = nil) async throws
    -> CompletedGeneration
  {
    var tokens: [Int32] = []
    var text = ""
    var samples: [SampledToken] = []
    var last: RequestProgress?
    for try await event in events {
      switch event {
      case .progress(let progress):
        last = progress
        onProgress?(progress)
      case .token(let token):
        tokens.append(token.sample.id)
        text += token.text
        if !token.text.isEmpty { onText?(token.text) }
        samples.append(token.sample)
        if var progress = last {
          progress.phase = .decode
          progress.promptTokensDone = progress.promptTokens
          progress.generatedTokens = tokens.count
          last = progress
          onProgress?(progress)
        }
      case .finished(let summary):
        return CompletedGeneration(tokens: tokens, text: text, samples: samples, summary: summary)
      }
    }
    // The reading task was cancelled: the stream's termination has cancelled the request.
    try Task.checkCancellation()
    throw EngineError(.stopped, "\(id)'s stream ended without a result")
  }
}
