import Foundation
import NightdeskEngine
import NightdeskModel
import NightdeskQueue
import NightdeskTokenizer

extension EngineExecutor {
  /// Loads the model at `path` (a .gguf file or a Hugging Face folder), its tokenizer
  /// and chat template, starts an engine configured by `configuration` (given the
  /// model's stop tokens), and returns an executor feeding it.
  public static func load(
    model path: String, threads: Int? = nil, activations: ActivationPrecision = .float32, configuration: ([Int32]) throws -> EngineConfiguration
  ) throws -> EngineExecutor {
    let url = URL(fileURLWithPath: path)
    let tokenizer = try Tokenizer(spec: TokenizerSpec(modelAt: url))
    let template = try ChatTemplate(modelTemplate: tokenizer.chatTemplate)
    let model = try ModelLoader.loadModel(path: path, threads: threads, activations: activations)
    let config = try configuration(tokenizer.stopTokenIDs)
    let engine = try Engine(model: model, configuration: config) { tokenizer.makeStreamingDecoder(skipSpecialTokens: true) }
    let identity = ExecutorIdentity(
      // A result says when it did not come from the reference arithmetic.
      model: url.lastPathComponent + (activations == .float32 ? "" : " (\(activations.rawValue) activations)"), modelDigest: ModelDigest.sha256(of: url) ?? PrefixHash.digest(engine.modelIdentity),
      templateDigest: template.format.rawValue + ":" + PrefixHash.digest(tokenizer.chatTemplate ?? ""))
    let bos = tokenizer.addsBOS ? tokenizer.bosTokenID : nil
    return EngineExecutor(engine: engine, identity: identity, capacity: config.scheduler.maxSequences) { messages in
      let chat = try template.render(messages.map {
        NightdeskTokenizer.ChatMessage(role: $0.role == .developer ? "system" : $0.role.rawValue, content: $0.content)
      })
      return (bos.map { [$0] } ?? []) + tokenizer.encode(chat)
    }
  }
}

/// The model file's SHA-256 (what a result's `model_digest` names), from `sha256sum`:
/// computed once per worker start; nil for a folder or when the tool is missing.
enum ModelDigest {
  static func sha256(of url: URL) -> String? {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sha256sum", url.path]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    let digest = String(decoding: output, as: UTF8.self).prefix { !$0.isWhitespace }
    return digest.count == 64 ? "sha256:" + digest : nil
  }
}
