import Foundation
import ArgumentParser
import NightdeskEngine
import NightdeskModel
import NightdeskSupport

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

  /// Loads the model, runs the workload once, prints the report.
  func run(_ workload: BenchWorkload, package: ModelPackage, threads: Int?, activations: ActivationPrecision,
           json: Bool) async throws {
    let model = try package.loadModel(threads: threads, activations: activations)
    let kernels = model.kernelLevel.name  // read before the engine takes the model
    let vocabulary = Int32(model.config.vocabularySize)
    // Ordinary tokens: the middle of the vocabulary, away from the control tokens
    // that vocabularies put at either end.
    let tokens = (vocabulary / 8)..<(vocabulary * 3 / 4)
    let requests = workload.makeRequests(tokens: tokens)
    let engine = try Engine(model: model, configuration: try engine.configuration(eosTokenIDs: []))
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
      print(JSONWriter.string(.object(object)))
    } else {
      print(report.text)
      print("kernels \(kernels) on \(KernelLevel.cpuName)")
    }
  }
}
