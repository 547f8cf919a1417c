import ArgumentParser
import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskTokenizer

extension GenerateCommand {
  /// `--prompts-file`: every line through the engine at once, JSON lines out in
  /// input order, a summary on stderr.
  func runPromptsFile(_ path: String, served: ServedModel) async throws {
    let override = try chatFormatOverride()
    let tokenizer = served.tokenizer
    let encode: (PromptLine.Input) throws -> [Int32] = { input in
      switch input {
      case .text(let text): return tokenizer.encode(text)
      case .ids(let ids): return ids
      case .messages(let messages):
        // A model without a known template fails only the lines that need one, saying so.
        return try served.promptIDs(for: messages, template: served.chatTemplate(override: override))
      }
    }
    let configuration = try engineOptions.configuration(
      eosTokenIDs: served.stopTokenIDs, modelContext: served.config.maxPositions, activations: served.activations)
    let engine: Engine
    do {
      engine = try Engine(serving: served, configuration: configuration)
    } catch let error as EngineError { throw ValidationError(error.message) }
    let started = DispatchTime.now().uptimeNanoseconds
    let runner = PromptsFileRunner(encode: encode, defaults: sampling)
    do {
      try await runner.run(file: path, engine: engine) { print($0) }
    } catch let error as EngineError {
      await engine.shutdown(graceful: false)
      throw ValidationError(error.message)
    }
    await engine.shutdown()
    let stats = engine.statistics  // final: published as the step thread ended
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    FileHandle.standardError.write(Data(String(
      format: "%d requests in %.2f s: %d prompt tokens (%d from the prefix cache, %.0f%%), %d generated, %d steps\n",
      stats.requestsFinished, seconds, stats.promptTokens, stats.prefixReusedTokens, stats.prefixHitRatio * 100,
      stats.generatedTokens, stats.steps).utf8))
  }
}
