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
      Single-sequence mode (the default) runs two tests, --repetitions times each after \
      one warm-up, and reports the median tokens/s of each and the process's peak RSS: \
      prefill of --prompt-tokens synthetic tokens in one step, and greedy decoding of \
      --gen-tokens tokens one at a time (end-of-sequence ignored) on a sequence that \
      already holds --decode-context tokens (default 0). These are the figures llama.cpp's \
      llama-bench calls pp and tg; like its tg test, decoding starts from an empty cache \
      unless --decode-context says otherwise.

      Workload mode (--requests N) runs N requests through the batching engine: all share \
      one --prefix-tokens document, each adds its own --suffix-tokens question and \
      generates --gen-tokens tokens greedily (end-of-sequence ignored). It reports wall \
      time, prompt and generated tokens/s, prefix tokens reused, peak RSS and KV memory; \
      --prefix-tokens 0 gives a workload with nothing shared. --constrain FILE runs the \
      workload unconstrained and constrained by a JSON Schema (or a job type's \
      output_schema), alternating three times, and prints the two side by side with \
      their speed ratio (the unconstrained runs generate as many tokens per request as \
      the constrained ones, so both run the same batches and the ratio is the mask's cost).

      Threads: --threads, else NIGHTDESK_THREADS, else all cores.

      Examples:
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --prompt-tokens 512 --gen-tokens 128 --json
        nightdesk bench --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --requests 32 --prefix-tokens 900 --suffix-tokens 32 --gen-tokens 64
        nightdesk bench queue --json   # the queue alone, no model
      """,
    subcommands: [BenchQueueCommand.self, StructuredBenchCommand.self])

  @Option(help: ArgumentHelp("A Hugging Face model folder or a .gguf file.", valueName: "path"))
  var model: String?  // required, except for `bench queue`

  @Option(help: ArgumentHelp("Prompt tokens prefilled in one step.", valueName: "n"))
  var promptTokens: Int = 512

  @Option(help: ArgumentHelp("Tokens decoded one at a time (workload mode: generated per request).", valueName: "n"))
  var genTokens: Int = 128

  @Option(help: ArgumentHelp(
    "Single-sequence mode: tokens already in the sequence's cache when the decode test starts (0, as llama-bench's tg).",
    valueName: "n"))
  var decodeContext: Int = 0

  @Option(help: ArgumentHelp("Timed repetitions (the median is reported).", valueName: "n"))
  var repetitions: Int = 3

  @Option(help: ArgumentHelp("Compute threads (default: NIGHTDESK_THREADS or all cores).", valueName: "n"))
  var threads: Int?

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  @OptionGroup var precision: ActivationOptions

  @OptionGroup(title: "Workload mode (--requests): many requests through the batching engine")
  var workload: WorkloadOptions

  func validate() throws {
    guard promptTokens >= 1, promptTokens <= 1 << 20 else { throw ValidationError("--prompt-tokens must be at least 1") }
    guard genTokens >= 0, genTokens <= 1 << 20 else { throw ValidationError("--gen-tokens must be at least 0") }
    guard decodeContext >= 0, decodeContext <= 1 << 20 else {
      throw ValidationError("--decode-context must be between 0 and \(1 << 20)")
    }
    guard repetitions >= 1, repetitions <= 100 else { throw ValidationError("--repetitions must be between 1 and 100") }
  }

  func run() async throws {
    // Checked here, not in validate(): argument-parser validates this command for `bench queue` too.
    guard let model else { throw CommandFailure("bench needs --model PATH (or `nightdesk bench queue` for the queue alone)") }
    let package = try ModelPackage.open(model)
    if let workload = try workload.workload(generatedTokens: genTokens) {
      try await self.workload.run(workload, package: package, threads: threads, activations: precision.activations, json: json)
    } else {
      try runSingleSequence(package: package)
    }
  }

  func runSingleSequence(package: ModelPackage) throws {
    let loaded = try package.loadModel(threads: threads, activations: precision.activations)
    let vocabulary = loaded.config.vocabularySize
    // Synthetic prompt: deterministic ids spread over the vocabulary.
    var state: UInt64 = 0x5EED
    let prompt: [Int32] = (0..<max(promptTokens, decodeContext + 1)).map { _ in
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Int32((state >> 33) % UInt64(vocabulary))
    }
    // Warm-up: page in the weights and size the buffers for both tests.
    _ = try measurePrefill(loaded, prompt: Array(prompt.prefix(promptTokens)))
    _ = try measureDecode(loaded, context: Array(prompt.prefix(decodeContext)), start: prompt[decodeContext], generate: 4)
    var prefill: [Double] = [], decode: [Double] = []
    for _ in 0..<repetitions {
      prefill.append(Double(promptTokens) / (try measurePrefill(loaded, prompt: Array(prompt.prefix(promptTokens)))))
      if genTokens > 0 {
        let seconds = try measureDecode(
          loaded, context: Array(prompt.prefix(decodeContext)), start: prompt[decodeContext], generate: genTokens)
        decode.append(Double(genTokens) / seconds)
      }
    }
    let peak = Self.peakRSSBytes()
    var result = JSONObject()
    result["model"] = .string(package.path)
    result["threads"] = .int(Int64(loaded.threadCount))
    result["kernels"] = .string(loaded.kernelLevel.name)
    result["cpu"] = .string(KernelLevel.cpuName)
    result["activations"] = .string(precision.activations.rawValue)
    result["kv_precision"] = .string(kvPrecision.rawValue)
    result["prompt_tokens"] = .int(Int64(promptTokens))
    result["gen_tokens"] = .int(Int64(genTokens))
    result["decode_context"] = .int(Int64(decodeContext))
    result["prefill_tokens_per_s"] = .double(Self.median(prefill))
    result["decode_tokens_per_s"] = .double(Self.median(decode))
    result["prefill_runs"] = .array(prefill.map { .double($0) })
    result["decode_runs"] = .array(decode.map { .double($0) })
    result["peak_rss_bytes"] = .int(Int64(peak))
    if json {
      print(JSONWriter.string(.object(result)))
    } else {
      print(String(format: "prefill %d tokens: %.1f tok/s   decode %d tokens after %d: %.1f tok/s   threads %d   peak RSS %.1f MiB",
                   promptTokens, Self.median(prefill), genTokens, decodeContext, Self.median(decode), loaded.threadCount,
                   Double(peak) / 1_048_576)
            + "   kernels \(loaded.kernelLevel.name) on \(KernelLevel.cpuName)")
    }
  }

  /// How the single-sequence runs cache keys and values (`--kv-precision`, else the activations' default).
  private var kvPrecision: KVPrecision { workload.engine.kvPrecision(for: precision.activations) }

  /// Seconds to prefill `prompt` in one step on a fresh sequence.
  private func measurePrefill(_ model: TransformerModel, prompt: [Int32]) throws -> Double {
    let sequence = try SingleSequence(model: model, capacity: prompt.count + 1, precision: kvPrecision)
    let start = DispatchTime.now().uptimeNanoseconds
    _ = try sequence.feed(prompt, chunkSize: prompt.count)
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// Seconds to decode `generate` tokens one at a time, from `start`, on a fresh
  /// sequence that first holds `context` (prefilled untimed).
  private func measureDecode(_ model: TransformerModel, context: [Int32], start: Int32, generate: Int) throws -> Double {
    let sequence = try SingleSequence(model: model, capacity: context.count + generate + 1, precision: kvPrecision)
    if !context.isEmpty { _ = try sequence.feed(context, chunkSize: context.count) }
    let began = DispatchTime.now().uptimeNanoseconds
    var next = start
    for _ in 0..<generate {
      next = Int32(argmax(try sequence.feed([next])))
    }
    return Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
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
