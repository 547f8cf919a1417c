import Dispatch
import NightdeskEngine
import NightdeskRequests
import NightdeskSupport

/// `nightdesk bench`'s workload mode: N requests sharing one P-token document,
/// each with its own S-token question, G greedy tokens out with EOS ignored, at
/// most C in flight. Token ids are synthetic, drawn from a range of ordinary
/// tokens with a fixed seed, so runs are repeatable and need no text.
struct BenchWorkload: Sendable, Equatable {
  var requests: Int
  var prefixTokens: Int
  var suffixTokens: Int
  var generatedTokens: Int
  /// Requests in flight at once; nil submits them all at once.
  var concurrency: Int?
  var seed: UInt64

  init(
    requests: Int, prefixTokens: Int, suffixTokens: Int, generatedTokens: Int, concurrency: Int? = nil, seed: UInt64 = 42
  ) {
    self.requests = requests
    self.prefixTokens = prefixTokens
    self.suffixTokens = suffixTokens
    self.generatedTokens = generatedTokens
    self.concurrency = concurrency
    self.seed = seed
  }

  func validate() throws(EngineError) {
    guard requests >= 1 else { throw EngineError(.invalidRequest, "--requests is \(requests); it must be at least 1") }
    guard prefixTokens >= 0, suffixTokens >= 0, prefixTokens + suffixTokens >= 1 else {
      throw EngineError(.invalidRequest, "--prefix-tokens plus --suffix-tokens must be at least 1, neither negative")
    }
    guard generatedTokens >= 1 else {
      throw EngineError(.invalidRequest, "--gen-tokens is \(generatedTokens); it must be at least 1")
    }
    if let concurrency, concurrency < 1 {
      throw EngineError(.invalidRequest, "--concurrency is \(concurrency); it must be at least 1")
    }
  }

  /// The requests, with ids drawn from `tokens` (pick ordinary text tokens: no control tokens).
  func makeRequests(tokens: Range<Int32>) -> [GenerationRequest] {
    let span = UInt64(tokens.count)
    var draw = 0
    func next() -> Int32 {
      draw += 1
      return tokens.lowerBound + Int32(truncatingIfNeeded: SplitMix64.mix(seed ^ UInt64(draw)) % span)
    }
    let document = (0..<prefixTokens).map { _ in next() }
    let sampling = SamplingParameters(temperature: 0, maxTokens: generatedTokens, ignoreEOS: true)
    return (0..<requests).map { _ in
      GenerationRequest(prompt: document + (0..<suffixTokens).map { _ in next() }, sampling: sampling)
    }
  }

  /// Runs `requests` through `engine` and reports. The engine should be fresh, so
  /// the statistics are this run's.
  func run(
    _ requests: [GenerationRequest], on engine: Engine, onStep: (@Sendable (StepStatistics) -> Void)? = nil
  ) async throws -> BenchReport {
    let before = engine.statistics
    let peakKV = LockedValue(0)
    let decodeOnly = LockedValue(DecodeOnlySteps())
    engine.observeSteps { step in
      peakKV.withLock { $0 = max($0, step.kvBlocksUsed) }
      if step.prefillTokens == 0 && step.decodeTokens > 0 {
        decodeOnly.withLock { $0.add(tokens: step.decodeTokens, seconds: step.stepSeconds) }
      }
      onStep?(step)
    }
    let started = DispatchTime.now().uptimeNanoseconds
    let limit = max(1, concurrency ?? requests.count)
    var byRequest = [Usage?](repeating: nil, count: requests.count)
    var finishedCount = 0
    try await withThrowingTaskGroup(of: (Int, Usage).self) { group in
      var next = 0
      while next < requests.count || !group.isEmpty {
        while next < requests.count && next - finishedCount < limit {
          let generation = engine.submit(requests[next])
          group.addTask { [next] in (next, try await generation.collect().summary.usage) }
          next += 1
        }
        if let (index, finished) = try await group.next() {
          byRequest[index] = finished
          finishedCount += 1
        }
      }
    }
    let usage = byRequest.compactMap { $0 }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    engine.observeSteps(nil)
    let after = engine.statistics
    return BenchReport(
      workload: self, wallSeconds: wall, promptTokens: usage.reduce(0) { $0 + $1.promptTokens },
      generatedTokens: usage.reduce(0) { $0 + $1.generatedTokens },
      prefixReusedTokens: usage.reduce(0) { $0 + $1.prefixReusedTokens },
      steps: after.steps - before.steps, busySeconds: after.busySeconds - before.busySeconds,
      preemptions: after.preemptions - before.preemptions,
      peakRSSBytes: ProcessMemory.peakResidentBytes() ?? 0, kvBytes: after.kvBytes,
      kvBytesPeakUsed: after.kvBlockCount == 0 ? 0 : after.kvBytes / after.kvBlockCount * peakKV.current,
      medianFirstTokenSeconds: Self.median(usage.compactMap(\.firstTokenSeconds)), decodeOnly: decodeOnly.current,
      generatedPerRequest: usage.map(\.generatedTokens))
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  }
}

