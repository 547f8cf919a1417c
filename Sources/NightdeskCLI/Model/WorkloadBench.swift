import Foundation
import ArgumentParser
import NightdeskEngine
import NightdeskIngest
import NightdeskModel
import NightdeskStructured
import NightdeskSupport
import NightdeskTokenizer

/// `nightdesk bench`'s workload mode options: many requests through the engine.
struct WorkloadOptions: ParsableArguments {
  @Option(help: ArgumentHelp("Workload mode: this many requests through the continuous-batching engine.", valueName: "n"))
  var requests: Int?

  @Option(help: ArgumentHelp("Workload mode: tokens of the document every request shares (0: nothing shared).", valueName: "n"))
  var prefixTokens: Int = 512

  @Option(help: ArgumentHelp("Workload mode: tokens of each request's own question.", valueName: "n"))
  var suffixTokens: Int = 32

  @Option(help: ArgumentHelp("Workload mode: requests in flight at once (default: all).", valueName: "n"))
  var concurrency: Int?

  @Option(help: ArgumentHelp(
    "Workload mode: run the workload unconstrained and constrained by this JSON Schema (a .json file, or a job type's "
      + ".yaml for its output_schema), alternating, three times each, and compare their medians. Each unconstrained "
      + "run generates as many tokens per request as the constrained run before it, so the ratio is the mask's cost.",
    valueName: "file"))
  var constrain: String?

  @Flag(help: "Workload mode: print every engine step's statistics to stderr.")
  var showSteps = false

  @OptionGroup var engine: EngineOptions

  /// The workload, with `generatedTokens` from `--gen-tokens`; nil outside workload mode.
  func workload(generatedTokens: Int) throws -> BenchWorkload? {
    guard let requests else { return nil }
    let workload = BenchWorkload(
      requests: requests, prefixTokens: prefixTokens, suffixTokens: suffixTokens, generatedTokens: generatedTokens,
      concurrency: concurrency)
    do { try workload.validate() } catch { throw ValidationError(error.message) }
    return workload
  }

  @Sendable static func printStep(_ step: StepStatistics) {
    let line = String(
      format: "step %d: %d seqs, %d prefill + %d decode tokens, %d reused, %d admitted, %d preempted, "
        + "kv %d used / %d free, %.1f ms (idle before %.1f ms)\n",
      step.step, step.sequences, step.prefillTokens, step.decodeTokens, step.prefixReusedTokens, step.admitted,
      step.preempted, step.kvBlocksUsed, step.kvBlocksFree, step.stepSeconds * 1000, step.idleSeconds * 1000)
    FileHandle.standardError.write(Data(line.utf8))
  }

  /// Loads the model, runs the workload once (or the constrained comparison), prints the report.
  func run(_ workload: BenchWorkload, package: ModelPackage, threads: Int?, activations: ActivationPrecision,
           json: Bool) async throws {
    if let constrain {
      try await compare(workload, schemaPath: constrain, package: package, threads: threads, activations: activations, json: json)
      return
    }
    let model = try package.loadModel(threads: threads, activations: activations)
    let kernels = model.kernelLevel.name  // read before the engine takes the model
    let vocabulary = Int32(model.config.vocabularySize)
    // Ordinary tokens: the middle of the vocabulary, away from the control tokens
    // that vocabularies put at either end.
    let tokens = (vocabulary / 8)..<(vocabulary * 3 / 4)
    let requests = workload.makeRequests(tokens: tokens)
    let engine = try Engine(model: model, configuration: try engine.configuration(eosTokenIDs: [], activations: activations))
    let report = try await workload.run(requests, on: engine, onStep: showSteps ? Self.printStep : nil)
    await engine.shutdown()
    if json {
      var object = report.json.objectValue ?? JSONObject()
      object["model"] = .string(package.path)
      object["kernels"] = .string(kernels)
      object["cpu"] = .string(KernelLevel.cpuName)
      object["max_batch_tokens"] = .int(Int64(engine.configuration.scheduler.maxBatchTokens))
      object["block_size"] = .int(Int64(engine.configuration.blockSize))
      object["prefix_caching"] = .bool(engine.configuration.prefixCaching)
      object["kv_precision"] = .string(engine.configuration.kvPrecision.rawValue)
      print(JSONWriter.string(.object(object)))
    } else {
      print(report.text)
      print("kernels \(kernels) on \(KernelLevel.cpuName)")
    }
  }

