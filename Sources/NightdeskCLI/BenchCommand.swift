import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskSupport

/// `nightdesk bench`: single-sequence prefill and decode speed of a model
/// (the figures llama.cpp's `llama-bench` pp/tg report), and peak memory.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure a model's speed: one sequence, or many requests through the engine.",
    usage: """
      nightdesk bench --model <path> [<options>]
      nightdesk bench queue [--jobs <n>] [--json] [<options>]
      """,
    discussion: """
      Single-sequence mode (the default) prefills --prompt-tokens synthetic tokens in one \
      step, then decodes --gen-tokens tokens greedily (end-of-sequence ignored), \
      --repetitions times after one warm-up; it reports the median tokens/s of each phase \
      and the process's peak RSS, the figures llama.cpp's llama-bench calls pp and tg.

      Workload mode (--requests N) runs N requests through the batching engine: all share \
      one --prefix-tokens document, each adds its own --suffix-tokens question and \
      generates --gen-tokens tokens greedily (end-of-sequence ignored). It reports wall \
      time, prompt and generated tokens/s, prefix tokens reused, peak RSS and KV memory; \
      --prefix-tokens 0 gives a workload with nothing shared.

      Threads: --threads, else NIGHTDESK_THREADS, else all cores.

      Examples:
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --prompt-tokens 512 --gen-tokens 128 --json
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --requests 32 --prefix-tokens 900 --suffix-tokens 32 --gen-tokens 64
        nightdesk bench queue --json   # the queue alone, no model
      """,
    subcommands: [BenchQueueCommand.self])

  @Option(help: ArgumentHelp("A Hugging Face model folder or a .gguf file.", valueName: "path"))
  var model: String?  // required, except for `bench queue`

  @Option(help: ArgumentHelp("Prompt tokens prefilled in one step.", valueName: "n"))
  var promptTokens: Int = 512

  @Option(help: ArgumentHelp("Tokens decoded one at a time after the prompt.", valueName: "n"))
  var genTokens: Int = 128

  @Option(help: ArgumentHelp("Timed repetitions (the median is reported).", valueName: "n"))
  var repetitions: Int = 3

  @Option(help: ArgumentHelp("Compute threads (default: NIGHTDESK_THREADS or all cores).", valueName: "n"))
  var threads: Int?

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @OptionGroup(title: "Workload mode (--requests): many requests through the batching engine")
  var workload: WorkloadOptions

  func validate() throws {
    guard promptTokens >= 1, promptTokens <= 1 << 20 else { throw ValidationError("--prompt-tokens must be at least 1") }
    guard genTokens >= 0, genTokens <= 1 << 20 else { throw ValidationError("--gen-tokens must be at least 0") }
    guard repetitions >= 1, repetitions <= 100 else { throw ValidationError("--repetitions must be between 1 and 100") }
  }

  func run() async throws {
    // Checked here, not in validate(): argument-parser validates this command for `bench queue` too.
    guard let model else { throw CommandFailure("bench needs --model PATH (or `nightdesk bench queue` for the queue alone)") }
    try checkModelFolder(model)
    if let workload = try workload.workload(generatedTokens: genTokens) {
      try await self.workload.run(workload, modelPath: model, threads: threads, json: json)
    } else {
      try runSingleSequence(model: model)
    }
  }

  func runSingleSequence(model: String) throws {
    let loaded = try ModelLoader.loadModel(path: model, threads: threads)
    let vocabulary = loaded.config.vocabularySize
    // Synthetic prompt: deterministic ids spread over the vocabulary.
    var state: UInt64 = 0x5EED
    let prompt: [Int32] = (0..<promptTokens).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int32((state >> 33) % UInt64(vocabulary))
    }
    _ = try measure(loaded, prompt: Array(prompt.prefix(32)), generate: 4)  // warm-up: page in weights, size buffers
    var prefill: [Double] = [], decode: [Double] = []
    for _ in 0..<repetitions {
      let (p, d) = try measure(loaded, prompt: prompt, generate: genTokens)
      prefill.append(Double(promptTokens) / p)
      if genTokens > 0 { decode.append(Double(genTokens) / d) }
    }
    let peak = Self.peakRSSBytes()
    var result = JSONObject()
    result["model"] = .string(model)
    result["threads"] = .int(Int64(loaded.threadCount))
    result["prompt_tokens"] = .int(Int64(promptTokens))
    result["gen_tokens"] = .int(Int64(genTokens))
    result["prefill_tokens_per_s"] = .double(Self.median(prefill))
    result["decode_tokens_per_s"] = .double(Self.median(decode))
    result["prefill_runs"] = .array(prefill.map { .double($0) })
    result["decode_runs"] = .array(decode.map { .double($0) })
    result["peak_rss_bytes"] = .int(Int64(peak))
    if json {
      print(JSONWriter.string(.object(result)))
    } else {
      print(String(format: "prefill %d tokens: %.1f tok/s   decode %d tokens: %.1f tok/s   threads %d   peak RSS %.1f MiB",
                   promptTokens, Self.median(prefill), genTokens, Self.median(decode), loaded.threadCount,
                   Double(peak) / 1_048_576))
    }
  }

  /// Seconds for the prefill step and for the decode steps.
  private func measure(_ model: TransformerModel, prompt: [Int32], generate: Int) throws -> (Double, Double) {
    let sequence = try SingleSequence(model: model, capacity: prompt.count + generate + 1)
    let start = DispatchTime.now().uptimeNanoseconds
    var logits = try sequence.feed(prompt, chunkSize: prompt.count)
    let prefilled = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<generate {
      logits = try sequence.feed([Int32(argmax(logits))])
    }
    let end = DispatchTime.now().uptimeNanoseconds
    return (Double(prefilled - start) / 1e9, Double(end - prefilled) / 1e9)
  }

  static func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
  }

  static func peakRSSBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss * 1024  // kilobytes on Linux
  }
}
