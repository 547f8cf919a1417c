/// The tensors a GGUF model of a given configuration must contain, by
/// llama.cpp's names, with their row-major shapes. Checking a file against
/// this at load time turns a mismatched or hand-edited file into one clear
/// error instead of garbage output or an out-of-range read in a kernel.
public enum GGUFTensorLayout {
  /// `(name, shape)` for every tensor the forward pass reads.
  public static func expectedShapes(_ config: ModelConfig) -> [(name: String, shape: [Int])] {
    let hidden = config.hiddenSize
    let qWidth = config.headCount * config.headDim
    let kvWidth = config.kvHeadCount * config.headDim
    var shapes: [(name: String, shape: [Int])] = [
      ("token_embd.weight", [config.vocabularySize, hidden]),
      ("output_norm.weight", [hidden]),
    ]
    if !config.tieWordEmbeddings {
      shapes.append(("output.weight", [config.vocabularySize, hidden]))
    }
    for layer in 0..<config.layerCount {
      let p = "blk.\(layer)."
      shapes += [
        (p + "attn_norm.weight", [hidden]),
        (p + "attn_q.weight", [qWidth, hidden]),
        (p + "attn_k.weight", [kvWidth, hidden]),
        (p + "attn_v.weight", [kvWidth, hidden]),
        (p + "attn_output.weight", [hidden, qWidth]),
        (p + "ffn_norm.weight", [hidden]),
        (p + "ffn_gate.weight", [config.intermediateSize, hidden]),
        (p + "ffn_up.weight", [config.intermediateSize, hidden]),
        (p + "ffn_down.weight", [hidden, config.intermediateSize]),
      ]
      if config.hasQKNorm {
        shapes += [(p + "attn_q_norm.weight", [config.headDim]), (p + "attn_k_norm.weight", [config.headDim])]
      }
      if config.hasQKVBias {
        shapes += [(p + "attn_q.bias", [qWidth]), (p + "attn_k.bias", [kvWidth]), (p + "attn_v.bias", [kvWidth])]
      }
    }
    return shapes
  }
}

extension GGUFFile {
  /// Throws `.missingTensor` or `.shapeMismatch` (naming the tensor, the expected
  /// and the found shape) for the first tensor that does not fit `config`.
  public func validateTensors(for config: ModelConfig) throws {
    for (name, shape) in GGUFTensorLayout.expectedShapes(config) {
      guard let info = tensorInfo(named: name) else {
        throw error(.missingTensor, tensor: name,
                    "a \(config.architecture.rawValue) model with \(config.layerCount) layers needs this tensor")
      }
      guard info.shape == shape else {
        throw error(.shapeMismatch, tensor: name,
                    "expected shape \(shape) from the model's metadata, found \(info.shape)")
      }
    }
  }
}
