import Foundation
import NightdeskTokenizer

/// A model on disk, opened once: a Hugging Face folder (config.json, safetensors,
/// tokenizer files) or a GGUF file, whose header and metadata are parsed here and
/// nowhere else. It says what the model is (config and architecture, tokenizer,
/// chat template, identity, digest) and builds the forward pass over its weights.
/// Every command and the worker come through here (most through `ServedModel`);
/// nothing else opens model files or asks whether a path is a folder.
public struct ModelPackage: Sendable {
  public enum Format: String, Sendable {
    case huggingFaceFolder
    case gguf
  }

  /// The path as given (`--model`).
  public let path: String
  public let url: URL
  public let format: Format
  /// The parsed GGUF, for a GGUF package: its metadata holds config and tokenizer.
  private let gguf: GGUFFile?

  /// Opens the folder or file at `path`. A folder is read as it is asked for (a
  /// folder with only tokenizer files serves `tokenize`); a file is parsed as GGUF
  /// whatever its name, so a file that is not one is refused by its first bytes.
  public static func open(_ path: String) throws -> ModelPackage {
    let url = URL(fileURLWithPath: path)
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
      throw ModelFileError(.unreadable, file: path, "not found; --model takes a Hugging Face model folder or a .gguf file")
    }
    if isFolder.boolValue {
      return ModelPackage(path: path, url: url, format: .huggingFaceFolder, gguf: nil)
    }
    return ModelPackage(path: path, url: url, format: .gguf, gguf: try GGUFFile(url: url))
  }

  /// The file or folder name, as results name the model.
  public var name: String { url.lastPathComponent }

  /// The model's configuration (architecture, sizes, RoPE). A folder without
  /// config.json is refused here, naming what a model folder holds.
  public func config() throws -> ModelConfig {
    if let gguf { return try ModelConfig(gguf: gguf) }
    let file = url.appendingPathComponent("config.json")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw ModelFileError(
        .missingKey, file: path,
        "this folder has no config.json; give a Hugging Face model folder (config.json, *.safetensors, tokenizer.json) or a .gguf file")
    }
    return try ModelConfig(huggingFaceConfig: file)
  }

  /// The tokenizer's description: the GGUF's `tokenizer.*` metadata, or the
  /// folder's tokenizer files (only those are read, so a folder without weights is fine).
  public func tokenizerSpec() throws -> TokenizerSpec {
    if let gguf { return try TokenizerSpec(gguf: gguf) }
    return try TokenizerSpec(huggingFaceFolder: url)
  }

  /// The files that hold the weights (and, for a folder, config.json).
  func weightFiles() throws -> [URL] {
    guard format == .huggingFaceFolder else { return [url] }
    let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
      .filter { $0.hasSuffix(".safetensors") || $0 == "config.json" }
      .sorted()
    return names.map { url.appendingPathComponent($0) }
  }

  /// Path, size and mtime of each weight file: free to compute, and good for
  /// prefix-cache keys within a machine.
  public func quickIdentity() throws -> String {
    try weightFiles().map { file -> String in
      let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
      let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
      let mtime = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return "\(file.standardizedFileURL.path)|\(size)|\(Int64(mtime * 1000))"
    }.joined(separator: ";")
  }

  /// The GGUF file's SHA-256 ("sha256:…", what a result's `model_digest` names),
  /// from `sha256sum`: seconds for a large file, so callers compute it once. Nil
  /// for a folder or when the tool is missing.
  public func fileDigest() -> String? {
    guard format == .gguf else { return nil }
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

  /// Builds the forward pass over the weights (memory-mapped, not copied), a new
  /// one per call (compare-precision builds two). `kernels`: the level to compute
  /// with (nil: the process's, after checking what NIGHTDESK_KERNELS asks for); it
  /// must be one this CPU supports.
  public func loadModel(threads: Int? = nil, activations: ActivationPrecision = .float32,
                        kernels: KernelLevel? = nil) throws -> TransformerModel {
    try loadModel(config: config(), threads: threads, activations: activations, kernels: kernels)
  }

  /// `loadModel` with the configuration already read (`ServedModel` reads it once).
  func loadModel(config: ModelConfig, threads: Int?, activations: ActivationPrecision,
                 kernels: KernelLevel?) throws -> TransformerModel {
    try KernelLevel.checkEnvironment(ProcessInfo.processInfo.environment)
    let level = kernels ?? .active
    guard level.isSupported else { throw KernelLevelError.unsupported(level, missing: level.missingExtensions) }
    let source: any TensorSource
    let weights: ModelWeights
    if let gguf {
      source = gguf
      weights = try ModelWeights(source: gguf, config: config, naming: .gguf)
    } else {
      let checkpoint = try SafetensorsCheckpoint(folder: url)
      source = checkpoint
      weights = try ModelWeights(source: checkpoint, config: config, naming: .huggingFace)
    }
    return TransformerModel(config: config, weights: weights, source: source, identity: try quickIdentity(),
                            threads: threads, activations: activations, kernels: level)
  }
}