/// Steps that ran decode tokens only, no prefill chunk: the figure llama.cpp's
/// `llama-batched-bench` reports as its decode speed (`speed_tg`), which times
/// its decode calls apart from the shared prompt's prefill.
struct DecodeOnlySteps: Sendable, Equatable {
  var steps = 0
  var tokens = 0
  var seconds = 0.0

  init() {}

  mutating func add(tokens: Int, seconds: Double) {
    steps += 1
    self.tokens += tokens
    self.seconds += seconds
  }

  var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }
}

/// What a workload run measured.
struct BenchReport: Sendable, Equatable {
  var workload: BenchWorkload
  var wallSeconds: Double
  var promptTokens: Int
  var generatedTokens: Int
  var prefixReusedTokens: Int
  var steps: Int
  /// Time the step thread spent in steps (the rest of the wall time it waited).
  var busySeconds: Double
  var preemptions: Int
  var peakRSSBytes: Int
  /// KV memory allocated, and the most of it that sequences held at once.
  var kvBytes: Int
  var kvBytesPeakUsed: Int
  var medianFirstTokenSeconds: Double
  var decodeOnly: DecodeOnlySteps
  /// Tokens each request generated, in the order of the requests.
  var generatedPerRequest: [Int] = []

  /// Both rates are over the whole wall time (prefill and decode overlap in a batch engine).
  var promptTokensPerSecond: Double { wallSeconds > 0 ? Double(promptTokens) / wallSeconds : 0 }
  var generatedTokensPerSecond: Double { wallSeconds > 0 ? Double(generatedTokens) / wallSeconds : 0 }

  var json: JSONValue {
    .object(
      JSONObject([
        "mode": "workload",
        "requests": .int(Int64(workload.requests)),
        "prefix_tokens": .int(Int64(workload.prefixTokens)),
        "suffix_tokens": .int(Int64(workload.suffixTokens)),
        "gen_tokens": .int(Int64(workload.generatedTokens)),
        "concurrency": .int(Int64(workload.concurrency ?? workload.requests)),
        "wall_s": .double(wallSeconds),
        "prompt_tokens": .int(Int64(promptTokens)),
        "generated_tokens": .int(Int64(generatedTokens)),
        "prompt_tokens_per_s": .double(promptTokensPerSecond),
        "generated_tokens_per_s": .double(generatedTokensPerSecond),
        "prefix_reused_tokens": .int(Int64(prefixReusedTokens)),
        "prefix_hit_ratio": .double(promptTokens == 0 ? 0 : Double(prefixReusedTokens) / Double(promptTokens)),
        "median_first_token_s": .double(medianFirstTokenSeconds),
        "decode_only_steps": .int(Int64(decodeOnly.steps)),
        "decode_only_tokens": .int(Int64(decodeOnly.tokens)),
        "decode_only_s": .double(decodeOnly.seconds),
        "decode_only_tokens_per_s": .double(decodeOnly.tokensPerSecond),
        "steps": .int(Int64(steps)),
        "engine_busy_s": .double(busySeconds),
        "preemptions": .int(Int64(preemptions)),
        "peak_rss_bytes": .int(Int64(peakRSSBytes)),
        "kv_bytes": .int(Int64(kvBytes)),
        "kv_bytes_peak_used": .int(Int64(kvBytesPeakUsed)),
      ]))
  }

  var text: String {
    func rate(_ value: Double) -> String { String(format: "%.1f", value) }
    return """
      workload: \(workload.requests) requests x (\(workload.prefixTokens) shared + \(workload.suffixTokens) own) prompt tokens, \
      \(workload.generatedTokens) generated, concurrency \(workload.concurrency ?? workload.requests)
      wall time        \(String(format: "%.3f", wallSeconds)) s (\(steps) steps, engine busy \(String(format: "%.3f", busySeconds)) s)
      prompt tokens    \(promptTokens) (\(rate(promptTokensPerSecond)) tok/s), \(prefixReusedTokens) from the prefix cache
      generated tokens \(generatedTokens) (\(rate(generatedTokensPerSecond)) tok/s)
      decode-only      \(decodeOnly.tokens) tokens in \(decodeOnly.steps) steps without prefill (\(rate(decodeOnly.tokensPerSecond)) tok/s)
      first token      \(String(format: "%.3f", medianFirstTokenSeconds)) s median
      preemptions      \(preemptions)
      peak RSS         \(ByteCount.format(peakRSSBytes))
      KV memory        \(ByteCount.format(kvBytes)) allocated, \(ByteCount.format(kvBytesPeakUsed)) peak in use
      """
  }
}