  /// Unconstrained and schema-constrained runs of the same requests, alternating on fresh
  /// engines so that noise and the prefix cache treat both alike. A constrained request
  /// ends when its value is complete, usually before max_tokens; each round's unconstrained
  /// run then generates exactly as many tokens per request as the constrained run before it
  /// did, so both run the same batch shapes step by step and the ratio is the mask's cost
  /// alone, not a batch that empties sooner. The vocabulary is built before the clock
  /// starts, as a worker builds it once.
  func compare(_ workload: BenchWorkload, schemaPath: String, package: ModelPackage, threads: Int?,
               activations: ActivationPrecision, json: Bool) async throws {
    let source: JSONValue
    if schemaPath.hasSuffix(".yaml") || schemaPath.hasSuffix(".yml") {
      source = try JobType.load(path: schemaPath).outputSchema.json
    } else {
      source = try JSONParser.parse(try readBoundedFile(schemaPath, option: "--constrain"))
    }
    let compiled: StructuredSchema
    do { compiled = try StructuredSchema.compile(source) } catch { throw ValidationError("--constrain \(schemaPath): \(error)") }
    let vocabulary = TokenVocabulary(tokenizer: try Tokenizer(spec: package.tokenizerSpec()))
    var kernels = ""
    func once(constrained: Bool, lengths: [Int]? = nil) async throws -> BenchReport {
      let model = try package.loadModel(threads: threads, activations: activations)
      kernels = model.kernelLevel.name
      let vocabularySize = Int32(model.config.vocabularySize)
      var requests = workload.makeRequests(tokens: (vocabularySize / 8)..<(vocabularySize * 3 / 4))
      for index in requests.indices {
        if constrained {
          requests[index].schema = compiled
          requests[index].sampling.ignoreEOS = false
        } else if let lengths, index < lengths.count {
          requests[index].sampling.maxTokens = max(1, lengths[index])
        }
      }
      let engine = try Engine(
        model: model, configuration: try engine.configuration(eosTokenIDs: [], activations: activations), vocabulary: { vocabulary })
      let report = try await workload.run(requests, on: engine, onStep: showSteps ? Self.printStep : nil)
      await engine.shutdown()
      return report
    }
    var free: [BenchReport] = []
    var constrained: [BenchReport] = []
    for _ in 0..<3 {
      constrained.append(try await once(constrained: true))
      free.append(try await once(constrained: false, lengths: constrained.last?.generatedPerRequest))
    }
    func median(_ reports: [BenchReport]) -> BenchReport {
      reports.sorted { $0.generatedTokensPerSecond < $1.generatedTokensPerSecond }[reports.count / 2]
    }
    let (a, b) = (median(free), median(constrained))
    func ratio(_ x: Double, _ y: Double) -> Double { y > 0 ? x / y : 0 }
    let generatedRatio = ratio(b.generatedTokensPerSecond, a.generatedTokensPerSecond)
    let decodeRatio = ratio(b.decodeOnly.tokensPerSecond, a.decodeOnly.tokensPerSecond)
    let busyPerToken = (ratio(a.busySeconds, Double(a.generatedTokens)), ratio(b.busySeconds, Double(b.generatedTokens)))
    if json {
      print(JSONWriter.string([
        "mode": "workload-constrained", "model": .string(package.path), "schema": .string(schemaPath),
        "kernels": .string(kernels), "cpu": .string(KernelLevel.cpuName), "rounds": 3,
        "unconstrained": a.json, "constrained": b.json,
        "generated_tokens_per_s_ratio": .double(generatedRatio), "decode_only_tokens_per_s_ratio": .double(decodeRatio),
        "engine_busy_s_per_token": [.double(busyPerToken.0), .double(busyPerToken.1)],
      ]))
    } else {
      print("unconstrained, as many tokens per request as the constrained run (median of 3 by generated tok/s)\n" + a.text)
      print("constrained by \(schemaPath) (median of 3)\n" + b.text)
      print(String(
        format: "constrained / unconstrained: generated tok/s %.3f, decode-only tok/s %.3f, engine busy per token %.2f / %.2f ms",
        generatedRatio, decodeRatio, busyPerToken.1 * 1000, busyPerToken.0 * 1000))
      print("kernels \(kernels) on \(KernelLevel.cpuName)")
    }
  }
}
