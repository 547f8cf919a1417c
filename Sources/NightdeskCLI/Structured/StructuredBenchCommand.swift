import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskStructured
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk bench structured`: how long schema-constrained decoding takes apart from
/// the model: compiling a schema, and computing the token mask at every step of random
/// constrained walks (each step picks uniformly among the allowed tokens, which keeps
/// strings long and states varied: harder than a model's own choices).
struct StructuredBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "structured",
    abstract: "Schema-constrained decoding: schema compile time and token-mask time per token.",
    usage: "nightdesk bench structured [--model <path>] [--schema <file>] [<options>]",
    discussion: """
      Loads only the tokenizer of --model (default: the SmolLM2 GGUF under models/), \
      builds its vocabulary trie, compiles the JSON Schema of --schema (default: an \
      annual-report job schema with nested objects, arrays, enums and nullable fields) \
      --compiles times and reports the median, then runs --walks random constrained \
      walks and times every mask: mean, p50, p99, p99.9 and max, in wall time and in \
      the thread's CPU time (on a busy machine the wall time of a few masks includes \
      being descheduled), with the CPU. Every walk's text is validated \
      against the schema; one that is not valid (there should be none) fails the \
      command. Also timed: applying each mask to a row of logits (-inf for every \
      refused id), and a greedy pick under it that reads only the allowed logits. \
      With --budget each mask is also told the tokens the walk has left of \
      --max-tokens, as the engine tells it, so every walk closes its value within them \
      (the last masks walk the whole vocabulary); those closed by the budget are \
      counted. --json prints one JSON object.

      Examples:
        nightdesk bench structured --model Tests/Fixtures/qwen3-tiny
        nightdesk bench structured --model models/SmolLM2-135M-Instruct.Q4_1.gguf \\
            --schema out.json --json
      """)

  /// `bench`'s own --model and --json, which argument-parser gives to the parent command.
  @ParentCommand var bench: BenchCommand
  var model: String { bench.model ?? "models/SmolLM2-135M-Instruct.Q4_1.gguf" }
  var json: Bool { bench.json }

  @Option(help: ArgumentHelp("A JSON Schema file (default: a built-in annual-report schema).", valueName: "file"))
  var schema: String?

  @Option(help: ArgumentHelp("Random constrained walks to time.", valueName: "n"))
  var walks = 30

  @Option(help: ArgumentHelp("Most tokens per walk (a walk that reaches it counts as unfinished).", valueName: "n"))
  var maxTokens = 4000

  @Flag(help: "Give each mask the tokens left of --max-tokens (budget-aware masking, as the engine does).")
  var budget = false

  @Option(help: ArgumentHelp("Timed schema compilations (the median is reported).", valueName: "n"))
  var compiles = 1000

  @Option(help: ArgumentHelp("Seed of the walks' choices.", valueName: "n"))
  var seed: UInt64 = 1

  func validate() throws {
    guard walks >= 1, walks <= 100_000 else { throw ValidationError("--walks must be between 1 and 100000") }
    guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
    guard compiles >= 1, compiles <= 1_000_000 else { throw ValidationError("--compiles must be between 1 and 1000000") }
  }

  static let defaultSchema = """
    {"type": "object", "additionalProperties": false, "required": ["company", "period", "metrics", "risks", "outlook"],
     "properties": {
       "company": {"type": "string", "maxLength": 80},
       "period": {"type": "string", "maxLength": 20},
       "metrics": {"type": "array", "maxItems": 8, "items": {"type": "object", "additionalProperties": false,
         "required": ["name", "value", "unit"], "properties": {
           "name": {"type": "string", "maxLength": 40}, "value": {"type": "number"},
           "unit": {"enum": ["EUR", "USD", "percent", "employees", "other"]},
           "page": {"type": ["integer", "null"]}}}},
       "risks": {"type": "array", "maxItems": 5, "items": {"type": "object", "additionalProperties": false,
         "required": ["risk", "severity"], "properties": {
           "risk": {"type": "string", "maxLength": 120}, "severity": {"enum": ["low", "medium", "high"]},
           "section": {"anyOf": [{"type": "string", "maxLength": 40}, {"type": "null"}]}}}},
       "outlook": {"enum": ["positive", "neutral", "negative"]},
       "audited": {"type": "boolean"}}}
    """

  func run() throws {
    let text = try schema.map { try String(contentsOfFile: $0, encoding: .utf8) } ?? Self.defaultSchema
    let document: JSONValue
    do { document = try JSONParser.parse(text) } catch { throw CommandFailure("\(schema ?? "schema"): \(error)") }
    var compiled: StructuredSchema
    do { compiled = try StructuredSchema.compile(document) } catch { throw CommandFailure("\(error)") }  // before the model

    let tokenizer = try Tokenizer(spec: ModelPackage.open(model).tokenizerSpec())
    let vocabularyStart = DispatchTime.now().uptimeNanoseconds
    let vocabularyCPUStart = Self.threadCPUNanoseconds()
    let vocabulary = TokenVocabulary(tokenizer: tokenizer)
    let vocabularyCPUNanos = Self.threadCPUNanoseconds() - vocabularyCPUStart
    let vocabularyNanos = DispatchTime.now().uptimeNanoseconds - vocabularyStart

    var compileNanos: [UInt64] = [], compileCPUNanos: [UInt64] = []
    for _ in 0..<compiles {
      let start = DispatchTime.now().uptimeNanoseconds
      let cpuStart = Self.threadCPUNanoseconds()
      do { compiled = try StructuredSchema.compile(document) } catch { throw CommandFailure("\(error)") }
      compileCPUNanos.append(Self.threadCPUNanoseconds() - cpuStart)
      compileNanos.append(DispatchTime.now().uptimeNanoseconds - start)
    }

    // Wall time, and the thread's CPU time: on a shared machine the wall time of a few
    // masks includes being descheduled (tens of ms); the CPU time is the mask's own cost.
    var maskNanos: [UInt64] = [], maskCPUNanos: [UInt64] = []
    // Applying the mask to a row of logits (-inf for refused ids), as a sampler would.
    var applyNanos: [UInt64] = [], argmaxNanos: [UInt64] = []
    var logits = [Float](repeating: 0, count: vocabulary.count)
    var state = seed
    func random() -> UInt64 {  // an LCG's high bits, as `bench` makes its synthetic prompts
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return state >> 33
    }
    var unfinished = 0, invalid = 0, outputBytes = 0, closedByBudget = 0
    var mask = TokenMask(count: vocabulary.count)
    for _ in 0..<walks {
      var constraint = TokenConstraint(schema: compiled, vocabulary: vocabulary)
      var tokens = 0
      while !constraint.isFinished, tokens < maxTokens {
        let start = DispatchTime.now().uptimeNanoseconds
        let cpuStart = Self.threadCPUNanoseconds()
        constraint.allowedTokens(into: &mask, tokensLeft: budget ? maxTokens - tokens : nil)
        maskCPUNanos.append(Self.threadCPUNanoseconds() - cpuStart)
        maskNanos.append(DispatchTime.now().uptimeNanoseconds - start)
        let applyStart = DispatchTime.now().uptimeNanoseconds
        logits.withUnsafeMutableBufferPointer { mask.apply(to: $0) }
        applyNanos.append(DispatchTime.now().uptimeNanoseconds - applyStart)
        let argmaxStart = DispatchTime.now().uptimeNanoseconds
        _ = logits.withUnsafeBufferPointer { mask.argmax($0) }
        argmaxNanos.append(DispatchTime.now().uptimeNanoseconds - argmaxStart)
        let allowed = mask.allowedIDs
        guard !allowed.isEmpty else { break }
        try constraint.accept(token: Int(allowed[Int(random() % UInt64(allowed.count))]))
        tokens += 1
      }
      outputBytes += constraint.text.count
      // Under --budget a walk may stop at --max-tokens on a whole value: closed, not unfinished.
      if constraint.closedByBudget { closedByBudget += 1 }
      if !constraint.isFinished, !(budget && constraint.isComplete) {
        unfinished += 1
      } else if !compiled.validate(text: constraint.text).isEmpty {
        invalid += 1
      }
    }

    let wall = MaskTimes(maskNanos), cpu = MaskTimes(maskCPUNanos), apply = MaskTimes(applyNanos)
    let argmax = MaskTimes(argmaxNanos)
    let compileMedian = Double(compileNanos.sorted()[compileNanos.count / 2]) / 1000
    let compileCPUMedian = Double(compileCPUNanos.sorted()[compileCPUNanos.count / 2]) / 1000
    var report = JSONObject()
    report["model"] = .string(model)
    report["vocabulary"] = .int(Int64(vocabulary.count))
    report["cpu"] = .string(KernelLevel.cpuName)
    report["vocabulary_build_ms"] = .double(Double(vocabularyNanos) / 1e6)
    report["vocabulary_build_cpu_ms"] = .double(Double(vocabularyCPUNanos) / 1e6)
    report["compile_median_us"] = .double(compileMedian)
    report["compile_cpu_median_us"] = .double(compileCPUMedian)
    report["walks"] = .int(Int64(walks))
    report["tokens"] = .int(Int64(maskNanos.count))
    report["output_bytes"] = .int(Int64(outputBytes))
    report["mask_wall_us"] = wall.json
    report["mask_cpu_us"] = cpu.json
    report["apply_wall_us"] = apply.json
    report["masked_argmax_wall_us"] = argmax.json
    report["unfinished_walks"] = .int(Int64(unfinished))
    report["invalid_outputs"] = .int(Int64(invalid))
    if budget { report["closed_by_budget_walks"] = .int(Int64(closedByBudget)) }
    if json {
      print(JSONWriter.string(.object(report)))
    } else {
      print(String(format: "schema compile: median %.1f µs wall, %.1f µs cpu (%d runs)", compileMedian, compileCPUMedian,
                   compiles))
      print(String(format: "vocabulary of %d tokens built in %.0f ms wall, %.0f ms cpu", vocabulary.count,
                   Double(vocabularyNanos) / 1e6, Double(vocabularyCPUNanos) / 1e6))
      print("token mask over \(maskNanos.count) tokens of \(walks) walks, \(vocabulary.count) token vocabulary:")
      print("  wall: \(wall.text)")
      print("  cpu:  \(cpu.text)")
      print("applying it to a row of logits: \(apply.text)")
      print("greedy pick under it (argmax):  \(argmax.text)")
      print("invalid outputs \(invalid), unfinished walks \(unfinished)"
        + (budget ? ", closed by the budget \(closedByBudget)" : "") + ", on \(KernelLevel.cpuName)")
    }
    if invalid > 0 { throw CommandFailure("\(invalid) walks ended in text the schema does not accept") }
  }

  static func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
  }
}

/// Mean and percentiles of per-mask times, in microseconds.
struct MaskTimes {
  let mean, p50, p99, p999, max: Double

  init(_ nanoseconds: [UInt64]) {
    let sorted = nanoseconds.sorted()
    func at(_ fraction: Double) -> Double {
      sorted.isEmpty ? 0 : Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000
    }
    mean = Double(nanoseconds.reduce(0, +)) / Double(Swift.max(nanoseconds.count, 1)) / 1000
    p50 = at(0.5)
    p99 = at(0.99)
    p999 = at(0.999)
    max = Double(sorted.last ?? 0) / 1000
  }

  var json: JSONValue {
    ["mean": .double(mean), "p50": .double(p50), "p99": .double(p99), "p99.9": .double(p999), "max": .double(max)]
  }

  var text: String {
    String(format: "mean %.1f µs  p50 %.1f µs  p99 %.1f µs  p99.9 %.1f µs  max %.1f µs", mean, p50, p99, p999, max)
  }
}
