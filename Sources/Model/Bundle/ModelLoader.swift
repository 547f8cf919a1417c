import Foundation

/// Opens model weights from a Hugging Face folder (config.json + safetensors)
/// or a `.gguf` file and builds the forward pass over them.
public enum ModelLoader {
  /// `kernels`: the level to compute with (nil: the process's, after checking what
  /// NIGHTDESK_KERNELS asks for); it must be one this CPU supports.
  public static func loadModel(path: String, threads: Int? = nil, activations: ActivationPrecision = .float32,
                               kernels: KernelLevel? = nil) throws -> TransformerModel {
    try KernelLevel.checkEnvironment(ProcessInfo.processInfo.environment)
    let level = kernels ?? .active
    guard level.isSupported else { throw KernelLevelError.unsupported(level, missing: level.missingExtensions) }
    let url = URL(fileURLWithPath: path)
    if isDirectory(url) {
      let config = try ModelConfig(huggingFaceConfig: url.appendingPathComponent("config.json"))
      let checkpoint = try SafetensorsCheckpoint(folder: url)
      let weights = try ModelWeights(source: checkpoint, config: config, naming: .huggingFace)
      return TransformerModel(config: config, weights: weights, source: checkpoint,
                              identity: try ModelIdentity.quick(url: url), threads: threads, activations: activations,
                              kernels: level)
    }
    let gguf = try GGUFFile(url: url)
    let config = try ModelConfig(gguf: gguf)
    let weights = try ModelWeights(source: gguf, config: config, naming: .gguf)
    return TransformerModel(config: config, weights: weights, source: gguf,
                            identity: try ModelIdentity.quick(url: url), threads: threads, activations: activations,
                            kernels: level)
  }

  static func isDirectory(_ url: URL) -> Bool {
    var directory: ObjCBool = false
    return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
  }
}
