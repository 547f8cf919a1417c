import ArgumentParser
import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskTokenizer

extension GenerateCommand {
  /// `--prompts-file`: every line through the engine at once, JSON lines out in
  /// input order, a summary on stderr.
  func runPromptsFile(_ path: String) async throws {
    // The engine takes the model for its own thread, so it is loaded apart from the tokenizer.
    let loaded = try ModelLoader.loadModel(path: model, activations: precision.activations)
    let tokenizer = try Tokenizer(spec: TokenizerSpec(modelAt: URL(fileURLWithPath: model)))
    let override = try chatFormat.map { name -> ChatFormat in
      guard let format = ChatFormat(rawValue: name) else {
        throw ValidationError(
          "--chat-format: unknown format '\(name)'; known: \(ChatFormat.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return format
    }
    let chatTemplate = tokenizer.chatTemplate
    let encode: (PromptLine.Input) throws -> [Int32] = { input in
      switch input {
      case .text(let text): return tokenizer.encode(text)
      case .ids(let ids): return ids
      case .messages(let messages):
        let template = try ChatTemplate(modelTemplate: chatTemplate, override: override)
        return tokenizer.encode(try template.render(messages))
      }
    }
    let defaults = SamplingParameters(
      temperature: temperature, topK: topK, topP: topP, seed: seed, maxTokens: max(1, maxTokens),
      ignoreEOS: ignoreEos, logprobs: topLogits > 0 ? min(topLogits, SamplingParameters.maxLogprobs) : nil)
    let configuration = try engineOptions.configuration(eosTokenIDs: tokenizer.stopTokenIDs)
    let engine: Engine
    do {
      engine = try Engine(model: loaded, configuration: configuration, textDecoder: { tokenizer.makeStreamingDecoder() })
    } catch { throw ValidationError(error.message) }
    let started = DispatchTime.now().uptimeNanoseconds
    let runner = PromptsFileRunner(encode: encode, defaults: defaults)
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
