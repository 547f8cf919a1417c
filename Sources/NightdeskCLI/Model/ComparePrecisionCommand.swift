import ArgumentParser
import Foundation
import NightdeskModel
import NightdeskSupport

/// `nightdesk compare-precision`: how far `--activations int8` strays from the float32 reference.
struct ComparePrecisionCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare-precision",
    abstract: "Measure 8-bit-activation agreement with the float32 reference on a model.",
    usage: "nightdesk compare-precision --model <path> [<options>]",
    discussion: """
      Loads the model twice (--activations f32 and int8, each with its own default KV cache: \
      f32 and f16), feeds both the same prompts, then \
      --steps greedy tokens chosen by the reference (teacher-forced), and compares every \
      step's full logit row: top-1 agreement, steps of identical greedy output per prompt \
      (before the first disagreement), max and mean |Δlogit|, and for scale the mean |logit| \
      and the mean top-1 − top-2 margin of the reference.

      Example:
        nightdesk compare-precision --model models/SmolLM2-135M-Instruct.Q4_1.gguf --steps 32
      """)

  static let defaultPrompts = [
    "The history of the printing press begins",
    "Question: What is the capital of France? Answer:",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "Summarise the quarterly report: revenue grew 12% while operating costs",
  ]

  @Option(help: ArgumentHelp("A Hugging Face model folder or a .gguf file.", valueName: "path"))
  var model: String

  @Option(name: .customLong("prompt"), help: ArgumentHelp("A prompt (repeatable; default: four built-in prompts).", valueName: "text"))
  var prompts: [String] = []

  @Option(help: ArgumentHelp("Greedy steps compared after each prompt.", valueName: "n"))
  var steps: Int = 32

  @Option(help: ArgumentHelp("Compute threads (default: NIGHTDESK_THREADS or all cores).", valueName: "n"))
  var threads: Int?

  @Option(help: ArgumentHelp("How the int8 run caches keys and values: f32, f16 or bf16 (default: f16, as int8 runs do).",
                             valueName: "precision"))
  var kvPrecision: KVPrecision?

  @Flag(help: "Print one JSON object instead of text.")
  var json = false

  func validate() throws {
    guard steps >= 1, steps <= 4096 else { throw ValidationError("--steps must be between 1 and 4096") }
  }

  func run() throws {
    let served = try ServedModel.open(model, threads: threads)
    let reference = try served.loadModel()
    let candidate = try served.package.loadModel(threads: threads, activations: .int8)
    let texts = prompts.isEmpty ? Self.defaultPrompts : prompts
    let ids = texts.map { served.tokenizer.encode($0) }
    if let empty = ids.firstIndex(where: \.isEmpty) { throw CommandFailure("prompt \(empty + 1) encodes to no tokens") }
    let kv = kvPrecision ?? ActivationPrecision.int8.defaultKVPrecision
    let report = try PrecisionComparison.measure(
      reference: reference, candidate: candidate, prompts: ids, steps: steps, candidateKV: kv)
    if json {
      var object = JSONObject()
      object["model"] = .string(model)
      object["prompts"] = .int(Int64(ids.count))
      object["steps"] = .int(Int64(report.steps))
      object["kv_precision"] = .string(kv.rawValue)
      object["top1_agreement"] = .double(report.topOneAgreement)
      object["leading_identical_tokens"] = .array(report.leadingAgreements.map { .int(Int64($0)) })
      object["max_logit_error"] = .double(Double(report.maxLogitError))
      object["mean_logit_error"] = .double(report.meanLogitError)
      object["mean_abs_logit"] = .double(report.meanAbsoluteLogit)
      object["mean_top_margin"] = .double(report.meanTopMargin)
      print(JSONWriter.string(.object(object)))
    } else {
      print("int8 activations (\(kv.rawValue) KV) vs f32, " + String(format: "%d prompts × %d steps: top-1 agreement %.1f%% (%d/%d)",
                   ids.count, steps, 100 * report.topOneAgreement, report.topOneAgreements, report.steps))
      print("identical greedy tokens per prompt before the first difference: "
        + report.leadingAgreements.map(String.init).joined(separator: ", ") + " (of \(steps))")
      print(String(format: "|Δlogit| max %.4f  mean %.5f   (mean |logit| %.3f, mean top-1 − top-2 margin %.3f)",
                   report.maxLogitError, report.meanLogitError, report.meanAbsoluteLogit, report.meanTopMargin))
    }
  }
}
